"""The data classes every part of Taller passes around: input specs and datasets in memory."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Protocol

from engine.errors import ConfigError
from engine.i18n import _

if TYPE_CHECKING:  # annotations only: the dataset table and the command line's options read this module
    import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# MNIST's own statistics, shared by every digit dataset so one digit model serves them all.
DIGIT_MEAN, DIGIT_STD = (0.1307,), (0.3081,)
DIGIT_CLASSES = tuple(str(d) for d in range(10))
# How an image folder is fed: decoded once into memory, streamed from disk, or chosen by its size.
LOADERS = ("auto", "memory", "stream")


class DataSource(Protocol):
    """What ``load_dataset`` reads from a ``DataConfig`` (data must not import the config)."""

    @property
    def dataset(self) -> str: ...

    @property
    def data_dir(self) -> str: ...

    @property
    def image_size(self) -> int | None: ...

    @property
    def seed(self) -> int: ...

    @property
    def download(self) -> bool: ...

    @property
    def loader(self) -> str: ...  # one of LOADERS (image folders only)

    @property
    def cache(self) -> bool: ...  # a streamed folder may keep its decoded pixels in the decode cache

    @property
    def resize(self) -> int | None: ...  # image folders: shorter side, then a centre crop of image_size


@dataclass(frozen=True)
class InputSpec:
    """What a model expects: channels, size and the normalisation applied to [0, 1] pixels.

    Saved with every checkpoint so that inference prepares images exactly as training did.
    """

    channels: int
    height: int
    width: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    # Pictures are scaled so their shorter side is ``resize``, then centre-cropped to height x width
    # (ImageNet weights' own preprocessing); None: resized to height x width as they are.
    resize: int | None = None

    def __post_init__(self):
        if self.channels not in (1, 3):
            raise ConfigError(_("channels must be 1 or 3, not {channels}").format(channels=self.channels))
        if len(self.mean) != self.channels or len(self.std) != self.channels:
            raise ConfigError(_("mean and std need one value per channel"))
        if min(self.std) <= 0:
            raise ConfigError(_("std must be positive"))

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.height, self.width)

    def with_imagenet_normalisation(self) -> InputSpec:
        """ImageNet statistics, collapsed to one channel for grayscale input."""
        if self.channels == 3:
            mean, std = IMAGENET_MEAN, IMAGENET_STD
        else:
            mean, std = (sum(IMAGENET_MEAN) / 3,), (sum(IMAGENET_STD) / 3,)
        return replace(self, mean=mean, std=std)

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputSpec:
        known = {f.name for f in fields(cls)}
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known})


def digit_spec() -> InputSpec:
    """The spec of every digit dataset: 28x28 grey with MNIST's mean and std."""
    return InputSpec(1, 28, 28, DIGIT_MEAN, DIGIT_STD)


@dataclass
class ImageData:
    """A dataset held in memory.

    ``train_images`` is the pool that train/validation are split from; ``test_images`` is the
    dataset's own test split, or None (then ``split_dataset`` holds out a test part).
    ``preparation`` is "digit" for digit datasets (MNIST framing applies at inference) else "image".
    ``flip_ok`` says whether horizontal flips are a valid augmentation (not for digits/text).
    ``skipped`` lists (path, reason) of files an image folder could not use.
    ``val_images``/``val_labels``: the dataset's own validation split, which replaces the random one.
    Tensors may be shared through the cache: treat them as read-only.
    """

    name: str
    classes: list[str]
    spec: InputSpec
    train_images: torch.Tensor  # uint8 (N, C, H, W)
    train_labels: torch.Tensor  # int64 (N,)
    test_images: torch.Tensor | None = None
    test_labels: torch.Tensor | None = None
    preparation: str = "image"
    flip_ok: bool = False
    skipped: list[tuple[str, str]] = field(default_factory=list)
    source: str = ""
    # The dataset's own validation split (an image folder's val/); None: split off from the pool.
    val_images: torch.Tensor | None = None
    val_labels: torch.Tensor | None = None
    layout: str = ""  # how an image folder was read, e.g. "train/ and val/ folders (its own splits)"
    warnings: list[str] = field(default_factory=list)  # said before training (empty classes left out)
    # "memory": the images are uint8 tensors; "stream": ``stream.LazyImages`` read from disk per batch.
    feed: str = "memory"
    pixel_bytes: int = 0  # the estimated uint8 size of every image, the figure "feed" was chosen by

    @property
    def num_classes(self) -> int:
        return len(self.classes)


@dataclass
class Subset:
    """Images and labels of one split; ``indices`` are positions in the pool (None for a test set)."""

    images: torch.Tensor  # uint8 (N, C, H, W), or a ``stream.LazyImages`` read from disk
    labels: torch.Tensor  # int64 (N,)
    indices: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass
class Splits:
    """Train, validation and test parts of one dataset."""

    train: Subset
    val: Subset
    test: Subset


def digit_data(
    name: str,
    images: torch.Tensor,
    labels: torch.Tensor,
    source: str,
    test_images: torch.Tensor | None = None,
    test_labels: torch.Tensor | None = None,
) -> ImageData:
    """A digit dataset: classes 0-9, MNIST's spec and framing at inference, never mirrored."""
    return ImageData(
        name=name,
        classes=list(DIGIT_CLASSES),
        spec=digit_spec(),
        train_images=images,
        train_labels=labels,
        test_images=test_images,
        test_labels=test_labels,
        preparation="digit",
        flip_ok=False,
        source=source,
    )
