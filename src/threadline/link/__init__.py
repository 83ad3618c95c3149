"""Linkage: which death investigations belong together (candidate series), and why.

- :mod:`threadline.link.entities`: normalising recorded things (plates, stamps, phones, substances).
- :mod:`threadline.link.blocking`: candidate pairs without an all-pairs loop (shared people and
  things; a space-time grid).
- :mod:`threadline.link.features`: pair features, in DuckDB SQL.
- :mod:`threadline.link.text`: narrative similarity (TF-IDF).
- :mod:`threadline.link.pairmodel`: the pair model (logistic regression, naive Bayes).
- :mod:`threadline.link.surveillance`: people and premises at more deaths than expected.
- :mod:`threadline.link.series`: pairs and signals grouped into candidate series, with reasons.
- :mod:`threadline.link.store` and :mod:`threadline.link.detect`: a detection run in the workspace.
- :mod:`threadline.link.crimelinkage`: the same method on crimelinkage-format data (benchmark).

See ``docs/series.md``.
"""
