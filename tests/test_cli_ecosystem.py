"""The `taller` command, `taller export`, and progress bars on a terminal but plain lines in a pipe."""

from __future__ import annotations

import configparser
import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from engine import export_onnx
from engine.cli import main
from engine.data.prepare import load_image, prepare
from engine.data.transforms import normalise
from engine.predict import Predictor
from engine.progress import TerminalProgress

ROOT = Path(__file__).resolve().parent.parent
needs_onnx = pytest.mark.skipif(
    bool(export_onnx.missing_packages()),
    reason='ONNX export test needs onnx, onnxscript and onnxruntime: pip install -e ".[export]"',
)


def taller_script() -> str:
    """The `taller` console script of this environment (installed by `pip install -e .`)."""
    script = shutil.which("taller", path=str(Path(sys.executable).parent)) or shutil.which("taller")
    if script is None:
        pytest.skip("the `taller` command is not installed here: run `pip install -e .` first")
    return script


def test_taller_help_lists_every_command():
    done = subprocess.run([taller_script(), "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: taller")
    for command in ("train", "evaluate", "predict", "export", "import-weights"):
        assert command in done.stdout
    assert "Traceback" not in done.stderr


def test_main_py_still_runs_the_command_line():
    done = subprocess.run(
        [sys.executable, "main.py", "export", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "OUT.onnx" in done.stdout


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cnn")
    args = ["train", "--dataset", "digits", "--model", "cnn", "--epochs", "1", "--out", str(out)]
    assert main(args) == 0
    return out


def digit_pictures(folder: Path) -> list[Path]:
    """A drawn 1 and 7 and a blob on paper, as a user's scans would be."""
    paths = []
    for name, strokes in {
        "one": [(140, 50, 140, 230)],
        "seven": [(70, 60, 210, 60), (210, 60, 120, 230)],
    }.items():
        img = Image.new("L", (280, 280), 255)
        for stroke in strokes:
            ImageDraw.Draw(img).line(stroke, fill=0, width=18)
        paths.append(folder / f"{name}.png")
        img.save(paths[-1])
    blob = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(blob).ellipse((60, 40, 140, 160), outline=0, width=16)
    blob.save(folder / "zero.png")
    return [*paths, folder / "zero.png"]


@needs_onnx
def test_exported_cnn_gives_the_classes_predict_prints(cnn_run, tmp_path, capsys, one_torch_thread):
    import onnxruntime  # optional: only with the export extra

    onnx_path = tmp_path / "cnn.onnx"
    assert main(["export", str(cnn_run / "model.pt"), str(onnx_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {onnx_path}" in out and "checked with onnxruntime on 8 test images" in out

    pictures = digit_pictures(tmp_path)
    assert main(["predict", str(cnn_run / "model.pt"), *map(str, pictures)]) == 0
    printed = [line.split("\t")[1] for line in capsys.readouterr().out.strip().splitlines()]

    predictor = Predictor.from_checkpoint(cnn_run / "model.pt")
    batch = np.stack(
        [prepare(load_image(p), predictor.spec, predictor.preparation).numpy() for p in pictures]
    )
    import torch  # deferred: only to normalise as the ONNX metadata says

    x = normalise(torch.from_numpy(batch), predictor.spec).numpy()
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    probabilities = session.run(["probabilities"], {"input": x})[0]
    assert [predictor.classes[i] for i in probabilities.argmax(1)] == printed


def test_export_without_the_extra_says_what_to_install(cnn_run, tmp_path, capsys, monkeypatch):
    real = export_onnx.importlib.util.find_spec
    monkeypatch.setattr(
        export_onnx.importlib.util, "find_spec", lambda name: None if name.startswith("onnx") else real(name)
    )
    assert main(["export", str(cnn_run / "model.pt"), str(tmp_path / "m.onnx")]) == 1
    err = capsys.readouterr().err
    assert 'pip install -e ".[export]"' in err and "Traceback" not in err
    assert not (tmp_path / "m.onnx").exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def progress(epoch: int, batch: int, batches: int = 4) -> dict:
    return {"event": "progress", "epoch": epoch, "epochs": 2, "batch": batch, "batches": batches, "fold": 0}


def test_a_terminal_gets_a_tqdm_bar_per_epoch():
    screen = Terminal()
    bar = TerminalProgress(stream=screen, mininterval=0)
    for batch in range(1, 5):
        bar.on_event(progress(1, batch))
    bar.on_event(progress(2, 1))
    bar.close()
    drawn = screen.getvalue()
    assert "epoch 1/2" in drawn and "epoch 2/2" in drawn
    assert "4/4" in drawn and "100%" in drawn and "\r" in drawn


def test_a_pipe_gets_plain_lines_and_no_bar(capsys):
    piped = io.StringIO()
    bar = TerminalProgress(stream=piped)
    bar.on_event(progress(1, 2))
    bar.on_event({"event": "status", "message": "Training cnn"})
    bar.close()
    assert piped.getvalue() == "Training cnn\n"


def test_train_in_a_pipe_prints_plain_lines(tmp_path):
    args = ["train", "--dataset", "digits", "--model", "mlp", "--epochs", "1", "--out", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr and "\r" not in done.stdout  # no bar drawn into a pipe
    assert any(line.startswith("epoch 1/1") for line in done.stdout.splitlines())


def test_desktop_entry_runs_taller_with_its_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive in .desktop files
    entry.read(ROOT / "resources" / "taller.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"] == "taller"
    assert (ROOT / "resources" / f"{desktop['Icon']}.svg").is_file()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "resources/taller.desktop" in readme  # the line that installs it
