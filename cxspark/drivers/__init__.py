"""Driver models and remediation priorities (docs/drivers.md).

:mod:`features` journey features and targets; :mod:`model` training, validation and
importance in Spark MLlib; :mod:`tracking` MLflow; :mod:`remediation` counterfactual
priorities with owners; :mod:`job` the ``drivers`` job; :mod:`evaluate` recovery of the
generator's planted drivers.
"""
