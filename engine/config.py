"""Run configuration as frozen dataclasses, with the defaults a user would pick.

Everything a run needs is here so that the window, the command line and the tests build the
same objects; ``to_dict``/``from_dict`` give the plain form that goes into checkpoints and JSON.
Each field's default, range and choices come from ``engine.settings``' table (one entry per field);
what is checked here is only what ties fields together (a resize and its crop, unfreezing before
the last epoch, one starting point) or a dataset name (a registry key or any ``folder:PATH``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from engine import settings
from engine.data import registry as data_registry
from engine.errors import ConfigError
from engine.i18n import _
from engine.settings import DEFAULTS

__all__ = ["ConfigError", "DataConfig", "ModelConfig", "TrainConfig"]  # ConfigError: where callers look


def _from_dict(cls, data: dict[str, Any]):
    """``cls`` from a saved dict; keys it no longer has are dropped (an older run's training seed,
    the old ``extra``), so a config.json or checkpoint of any earlier version loads."""
    known = {f.name for f in fields(cls)}
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
    return cls(**kwargs)


@dataclass(frozen=True)
class DataConfig:
    """Which data and how it is split and fed.

    ``dataset`` is a key of ``engine.data.registry.DATASETS`` or ``"folder:PATH"``. ``image_size``
    applies to image folders (all images are resized to it); ``None`` keeps each built-in
    dataset's own size. ``seed`` is the run's one seed: it generates the synthetic datasets and
    splits the data, and the run seeds the weights and the shuffling with it as well.
    """

    dataset: str = DEFAULTS["dataset"]
    data_dir: str = DEFAULTS["data_dir"]
    val_split: float = DEFAULTS["val_split"]
    seed: int = DEFAULTS["seed"]
    augment: bool = DEFAULTS["augment"]
    image_size: int | None = DEFAULTS["image_size"]
    download: bool = DEFAULTS["download"]
    # Image folders: "memory", "stream" (decoded from disk per batch) or "auto" (memory when it fits).
    loader: str = DEFAULTS["loader"]
    cache: bool = DEFAULTS["cache"]  # a streamed folder's decoded pixels kept for later epochs
    # Image folders: scale the shorter side to this, then crop the centre image_size x image_size
    # (ImageNet weights' own preprocessing; set by the run for pretrained models); None: squash.
    resize: int | None = DEFAULTS["resize"]

    def __post_init__(self):
        if not data_registry.is_known(self.dataset):
            raise ConfigError(
                _("unknown dataset {dataset!r}; choose one of {usage}").format(
                    dataset=self.dataset, usage=data_registry.usage()
                )
            )
        settings.check("data", self)
        if self.resize is not None and (self.image_size is None or self.resize < self.image_size):
            raise ConfigError(_("a resize needs an image size no larger than it (the centre crop)"))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataConfig:
        return _from_dict(cls, data)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture, starting point and which layers are frozen.

    ``frozen`` holds dotted module names from ``named_modules()``; a frozen module's parameters do
    not train, and with ``freeze_bn_stats`` its BatchNorm running statistics stay as they were.
    ``init_checkpoint`` starts from a model saved earlier in Taller (transfer learning).
    """

    arch: str = DEFAULTS["arch"]
    pretrained: bool = DEFAULTS["pretrained"]
    init_checkpoint: str | None = DEFAULTS["init_checkpoint"]
    frozen: tuple[str, ...] = DEFAULTS["frozen"]
    freeze_bn_stats: bool = DEFAULTS["freeze_bn_stats"]

    def __post_init__(self):
        settings.check("model", self)
        if self.pretrained and self.init_checkpoint:
            raise ConfigError(_("choose either ImageNet weights or a checkpoint to start from, not both"))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["frozen"] = list(self.frozen)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        return _from_dict(cls, data)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings.

    Two-phase fine-tuning: with ``unfreeze_after = N`` the frozen set trains for N epochs, then
    the modules in ``unfreeze`` (all frozen ones when empty) are released and the learning rate is
    multiplied by ``finetune_lr_factor``. ``backbone_lr_factor`` < 1 gives pretrained layers a
    smaller learning rate than the new head. ``precision`` is resolved for the device by
    ``engine.precision.resolve`` (``auto``: bfloat16 on CPUs that have it, float16 on CUDA).
    The seed is the data's (``DataConfig.seed``).
    """

    optimizer: str = DEFAULTS["optimizer"]
    lr: float = DEFAULTS["lr"]
    weight_decay: float = DEFAULTS["weight_decay"]
    momentum: float = DEFAULTS["momentum"]
    epochs: int = DEFAULTS["epochs"]
    batch_size: int = DEFAULTS["batch_size"]
    schedule: str = DEFAULTS["schedule"]
    device: str = DEFAULTS["device"]
    precision: str = DEFAULTS["precision"]
    unfreeze_after: int | None = DEFAULTS["unfreeze_after"]
    unfreeze: tuple[str, ...] = DEFAULTS["unfreeze"]
    finetune_lr_factor: float = DEFAULTS["finetune_lr_factor"]
    backbone_lr_factor: float = DEFAULTS["backbone_lr_factor"]
    kfold: int = DEFAULTS["kfold"]
    label_smoothing: float = DEFAULTS["label_smoothing"]

    def __post_init__(self):
        settings.check("train", self)
        if self.unfreeze_after is not None and not self.unfreeze_after < self.epochs:
            raise ConfigError(
                _("unfreeze after must be between 1 and epochs - 1 ({most})").format(most=self.epochs - 1)
            )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["unfreeze"] = list(self.unfreeze)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return _from_dict(cls, data)
