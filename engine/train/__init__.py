"""Training: ``state`` (what a fit needs, events, optimizer and schedule), ``loop`` (fit),
``finetune`` (starting weights, phase two) and ``run`` (config -> data -> model -> fit -> test)."""
