"""Checkpoints that cannot be read: a run's other checkpoint stands in, saying so, and every message
is in the user's words (no zip-reader text, no key dump, no advice to load a file unsafely).

A real run folder of the built-in digits is damaged the way disks and copies damage files (cut
short, bytes changed), and other files are given where a checkpoint belongs (a picture, random
bytes, text, a pickle of Python objects); each command ends with exit 0 and a warning naming both
files when a stand-in was used, or with one line and exit 1.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.cli import main
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import load_dataset
from engine.train.layout import BEST, HISTORY, LAST, MODEL
from engine.train.run import run
from engine.train.runs import RunFolder, load_run

ROOT = Path(__file__).resolve().parents[1]
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
    # A constant rate: a resumed run may then go on for more epochs (a cosine one was planned for 2).
    argv = ["train", "--dataset", "digits", "--model", "mlp", "--epochs", "2", "--schedule", "none"]
    assert main([*argv, "--out", str(out)]) == 0
    return out


@pytest.fixture
def run_dir(trained, tmp_path) -> Path:
    return Path(shutil.copytree(trained, tmp_path / "run"))


def cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:1000])


def clean(text: str) -> bool:
    return not any(bad in text for bad in LIBRARY_TEXT)


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


# --- a damaged checkpoint of a run: another one stands in ------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["evaluate", "{run}/model.pt"],
        ["evaluate", "{run}"],
        ["predict", "{run}/model.pt", "{picture}"],
        ["export", "{run}/model.pt", "{tmp}/model.onnx"],
        ["export-notebook", "{run}", "--script", "{tmp}/run.py"],
    ],
    ids=["evaluate", "evaluate-folder", "predict", "export", "export-notebook"],
)
def test_a_cut_short_model_pt_falls_back_to_best_pt(command, run_dir, tmp_path, capsys):
    cut_short(run_dir / MODEL)
    picture = tmp_path / "seven.png"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(picture)
    argv = [a.format(run=run_dir, tmp=tmp_path, picture=picture) for a in command]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "model.pt is damaged: it is cut short" in err
    assert f"Using {run_dir / BEST} of the same run instead (epoch 2 of 2)" in err
    assert clean(out + err)


def test_a_damaged_best_pt_falls_back_to_model_pt(run_dir, capsys):
    data = bytearray((run_dir / BEST).read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = os.urandom(64)  # torch alone would load these weights
    (run_dir / BEST).write_bytes(bytes(data))
    assert main(["evaluate", str(run_dir / BEST)]) == 0
    err = capsys.readouterr().err
    assert "best.pt is damaged: it is cut short, or its bytes changed" in err and str(run_dir / MODEL) in err


def test_when_every_checkpoint_of_the_run_is_damaged_one_line_says_so(run_dir, capsys):
    for name in (MODEL, BEST, LAST):
        cut_short(run_dir / name)
    assert main(["evaluate", str(run_dir / MODEL)]) == 1
    err = capsys.readouterr().err
    (line,) = error_lines(err)
    assert (
        "model.pt is damaged" in line and "other checkpoints (best.pt, last.pt) cannot be used either" in line
    )
    assert clean(err)


def test_resume_goes_on_from_best_pt_when_last_pt_is_cut_short(run_dir, capsys):
    cut_short(run_dir / LAST)
    assert main(["train", "--resume", str(run_dir), "--epochs", "3"]) == 0
    out, err = capsys.readouterr()
    assert "last.pt is damaged" in err and f"Resuming from {run_dir / BEST} instead, after its epoch 2" in err
    assert "optimizer and random state start afresh" in err and clean(out + err)
    rows = (run_dir / HISTORY).read_text().splitlines()[1:]
    assert [row.split(",")[1] for row in rows] == ["1", "2", "3"]
    assert main(["evaluate", str(run_dir / LAST)]) == 0  # written again by the resumed epoch
    assert "damaged" not in capsys.readouterr().err


def test_a_resume_from_best_pt_keeps_the_learning_rate_schedule_where_it_was(tmp_path):
    data_cfg, model_cfg = DataConfig(dataset="digits"), ModelConfig(arch="mlp")
    train_cfg = TrainConfig(epochs=4, optimizer="sgd", lr=0.05, schedule="cosine", precision="fp32")
    data = load_dataset(data_cfg)
    straight = run(data_cfg, model_cfg, train_cfg, data=data)
    stop = threading.Event()

    def stop_at_two(event):
        if event["event"] == "epoch_end" and event["epoch"] == 2:
            stop.set()

    run(
        data_cfg,
        model_cfg,
        train_cfg,
        data=data,
        folder=RunFolder(tmp_path / "r"),
        on_event=stop_at_two,
        stop=stop,
    )
    cut_short(tmp_path / "r" / LAST)
    *_, snapshot = load_run(tmp_path / "r")
    assert "optimizer" not in snapshot and "Resuming from" in snapshot["note"]
    resumed = run(
        data_cfg, model_cfg, train_cfg, data=data, folder=RunFolder(tmp_path / "r"), resume=snapshot
    )
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]
    # The cosine schedule goes on from the epoch best.pt holds, not from its start.
    assert [h["lr"] for h in resumed.history] == pytest.approx([h["lr"] for h in straight.history])


def test_resume_with_no_usable_checkpoint_says_what_is_left(run_dir, capsys):
    for name in (MODEL, BEST, LAST):
        cut_short(run_dir / name)
    assert main(["train", "--resume", str(run_dir), "--epochs", "3"]) == 1
    (line,) = error_lines(capsys.readouterr().err)
    assert f"cannot resume {run_dir}: last.pt is damaged" in line and "cannot be used either" in line


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


# --- in Spanish, and in the window ------------------------------------------------------------------


def test_the_stand_in_message_is_spanish_under_a_spanish_locale(run_dir):
    cut_short(run_dir / MODEL)
    env = {**os.environ, "LANG": "es_ES.UTF-8", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "main.py", "evaluate", str(run_dir / MODEL)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "aviso: model.pt está dañado" in done.stderr and "en su lugar" in done.stderr
    assert "is damaged" not in done.stderr and "instead" not in done.stderr and clean(done.stderr)


def test_the_window_opens_best_pt_for_a_damaged_model_pt_and_says_so(qtbot, run_dir):
    from gui.training.training_panel import TrainingPanel  # deferred: Qt, for this test only

    cut_short(run_dir / MODEL)
    panel = TrainingPanel(models_dir=run_dir.parent / "models")
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.modelLoaded, timeout=30_000) as loaded:
        assert panel.open_model(run_dir / MODEL)
    assert loaded.args[0].path == run_dir / BEST
    shown = panel.messageLabel.text()
    assert "model.pt is damaged" in shown and str(run_dir / BEST) in shown and clean(shown)
