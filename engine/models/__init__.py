"""Architectures: the one registry, the models Taller defines itself, input adaptation, ImageNet weights.

``registry`` is the table every consumer reads (command line, configuration, window, freezing);
``build.build_model`` turns an entry into a model for the data.
"""
