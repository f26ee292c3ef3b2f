"""Run configuration as frozen dataclasses, with the defaults a user would pick.

Everything a run needs is here so that the window, the command line and the tests build the
same objects; ``to_dict``/``from_dict`` give the plain form that goes into checkpoints and JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from engine.data import registry as data_registry
from engine.errors import ConfigError
from engine.models.registry import ARCHITECTURES
from engine.precision import PRECISIONS

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("none", "step", "cosine", "onecycle")
MAX_BATCH = 65_536  # larger batches are a typo: no device here holds one
# "mps" is Apple's GPU, where PyTorch has it; "auto" picks CUDA when usable, else the CPU.
DEVICES = ("auto", "cpu", "cuda", "mps")


def _from_dict(cls, data: dict[str, Any]):
    known = {f.name for f in fields(cls)}
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
    return cls(**kwargs)


@dataclass(frozen=True)
class DataConfig:
    """Which data and how it is split and fed.

    ``dataset`` is a key of ``engine.data.registry.DATASETS`` or ``"folder:PATH"``. ``image_size``
    applies to image folders (all images are resized to it); ``None`` keeps each built-in
    dataset's own size.
    """

    dataset: str = "digits"
    data_dir: str = "data"
    val_split: float = 0.2
    seed: int = 0
    augment: bool = False
    image_size: int | None = None
    download: bool = False

    def __post_init__(self):
        if not data_registry.is_known(self.dataset):
            raise ConfigError(f"unknown dataset {self.dataset!r}; choose one of {data_registry.usage()}")
        if not 0.0 < self.val_split < 0.9:
            raise ConfigError(f"validation split must be between 0 and 0.9, not {self.val_split}")
        if self.image_size is not None and not 8 <= self.image_size <= 512:
            raise ConfigError(f"image size must be between 8 and 512, not {self.image_size}")

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

    arch: str = "cnn"
    pretrained: bool = False
    init_checkpoint: str | None = None
    frozen: tuple[str, ...] = ()
    freeze_bn_stats: bool = True

    def __post_init__(self):
        if self.arch not in ARCHITECTURES:
            raise ConfigError(f"unknown model {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
        if self.pretrained and self.init_checkpoint:
            raise ConfigError("choose either ImageNet weights or a checkpoint to start from, not both")

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
    """

    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9
    epochs: int = 5
    batch_size: int = 64
    schedule: str = "none"
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    unfreeze_after: int | None = None
    unfreeze: tuple[str, ...] = ()
    finetune_lr_factor: float = 0.1
    backbone_lr_factor: float = 1.0
    kfold: int = 0
    label_smoothing: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        checks = [
            (self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}"),
            (self.schedule in SCHEDULES, f"schedule must be one of {', '.join(SCHEDULES)}"),
            (self.device in DEVICES, f"device must be one of {', '.join(DEVICES)}"),
            (self.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}"),
            (0 < self.lr <= 10, f"learning rate must be in (0, 10], not {self.lr}"),
            (self.weight_decay >= 0, "weight decay cannot be negative"),
            (0 <= self.momentum < 1, "momentum must be in [0, 1)"),
            (1 <= self.epochs <= 10_000, f"epochs must be between 1 and 10000, not {self.epochs}"),
            (1 <= self.batch_size <= MAX_BATCH, f"batch size must be 1..{MAX_BATCH}, not {self.batch_size}"),
            (self.kfold == 0 or 2 <= self.kfold <= 10, "K-Fold needs K between 2 and 10 (0 = off)"),
            (0 < self.finetune_lr_factor <= 1, "fine-tune learning-rate factor must be in (0, 1]"),
            (0 < self.backbone_lr_factor <= 1, "backbone learning-rate factor must be in (0, 1]"),
            (0 <= self.label_smoothing < 1, "label smoothing must be in [0, 1)"),
        ]
        if self.unfreeze_after is not None:
            checks.append(
                (
                    1 <= self.unfreeze_after < self.epochs,
                    f"unfreeze after must be between 1 and epochs - 1 ({self.epochs - 1})",
                )
            )
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["unfreeze"] = list(self.unfreeze)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return _from_dict(cls, data)
