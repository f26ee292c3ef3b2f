"""Command line: train/evaluate/predict write what they promise and fail with messages, not tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--dataset", "digits", "--model", "mlp", "--epochs", "2", "--out", str(out)]) == 0
    return out


def test_train_writes_model_history_metrics(run_dir, capsys):
    assert {"model.pt", "history.json", "metrics.json", "metrics.npz"} <= {p.name for p in run_dir.iterdir()}
    history = json.loads((run_dir / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert 0.5 < metrics["test"]["accuracy"] <= 1
    npz = np.load(run_dir / "metrics.npz")
    assert npz["val_acc"].shape == (2,) and npz["confusion_matrix"].shape == (10, 10)
    assert npz["confusion_matrix"].sum() == metrics["test"]["n"]


def test_train_prints_epoch_lines_and_test_accuracy_with_its_interval_last(tmp_path, capsys):
    assert main(["train", "--model", "mlp", "--epochs", "1", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert any(line.startswith("epoch 1/1") for line in lines)
    assert lines[-2].startswith("test_accuracy=0.")
    accuracy = float(lines[-2].partition("=")[2])
    low, high = map(float, lines[-1].removeprefix("test_accuracy_ci=").split("-"))
    assert low < accuracy < high and high - low < 0.2  # digits: 270 test images, a few points either side


def test_evaluate_prints_metrics_and_accuracy(run_dir, capsys):
    assert main(["evaluate", str(run_dir / "model.pt")]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "confusion matrix" in out
    accuracy, interval = out.strip().splitlines()[-2:]
    saved = json.loads((run_dir / "metrics.json").read_text())["test"]["accuracy"]
    assert accuracy == f"test_accuracy={saved:.4f}"  # same held-out test part as in training
    assert interval.startswith("test_accuracy_ci=0.")


def draw_digit_one(path, size=(280, 280)):
    img = Image.new("L", size, 255)
    ImageDraw.Draw(img).line([(140, 50), (140, 230)], fill=0, width=18)
    img.save(path)


def test_predict_prints_path_class_probability(run_dir, tmp_path, capsys):
    draw_digit_one(tmp_path / "one.png")
    assert main(["predict", str(run_dir / "model.pt"), str(tmp_path / "one.png")]) == 0
    path, cls, prob = capsys.readouterr().out.strip().split("\t")
    assert path.endswith("one.png") and cls in [str(i) for i in range(10)] and 0 < float(prob) <= 1


def test_predict_bad_image_is_a_message_and_nonzero_exit(run_dir, tmp_path, capsys):
    (tmp_path / "x.png").write_text("not an image")
    assert main(["predict", str(run_dir / "model.pt"), str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert "x.png" in err and "Traceback" not in err
    # Taller's words, not Pillow's ("cannot identify image file '/tmp/…/x.png'")
    assert "not a picture Taller can read (PNG, JPEG" in err and "cannot identify" not in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--dataset", "mnist", "--data-dir", "{tmp}/nothing"], "MNIST"),
        (["train", "--dataset", "nope"], "unknown dataset"),
        (["train", "--lr", "-1"], "learning rate"),
        (["evaluate", "{tmp}/missing.pt"], "no such file"),
        (
            ["train", "--model", "mlp", "--init", "{tmp}/missing.pt", "--epochs", "1", "--out", "{tmp}/o"],
            "missing.pt",
        ),
    ],
)
def test_user_errors_exit_1_with_a_message(argv, message, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_main_py_subprocess_exit_codes(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00garbage")
    bad = subprocess.run(
        [sys.executable, "main.py", "evaluate", str(junk)], cwd=ROOT, capture_output=True, text=True
    )
    assert (
        bad.returncode == 1
        and "junk.pt is not a PyTorch checkpoint" in bad.stderr
        and "Traceback" not in bad.stderr
    )
    usage = subprocess.run(
        [sys.executable, "main.py", "train", "--epochs", "zero"], cwd=ROOT, capture_output=True, text=True
    )
    assert usage.returncode == 2 and "--epochs" in usage.stderr
