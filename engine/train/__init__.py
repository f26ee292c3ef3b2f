"""Training. ``runner`` is the one way a run happens (locked run folder, data, TensorBoard, fit, final
files), with ``request`` (RunRequest: what a run is asked to be), ``lock`` (one writer per folder),
``resume_rules`` (what a resumed run may change) and ``final_files`` (model.pt and metrics, or a fallback).

Below it: ``run`` (config -> data -> model -> fit -> test, K-Fold, the run's metadata), ``runs`` (the
run folder's files as it trains, the resume snapshot), ``tensorboard`` (scalars beside a run),
``lr_find`` (the learning-rate range test), ``loop`` (fit: epochs, batches, stop), ``feed`` (batches
from memory or worker processes), ``finetune`` (starting weights, phase two), ``snapshot`` (last.pt's
training state), ``state`` (what a fit needs, events, optimizer and schedule) and ``distributed``
(DDP under torchrun).
"""
