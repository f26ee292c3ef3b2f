"""A run's exports: metrics files (``exports``), matplotlib charts (``charts``), the HTML page (``html``).

Import from the submodules; this package imports nothing itself, so the window can read the
colours in ``style`` without loading matplotlib.
"""
