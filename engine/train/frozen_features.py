"""Frozen layers computed once: the epochs train only the layers after them.

With the front of a model frozen (feature extraction, the "last N blocks" presets, phase 1 of two-
phase fine-tuning), what it gives for a picture never changes, so running it every epoch is wasted:
Teachable Machine and Create ML compute each picture's features once and train the head in seconds.
``FrozenOnce`` cuts the model after its frozen front (``frozen_split``), runs the front once over the
training and validation pictures, and from then on the loop trains ``rest`` on the stored outputs.

The outputs stay in memory when they take at most ``MEMORY_SHARE`` of the memory free (on the GPU
when they fit there). Otherwise a streamed folder's go to a file beside the decode cache
(``engine.data.feature_cache``), keyed by the frozen layers' weights and structure, the pictures,
their preparation and the precision, so a later run with the same frozen layers reads them; for
pictures held in memory the run computes every layer every epoch, and says why.

The result is the run computing every layer would give, for the same seed: the front is exactly the
operations that neither train nor draw random numbers, the order of each epoch still comes from the
loop's generator and the dropout of the rest from the global generator, drawn in the same order,
and computing the features draws from neither. It is off (the log says why) with augmentation (each
epoch's pictures differ), under DDP (its ranks would each need their own shards' features), and
when the front cannot be cut (``frozen_split``). Phase 2 of fine-tuning releases the frozen layers:
from then on every epoch computes them again.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn

from engine.data.cache import DamagedCache
from engine.data.cache import cache_key as files_key
from engine.data.feature_cache import FeatureEntry, FeatureFile, feature_root
from engine.data.memory import available_memory
from engine.data.stream import STREAM_BATCH, FileImages, LazyImages, read_batches
from engine.data.transforms import normalise
from engine.data.types import Subset
from engine.errors import DatasetError
from engine.formatting import duration, integer
from engine.freezing import set_train_mode
from engine.i18n import _, ngettext
from engine.train import distributed
from engine.train.feed import eval_outputs, none_readable
from engine.train.frozen_split import FrozenSplit, split_frozen
from engine.train.state import FitState, Stopped

MEMORY_SHARE = 0.25  # of the free memory the outputs may take (the rest: model, batches, the data)
FEATURE_BATCH = 256  # pictures held in memory go through the frozen layers this many at a time
VAL_BATCH = 512


class FeatureFeeder:
    """Batches of stored frozen-layer outputs and their labels, in the order the loop draws."""

    def __init__(self, features: torch.Tensor | FeatureFile, ok: torch.Tensor, labels: torch.Tensor, device):
        self.features, self.device = features, device
        self.labels = labels.to(device)
        self.ok = ok.to(device)
        self.all_ok = bool(ok.all())

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def _take(self, idx: torch.Tensor) -> torch.Tensor:
        if isinstance(self.features, FeatureFile):
            try:
                rows = self.features.take(idx)
            except DamagedCache as exc:
                raise DatasetError(
                    _(
                        "the stored outputs of the frozen layers in {folder} changed during training "
                        "({reason}); train again: they will be computed anew"
                    ).format(folder=self.features.path.parent, reason=exc.reason)
                ) from exc
        else:
            rows = self.features[idx.to(self.features.device)]
        return rows.to(self.device, non_blocking=True)

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The outputs and labels at ``idx`` (finding a batch size that fits in GPU memory)."""
        return self._take(idx), self.labels[idx]

    def batches(self, order: torch.Tensor, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(outputs, labels) of ``order`` in batches; a picture that could not be read is left out."""
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            if not self.all_ok:
                idx = idx[self.ok[idx]]
                if not len(idx):
                    continue
            yield self._take(idx), self.labels[idx]


class FrozenOnce:
    """The loop's switch between computing every layer and training on stored frozen-layer outputs.

    ``ready(net, feeder)`` gives what an epoch trains: the first call in phase 1 computes the
    outputs (it may raise ``Stopped``); ``release()`` turns it off for good (phase 2).
    """

    def __init__(self, model: nn.Module, train: Subset, val: Subset, state: FitState):
        self.model, self.train, self.val, self.state = model, train, val, state
        self.split: FrozenSplit | None = None
        self.feeder: FeatureFeeder | None = None
        self.val_feeder: FeatureFeeder | None = None
        self.decided = not (state.reuse_frozen and state.frozen)  # nothing frozen: nothing to say
        self.released = False

    @property
    def active(self) -> bool:
        return not self.released and self.feeder is not None

    def ready(self, net: nn.Module, feeder) -> tuple[nn.Module, object]:
        """The module and the feeder of the next epoch: (rest, stored outputs) or ``(net, feeder)``."""
        if not self.decided and not self.released:
            self.decided = True
            why = self._why_not()
            if why is None:
                why = self._compute(getattr(feeder, "lost", None))
            if why is not None:
                self.state.emit({"event": "status", "message": _("Frozen layers: {why}").format(why=why)})
        if self.active:
            return self.split.rest, self.feeder
        return net, feeder

    def step_parts(self, model: nn.Module, feeder) -> tuple[nn.Module, object]:
        """What a training step runs: (rest, stored outputs) while active, else ``(model, feeder)``."""
        return (self.split.rest, self.feeder) if self.active else (model, feeder)

    def release(self) -> None:
        """The frozen layers are released: every epoch from now on computes them."""
        self.released = True
        for feeder in (self.feeder, self.val_feeder):
            if feeder is not None and isinstance(feeder.features, FeatureFile):
                feeder.features.close()
        self.feeder = self.val_feeder = None

    def _why_not(self) -> str | None:
        if self.state.augment:
            return _(
                "computed again in every epoch, because augmentation changes the pictures every epoch "
                "(without it their outputs are computed once)"
            )
        if distributed.active():
            return _("computed again in every epoch, because the run is spread over several processes")
        set_train_mode(self.model, self.state.frozen, self.state.freeze_bn_stats)
        split = split_frozen(self.model)
        if isinstance(split, str):
            return _("computed again in every epoch, because {reason}").format(reason=split)
        self.split = split
        return None

    # ---- computing the outputs once -------------------------------------------------------------
    def _compute(self, lost: set[int] | None) -> str | None:
        """Run the front over the training and validation pictures; why not, when they cannot be kept."""
        state, started = self.state, time.perf_counter()
        n = len(self.train) + len(self.val)
        one = self._front(self._first_images(1))
        per = one[0].numel() * one.element_size()
        place = placement(n * per, state.device)
        streamed = all(
            isinstance(s.images, LazyImages) and source_key(s.images.source) for s in (self.train, self.val)
        )
        if place is None and not streamed:
            return _(
                "computed again in every epoch, because their outputs for {n} pictures ({size} MB) do "
                "not fit in memory"
            ).format(n=integer(n), size=integer(math.ceil(n * per / 2**20)))
        state.emit(
            {
                "event": "status",
                "message": _("Frozen layers: computing their outputs once for {n} pictures…").format(
                    n=integer(n)
                ),
            }
        )
        kept, reused = [], True
        for subset in (self.train, self.val):
            if place is not None:
                features, ok = self._in_memory(subset, place, one, lost)
                reused = False
            else:
                features, ok, was_there = self._on_disk(subset, one, lost)
                reused = reused and was_there
            kept.append(FeatureFeeder(features, ok, subset.labels, state.device))
        if len(self.train) and not bool(kept[0].ok.any()):
            raise none_readable(len(self.train), getattr(self.train.images.source, "origin", ""))
        self.feeder, self.val_feeder = kept
        self.state.emit(
            {"event": "status", "message": self._said(n, time.perf_counter() - started, place, reused)}
        )
        return None

    def _said(self, n: int, seconds: float, place, reused: bool) -> str:
        if place is None and reused:
            done = _(
                "their outputs for {n} pictures read from {folder}, where an earlier run stored them"
            ).format(n=integer(n), folder=feature_root())
        else:
            done = ngettext(
                "features computed once for {n} picture ({time})",
                "features computed once for {n} pictures ({time})",
                n,
            ).format(n=integer(n), time=duration(seconds))
            if place is None:
                done = _("{done}, stored in {folder}").format(done=done, folder=feature_root())
        layers = self.split.layers
        trains = ngettext(
            "the epochs train only the {n} layer after them",
            "the epochs train only the {n} layers after them",
            layers,
        ).format(n=layers)
        return _("Frozen layers: {done}; {trains}").format(done=done, trains=trains)

    def _first_images(self, k: int) -> torch.Tensor:
        images = self.train.images
        if isinstance(images, LazyImages):
            return images[: min(k, len(images))].load()
        return images[:k]

    @torch.no_grad()
    def _front(self, images: torch.Tensor) -> torch.Tensor:
        """The front's outputs for uint8 ``images``, computed as a training step computes them."""
        state = self.state
        x = normalise(images, state.spec).to(state.device, non_blocking=True)
        with state.precision.autocast():
            return self.split.front(state.precision.inputs(x))

    def _batches(self, subset: Subset, lost: set[int] | None) -> Iterator[tuple[np.ndarray, torch.Tensor]]:
        """(places in ``subset``, uint8 images) in order; pictures that cannot be read are left out."""
        images = subset.images
        if not isinstance(images, LazyImages):
            for start in range(0, len(subset), FEATURE_BATCH):
                self._check_stop()
                yield (
                    np.arange(start, min(start + FEATURE_BATCH, len(subset))),
                    images[start : start + FEATURE_BATCH],
                )
            return
        for k, (x, ok) in enumerate(read_batches(images, STREAM_BATCH)):
            self._check_stop()
            places = np.arange(k * STREAM_BATCH, k * STREAM_BATCH + len(ok))
            if not ok.all() and lost is not None:
                lost.update(images.positions[places[~ok.numpy()]].tolist())
            if ok.any():
                yield places[ok.numpy()], x

    def _check_stop(self) -> None:
        if self.state.should_stop():
            raise Stopped

    def _in_memory(self, subset: Subset, place: torch.device, one: torch.Tensor, lost):
        features = torch.empty((len(subset), *one.shape[1:]), dtype=one.dtype, device=place)
        ok = torch.zeros(len(subset), dtype=torch.bool)
        for places, x in self._batches(subset, lost):
            index = torch.as_tensor(places)
            features[index.to(place)] = self._front(x).to(place)
            ok[index] = True
        return features, ok

    def _on_disk(self, subset: Subset, one: torch.Tensor, lost):
        """The outputs of a streamed split in the feature cache: read when stored, else computed there."""
        entry = FeatureEntry.of(self._key(subset), (len(subset), *one.shape[1:]), one.dtype)
        if entry.complete():
            try:
                features, ok = entry.read()
                return features, torch.as_tensor(ok), True
            except DamagedCache:
                pass  # computed again and rewritten below
        ok = np.zeros(len(subset), dtype=bool)
        out = entry.writer()
        try:
            for places, x in self._batches(subset, lost):
                entry.put(out, places, self._front(x))
                ok[places] = True
        except BaseException:
            out.close()  # no header: the entry is never read
            raise
        return entry.finish(out, ok), torch.as_tensor(ok), False

    def _key(self, subset: Subset) -> str:
        """What the stored outputs depend on: frozen weights and structure, pictures, preparation."""
        state, images = self.state, subset.images
        digest = hashlib.sha256()
        digest.update(self.split.front.code.encode())
        for name, value in self.split.front.state_dict().items():
            digest.update(f"{name} {value.dtype} {tuple(value.shape)}\n".encode())
            digest.update(value.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
        digest.update(source_key(images.source).encode())
        digest.update(images.positions.tobytes())
        precision = state.precision
        about = f"{state.spec.to_dict()} {precision.name} {precision.channels_last} {state.device.type}"
        digest.update(about.encode())
        return digest.hexdigest()[:32]

    # ---- validation on stored outputs -----------------------------------------------------------
    @torch.inference_mode()
    def validate(self, criterion: nn.Module) -> tuple[float, float]:
        """Mean loss and accuracy on the validation split, the rest in eval mode."""
        feeder = self.val_feeder
        if not len(feeder):
            return float("nan"), float("nan")
        self.model.eval()
        loss_sum, correct, seen = 0.0, 0, 0
        order = torch.arange(len(feeder), device=feeder.labels.device)
        for f, y in feeder.batches(order, VAL_BATCH):
            out = eval_outputs(self.split.rest, f, self.state)
            loss_sum += criterion(out, y).item() * y.shape[0]
            correct += (out.argmax(dim=1) == y).sum().item()
            seen += y.shape[0]
        if not seen:
            return float("nan"), float("nan")
        return loss_sum / seen, correct / seen


def source_key(source) -> str:
    """What names a streamed split's pictures: the decode cache's key, or the files' own ("" if none)."""
    if isinstance(source, FileImages):
        return files_key(source.files, source.size, source.channels, source.resize)
    path = getattr(source, "path", None)  # the decode cache's images.u8: its folder is its key
    return f"decoded {Path(path).parent.name}" if path is not None else ""


def placement(nbytes: int, device: torch.device) -> torch.device | None:
    """Where outputs of ``nbytes`` are kept: on the GPU or in memory when they fit, else None (disk)."""
    if device.type == "cuda" and torch.cuda.is_available():
        free, _total = torch.cuda.mem_get_info(device)
        if nbytes <= MEMORY_SHARE * free:
            return device
    if nbytes <= MEMORY_SHARE * available_memory():
        return torch.device("cpu")
    return None
