"""Analyses: one method per module, pure functions over counts and tables.

- :mod:`~threadline.analyse.rates`: counts compared with an exact test, rates with exact intervals.
- :mod:`~threadline.analyse.trends`: emerging trends against seasonal expectation (Farrington).
- :mod:`~threadline.analyse.hotspots`: Getis-Ord Gi* hot spots.
- :mod:`~threadline.analyse.breakdowns`, :mod:`~threadline.analyse.quality`: Homicide Index breakdowns, completeness.
- :mod:`~threadline.analyse.cardiff`: NHS-only violence hot spots (Cardiff Model).
- :mod:`~threadline.analyse.nearrepeat`: the near-repeat (Knox) test.
"""
