"""Returns to the Home Office (issue 9): data the force sends nationally, built from the register,
validated, compared with the last return and reconciled with the register.

- :mod:`threadline.returns.homicide_index`: the Homicide Index return (one row per homicide victim,
  with suspects, method, circumstances, relationship, location, alcohol and drugs, status and court
  outcome), see docs/homicide-return.md;
- :mod:`threadline.returns.layout`: its columns and codes; :mod:`threadline.returns.rules`: its
  validation rules; :mod:`threadline.returns.changes`: what changed since the last return;
  :mod:`threadline.returns.reconcile`: counts against the register; :mod:`threadline.returns.writer`:
  CSV and XLSX.
"""
