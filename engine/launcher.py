"""``main.py train --devices N``: the same command on N local processes, through PyTorch's torchrun.

The launcher is a parent that runs ``python -m torch.distributed.run --standalone
--nproc_per_node=N -m engine.cli train ...`` (the arguments minus ``--devices``) as a child,
passes its output through and returns its exit status (Ultralytics' ``device=0,1`` does the same).
torchrun's own failure handling ends every rank when one fails, so a crash never hangs; SIGTERM
(the window's Stop) is passed on, and the ranks stop together after the current batch and save.

``JsonEvents`` prints the engine's events as JSON lines (``--events jsonl``) for a program that
follows a run from its output, as the window does.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import torch

from engine.errors import CliError
from engine.i18n import _

ENGINE_ROOT = Path(__file__).resolve().parent.parent  # the folder that holds the engine package
# torchrun's own log lines ("W1202 06:49:37.619000 28547 .../elastic/agent/server/api.py:753] ...").
TORCHRUN_LOG = re.compile(r"^[DIWEF]\d{4} [\d:.]+ \d+ .*torch[/\\]distributed[/\\]")


def strip_devices(argv: list[str]) -> list[str]:
    """``argv`` without ``--devices N`` / ``--devices=N`` (the children must not launch again)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--devices":
            skip = True
        elif not arg.startswith("--devices="):
            out.append(arg)
    return out


def uses_cuda(device: str) -> bool:
    """Whether a run on ``device`` ("auto", "cpu", "cuda", "mps") trains on CUDA GPUs."""
    return device == "cuda" or (device == "auto" and torch.cuda.is_available())


def check_devices(n: int, device: str) -> None:
    """One-line errors for what torchrun would fail at less clearly: no backend, too few GPUs."""
    if not torch.distributed.is_available():
        raise CliError(_("this PyTorch build has no torch.distributed: --devices needs it"))
    if device == "mps":
        raise CliError(_("--devices needs CUDA GPUs or the CPU; Apple's MPS trains on one process only"))
    if uses_cuda(device):
        gpus = torch.cuda.device_count()
        if n > gpus:
            raise CliError(
                _("--devices {n} asks for more GPUs than this machine has ({gpus})").format(n=n, gpus=gpus)
            )
        if not torch.distributed.is_nccl_available():
            raise CliError(_("this PyTorch build has no NCCL backend: several GPUs cannot train together"))
    elif not torch.distributed.is_gloo_available():
        raise CliError(
            _("this PyTorch build has no gloo backend: several CPU processes cannot train together")
        )


def torchrun_command(argv: list[str], n: int) -> list[str]:
    """The child's command line: torchrun on this machine, N processes, ``engine.cli`` as module."""
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={n}",
        "-m",
        "engine.cli",
        *strip_devices(argv),
    ]


def child_environment(n: int, cuda: bool) -> dict[str, str]:
    """The child's environment: the engine importable, CPU threads shared out between processes."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ENGINE_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONUNBUFFERED", "1")  # lines reach a reader (the window) as they are printed
    if not cuda:
        # N processes on C cores: C/N threads each instead of torchrun's default of 1.
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // n)))
    return env


def launch_train(argv: list[str], n: int, device: str) -> int:
    """Run ``train`` on ``n`` local processes; returns the exit status to leave with."""
    check_devices(n, device)
    child = subprocess.Popen(
        torchrun_command(argv, n),
        env=child_environment(n, uses_cuda(device)),
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    stopped: list[int] = []
    # The ranks' own messages pass through as they come; see pass_errors for what is left out.
    pump = threading.Thread(target=pass_errors, args=(child.stderr, sys.stderr, stopped), daemon=True)
    pump.start()

    def forward(signum, _frame):
        stopped.append(signum)
        if child.poll() is None:
            child.send_signal(signum)

    previous = {}
    if hasattr(signal, "SIGTERM"):
        try:
            # SIGTERM reaches only this parent (the window's Stop, a scheduler): pass it on. Ctrl+C
            # already reaches the whole terminal group, so the parent just waits for the children.
            previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, forward)
            previous[signal.SIGINT] = signal.signal(signal.SIGINT, lambda *_: stopped.append(signal.SIGINT))
        except ValueError:  # not the main thread: no handlers, the child still runs
            pass
    try:
        code = child.wait()
        pump.join()
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
    if code < 0:
        code = 128 - code  # killed by a signal: the shell's convention
    if code and stopped:
        return 128 + int(stopped[0])  # stopped as asked (torchrun itself exits 1 on a signal)
    if code:
        failed = _(
            "the run on {n} processes failed (exit status {code}); the failing process's message is above"
        )
        print("error: " + failed.format(n=n, code=code), file=sys.stderr)
    return code


def pass_errors(lines: Iterable[str], out: TextIO, stopped: list[int]) -> None:
    """Copy the child's standard error to ``out``, less torchrun's noise about a stop that was asked for.

    Once ``stopped`` holds a signal (Ctrl+C, the window's Stop), torchrun logs that it got it and
    ends with a traceback of its own ``SignalException``, while the ranks stop cleanly and rank 0
    says where the run was saved: a user would take the traceback for a crash. Only that traceback
    and torchrun's log lines are left out, and only after a stop; any other traceback passes whole.
    """
    held: list[str] = []
    for line in lines:
        if held:
            held.append(line)
            if line[:1] not in (" ", "\t", "\n", ""):  # the exception's own line ends the traceback
                if "SignalException" not in line:
                    out.writelines(held)
                    out.flush()
                held = []
            continue
        if stopped and line.startswith("Traceback (most recent call last):"):
            held.append(line)
        elif not (stopped and TORCHRUN_LOG.match(line)):
            out.write(line)
            out.flush()
    out.writelines(held)  # a traceback cut short: shown as it is


class JsonEvents:
    """Prints each engine event as one JSON line (``--events jsonl``), flushed at once."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout

    def on_event(self, event: dict[str, Any]) -> None:
        print(json.dumps(jsonable(event)), file=self.stream, flush=True)

    def close(self) -> None:
        """Nothing to close (the same interface as TerminalProgress)."""


def jsonable(value: Any) -> Any:
    """``value`` with non-finite floats as None and anything else unknown as text (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
