"""Pure analysis of runs and experiments: metrics, sentiment and stance, themes, backlash,
experiment statistics, honesty diagnostics, backtests, reports and exports.

Plain Python + numpy/scipy, no Django: the Django side maps a run into the records of
``records.py`` and calls ``report.build_report`` (one run) or ``experiment.compare_variants``
(variants x replicates).
"""
