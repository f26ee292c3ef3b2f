"""What a run is asked to be, as the window's forms and the command line hand it to the runner.

Kept apart from ``engine.train.runner`` and free of PyTorch, so the window can build one before the
engine has loaded (``gui.main_window`` defers PyTorch until the panels are built).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.config import DataConfig, ModelConfig, TrainConfig
    from engine.data.types import ImageData


@dataclass(frozen=True)
class RunRequest:
    """A run's three configurations and, when already loaded, its data.

    ``freeze_preset`` ('features', 'all' or 'last:N') adds the layers it names for this model and
    data to ``model_cfg.frozen`` once the data is known.
    """

    data_cfg: DataConfig
    model_cfg: ModelConfig
    train_cfg: TrainConfig
    data: ImageData | None = None
    freeze_preset: str | None = None
