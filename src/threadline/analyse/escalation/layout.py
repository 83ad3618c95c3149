"""The layout of a ranking file (``threadline escalation rank --out``): the contract between the
ranking and the potentially dangerous persons list, which imports these files as proposals
(:mod:`threadline.pdp.proposals`). Constants only, so the web application can import it without
the analysis stack.
"""

#: Columns of a ranking file (``threadline escalation rank --out``), the layout the potentially
#: dangerous persons list imports as proposals.
RANKING_COLUMNS = ["as_of", "rank", "person_id", "score", "harm_90d", "incidents_90d", "incidents_prev_270d",
                   "victims", "escalation", "latest_incident_type", "reasons"]
DYAD_COLUMNS = ["as_of", "rank", "dyad_id", "suspect_person_id", "victim_person_id", "score", "harm_90d",
                "incidents_90d", "incidents_prev_270d", "escalation", "latest_incident_type", "reasons"]
