"""Streamed image folders: same pixels and batches as the in-memory path, a decode cache that follows
its files, bad files skipped and counted."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import stream
from engine.data.cache import CacheEntry, cache_size, clear_cache
from engine.data.folder import load_folder
from engine.data.stream import PhotoFiles, decoded_folder, stream_loader

SIZE = 16


@pytest.fixture
def photos(tmp_path) -> tuple[Path, list[Path], list[int]]:
    """3 classes x 5 RGB pictures of assorted sizes and formats, plus one damaged file."""
    rng = np.random.default_rng(0)
    root = tmp_path / "photos"
    files, labels = [], []
    for k, name in enumerate(["cat", "dog", "fox"]):
        (root / name).mkdir(parents=True)
        for i in range(5):
            h, w = int(rng.integers(20, 60)), int(rng.integers(20, 60))
            pixels = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
            path = root / name / f"{i}.{'jpg' if i % 2 else 'png'}"
            Image.fromarray(pixels).save(path)
            files.append(path)
            labels.append(k)
    return root, files, labels


def test_stream_and_memory_give_the_same_pixels_and_batches(photos, tmp_path):
    root, files, labels = photos
    memory = load_folder(root, SIZE, "photos")
    images, ok, skipped, _ = decoded_folder(files, SIZE, 3, use_cache=False, workers=2)  # real workers
    assert ok.all() and not skipped
    assert torch.equal(images, memory.train_images)
    perm = torch.randperm(len(files), generator=torch.Generator().manual_seed(0))
    loader, order = stream_loader(PhotoFiles(files, labels, SIZE, 3, augment=False), batch_size=4, workers=0)
    order.set_order(perm)
    for k, (x, y) in enumerate(loader):
        idx = perm[k * 4 : (k + 1) * 4]
        assert torch.equal(x, memory.train_images[idx])
        assert torch.equal(y, memory.train_labels[idx])


def test_augmented_photos_are_cropped_to_size(photos):
    _, files, labels = photos
    x, y = PhotoFiles(files, labels, SIZE, 3, augment=True)[0]
    assert x.shape == (3, SIZE, SIZE) and x.dtype == torch.uint8 and y == 0


def test_cache_is_read_back_and_rebuilt_when_a_file_changes(photos, tmp_path, monkeypatch):
    _, files, _ = photos
    cache = tmp_path / "cache"
    first = decoded_folder(files, SIZE, 3, workers=0, cache_root=cache).images.to_tensor()
    assert CacheEntry.of(files, SIZE, 3, cache).complete() and cache_size(cache) >= first.numel()

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded although the cache was complete")

    with monkeypatch.context() as patched:  # (undo() would also drop conftest's environment)
        patched.setattr(stream, "decode_files", no_decoding)
        again = decoded_folder(files, SIZE, 3, cache_root=cache).images
    assert torch.equal(again.to_tensor(), first)
    Image.fromarray(np.zeros((30, 30, 3), dtype=np.uint8)).save(files[0])  # replaced by a black picture
    os.utime(files[0], ns=(1, 1))  # even with an old timestamp: the size differs too
    rebuilt = decoded_folder(files, SIZE, 3, workers=0, cache_root=cache).images.to_tensor()
    assert int(rebuilt[0].max()) == 0 and torch.equal(rebuilt[1:], first[1:])
    assert clear_cache(cache) > 0 and cache_size(cache) == 0


def test_damaged_and_non_image_files_are_skipped_and_counted(photos, tmp_path):
    _, files, _ = photos
    bad = tmp_path / "photos" / "cat" / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    notes = tmp_path / "photos" / "cat" / "notes.txt"
    notes.write_text("hello")
    images, ok, skipped, _ = decoded_folder(
        files + [bad, notes], SIZE, 3, workers=0, cache_root=tmp_path / "c"
    )
    assert ok.sum() == len(files) and sorted(skipped) == [len(files), len(files) + 1]
    assert int(images[len(files)].max()) == 0
