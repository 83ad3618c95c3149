"""The server-rendered pages of the learning repository (Jinja2 templates in ``web/templates``).

One module per area, each with its own router, gathered here into :data:`router`:

- :mod:`.records`: search, the short and full record forms, the record page, documents, deletion;
- :mod:`.recommendations`: tasking out actions, the tracking list, status and evidence;
- :mod:`.oversight`: the dashboard, recurring lessons, the governance pack, exports, the
  retention review queue.

Every route takes the signed-in user (``CurrentUser``, GET) or an actor whose CSRF token was
checked (``CurrentActor``, POST), and reaches data only through the services of
:mod:`threadline.learning`, which apply the access rules and write the audit log. A POST answers
with a 303 redirect to a page carrying ``?done=<what>`` (Post/Redirect/Get), so reloading never
repeats an action; invalid input re-renders the form with the message and the values kept.
"""

from __future__ import annotations

from fastapi import APIRouter

from threadline.web.pages import oversight, recommendations, records

router = APIRouter(include_in_schema=False)
router.include_router(oversight.router)
router.include_router(records.router)
router.include_router(recommendations.router)
from threadline.web.pages import pdp  # noqa: E402 (potentially dangerous persons list, issue 9)

router.include_router(pdp.router)

__all__ = ["router"]
