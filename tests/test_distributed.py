"""One run on two processes (torchrun, DDP over gloo on loopback): real subprocesses, tiny data.

Three launches share the assertions (torchrun start-up costs seconds): a ``main.py train --devices
2`` run stopped with Ctrl+C after its first epoch, its ``--resume`` through ``--devices 2``,
and ``tests/ddp_worker.py`` (weights and shards of each rank, then a rank that raises), started
beside the first. The reference is the same run in this process with a one-process gloo group.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist

from engine.cli import main as cli_main
from engine.cli_args import build_parser, configs_from_args, train_arguments
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.errors import TrainingError
from engine.launcher import JsonEvents, pass_errors, strip_devices
from engine.train import distributed
from engine.train.run import run
from tests.ddp_worker import no_dropout

ROOT = Path(__file__).resolve().parent.parent
CTRL_C = getattr(os, "killpg", None)  # a terminal's Ctrl+C signals the whole foreground group
STOP = "SIGINT" if CTRL_C is not None else "SIGTERM"
TIMEOUT = 300  # seconds: a hang fails the test instead of the suite
ARGS = ["--dataset", "digits", "--model", "mlp", "--val-split", "0.3", "--batch-size", "64"]
ARGS += ["--device", "cpu", "--precision", "fp32", "--epochs", "4"]


def environment(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env.update(OMP_NUM_THREADS="1", TALLER_RUNS_DIR=str(root / "runs"), PYTHONPATH=str(ROOT))
    return env


def torchrun(*args: str) -> list[str]:
    # --standalone: torchrun picks a free port on loopback itself.
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", *args]


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def ddp(tmp_path_factory):
    root = tmp_path_factory.mktemp("ddp")
    env = environment(root)
    worker = subprocess.Popen(
        torchrun(str(ROOT / "tests" / "ddp_worker.py"), str(root)),
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Through the launcher (--devices 2) in its own process group, so that Ctrl+C can reach the
    # launcher, torchrun and both ranks at once, as a terminal does.
    train = [sys.executable, str(ROOT / "main.py"), "train", *ARGS, "--events", "jsonl", "--devices", "2"]
    stopped = subprocess.Popen(
        train,
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=CTRL_C is not None,
    )
    first = []
    for line in stopped.stdout:  # Ctrl+C (SIGTERM where there are no process groups) after epoch 1
        first.append(line)
        if '"epoch_end"' in line:
            if CTRL_C is not None:
                CTRL_C(stopped.pid, signal.SIGINT)
            else:
                stopped.send_signal(signal.SIGTERM)
            break
    stopped_out, stopped_err = stopped.communicate(timeout=TIMEOUT)
    worker_out, worker_err = worker.communicate(timeout=TIMEOUT)
    folders = sorted((root / "runs").iterdir())
    resumed = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "train", "--resume", str(folders[0]), "--devices", "2"]
        + ["--events", "jsonl"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    return SimpleNamespace(
        root=root,
        folders=folders,
        stopped_out="".join(first) + stopped_out,
        stopped_err=stopped_err,
        stopped_code=stopped.returncode,
        resumed=resumed,
        worker=(worker.returncode, worker_out + worker_err),
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The worker's run in one process (a gloo group of one: the same DistributedSampler order)."""
    store = tmp_path_factory.mktemp("store") / "store"
    forward = torch.nn.Dropout.forward
    torch.nn.Dropout.forward = no_dropout  # as in the worker: dropout draws differ per process
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=0, world_size=1)
    try:
        data_cfg = DataConfig(dataset="digits", val_split=0.3)
        train_cfg = TrainConfig(epochs=2, batch_size=64, device="cpu", precision="fp32")
        return run(data_cfg, ModelConfig(arch="mlp"), train_cfg).history
    finally:
        dist.destroy_process_group()
        torch.nn.Dropout.forward = forward


def history(folder: Path) -> list[dict]:
    with open(folder / "history.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_only_rank_0_prints_and_writes_one_run_folder(ddp):
    assert len(ddp.folders) == 1, ddp.stopped_err[-2000:]
    names = {p.name for p in ddp.folders[0].iterdir()}
    assert {"config.json", "history.csv", "last.pt", "best.pt", "model.pt"} <= names
    assert not [n for n in names if n.endswith(".tmp") or n.startswith(".")]
    # rank 0's messages, not one per rank, and no traceback from torchrun about the signal
    assert ddp.stopped_err.count(f"stopped by {STOP}") == 1, ddp.stopped_err[-3000:]
    assert ddp.stopped_err.count("stopping after the current batch") == 1
    assert "Traceback" not in ddp.stopped_err and "SignalException" not in ddp.stopped_err
    assert ddp.stopped_code == 128 + getattr(signal, STOP)
    assert ddp.resumed.returncode == 0, ddp.resumed.stderr[-3000:]
    assert ddp.resumed.stdout.count("test_accuracy=") == 1
    epochs = [e["epoch"] for e in json_lines(ddp.resumed.stdout) if e["event"] == "epoch_end"]
    assert len(epochs) == len(set(epochs))  # one line per epoch, not one per rank
    assert json_lines(ddp.resumed.stdout)[-1]["event"] == "saved"


def test_resume_under_ddp_continues_at_the_saved_epoch(ddp):
    saved = [e["epoch"] for e in json_lines(ddp.stopped_out) if e["event"] == "epoch_end"]
    ran = [e for e in json_lines(ddp.resumed.stdout) if e["event"] == "epoch_end"]
    assert [e["epoch"] for e in ran if e.get("replayed")] == saved  # the curve is whole for a reader
    resumed = [e["epoch"] for e in ran if not e.get("replayed")]
    assert saved and saved[-1] < 4
    assert resumed == list(range(saved[-1] + 1, 5))
    rows = history(ddp.folders[0])
    assert [int(row["epoch"]) for row in rows] == list(range(1, 5))
    # The resumed epochs carry on from the saved ones (no fresh model: the loss keeps falling).
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])


def test_two_processes_give_the_loss_of_one_with_the_same_global_batch(ddp, reference):
    two = torch.load(ddp.root / "rank0.pt", weights_only=True)["history"]
    assert len(two) == len(reference) == 2
    for epoch, ref in zip(two, reference, strict=True):
        for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
            assert epoch[key] == pytest.approx(ref[key], rel=1e-4, abs=1e-5), (key, epoch["epoch"])


def test_ranks_hold_identical_weights_and_disjoint_shards_that_cover_the_set(ddp):
    ranks = [torch.load(ddp.root / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    for name, w in ranks[0]["weights"].items():
        assert torch.equal(w, ranks[1]["weights"][name]), name
    n = ranks[0]["n"]
    for epoch in (0, 1):
        a, b = (set(r["orders"][epoch]) for r in ranks)
        assert not a & b and a | b == set(range(n))
    assert ranks[0]["orders"][0] != ranks[0]["orders"][1]  # set_epoch: a new order each epoch
    # Random draws (dropout, augmentation) differ between the ranks and repeat for a repeated epoch.
    assert ranks[0]["draws"][0] == ranks[0]["draws"][1] and ranks[1]["draws"][0] == ranks[1]["draws"][1]
    assert ranks[0]["draws"][0] != ranks[1]["draws"][0]


def test_a_rank_that_raises_ends_the_run_with_its_message(ddp):
    code, output = ddp.worker
    assert code != 0
    assert "rank 1 failed on purpose" in output


def test_without_torchrun_no_process_group_is_created(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert distributed.start(torch.device("cpu")) is False
    assert not dist.is_initialized()
    assert distributed.world_size() == 1 and distributed.is_main()
    assert distributed.local_batch(64) == 64


def test_the_global_batch_must_split_evenly(monkeypatch):
    monkeypatch.setattr(distributed, "world_size", lambda: 3)
    with pytest.raises(TrainingError, match="multiple of 3"):
        distributed.local_batch(64)
    assert distributed.local_batch(63) == 21


def test_devices_beyond_the_gpus_is_a_one_line_error(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    code = cli_main(["train", "--devices", "2", "--device", "cuda", "--epochs", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.count("\n") == 0 and "more GPUs than this machine has (1)" in err
    assert strip_devices(["train", "--devices", "4", "--epochs", "1", "--devices=2"]) == [
        "train",
        "--epochs",
        "1",
    ]


def round_trip(data_cfg, model_cfg, train_cfg):
    words = shlex.split(shlex.join(train_arguments(data_cfg, model_cfg, train_cfg)))
    return configs_from_args(build_parser().parse_args(words))


def test_a_configuration_travels_as_a_command_and_back(tmp_path):
    folder = tmp_path / "my pictures"
    folder.mkdir()
    configs = [
        (DataConfig(), ModelConfig(), TrainConfig()),
        (
            DataConfig(dataset=f"folder:{folder}", val_split=0.25, augment=True, image_size=48, seed=7),
            ModelConfig(arch="mlp", frozen=("net.1", "net.4"), freeze_bn_stats=False),
            TrainConfig(lr=3e-4, epochs=2, batch_size=48, optimizer="sgd", schedule="cosine"),
        ),
        (
            DataConfig(dataset="digits", loader="stream", cache=False, download=True),
            ModelConfig(arch="cnn", init_checkpoint="models/x y.pt", frozen=("features",)),
            TrainConfig(unfreeze_after=2, unfreeze=("features",), finetune_lr_factor=0.05, kfold=3),
        ),
        (
            DataConfig(),
            ModelConfig(),
            TrainConfig(optimizer="sgd", momentum=0.8, weight_decay=5e-4, label_smoothing=0.1),
        ),
    ]
    for cfgs in configs:
        assert round_trip(*cfgs) == cfgs
    with pytest.raises(ValueError, match="resize = 32 has no command-line option"):
        train_arguments(DataConfig(image_size=24, resize=32), ModelConfig(), TrainConfig())


def test_event_lines_are_strict_json():
    out = io.StringIO()
    JsonEvents(out).on_event({"event": "epoch_end", "val_loss": float("nan"), "lr": 0.1, "path": Path("a")})
    assert json.loads(out.getvalue()) == {"event": "epoch_end", "val_loss": None, "lr": 0.1, "path": "a"}


def test_a_port_in_use_is_a_one_line_error(monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        env = {"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1"}
        for name, value in {**env, "MASTER_PORT": str(busy.getsockname()[1])}.items():
            monkeypatch.setenv(name, value)
        with pytest.raises(TrainingError, match="process 0 of 1 could not join the run") as error:
            distributed.start(torch.device("cpu"))
    assert "\n" not in str(error.value)
    assert not dist.is_initialized()


def test_only_torchruns_traceback_of_a_requested_stop_is_left_out():
    crash = [
        "Traceback (most recent call last):\n",
        '  File "x.py", line 1, in <module>\n',
        "KeyError: 'a'\n",
    ]
    noise = [
        "W1202 06:49:37.619000 28547 torch/distributed/elastic/agent/server/api.py:753] Received 2 death "
        "signal, shutting down workers\n",
        "Traceback (most recent call last):\n",
        '  File "run.py", line 9, in main\n',
        "torch.distributed.elastic.multiprocessing.api.SignalException: Process 1 got signal: 2\n",
    ]
    before, after = io.StringIO(), io.StringIO()
    pass_errors(["epoch 1\n", *noise, *crash], before, stopped=[])
    pass_errors(["saved\n", *noise, *crash], after, stopped=[signal.SIGINT])
    assert before.getvalue() == "".join(["epoch 1\n", *noise, *crash])  # no stop asked: all of it
    assert after.getvalue() == "".join(["saved\n", *crash])  # any other traceback stays whole
