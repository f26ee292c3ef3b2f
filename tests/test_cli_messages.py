"""The command line speaks the user's words: option errors say the option, what was given and what
it takes (in Spanish under Spanish); a failed write names the file asked for, not its hidden
temporary name; SIGTERM at any moment ends with one line and exit 143, work kept, no traceback."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine import errors, i18n
from engine.cli import main
from engine.cli_args import build_parser
from engine.config import DataConfig
from engine.errors import ConfigError
from engine.files import atomic_file, write_set
from tests.helpers_data import write_image_folder

ROOT = Path(__file__).resolve().parent.parent
FAST = ["--dataset", "digits", "--model", "mlp", "--precision", "fp32"]
POSIX_SIGNALS = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows ends a process without a signal: no SIGTERM to handle"
)


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language(None)


def refusal(argv: list[str], capsys) -> str:
    """The last line argparse printed for ``argv`` (exit status 2, a usage error)."""
    with pytest.raises(SystemExit) as ended:
        build_parser().parse_args(argv)
    assert ended.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


# --- option values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, says",
    [
        (
            ["train", "--epochs", "0"],
            "argument --epochs: must be a whole number from 1 to 10000; you gave '0'",
        ),
        (["train", "--epochs", "abc"], "--epochs: must be a whole number from 1 to 10000; you gave 'abc'"),
        (["train", "--lr", "x"], "--lr: must be a number more than 0 and at most 10; you gave 'x'"),
        (["train", "--lr", "nan"], "--lr: must be a number more than 0 and at most 10; you gave 'nan'"),
        (
            ["train", "--kfold", "x"],
            "--kfold: must be a whole number from 2 to 10, or 0 for off; you gave 'x'",
        ),
        (
            ["predict", "m.pt", "a.png", "--top", "0"],
            "--top: must be a whole number of 1 or more; you gave '0'",
        ),
        (["lr-find", "--end-lr", "-1"], "--end-lr: must be a number more than 0; you gave '-1'"),
    ],
)
def test_a_bad_option_value_names_the_option_what_it_takes_and_what_was_given(argv, says, capsys):
    line = refusal(argv, capsys)
    assert line.endswith(says), line
    assert "invalid" not in line and "positive_int" not in line


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--lr", "-1"], "error: --lr: learning rate must be more than 0 and at most 10, not -1.0"),
        (
            ["--weight-decay", "1e30"],
            "error: --weight-decay: weight decay must be at least 0 and less than 1",
        ),
        (["--kfold", "1"], "error: --kfold: K-Fold cross-validation folds must be between 2 and 10, not 1"),
    ],
)
def test_a_value_outside_a_setting_range_names_the_option_and_the_range(argv, says, capsys):
    assert main(["train", *argv]) == 1
    assert capsys.readouterr().err.startswith(says)


def test_off_values_and_values_inside_the_range_are_taken():
    args = build_parser().parse_args(["train", "--kfold", "0", "--epochs", "3", "--val-split", "0.5"])
    assert (args.kfold, args.epochs, args.val_split) == (0, 3, 0.5)


def test_option_errors_and_argparse_own_words_are_spanish_under_spanish(spanish, capsys):
    line = refusal(["train", "--epochs", "0"], capsys)
    assert (
        line
        == "taller train: error: argumento --epochs: debe ser un número entero de 1 a 10000; has escrito '0'"
    )
    line = refusal(["train", "--val-split", "abc"], capsys)
    assert line.endswith("debe ser un número mayor que 0 y menor que 0.9; has escrito 'abc'"), line
    assert main(["train", "--val-split", "0"]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: --val-split: proporción de validación: el valor debe ser mayor que 0 y menor que 0.9, no 0.0"
    )
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--optimizer", "rmsprop"])
    err = capsys.readouterr().err
    assert err.startswith("uso: taller train") and "opción no válida: 'rmsprop'" in err
    for argv, words in [
        (["evaluate"], "faltan estos argumentos obligatorios: checkpoint"),
        (["train", "--epochs"], "argumento --epochs: se esperaba un argumento"),
        (["train", "--nope"], "argumentos no reconocidos: --nope"),
    ]:
        line = refusal(argv, capsys)
        assert words in line, line
        for english in ("usage", "argument ", "expected", "required", "unrecognized", "invalid"):
            assert english not in line, line


def test_the_validation_share_says_the_range_it_checks(capsys):
    # It said "(0, 0.9)", read as "between 0 and 0.9", and then refused 0: a run needs validation.
    assert main(["train", "--val-split", "0"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: --val-split: validation share must be more than 0 and less than 0.9, not 0.0"
    with pytest.raises(ConfigError, match=r"^validation share must be more than 0 and less than 0.9, not 0$"):
        DataConfig(val_split=0)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    assert "more than 0 and less than 0.9" in " ".join(capsys.readouterr().out.split())


# --- writes that fail ----------------------------------------------------------------------------


def read_only(path: Path) -> None:
    """What open() raises for a new file on a read-only disk (chmod cannot make one for root)."""
    raise OSError(errno.EROFS, "Read-only file system", str(path))


def test_a_failed_write_names_the_file_asked_for_not_its_temporary_name(tmp_path):
    target = tmp_path / "models" / "model.pt"
    with pytest.raises(OSError) as failed:
        atomic_file(target, read_only)
    message = errors.describe(failed.value)
    assert message == f"The disk is read-only ({target}): choose a folder on a writable disk."
    assert failed.value.errno == errno.EROFS
    assert list(target.parent.iterdir()) == []  # and nothing hidden is left behind


def test_a_failed_set_write_names_the_file_inside_the_run_folder(tmp_path):
    run = tmp_path / "run"
    with pytest.raises(OSError) as failed:
        write_set(run, lambda stage: atomic_file(stage / "model.pt", read_only))
    assert f"({run / 'model.pt'})" in errors.describe(failed.value)
    assert ".set-" not in errors.describe(failed.value) and not run.exists()


def test_a_refused_rename_names_the_target_once(tmp_path, monkeypatch):
    def denied(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", src, None, dst)

    monkeypatch.setattr(os, "replace", denied)
    target = tmp_path / "metrics.json"
    with pytest.raises(PermissionError) as failed:
        atomic_file(target, lambda tmp: tmp.write_text("{}"))
    message = errors.describe(failed.value)
    assert (
        message.startswith(f"Permission denied ({target}):") and "choose a folder you can write to" in message
    )


def test_an_error_about_another_file_is_left_as_it_is(tmp_path):
    elsewhere = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "cache.bin"))

    def write(tmp):
        raise elsewhere

    with pytest.raises(OSError) as failed:
        atomic_file(tmp_path / "model.pt", write)
    assert failed.value is elsewhere


def test_the_reason_a_write_failed_is_in_spanish_under_spanish(tmp_path, monkeypatch):
    from engine.train.runs import RunFolder

    folder, last = RunFolder(tmp_path / "run"), tmp_path / "run" / "last.pt"

    def disk_full(snapshot):
        raise OSError(errno.ENOSPC, "No space left on device", str(last))

    monkeypatch.setattr(folder, "write_epoch", disk_full)
    folder.on_snapshot({"epoch": 3})
    assert folder.write_error == f"No space left on device ({last})"  # the OS's words, in English
    i18n.set_language("es")
    try:
        folder.on_snapshot({"epoch": 3})
    finally:
        i18n.set_language(None)
    assert folder.write_error == f"el disco está lleno ({last})"  # not the OS's English inside Spanish


# --- signals ----------------------------------------------------------------------------------


def kill_self(sig: int):
    """A stand-in for a step of a command that receives ``sig`` from outside while it runs."""

    def step(*_args, **_kwargs):
        signal.raise_signal(sig)  # a real signal, handled in this (main) thread before it returns
        raise AssertionError("the signal should have ended the command")

    return step


@POSIX_SIGNALS
def test_sigterm_before_training_starts_says_so_and_exits_143(monkeypatch, capsys):
    from engine.train import distributed

    monkeypatch.setattr(distributed, "start", kill_self(signal.SIGTERM))
    assert main(["train", *FAST, "--epochs", "1"]) == 143
    err = capsys.readouterr().err.strip()
    assert err == (
        "stopped by SIGTERM before training began: no epoch had finished, so nothing is lost; "
        "run the command again to train"
    )
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back


@POSIX_SIGNALS
def test_sigterm_and_ctrl_c_during_another_command_are_said_in_spanish(monkeypatch, capsys, spanish):
    import engine.checkpoints

    monkeypatch.setattr(engine.checkpoints, "load_checkpoint", kill_self(signal.SIGTERM))
    assert main(["evaluate", "model.pt"]) == 143
    assert capsys.readouterr().err.strip() == (
        "detenido por SIGTERM antes de que `taller evaluate` terminara: vuelve a ejecutarla para obtener "
        "su resultado"
    )
    monkeypatch.setattr(engine.checkpoints, "load_checkpoint", kill_self(signal.SIGINT))
    # A shell starts a background job with Ctrl+C ignored, and Python then keeps it ignored; Ctrl+C
    # in a terminal reaches Python's own handler, which is what this command meets in use.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert main(["evaluate", "model.pt"]) == 130
    finally:
        signal.signal(signal.SIGINT, previous)
    assert "detenido por SIGINT antes de que `taller evaluate` terminara" in capsys.readouterr().err


@POSIX_SIGNALS
def test_a_second_sigterm_during_a_run_quits_at_once_and_says_what_is_kept(monkeypatch, capsys):
    from engine.train import runner

    def twice(*_args, **_kwargs):
        signal.raise_signal(signal.SIGTERM)  # the first asks the run to stop after the batch
        kill_self(signal.SIGTERM)()  # the second quits

    monkeypatch.setattr(runner, "start", twice)
    assert main(["train", *FAST, "--epochs", "1"]) == 143
    err = capsys.readouterr().err
    assert "stopped at once by a second SIGTERM: the run folder keeps the epochs that had finished" in err
    assert "Traceback" not in err


SLOW_LOADER = """
import sys, time
from pathlib import Path
import engine.train.runner as runner

real, flag = runner.load_dataset, Path(sys.argv[1])

def load_dataset(cfg):
    print("loading the data", flush=True)
    for _ in range(600):  # until the test has sent its signal (at most a minute)
        if flag.exists():
            break
        time.sleep(0.05)
    return real(cfg)

runner.load_dataset = load_dataset
from gui.launch import main
sys.exit(main(sys.argv[2:]))
"""


def start(argv: list[str], tmp_path: Path, code: str | None = None) -> subprocess.Popen:
    command = (
        [sys.executable, "-c", code, str(tmp_path / "signalled"), *argv]
        if code
        else [
            sys.executable,
            "main.py",
            *argv,
        ]
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@POSIX_SIGNALS
def test_sigterm_while_the_data_loads_ends_with_a_line_and_143(tmp_path):
    folder = write_image_folder(tmp_path / "pets", n_per_class=4, size=16)
    out = tmp_path / "run"
    argv = ["train", "--dataset", f"folder:{folder}", "--model", "mlp", "--epochs", "3", "--out", str(out)]
    proc = start(argv, tmp_path, SLOW_LOADER)
    for line in proc.stdout:
        if line.startswith("loading the data"):
            break
    proc.send_signal(signal.SIGTERM)
    (tmp_path / "signalled").touch()  # the loader goes on, the run stops at its first batch
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stderr
    assert "Traceback" not in stderr and "error:" not in stderr
    assert f"stopped by SIGTERM before the first epoch finished: there is no epoch to keep ({out}" in stderr


@POSIX_SIGNALS
def test_sigterm_during_training_keeps_the_finished_epochs(tmp_path):
    out = tmp_path / "run"
    proc = start(["train", *FAST, "--epochs", "10000", "--out", str(out)], tmp_path)
    for line in proc.stdout:
        if line.startswith("epoch 1/"):
            break
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert "stopped by SIGTERM after" in stderr and f"--resume {out}" in stderr
    assert (out / "model.pt").is_file() and (out / "last.pt").is_file()
