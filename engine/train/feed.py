"""Feeding a streamed split to the training loop: batches decoded in DataLoader worker processes.

The loop takes batches from a feeder's ``batches(order, batch_size)``, an order being a 1-D tensor
of indices into the split (a permutation, or one process's share of it under DDP). The in-memory
``loop.BatchFeeder`` slices tensors; ``StreamFeeder`` hands the same order to a DataLoader
(``stream.stream_loader``: workers that persist between epochs, pinned memory on CUDA), so both
give the same batches for the same order when nothing is augmented. Photos are augmented in the
workers (``transforms.v2`` RandomResizedCrop + flip); other images on the device, as in memory.

A streamed file that can no longer be read (moved, deleted or damaged during the run) is left out
of its batch with its label, and counted: after each epoch a warning says how many pictures of
which folder were skipped so far.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from engine.data.stream import ImageItems, LazyImages, photo_augmentation, readable, stream_loader
from engine.data.transforms import augment, normalise
from engine.data.types import Subset
from engine.errors import DatasetError, GpuMemoryError
from engine.i18n import _, ngettext
from engine.train.state import FitState


class StreamFeeder:
    """Normalised batches of a streamed split (``stream.LazyImages``), in the order it is given."""

    def __init__(
        self, subset: Subset, state: FitState, generator: torch.Generator, workers: int | None = None
    ):
        self.images: LazyImages = subset.images
        self.labels = subset.labels.to(state.device)
        self.spec, self.device, self.generator, self.state = state.spec, state.device, generator, state
        photos = state.augment and state.flip
        self.device_augment = state.augment and not state.flip
        transform = photo_augmentation(self.spec.height) if photos else None
        self.loader, self.order = stream_loader(
            ImageItems(self.images, transform), state.cfg.batch_size, workers, collate_fn=readable
        )
        self.lost: set[int] = set()  # places in the source of pictures that could not be read
        self.reported = 0

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def origin(self) -> str:
        return getattr(self.images.source, "origin", "") or _("the image folder")

    def batches(self, order: torch.Tensor, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(images, labels) of ``order`` in batches of ``batch_size``, decoded ahead by the workers.

        A picture that could not be read is left out with its label, and a batch left empty is not
        given at all.

        Raises
        ------
        DatasetError
            Not one picture of ``order`` could be read (the folder was moved or deleted).
        """
        self.order.batch_size = batch_size
        self.order.set_order(order.cpu())
        fed = 0
        for k, (x, ok) in enumerate(self.loader):
            idx = order[k * batch_size : (k + 1) * batch_size]
            if not ok.all():
                self.lost.update(self.images.positions[idx[~ok.to(idx.device)].cpu().numpy()].tolist())
                idx = idx[ok.to(idx.device)]
                if not len(idx):
                    continue
            fed += len(idx)
            yield self._ready(x), self.labels[idx]
        if len(order) and not fed:
            raise none_readable(len(order), self.origin)

    def say_lost(self) -> None:
        """Warn once more when more pictures could not be read since the last warning."""
        if len(self.lost) <= self.reported:
            return
        self.reported = len(self.lost)
        message = ngettext(
            "{n} picture disappeared from {folder} during training (moved, deleted or no longer "
            "readable) and was skipped: it is not fed with its label, and the run goes on without it",
            "{n} pictures disappeared from {folder} during training (moved, deleted or no longer "
            "readable) and were skipped: they are not fed with their labels, and the run goes on "
            "without them",
            self.reported,
        ).format(n=self.reported, folder=self.origin)
        self.state.emit({"event": "warning", "message": message})

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One batch at ``idx``, read in this process (the learning-rate finder's random access)."""
        return self._ready(self.images[idx].load()), self.labels[idx]

    def _ready(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device, non_blocking=True)
        if self.device_augment:
            x = augment(x.float().div_(255.0), self.generator, False)
        return normalise(x, self.spec)


def none_readable(n: int, folder: str) -> DatasetError:
    """The error of a streamed split of which not one picture could be read (the folder went away)."""
    return DatasetError(
        _(
            "none of the {n} training pictures in {folder} could be read any more: they were "
            "moved, deleted or damaged during training; put them back and train again"
        ).format(n=n, folder=folder or _("the image folder"))
    )


def free_gpu_memory() -> None:
    """Give the CUDA caching allocator's free blocks back, so a smaller batch can be tried."""
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def fitting_batch_size(model, feeder, state: FitState, criterion, batch_size: int) -> int | None:
    """The largest of batch_size/2, /4, ... 1 whose training step fits in GPU memory, or None.

    Each size is tried with a real forward and backward pass on the first images of the split; the
    caller puts the weights back afterwards (a try moves BatchNorm statistics).
    """
    size = batch_size // 2
    while size >= 1:
        try:
            x, y = feeder.batch(torch.arange(min(size, len(feeder)), device=feeder.labels.device))
            with state.precision.autocast():
                out = model(state.precision.inputs(x))
            criterion(out.float(), y).backward()
            return size
        except torch.cuda.OutOfMemoryError:
            size //= 2
        finally:
            model.zero_grad(set_to_none=True)
            free_gpu_memory()
    return None


def eval_outputs(model, x: torch.Tensor, state: FitState) -> torch.Tensor:
    """The model's float32 outputs for ``x`` (no gradients kept); out of GPU memory, halves in turn."""
    try:
        with state.precision.autocast():
            return model(state.precision.inputs(x)).float()
    except torch.cuda.OutOfMemoryError:
        if x.shape[0] <= 1:
            raise
        free_gpu_memory()
        half = x.shape[0] // 2
        return torch.cat([eval_outputs(model, x[:half], state), eval_outputs(model, x[half:], state)])


def gpu_memory_error(model, feeder, state: FitState, criterion, epoch: int) -> GpuMemoryError | None:
    """The message of running out of GPU memory in ``epoch``, naming a batch size that fits.

    None when not even one image fits: then the general out-of-memory message
    (``engine.errors.describe``: a smaller batch, image size or model) is the right one.
    """
    free_gpu_memory()
    batch_size = state.cfg.batch_size
    fits = fitting_batch_size(model, feeder, state, criterion, batch_size)
    if fits is None:
        return None
    text = _(
        "the GPU ran out of memory in epoch {epoch} with batches of {size} images; a batch size of "
        "{fits} fits: train again with it (--batch-size {fits})"
    ).format(epoch=epoch, size=batch_size, fits=fits)
    error = GpuMemoryError(text)
    error.fits = fits
    return error


def device_facts(device: torch.device) -> dict:
    """What an epoch_end event says about the device: its name, and on CUDA the memory in use (MiB)."""
    facts = {"device": str(device)}
    if device.type == "cuda" and torch.cuda.is_available():
        facts["gpu_memory_mb"] = torch.cuda.memory_allocated(device) / 2**20
        facts["gpu_memory_peak_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return facts
