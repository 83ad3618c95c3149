"""The lessons-learned repository: debriefs, reviews and recommendations tracked until implemented.

Operational, multi-user data, kept apart from the analytical workspace: SQLAlchemy 2 models
(:mod:`.models`), Alembic migrations (:mod:`.db`), one access rule for every query
(:mod:`.access`), an append-only audit log (:mod:`.audit`) and the services the web application
and the command call (:mod:`.records`, :mod:`.recommendations`, :mod:`.users`).
"""
