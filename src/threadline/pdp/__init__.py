"""The potentially dangerous persons (PDP) list (issue 9, part 3).

A force's public protection unit keeps a list of people who are not managed under MAPPA but whose
behaviour gives reasonable grounds for believing there is a present likelihood of them committing
an offence or offences that will cause serious harm (College of Policing APP, *Managing sexual
offenders and violent offenders: potentially dangerous persons*). Partners see the entries shared
with them.

- :mod:`.models`: proposals (imported escalation ranking rows), nominations (the list's entries),
  actions and the history of every change; in the learning repository's database and Alembic chain.
- :mod:`.access`: who may see and do what (the table is in ``docs/pdp.md``).
- :mod:`.proposals`: importing the escalation ranking CSV, dismissing a proposal.
- :mod:`.service`: nominating, deciding, reviewing, removing, actions, the list and its export.

The ranking proposes; a person decides: importing a ranking never creates a nomination, and only a
reviewer puts a nominated person on the list.
"""
