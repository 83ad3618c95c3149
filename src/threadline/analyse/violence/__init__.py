"""Serious youth violence and the Serious Violence Duty (issue 8).

One module a concept: :mod:`definitions` (what counts as serious violence and as youth),
:mod:`population` (census denominators), :mod:`disproportionality` (rates and relative rate
indices), :mod:`disclosure` (small-cell suppression), :mod:`ethnicity` (the 18+1 and officer-observed
codes), :mod:`recording` (protected characteristics), :mod:`its` and :mod:`outcome22` (outcome 22 and
its change after training), :mod:`evaluation` (intervention evaluation) and :mod:`register` (reading
the workspace). See docs/serious-violence.md.
"""
