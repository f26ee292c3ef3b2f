"""Filters as they learn: the first layer's weights before training and after every epoch.

A run folder's ``filters.npz`` (written by ``engine.train.runs.RunFolder``, atomically, rewritten
whole after each epoch: kilobytes) holds

``layer``    the first layer's dotted name (``features.block1.conv``, ``conv1``, ``features.0``)
``epochs``   int ``(E,)``: 0 for the weights the run started from, then each finished epoch
``phases``   int ``(E,)``: the fine-tuning phase of each entry (1, or 2 once unfrozen)
``weights``  float32 ``(E, N, C, h, w)``: the filters, one picture each

The first layer is the first convolution; a model without one (the MLP) has its first fully
connected layer's units instead, each unit's weights drawn as an image of the input (at most
``MAX_UNITS`` units, and fewer for large inputs so an entry stays under ``MAX_VALUES`` numbers).
The file loads with ``allow_pickle=False``; the Training tab and the run report show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.files import atomic_file
from engine.mosaic import symmetric

FILTERS = "filters.npz"
MAX_UNITS = 16
MAX_VALUES = 65_536


@dataclass
class FilterHistory:
    """The entries of a ``filters.npz``, oldest first."""

    layer: str
    epochs: np.ndarray
    phases: np.ndarray
    weights: np.ndarray

    def __len__(self) -> int:
        return len(self.epochs)

    def images(self, i: int) -> np.ndarray:
        """Entry ``i``'s filters as uint8 ``(N, C, h, w)`` pictures (``engine.mosaic.symmetric``)."""
        return symmetric(self.weights[i])

    def moved(self, i: int) -> float:
        """How far entry ``i``'s weights are from the first entry's, as a share of the first's size."""
        start = float(np.linalg.norm(self.weights[0]))
        return float(np.linalg.norm(self.weights[i] - self.weights[0])) / start if start > 0 else 0.0


def first_layer(state_dict: dict[str, Any], shape: tuple[int, ...]) -> tuple[str, np.ndarray] | None:
    """The first layer's name and its filters as float32 ``(N, C, h, w)``; None if it has neither.

    ``state_dict`` is in the model's registration order, which for Taller's models is the order of
    the forward pass. ``shape`` is the input ``(C, H, W)``: a fully connected first layer's units are
    drawn at that shape.
    """
    linear = None
    for key, value in state_dict.items():
        if not key.endswith("weight") or not hasattr(value, "ndim"):
            continue
        name = key[: -len(".weight")] if key.endswith(".weight") else key
        if value.ndim == 4:
            return name, _numpy(value)
        if value.ndim == 2 and linear is None and value.shape[1] == int(np.prod(shape)):
            linear = (name, value)
    if linear is None:
        return None
    name, value = linear
    units = max(1, min(MAX_UNITS, MAX_VALUES // int(value.shape[1])))
    return name, _numpy(value[:units]).reshape(-1, *shape)


def _numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, perhaps on a GPU, without importing torch here
        value = value.detach().float().cpu().numpy()
    return np.array(value, dtype=np.float32)


def read_history(folder: str | Path) -> FilterHistory | None:
    """The ``filters.npz`` of a run folder (or the file itself); None when there is none.

    Raises
    ------
    ValueError
        The file is there but damaged (cut short, another file under that name).
    """
    path = Path(folder)
    path = path if path.suffix == ".npz" else path / FILTERS
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            history = FilterHistory(
                layer=str(data["layer"]),
                epochs=np.asarray(data["epochs"], dtype=np.int64),
                phases=np.asarray(data["phases"], dtype=np.int64),
                weights=np.asarray(data["weights"], dtype=np.float32),
            )
    except (OSError, KeyError, ValueError, EOFError) as e:
        raise ValueError(str(path)) from e
    if history.weights.ndim != 5 or not len(history.epochs) == len(history.phases) == len(history.weights):
        raise ValueError(str(path))
    return history


def record(
    folder: str | Path, epoch: int, phase: int, state_dict: dict[str, Any], shape: tuple[int, ...]
) -> Path | None:
    """Add the first layer's weights after ``epoch`` (0: before training) to the folder's file.

    Entries of this epoch and later ones (left by a run that stopped and is resumed) are replaced; a
    damaged file is started again. Returns the file, or None for a model without a first layer.
    """
    found = first_layer(state_dict, shape)
    if found is None:
        return None
    layer, weights = found
    path = Path(folder) / FILTERS
    try:
        old = read_history(path)
    except ValueError:
        old = None
    if old is not None and old.layer == layer and old.weights.shape[1:] == weights.shape:
        keep = old.epochs < epoch
        epochs, phases, stack = old.epochs[keep], old.phases[keep], old.weights[keep]
    else:
        epochs, phases, stack = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, *weights.shape))
    arrays = {
        "layer": np.array(layer),
        "epochs": np.append(epochs, epoch).astype(np.int64),
        "phases": np.append(phases, phase).astype(np.int64),
        "weights": np.concatenate([stack, weights[None]]).astype(np.float32),
    }

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:  # a file object: np.savez would add ".npz" to a temporary name
            np.savez(fh, **arrays)

    return atomic_file(path, write)
