"""Names that are not UTF-8: a Latin-1 class folder or file from a Windows archive unzipped on Linux.

Files are read by their real names; every name is shown and written with U+FFFD for the bytes
that are not UTF-8 (``engine.names``): the Latin-1 "grün" reads "gr\ufffdn" in metrics.json,
metrics.csv, the report, the terminal and the window. Skipped where the file system cannot hold
such names (Windows, macOS).
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import cli
from engine.names import display_name, display_names, show_names_on
from engine.train.tensorboard import tensorboard_available

ROOT = Path(__file__).resolve().parent.parent
GRUN, NINO = b"gr\xfcn", b"ni\xf1o"  # "grün" and "niño" in Latin-1
SHOWN_GRUN, SHOWN_NINO = "gr\ufffdn", "ni\ufffdo"


def latin1_path(parent: Path, raw: bytes) -> Path:
    """``parent/raw`` made as a folder, or the test is skipped where the OS refuses or renames it."""
    where = os.path.join(os.fsencode(parent), raw)
    try:
        os.mkdir(where)
        kept = raw in os.listdir(os.fsencode(parent))
    except (OSError, UnicodeError, ValueError):
        kept = False
    if not kept:
        pytest.skip("this file system cannot hold a name that is not UTF-8")
    return Path(os.fsdecode(where))


def write_pictures(folder: Path, level: int, n: int = 8) -> None:
    """Grey 16x16 pictures around ``level``; half of them with a Latin-1 file name ("bé0.png")."""
    rng = np.random.default_rng(level)
    for i in range(n):
        name = os.fsdecode(b"b\xe9%d.png" % i) if i % 2 else f"{i}.png"
        pixels = np.clip(rng.normal(level, 20, (16, 16)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / name)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A dataset with two Latin-1 class folders, a Latin-1 file that is no picture, and one run on
    it trained by ``taller train`` into a run folder that has a Latin-1 name too."""
    base = tmp_path_factory.mktemp("names")
    data = base / "data"
    data.mkdir()
    write_pictures(latin1_path(data, GRUN), 40)
    write_pictures(latin1_path(data, NINO), 200)
    (data / "plain").mkdir()
    write_pictures(data / "plain", 120)
    (Path(os.fsdecode(os.path.join(os.fsencode(data), GRUN, b"r\xf6tt.png")))).write_bytes(b"no picture")
    runs = base / "runs"
    runs.mkdir()
    out = latin1_path(runs, b"r\xfcn")
    stdout, stderr = io.StringIO(), io.StringIO()
    streams = [io.TextIOWrapper(io.BytesIO(), encoding="utf-8") for _ in range(2)]  # strict, as a terminal
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = streams
    try:
        code = cli.main(["train", "--dataset", f"folder:{data}", "--epochs", "1", "--out", str(out)])
    finally:
        sys.stdout, sys.stderr = old
    for stream, text in zip(streams, (stdout, stderr), strict=True):
        stream.flush()
        text.write(stream.buffer.getvalue().decode("utf-8"))  # strict: no raw Latin-1 byte came out
    return {"code": code, "data": data, "out": out, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


def test_training_writes_the_model_and_metrics_with_names_shown(trained):
    out = trained["out"]
    assert trained["code"] == 0, trained["stderr"]
    for name in ("model.pt", "metrics.json", "metrics.csv", "history.csv", "metrics.npz"):
        assert (out / name).is_file(), name
    text = (out / "metrics.json").read_bytes().decode("utf-8")  # strict UTF-8, no lone surrogate
    assert "\\udc" not in text
    metrics = json.loads(text)
    assert metrics["classes"] == [SHOWN_GRUN, SHOWN_NINO, "plain"]
    assert [row["class"] for row in metrics["test"]["per_class"]] == [SHOWN_GRUN, SHOWN_NINO, "plain"]
    with open(out / "metrics.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1:4]] == [SHOWN_GRUN, SHOWN_NINO, "plain"]
    # The terminal names the run folder and the skipped Latin-1 file as shown, never as escapes.
    assert f"r\ufffdn{os.sep}model.pt" in trained["stdout"]
    assert f"{SHOWN_GRUN}{os.sep}r\ufffdtt.png" in trained["stderr"]
    assert "\\udc" not in trained["stdout"] + trained["stderr"]
    if tensorboard_available():  # its writer cannot open such a path: said once, the run goes on
        assert "TensorBoard cannot write into" in trained["stderr"]


def test_evaluate_writes_the_report_and_prints_the_names(trained, tmp_path, capsys):
    report = tmp_path / "report"
    assert cli.main(["evaluate", str(trained["out"] / "model.pt"), "--report", str(report)]) == 0
    html = (report / "report.html").read_bytes().decode("utf-8")
    assert SHOWN_GRUN in html and SHOWN_NINO in html
    assert "\\udc" not in html
    out = capsys.readouterr().out
    assert SHOWN_GRUN in out and "test_accuracy=" in out


def test_predict_on_a_latin1_file_prints_its_path_shown(trained, capsys):
    picture = Path(os.fsdecode(os.path.join(os.fsencode(trained["data"]), NINO, b"b\xe91.png")))
    assert cli.main(["predict", str(trained["out"] / "model.pt"), str(picture)]) == 0
    line = capsys.readouterr().out.strip().splitlines()[0]
    assert line.startswith(display_name(picture) + "\t")
    assert line.split("\t")[1] in (SHOWN_GRUN, SHOWN_NINO, "plain")


def test_the_exported_code_reads_the_real_class_folders(trained, tmp_path):
    script = tmp_path / "run.py"
    assert cli.main(["export-notebook", str(trained["out"]), "--script", str(script)]) == 0
    source = script.read_text(encoding="utf-8")
    folders = next(line for line in source.splitlines() if line.startswith("FOLDERS = "))
    assert ast.literal_eval(folders.partition("= ")[2]) == [os.fsdecode(GRUN), os.fsdecode(NINO), "plain"]
    assert f"CLASSES = {[SHOWN_GRUN, SHOWN_NINO, 'plain']!r}" in source
    compile(source, str(script), "exec")


def test_runs_lists_a_latin1_run_folder_on_a_utf8_terminal(trained):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}  # strict, as on a desktop
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "runs", "--root", str(trained["out"].parent)],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("utf-8")  # strict: a raw Latin-1 byte would fail here
    assert "r\ufffdn" in out and "\\udc" not in out


def test_two_latin1_names_that_show_alike_stay_two_classes(tmp_path):
    from engine.data.folder import load_folder

    for raw, level in ((b"gr\xfcn", 40), (b"gr\xe9n", 200)):
        write_pictures(latin1_path(tmp_path, raw), level, n=4)
    data = load_folder(tmp_path, None, "folder:x")
    assert data.classes == ["gr\\xe9n", "gr\\xfcn"]  # both exact, as the bytes they are
    assert sorted(data.train_labels.tolist()) == [0] * 4 + [1] * 4


def test_display_name_replaces_only_what_is_not_utf8():
    assert display_name("niño") == "niño"
    assert display_name(os.fsdecode(b"ni\xf1o")) == SHOWN_NINO
    assert display_name(b"ni\xf1o") == SHOWN_NINO
    assert display_name(Path("a") / os.fsdecode(GRUN)) == str(Path("a") / SHOWN_GRUN)
    assert display_name("x\ud800") == "x\ufffd"  # a surrogate no file system decoding made
    assert display_names(["a", "a\ufffd", os.fsdecode(b"a\xfc")]) == ["a", "a\ufffd", "a\\xfc"]


def test_a_terminal_stream_writes_replacement_characters():
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    show_names_on(stream)
    stream.write(os.fsdecode(b"gr\xfcn") + "\n")
    stream.flush()
    assert stream.buffer.getvalue().decode("utf-8") == SHOWN_GRUN + "\n"


def test_a_bug_message_naming_a_latin1_file_is_written_and_shown(tmp_path, monkeypatch):
    from engine.errors import describe

    monkeypatch.setenv("TALLER_LOG_DIR", str(tmp_path))
    message = describe(RuntimeError(f"cannot use {os.fsdecode(GRUN)}"))
    assert SHOWN_GRUN in message
    (log,) = tmp_path.glob("taller-error-*.log")
    assert "gr\\udcfcn" in log.read_text(encoding="utf-8")  # the exact name, for whoever debugs it


def test_the_decode_cache_keys_a_latin1_file(tmp_path):
    from engine.data.cache import cache_key

    folder = latin1_path(tmp_path, GRUN)
    write_pictures(folder, 40, n=2)
    files = sorted(folder.iterdir())
    assert len(cache_key(files, 16, 1)) == 32


def test_runs_csv_of_the_window_writes_latin1_names_shown(tmp_path):
    from gui.runs.runs_table import write_csv

    meta = {"arch": "cnn", "dataset": "folder:" + os.fsdecode(b"/d/ni\xf1o"), "history": []}
    path = write_csv(tmp_path / "runs.csv", [(meta, os.fsdecode(b"r\xfcn"))])
    text = path.read_bytes().decode("utf-8")
    assert "r\ufffdn" in text and "/d/ni\ufffdo" in text


def test_export_to_a_latin1_file_writes_and_checks_it(trained, capsys):
    from engine import export_onnx

    if export_onnx.missing_packages():
        pytest.skip('needs the export extra: pip install -e ".[export]"')
    onnx_file = Path(os.fsdecode(os.path.join(os.fsencode(trained["out"]), b"m\xf6del.onnx")))
    assert cli.main(["export", str(trained["out"] / "model.pt"), str(onnx_file)]) == 0
    assert onnx_file.is_file() and "m\ufffddel.onnx" in capsys.readouterr().out
    props = export_onnx.read_metadata(onnx_file)
    assert json.loads(props["class_names"]) == [SHOWN_GRUN, SHOWN_NINO, "plain"]
