"""The Layers tab: where the weights start, the layer tree of what learns, two-phase fine-tuning."""
