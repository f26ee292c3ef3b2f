"""The Model form (2 · Model): the architecture and the hyper-parameters of a run."""
