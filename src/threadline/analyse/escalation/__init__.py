"""People and domestic-abuse dyads whose violence is escalating (issue 9).

One module a concept: :mod:`severity` (the gravity of an incident: ONS Crime Severity Score
weights), :mod:`register` (reading what was known at a date from the workspace), :mod:`trend` (the
escalation measure: a Poisson regression of incidents per quarter), :mod:`scores` (recency,
frequency, gravity and victims, the harm score and the ranking), :mod:`reasons` (why a person is
on top, in words), :mod:`ranking` (the ranking of a workspace at a date), :mod:`layout` (the
ranking file's columns, which the PDP list imports), :mod:`backtest` (ranking at each past quarter
end and measuring who came next), :mod:`fairness` (selection and recall by ethnic group, sex and
age band) and :mod:`summary` (the quarterly report's section). See docs/escalation.md.

The ranking proposes; a person decides: nothing here puts anyone on a list.
"""
