"""Work is never lost: Ctrl+C/SIGTERM keep finished epochs, a killed save leaves a loadable set,
a run folder that cannot be written sends the model to a fallback the message names."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.checkpoints import load_checkpoint
from engine.cli import main
from engine.files import atomic_file, recover_set, write_set
from engine.train import final_files, runner

ROOT = Path(__file__).resolve().parent.parent
FAST = ["--dataset", "digits", "--model", "mlp", "--precision", "fp32"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def test_two_cli_runs_leave_two_run_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TALLER_RUNS_DIR")  # the default: runs/ in the working folder
    assert main(["train", *FAST, "--epochs", "1"]) == 0
    assert main(["train", *FAST, "--epochs", "1"]) == 0
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert folders == ["digits-mlp-1", "digits-mlp-2"]
    for name in folders:
        run = tmp_path / "runs" / name
        assert {"model.pt", "last.pt", "best.pt", "config.json", "history.csv", "metrics.json"} <= {
            p.name for p in run.iterdir()
        }
    assert "saved runs/digits-mlp-2/model.pt" in capsys.readouterr().out.replace(os.sep, "/")


def test_sigint_to_a_real_train_process_saves_finished_epochs_and_prints_the_results(tmp_path):
    out = tmp_path / "run"
    argv = [sys.executable, "main.py", "train", *FAST, "--epochs", "10000", "--out", str(out)]
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    for line in proc.stdout:  # wait until two epochs are done
        if line.startswith("epoch 2/"):
            break
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert f"saved in {out}" in stderr and f"--resume {out}" in stderr
    kept = load_checkpoint(out / "model.pt").meta["history"]
    assert len(kept) >= 2
    assert len(json.loads((out / "history.json").read_text())) == len(kept)
    assert load_checkpoint(out / "last.pt").meta["history"][-1]["epoch"] == len(kept)
    # The lines a finished run prints, for scripts, marked as a stopped run's.
    lines = stdout.splitlines()
    accuracy = json.loads((out / "metrics.json").read_text())["test"]["accuracy"]
    assert f"test_accuracy={accuracy:.4f}" in lines and "stopped=1" in lines
    assert any(line.startswith("test_accuracy_ci=") for line in lines)
    assert f"saved {out / 'model.pt'}" in lines


def test_sigterm_stops_like_stop_and_resume_finishes(tmp_path, monkeypatch, capsys):
    real_run = runner.run

    def run_then_terminate(*args, **kwargs):
        on_event = args[3]

        def on_event_and_kill(event):
            on_event(event)
            if event["event"] == "epoch_end" and event["epoch"] == 1:
                os.kill(os.getpid(), signal.SIGTERM)  # a real signal, handled in this (main) thread

        return real_run(*args[:3], on_event_and_kill, *args[4:], **kwargs)

    monkeypatch.setattr(runner, "run", run_then_terminate)
    out = tmp_path / "run"
    assert main(["train", *FAST, "--epochs", "3", "--out", str(out)]) == 128 + signal.SIGTERM
    assert "stopped by SIGTERM after 1 finished epoch(s)" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers put back
    monkeypatch.setattr(runner, "run", real_run)
    assert main(["train", "--resume", str(out)]) == 0
    assert [h["epoch"] for h in load_checkpoint(out / "model.pt").meta["history"]] == [1, 2, 3]


SAVER = """
import sys, torch
from pathlib import Path
from engine.checkpoints import save_checkpoint
from engine.files import write_set
from engine.data.types import InputSpec
model = torch.nn.Linear(2000, 500)  # 4 MB: a save takes long enough to be killed inside it
spec = {"channels": 1, "height": 8, "width": 8, "mean": [0.5], "std": [0.5]}
i = 0
while True:
    i += 1
    def write(stage, i=i):
        save_checkpoint(stage / "model.pt", model, {"arch": "x", "classes": ["a"], "spec": spec, "i": i})
        (stage / "metrics.json").write_text(str(i))
    write_set(Path(sys.argv[1]), write)
    if i == 1:
        print("ready", flush=True)
"""


@pytest.mark.parametrize("delay", [0.2])
def test_sigkill_during_a_save_leaves_the_previous_set_loadable(tmp_path, delay):
    folder = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-c", SAVER, str(folder)], cwd=ROOT, env=ENV, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay)
    proc.kill()
    proc.wait()
    recover_set(folder)  # what the next write does first
    payload_i = torch_load_i(folder / "model.pt")
    assert (folder / "metrics.json").read_text() == str(payload_i)  # one set, never a mix
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing stale left
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def torch_load_i(path: Path) -> int:
    from engine.checkpoints import read_payload

    return int(read_payload(path)["meta"]["i"])


def test_stale_temporary_files_are_cleaned_on_the_next_write(tmp_path):
    stale = tmp_path / ".model.pt.abc123.tmp"
    stale.write_bytes(b"half")
    atomic_file(tmp_path / "model.pt", lambda tmp: tmp.write_bytes(b"whole"))
    assert not stale.exists() and (tmp_path / "model.pt").read_bytes() == b"whole"
    (tmp_path / ".run.set-xyz").mkdir()
    write_set(tmp_path / "run", lambda stage: (stage / "a.txt").write_text("new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt", "run"]


def test_a_set_swap_killed_between_its_renames_is_put_back(tmp_path):
    write_set(tmp_path / "run", lambda stage: (stage / "a.txt").write_text("old"))
    os.replace(tmp_path / "run", tmp_path / ".run.old-abc")  # the moment between the two renames
    recover_set(tmp_path / "run")
    assert (tmp_path / "run" / "a.txt").read_text() == "old"


def test_disk_full_at_the_end_saves_the_model_to_a_named_fallback(tmp_path, monkeypatch, capsys):
    def full(folder, write, keep=True):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(final_files, "write_set", full)
    out = tmp_path / "runs" / "run"
    assert main(["train", *FAST, "--epochs", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    fallback = Path(err.split("the model was saved to ")[1].split(" instead")[0])
    assert fallback.parent == out.parent
    assert load_checkpoint(fallback).meta["history"][0]["epoch"] == 1
