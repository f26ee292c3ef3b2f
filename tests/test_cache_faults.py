"""The decode cache checked before it is read: a cache damaged on disk (overwritten with garbage of
the same size, cut short, a header that does not read or does not match) is never trained on and
never a crash; the run trains as on a clean cache, says so in a warning and rebuilds the cache."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import torch

from engine.cli import main
from engine.data import registry, stream
from engine.data.cache import INDEX, CacheEntry
from engine.data.folder_stream import load_image_folder
from tests.helpers_data import write_image_folder

SIZE = 16


@pytest.fixture
def pictures(tmp_path) -> Path:
    """3 classes x 12 pictures a small model tells apart (a bar whose row is the class)."""
    registry.clear_cache()
    yield write_image_folder(
        tmp_path / "pets", n_per_class=12, size=SIZE, with_corrupt=False, with_text=False
    )
    registry.clear_cache()


def train(root: Path, out: Path, capsys) -> tuple[int, float, str]:
    """A streamed CLI run on ``root`` with the decode cache: exit status, test accuracy, stderr."""
    registry.clear_cache()  # a new run reads the folder (and its cache) again, as a new process would
    argv = ["train", "--dataset", registry.folder_key(root), "--image-size", str(SIZE), "--model", "mlp"]
    argv += ["--epochs", "3", "--precision", "fp32", "--loader", "stream", "--out", str(out)]
    code = main(argv)
    captured = capsys.readouterr()
    accuracy = re.search(r"test_accuracy=([0-9.]+)", captured.out)
    return code, float(accuracy.group(1)) if accuracy else float("nan"), captured.err


def entry_files() -> tuple[Path, Path]:
    (images,) = Path(os.environ["TALLER_CACHE_DIR"]).rglob("images.u8")
    return images, images.with_name(INDEX)


def garbage(images: Path, index: Path) -> None:
    images.write_bytes(os.urandom(images.stat().st_size))


def cut_short(images: Path, index: Path) -> None:
    with open(images, "r+b") as fh:
        fh.truncate(images.stat().st_size // 2)


def unreadable_header(images: Path, index: Path) -> None:
    index.write_bytes(os.urandom(index.stat().st_size))


def header_of_another_shape(images: Path, index: Path) -> None:
    header = json.loads(index.read_text(encoding="utf-8"))
    header["shape"][2:] = [8, 8]
    index.write_text(json.dumps(header), encoding="utf-8")


@pytest.mark.parametrize("damage", [garbage, cut_short, unreadable_header, header_of_another_shape])
def test_a_damaged_cache_is_rebuilt_with_a_warning_and_never_trained_on(pictures, tmp_path, capsys, damage):
    code, clean, err = train(pictures, tmp_path / "clean", capsys)
    assert code == 0 and clean >= 0.8 and "decode cache" not in err
    damage(*entry_files())
    code, accuracy, err = train(pictures, tmp_path / "damaged", capsys)
    assert code == 0 and "Unexpected error" not in err
    assert accuracy == pytest.approx(clean)  # the same pixels as the clean run, not garbage
    assert f"warning: the decode cache of {pictures} was damaged (" in err and "rebuilt" in err
    images, index = entry_files()
    files = sorted(f for f in pictures.rglob("*.png"))
    entry = CacheEntry.of(files, SIZE, 3)
    assert entry.path == images.parent
    entry.read()  # intact again: its checks pass
    code, _, err = train(pictures, tmp_path / "again", capsys)
    assert code == 0 and "decode cache" not in err  # rebuilt once, then read as it is


def test_a_record_damaged_during_a_run_is_not_read_and_the_cache_is_rebuilt_next(pictures, monkeypatch):
    first = load_image_folder(pictures, SIZE, "p", loader="stream")
    pixels = first.train_images.load()
    images, index = entry_files()
    with open(images, "r+b") as fh:  # after the cache was checked and opened: one record overwritten
        fh.write(b"\xff" * 64)
    source = first.train_images.source
    assert source.read(0) is None and torch.equal(source.read(1), pixels[1])
    assert not index.exists()  # the entry no longer counts: the next load decodes it again
    decoded = []
    real = stream.decode_files
    monkeypatch.setattr(stream, "decode_files", lambda *a, **k: decoded.append(1) or real(*a, **k))
    again = load_image_folder(pictures, SIZE, "p", loader="stream")
    assert decoded and torch.equal(again.train_images.load(), pixels)
