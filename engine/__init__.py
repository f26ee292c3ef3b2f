"""Taller's engine: datasets, models, training, evaluation and checkpoints in plain PyTorch.

Nothing here imports Qt; the window and the command line drive the same functions.
"""
