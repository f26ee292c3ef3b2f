"""Comparisons: a plan of variants of one base run, run one after another, and a fair table of them.

``plan`` says what varies (``Plan``, ``Variant``), ``presets`` the course's usual questions,
``queue`` runs a plan through the one engine runner in ``runs/compare-<name>-N/``, ``table`` reads
a comparison folder back into rows and verdicts (``stats``: whether a difference is real),
``report`` writes its HTML and CSV, and ``cli`` is ``taller compare``.
"""
