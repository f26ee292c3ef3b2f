"""ImageNet weights from local files: where they go, whether they are there, checking and importing.

Taller never downloads. The files are torchvision's, under torchvision's names, in the torch hub
cache (``<torch hub dir>/checkpoints``), so a cache filled by torchvision elsewhere can be copied
as is; ``import_weights`` checks a file the user has and copies it there.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

import torch

from engine.errors import ModelError
from engine.i18n import N_, _, gettext
from engine.models.registry import architecture, constructor, label, pretrainable, supports_pretrained
from engine.unreadable import archive_damaged, diagnose


def _file_name(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def _urls(arch: str) -> tuple[str, ...]:
    if not supports_pretrained(arch):
        raise ModelError(_("{arch} has no ImageNet weights").format(arch=label(arch)))
    return architecture(arch).weights


def weights_path(arch: str) -> Path:
    """Where the ImageNet weights of ``arch`` are expected: ``<torch hub dir>/checkpoints/<file>``.

    The file name is torchvision's, so a cache filled by torchvision elsewhere can be copied as is.

    Raises
    ------
    ModelError
        ``arch`` has no ImageNet weights.
    """
    return _checkpoint_dir() / _file_name(_urls(arch)[0])


def _find_weights(arch: str) -> Path | None:
    for url in _urls(arch):
        path = _checkpoint_dir() / _file_name(url)
        if path.is_file():
            return path
    return None


def weights_available(arch: str) -> bool:
    """Whether ImageNet weights for ``arch`` are in the local torch cache."""
    return supports_pretrained(arch) and _find_weights(arch) is not None


def require_weights(arch: str) -> None:
    """Raise now, before any work (loading a folder of photos takes a minute), the error that building
    ``arch`` with its ImageNet weights would raise: the file is missing, damaged or not ``arch``'s.

    The file is read and checked in full, then let go; the model reads it again when it is built.

    Raises
    ------
    ModelError
        Where the weights belong and how to import them, or what is wrong with the file there.
    """
    if supports_pretrained(arch):
        pretrained_state(arch)


def _missing_weights_error(arch: str) -> ModelError:
    path = weights_path(arch)
    return ModelError(
        _(
            "The ImageNet weights for {arch} are not on this computer, and Taller never "
            "downloads. The file {name} belongs at {path} ; it comes from {url} . Copy it "
            "there, or import a copy you have with: python main.py import-weights {arch_id} FILE"
        ).format(arch=label(arch), name=path.name, path=path, url=_urls(arch)[0], arch_id=arch)
    )


def read_state_dict(file: Path) -> tuple[dict[str, torch.Tensor], bool]:
    """The state dict in ``file`` and whether it had to be unwrapped from a training checkpoint.

    Raises
    ------
    ModelError
        The file cannot be read safely (``weights_only``) or holds no mapping of names to tensors.
    """
    if archive_damaged(file):  # torch.load would not notice changed bytes, only a missing end
        raise ModelError(_weights_refusal(file, None))
    try:
        data = torch.load(file, weights_only=True, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a file that is not a checkpoint
        raise ModelError(_weights_refusal(file, exc)) from exc
    wrapped = False
    if isinstance(data, dict):
        for key in ("state_dict", "model"):
            if isinstance(data.get(key), dict):
                data, wrapped = data[key], True
                break
    if not isinstance(data, dict) or not data or not all(torch.is_tensor(v) for v in data.values()):
        raise ModelError(
            _("{file} does not hold a state dict (a mapping of layer names to tensors)").format(file=file)
        )
    return data, wrapped


def _weights_refusal(file: Path, error: BaseException | None) -> str:
    """What ``file`` is instead of weights, and what to give (never torch.load's own text)."""
    found = diagnose(file, error, str(file), weights=True)
    return _("{problem}; give a file of PyTorch weights (.pth or .pt), such as torchvision's").format(
        problem=found.problem
    )


@functools.cache
def _expected_shapes(arch: str) -> dict[str, tuple[int, ...]]:
    """Shapes of torchvision's ImageNet ``arch`` state dict."""
    build = constructor(arch)
    try:
        with torch.device("meta"):  # no memory, no random init cost for VGG's 138M weights
            model = build()
    except NotImplementedError:  # RegNet computes its widths with tensors, which meta cannot read
        model = build()
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def _summary(title: str, items: list[str]) -> str:
    more = _(" and {n} more").format(n=len(items) - 3) if len(items) > 3 else ""
    return f"{len(items)} {gettext(title)} ({'; '.join(items[:3])}{more})"


def differences(arch: str, state: dict[str, torch.Tensor]) -> list[str]:
    """How ``state`` differs from torchvision's ImageNet ``arch``; empty when it loads strictly."""
    expected = _expected_shapes(arch)
    # Old BatchNorm files lack this counter; torch fills it in on load.
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k}: file {tuple(state[k].shape)}, model {expected[k]}"
        for k in expected
        if k in state and tuple(state[k].shape) != expected[k]
    ]
    found = (
        (N_("missing layers"), missing),
        (N_("unknown layers"), unexpected),
        (N_("wrong shapes"), shapes),
    )
    return [_summary(title, items) for title, items in found if items]


def _looks_like(state: dict[str, torch.Tensor], arch: str) -> str:
    others = [a for a in pretrainable() if a != arch and not differences(a, state)]
    return _(" The file looks like {name} weights.").format(name=label(others[0])) if others else ""


def pretrained_state(arch: str) -> dict[str, torch.Tensor]:
    """The checked ImageNet state dict of ``arch`` from the local cache.

    Raises
    ------
    ModelError
        The file is missing (the message says where it belongs) or does not fit ``arch``.
    """
    path = _find_weights(arch)
    if path is None:
        raise _missing_weights_error(arch)
    try:
        state = read_state_dict(path)[0]
    except ModelError as e:  # a download cut short, a disk error: PyTorch's reason means nothing here
        raise ModelError(
            _(
                "{path} cannot be read as {name} ImageNet weights: the file is damaged or incomplete. "
                "Replace it with the file from {url} (python main.py import-weights {arch} FILE)."
            ).format(path=path, name=label(arch), url=_urls(arch)[0], arch=arch)
        ) from e
    diffs = differences(arch, state)
    if diffs:
        raise ModelError(
            _(
                "{path} does not hold {name} ImageNet weights: {diffs}. Replace it with the file "
                "from {url} (python main.py import-weights {arch} FILE)."
            ).format(path=path, name=label(arch), diffs=", ".join(diffs), url=_urls(arch)[0], arch=arch)
        )
    return dict(state)


def _copy(file: Path, state: dict[str, torch.Tensor], wrapped: bool, dest: Path) -> None:
    """Write the weights to ``dest`` through a temporary file, so a failed copy leaves nothing."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name, suffix=".part")
    os.close(fd)
    try:
        # A plain file is copied byte for byte so it stays identical to torchvision's.
        if wrapped:
            torch.save(state, tmp)
        else:
            with open(file, "rb") as src, open(tmp, "wb") as dst:
                while chunk := src.read(1 << 24):
                    dst.write(chunk)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def expected_digests(arch: str) -> dict[str, str]:
    """torchvision's file names for ``arch`` and the SHA-256 prefix each name carries
    (``resnet18-f37072fd.pth`` -> ``f37072fd``): the hash its downloader checks."""
    names = [_file_name(url) for url in _urls(arch)]
    return {name: Path(name).stem.rsplit("-", 1)[-1] for name in names}


def file_digest(file: Path) -> str:
    """The SHA-256 of ``file``, read in chunks (ImageNet files are hundreds of megabytes)."""
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        while chunk := fh.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()


def import_weights(arch: str, file: str | Path) -> Path:
    """Check that ``file`` holds torchvision's ImageNet ``arch`` weights and copy it into the cache.

    Parameters
    ----------
    arch : str
        An architecture with ImageNet weights (``registry.pretrainable()``).
    file : str or Path
        A state dict (or a checkpoint dict with a ``state_dict``/``model`` entry).

    Returns
    -------
    Path
        Where the weights now are (``weights_path(arch)``).

    Raises
    ------
    ModelError
        The file is missing, is not a checkpoint, does not fit the architecture (says what differs),
        or is not torchvision's file: its SHA-256 does not begin with the prefix torchvision's file
        name carries (``expected_digests``).
    """
    if not supports_pretrained(arch):
        raise ModelError(_("{arch} has no ImageNet weights to import").format(arch=label(arch)))
    file = Path(file)
    if not file.is_file():
        raise ModelError(_("{file} does not exist").format(file=file))
    state, wrapped = read_state_dict(file)
    diffs = differences(arch, state)
    if diffs:
        url = _urls(arch)[0]
        raise ModelError(
            _("{file} does not fit {arch}: {diffs}.{hint} The right file is {name} from {url}").format(
                file=file,
                arch=label(arch),
                diffs=", ".join(diffs),
                hint=_looks_like(state, arch),
                name=_file_name(url),
                url=url,
            )
        )
    digest = file_digest(file)
    expected = expected_digests(arch)
    name = next((name for name, prefix in expected.items() if digest.startswith(prefix)), None)
    if name is None:
        # A name is trusted only with its hash: other weights under torchvision's name would make
        # every later "ImageNet" run start from them.
        raise ModelError(
            _(
                "{file} is not torchvision's ImageNet weights for {arch}: its SHA-256 begins {got}, and "
                "{name} begins {prefix}. To start from other weights, train from them as a checkpoint "
                "(--init, or Layers → Starting point)."
            ).format(
                file=file,
                arch=label(arch),
                got=digest[:8],
                name=next(iter(expected)),
                prefix=next(iter(expected.values())),
            )
        )
    dest = _checkpoint_dir() / name
    try:
        _copy(file, state, wrapped, dest)
    except OSError as exc:
        raise ModelError(_("could not copy the weights to {dest}: {exc}").format(dest=dest, exc=exc)) from exc
    return dest
