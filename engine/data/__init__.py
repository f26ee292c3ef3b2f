"""Datasets as in-memory uint8 tensors, and the preparation of user images to match them.

``registry`` holds the one table of datasets and ``load_dataset``; ``types`` the shared data
classes; the other modules each load, split, transform or prepare one kind of thing.
"""
