"""Checkpoints that cannot be read: every message is in the user's words (no zip-reader text, no
key dump, no advice to load a file unsafely).

Files other than checkpoints are given where a checkpoint belongs (a picture, random bytes, text, a
pickle of Python objects), and weights are edited so they no longer fit; each command ends with
one line and exit 1.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.cli import main
from engine.train.layout import MODEL

LIBRARY_TEXT = (
    "Traceback",
    "PytorchStreamReader",
    "weights_only",
    "Missing key",
    "Unexpected key",
    "size mismatch",
)
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A finished two-epoch run folder (model.pt, best.pt, last.pt), made once and copied per test."""
    out = tmp_path_factory.mktemp("trained") / "run"
    argv = ["train", "--dataset", "digits", "--model", "mlp", "--epochs", "2", "--out", str(out)]
    assert main(argv) == 0
    return out


def clean(text: str) -> bool:
    return not any(bad in text for bad in LIBRARY_TEXT)


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


# --- files that are not checkpoints, and weights that do not fit ----------------------------------


def make_file(kind: str, path: Path) -> Path:
    if kind == "png":
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path, format="PNG")
    elif kind == "random":
        path.write_bytes(np.random.default_rng(0).bytes(3000))
    elif kind == "text":
        path.write_text("these are my notes, not weights")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("photo.txt", "hello")
    elif kind == "objects":
        pickle.dump({"when": np.datetime64("2024-01-01")}, path.open("wb"))
    return path


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("png", "is not a PyTorch checkpoint (it looks like a PNG picture)"),
        ("random", "is not a PyTorch checkpoint (its contents are not a saved model)"),
        ("text", "is not a PyTorch checkpoint (it is a text file)"),
        ("empty", "is empty (0 bytes)"),
        ("zip", "is not a PyTorch checkpoint (it is a zip archive of other files)"),
        ("objects", "is not a Taller checkpoint: it holds Python objects"),
    ],
)
def test_a_file_that_is_not_a_checkpoint_says_what_it_is(kind, expected, tmp_path, capsys):
    given = make_file(kind, tmp_path / "given.pt")
    for argv, noun in (
        (["evaluate", str(given)], "PyTorch checkpoint"),
        (["import-weights", "resnet18", str(given)], "PyTorch weights file"),
    ):
        assert main(argv) == 1
        err = capsys.readouterr().err
        (line,) = error_lines(err)
        assert f"given.pt {expected.replace('PyTorch checkpoint', noun)}" in line and clean(err)
    if kind != "objects":
        assert "Python objects" not in line  # that phrase is only true of a pickle that carries code


def test_starting_from_a_picture_says_it_is_a_picture(tmp_path, capsys):
    picture = make_file("png", tmp_path / "cat.png")
    argv = ["train", "--dataset", "digits", "--model", "mlp", "--epochs", "1", "--init", str(picture)]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 1
    (line,) = error_lines(capsys.readouterr().err)
    assert "cat.png is not a PyTorch checkpoint (it looks like a PNG picture)" in line


def test_weights_that_do_not_fit_are_summarised_not_dumped(trained, tmp_path, capsys):
    payload = torch.load(trained / MODEL, weights_only=True)
    payload["meta"]["classes"] = payload["meta"]["classes"][:5]  # the head has 10 outputs
    edited = tmp_path / "edited.pt"
    torch.save(payload, edited)
    assert main(["evaluate", str(edited)]) == 1
    err = capsys.readouterr().err
    (line,) = error_lines(err)
    assert "its weights do not fit a mlp model for 5 classes (2 layers differ, e.g. " in line
    assert "10×64 in the file, 5×64 here" in line and clean(err)
