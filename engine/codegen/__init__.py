"""A run written out as code: a Jupyter notebook and a Python script of plain PyTorch that redo it."""
