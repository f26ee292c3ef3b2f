"""The Try it tab: draw or drop an image, pick a model, see its prediction; drawings saved as data."""
