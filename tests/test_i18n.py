"""The engine's Spanish: the catalogue covers every wrapped string, the system language is followed,
the CLI's help and a bad dataset's message are Spanish under LANG=es_ES.UTF-8 and English under LANG=C."""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import i18n

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine"
CALLS = {"_": 1, "N_": 1, "ngettext": 2}  # the wrapping names and how many English strings each takes
TEMPLATE_CALL = re.compile(r"""\b(?:_|ngettext)\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*[,)]""")


def wrapped_strings(path: Path) -> tuple[list[str], list[str]]:
    """The English strings ``path`` passes to _/N_/ngettext, and the calls whose text is not a literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    bad: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CALLS):
            continue
        args = node.args[: CALLS[node.func.id]]
        if all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args) and args:
            found.append(args[0].value)
        else:
            bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found, bad


def engine_strings() -> tuple[dict[str, str], list[str]]:
    """Every wrapped string of engine/ (Python and report templates) -> where it is; and bad calls."""
    where: dict[str, str] = {}
    bad: list[str] = []
    for path in sorted(ENGINE.rglob("*.py")):
        found, wrong = wrapped_strings(path)
        bad += wrong
        for text in found:
            where.setdefault(text, str(path.relative_to(ROOT)))
    for path in sorted(ENGINE.rglob("templates/*.j2")):
        for match in TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")):
            where.setdefault(ast.literal_eval(match.group(1)), str(path.relative_to(ROOT)))
    return where, bad


def fields(text: str) -> set[str]:
    """The placeholders of ``text``: str.format fields and %-style ones (argparse's)."""
    names = {f"{{{name}}}" for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    return names | set(re.findall(r"%\(\w+\)[rsd]|%[rsd]", text))


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language(None)


def test_every_wrapped_engine_string_is_in_the_catalogue():
    where, bad = engine_strings()
    assert not bad, f"_()/ngettext() with a text that is not a plain literal (an f-string?): {bad}"
    missing = {text: path for text, path in where.items() if text not in i18n.catalogue("es")}
    assert not missing, f"{len(missing)} engine strings have no Spanish: {json.dumps(missing, indent=1)}"
    assert len(where) > 150  # the scan found the engine's messages, not nothing


def test_every_catalogue_entry_is_translated_and_used():
    where, _ = engine_strings()
    own = json.loads((i18n.LOCALE_DIR / "es.json").read_text(encoding="utf-8"))
    for english, spanish in own.items():
        forms = spanish if isinstance(spanish, list) else [spanish]
        assert all(isinstance(f, str) and f.strip() for f in forms), english
        assert all(fields(f) == fields(english) for f in forms), f"placeholders differ: {english!r}"
    obsolete = sorted(set(own) - set(where))
    assert not obsolete, f"catalogue entries no engine code uses: {obsolete}"


def test_argparse_own_words_are_translated(spanish):
    """argparse's own user-facing words follow the catalogue (its other strings are for developers)."""
    i18n.translate_argparse()
    parser = argparse.ArgumentParser(prog="taller")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--model", choices=["cnn", "mlp"])
    text = parser.format_help()
    assert "uso: taller" in text and "opciones:" in text and "muestra esta ayuda y termina" in text
    with pytest.raises(SystemExit), _captured() as err:
        parser.parse_args([])
    assert "taller: error: faltan estos argumentos obligatorios: --epochs" in err.getvalue()
    with pytest.raises(SystemExit), _captured() as err:
        parser.parse_args(["--epochs", "1", "--model", "vit"])
    assert "opción no válida: 'vit' (elige entre 'cnn', 'mlp')" in err.getvalue()


class _captured:
    def __enter__(self):
        import io

        self.buffer, self.old = io.StringIO(), sys.stderr
        sys.stderr = self.buffer
        return self.buffer

    def __exit__(self, *exc):
        sys.stderr = self.old
        return False


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "es_ES.UTF-8"}, "es"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "C.UTF-8", "LANGUAGE": "es"}, "en"),  # GNU gettext: the C locale ignores LANGUAGE
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "es:en"}, "es"),
        ({"LC_ALL": "es_MX.UTF-8", "LANG": "en_GB.UTF-8"}, "es"),
        ({"LC_MESSAGES": "es_AR", "LANG": "en_US"}, "es"),
        ({"LANG": "et_EE.UTF-8"}, "en"),  # Estonian starts with "e", not with "es_"
        ({}, "en"),
    ],
)
def test_system_language_reads_the_environment_as_gettext_does(environ, expected):
    assert i18n.system_language(environ) == expected


def test_set_language_switches_and_none_follows_the_system(monkeypatch):
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    try:
        i18n.set_language("en")
        assert i18n.language() == "en" and i18n._("options") == "options"
        i18n.set_language("es_ES")
        assert i18n.language() == "es" and i18n._("options") == "opciones"
        assert i18n._("a sentence nobody translated") == "a sentence nobody translated"
        monkeypatch.setenv("LANG", "C")
        i18n.set_language(None)
        assert i18n.language() == "en"
        monkeypatch.setenv("LANG", "es_ES.UTF-8")
        i18n.set_language(None)
        assert i18n.language() == "es"
    finally:
        i18n.set_language(None)


def _run(*args: str, lang: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["LANG"] = lang
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_train_help_is_spanish_under_a_spanish_locale_and_english_under_c():
    es = _run("train", "--help", lang="es_ES.UTF-8")
    assert es.returncode == 0, es.stderr
    assert es.stdout.startswith("uso: taller train")
    for word in ("época", "tasa de aprendizaje", "lote", "validación cruzada K-Fold", "opciones:"):
        assert word in es.stdout, word
    en = _run("train", "--help", lang="C")
    assert en.returncode == 0, en.stderr
    assert en.stdout.startswith("usage: taller train")
    for word in ("epochs", "learning rate", "batch", "K-Fold cross-validation", "options:"):
        assert word in en.stdout, word
    assert "época" not in en.stdout and "uso:" not in en.stdout


def test_a_bad_dataset_is_reported_in_spanish_under_spanish(tmp_path, capsys):
    from engine import cli

    empty = tmp_path / "fotos"
    empty.mkdir()
    (empty / "gatos").mkdir()  # one class folder, and no images in it
    said = {}
    try:
        for code in ("es", "en"):
            i18n.set_language(code)
            assert cli.main(["train", "--dataset", f"folder:{empty}", "--epochs", "1"]) == 1
            said[code] = capsys.readouterr().err.strip().splitlines()[-1]
            cli.main(["train", "--dataset", "no-such-data", "--epochs", "1"])
            said[code + "-name"] = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        i18n.set_language(None)
    assert said["es"].startswith("error: ") and said["en"].startswith("error: ")
    assert said["es"] != said["en"] and said["es-name"] != said["en-name"]
    for line in (said["es"], said["es-name"]):
        names = line.replace(str(empty), "").replace("folder:PATH", "")  # paths and dataset keys are names
        words = set(re.findall(r"[a-záéíóúñ]+", names.lower()))
        assert words & {"carpeta", "imágenes", "ninguna", "clases", "desconocido", "elige"}, line
        assert not words & {"folder", "images", "unknown", "choose", "class"}, line


def test_the_report_page_and_its_charts_are_spanish_under_spanish(spanish, tmp_path):
    from engine.evaluation import classification_metrics
    from engine.report import charts, html

    classes = ["gato", "perro", "pez"]
    y_true, y_pred = np.array([0, 0, 1, 1, 2, 2, 2]), np.array([0, 1, 1, 1, 2, 0, 2])
    history = [
        {
            "epoch": e,
            "phase": 1 + (e > 1),
            "train_loss": 1 / e,
            "train_acc": 0.5,
            "val_loss": 1 / e,
            "val_acc": 0.6,
        }
        for e in (1, 2)
    ]
    meta = {
        "arch": "cnn",
        "dataset": "digits",
        "classes": classes,
        "history": history,
        "train_config": {"lr": 0.001, "batch_size": 64, "epochs": 2},
        "model_config": {"frozen": ["features"]},
    }
    metrics = classification_metrics(y_true, y_pred, classes)
    probs = np.eye(3)[y_pred] * 0.8 + 0.2 / 3
    images = np.zeros((7, 1, 8, 8), dtype=np.uint8)
    page = html.write_report(tmp_path, meta, metrics, probs, y_true, images).read_text(encoding="utf-8")
    assert '<html lang="es">' in page
    for spanish_text in ("Informe de Taller", "Conjunto de datos", "Hiperparámetros", "tasa de aprendizaje",
                         "tamaño de lote", "Curvas de entrenamiento", "Resultados de prueba", "precisión",
                         "exhaustividad", "Pares más confundidos", "capas congeladas",
                         "ajuste fino"):  # fmt: skip
        assert spanish_text in page, spanish_text
    visible = re.sub(r"<style>.*?</style>|<[^>]+>|data:[^\"']+", " ", page, flags=re.S)
    for english in ("Dataset", "Hyper-parameters", "Training curves", "Test results", "learning rate",
                    "batch size", "recall", "Most confused", "trainable of", "epochs run"):  # fmt: skip
        assert english not in visible, english
    figure = charts.confusion_figure(np.array(metrics["confusion"]), classes)
    axes = figure.axes[0]
    assert (axes.get_title(), axes.get_xlabel(), axes.get_ylabel()) == (
        "Matriz de confusión",
        "predicha",
        "real",
    )
    legend = [t.get_text() for t in charts.curves_figure(history).legends[0].get_texts()]
    assert legend == ["validación", "entrenamiento"]


def test_describe_speaks_spanish_for_os_memory_and_bug_errors(spanish, tmp_path, monkeypatch):
    from engine import errors

    full = OSError(28, "No space left on device", str(tmp_path / "model.pt"))
    assert errors.describe(full).startswith("El disco está lleno (")
    oom = RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
    assert errors.describe(oom).startswith("Sin memoria: la GPU se quedó sin memoria (pedía 2.00 GiB más).")
    monkeypatch.setenv("TALLER_LOG_DIR", str(tmp_path / "logs"))
    bug = errors.describe(KeyError("x"))
    assert bug.startswith("Error inesperado (KeyError)") and "Es un fallo de Taller" in bug
    i18n.set_language("en")
    assert errors.describe(full).startswith("The disk is full (")


def test_generated_datasets_say_their_source_in_spanish(spanish):
    from engine.data.synth import mixed_dataset, synth_dataset  # deferred: after the language is set

    assert (
        synth_dataset(size=20).source
        == "20 dígitos generados; prueba: los 1797 dígitos reales de scikit-learn"
    )
    assert mixed_dataset(size=20).source.startswith("20 dígitos generados + 1257 reales; prueba: 540")
