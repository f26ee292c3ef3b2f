"""The command line speaks the user's words: option errors say the option, what was given and what
it takes (in Spanish under Spanish); a failed write names the file asked for, not its hidden
temporary name; SIGTERM at any moment ends with one line and exit 143, work kept, no traceback."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pytest

from engine import errors, i18n
from engine.cli import main
from engine.cli_args import build_parser
from engine.config import DataConfig
from engine.errors import ConfigError
from engine.files import atomic_file, write_set

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
