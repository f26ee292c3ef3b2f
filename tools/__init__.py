"""Developer tools run from a source checkout (``python -m tools.<name>``); never imported by Taller."""
