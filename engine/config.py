"""Run configuration as frozen dataclasses, with the defaults a user would pick.

Everything a run needs is here so that the window, the command line and the tests build the
same objects; ``to_dict``/``from_dict`` give the plain form that goes into checkpoints and JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from engine.data import registry as data_registry
from engine.data.folder_stream import LOADERS
from engine.errors import ConfigError
from engine.i18n import _
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
    # Image folders: "memory", "stream" (decoded from disk per batch) or "auto" (memory when it fits).
    loader: str = "auto"
    cache: bool = True  # a streamed folder's decoded pixels kept in the decode cache for later epochs
    # Image folders: scale the shorter side to this, then crop the centre image_size x image_size
    # (ImageNet weights' own preprocessing; set by the run for pretrained models); None: squash.
    resize: int | None = None

    def __post_init__(self):
        if not data_registry.is_known(self.dataset):
            raise ConfigError(
                _("unknown dataset {dataset!r}; choose one of {usage}").format(
                    dataset=self.dataset, usage=data_registry.usage()
                )
            )
        if not 0.0 < self.val_split < 0.9:
            raise ConfigError(
                _("validation split must be between 0 and 0.9, not {val_split}").format(
                    val_split=self.val_split
                )
            )
        if self.loader not in LOADERS:
            raise ConfigError(
                _("loader must be one of {choices}, not {loader!r}").format(
                    choices=", ".join(LOADERS), loader=self.loader
                )
            )
        if self.resize is not None and (self.image_size is None or self.resize < self.image_size):
            raise ConfigError(_("a resize needs an image size no larger than it (the centre crop)"))
        if self.image_size is not None and not 8 <= self.image_size <= 512:
            raise ConfigError(
                _("image size must be between 8 and 512, not {image_size}").format(image_size=self.image_size)
            )

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
            raise ConfigError(
                _("unknown model {arch!r}; choose one of {architectures}").format(
                    arch=self.arch, architectures=", ".join(ARCHITECTURES)
                )
            )
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
            (
                self.optimizer in OPTIMIZERS,
                _("optimizer must be one of {choices}").format(choices=", ".join(OPTIMIZERS)),
            ),
            (
                self.schedule in SCHEDULES,
                _("schedule must be one of {choices}").format(choices=", ".join(SCHEDULES)),
            ),
            (self.device in DEVICES, _("device must be one of {choices}").format(choices=", ".join(DEVICES))),
            (
                self.precision in PRECISIONS,
                _("precision must be one of {choices}").format(choices=", ".join(PRECISIONS)),
            ),
            (0 < self.lr <= 10, _("learning rate must be in (0, 10], not {lr}").format(lr=self.lr)),
            (self.weight_decay >= 0, _("weight decay cannot be negative")),
            (0 <= self.momentum < 1, _("momentum must be in [0, 1)")),
            (
                1 <= self.epochs <= 10_000,
                _("epochs must be between 1 and 10000, not {epochs}").format(epochs=self.epochs),
            ),
            (
                1 <= self.batch_size <= MAX_BATCH,
                _("batch size must be 1..{most}, not {size}").format(most=MAX_BATCH, size=self.batch_size),
            ),
            (self.kfold == 0 or 2 <= self.kfold <= 10, _("K-Fold needs K between 2 and 10 (0 = off)")),
            (0 < self.finetune_lr_factor <= 1, _("fine-tune learning-rate factor must be in (0, 1]")),
            (0 < self.backbone_lr_factor <= 1, _("backbone learning-rate factor must be in (0, 1]")),
            (0 <= self.label_smoothing < 1, _("label smoothing must be in [0, 1)")),
        ]
        if self.unfreeze_after is not None:
            checks.append(
                (
                    1 <= self.unfreeze_after < self.epochs,
                    _("unfreeze after must be between 1 and epochs - 1 ({most})").format(
                        most=self.epochs - 1
                    ),
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
