"""A download without a network: a message in plain words, and no empty folder left behind."""

from __future__ import annotations

import socket
from urllib.error import HTTPError, URLError

import pytest

from engine.config import DataConfig
from engine.data.registry import clear_cache, load_dataset
from engine.errors import DatasetError


def _offline(monkeypatch, error: Exception) -> None:
    import torchvision.datasets.utils as tvu

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(tvu, "urlopen", fail, raising=False)
    monkeypatch.setattr(tvu.urllib.request, "urlopen", fail)


def _load(name: str, data_dir) -> None:
    clear_cache()
    load_dataset(DataConfig(dataset=name, data_dir=str(data_dir), download=True))


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "cifar10"])
def test_offline_download_says_so_and_leaves_no_folder(tmp_path, monkeypatch, name):
    _offline(monkeypatch, URLError(socket.gaierror(-3, "Temporary failure in name resolution")))
    data_dir = tmp_path / "new" / "data"  # neither folder exists yet
    with pytest.raises(DatasetError) as error:
        _load(name, data_dir)
    message = error.value.message
    assert "seems to be offline" in message and "nothing was kept" in message
    assert "Instead, copy" in message  # what to do without a network
    assert list(tmp_path.iterdir()) == []  # no empty data folder, no temporary download folder


def test_failed_download_keeps_an_existing_data_folder_and_its_files(tmp_path, monkeypatch):
    _offline(monkeypatch, HTTPError("https://example.invalid", 503, "Service Unavailable", {}, None))
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match="answered with error 503"):
        _load("mnist", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
