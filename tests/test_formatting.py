"""The one copy of each formatter: what the CLI, the report and the window print for a value."""

from __future__ import annotations

import numpy as np
import pytest

from engine import i18n
from engine.formatting import (
    accuracy_text,
    dataset_name,
    duration,
    finite,
    interval_note,
    model_line,
    number,
    percent,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [(0.9734, 1, "97.3%"), (0.9734, 2, "97.34%"), (1, 1, "100.0%"), (np.float32(0.5), 2, "50.00%"),
     (None, 1, "–"), (float("nan"), 1, "–"), ("0.5", 1, "–"), (True, 1, "–")],
)  # fmt: skip
def test_percent(value, digits, text):
    assert percent(value, digits) == text


def test_number_and_finite():
    assert number(0.123456) == "0.1235" and number(0.5, 3) == "0.500"
    assert number(float("inf")) == number(None) == "–"
    assert finite(np.float64(1.0)) and not finite(float("nan")) and not finite(False)


@pytest.mark.parametrize(
    ("seconds", "words", "clock"),
    [(0.42, "0.4 s", "0:00"), (8.24, "8.2 s", "0:08"), (42.4, "42 s", "0:42"), (200, "3 min 20 s", "3:20"),
     (3725, "1 h 02 min", "62:05"), (-3, "0.0 s", "0:00"), (None, "?", "?"), (float("nan"), "?", "?")],
)  # fmt: skip
def test_duration_in_words_and_as_a_clock(seconds, words, clock):
    assert duration(seconds) == words
    assert duration(seconds, clock=True) == clock


def test_model_line_plain_and_as_escaped_rich_text():
    meta = {
        "arch": "mlp",
        "dataset": "folder:/data/<pets>",
        "classes": [str(i) for i in range(8)],
        "spec": {"channels": 1, "height": 28, "width": 28},
        "history": [{"val_acc": 0.5}, {"val_acc": 0.95}],
        "test": {"accuracy": 0.941},
        "preparation": "digit",
    }
    assert model_line(meta) == (
        "mlp · trained on folder /data/<pets> · 8 classes · input 1×28×28 · "
        "2 epochs, validation accuracy 95.0% · test accuracy 94.1%"
    )
    rich = model_line(meta, "a<b>.pt", results=False, classes_shown=6, preparation=True, html=True)
    assert rich == (
        "<b>a&lt;b&gt;.pt</b> · mlp · trained on folder /data/&lt;pets&gt; · "
        "8 classes (0, 1, 2, 3, 4, 5 … (+2)) · input 1×28×28 · digit framing"
    )
    assert model_line({}) == "? · 0 classes" and dataset_name(None) == "?"


def test_percent_in_spanish_has_a_decimal_comma(monkeypatch):
    """The CLI's and the report's percentages read as the Spanish window shows them."""
    monkeypatch.setattr(i18n, "_chosen", ["es"])
    assert percent(0.9734) == "97,3\u00a0%" and percent(None) == "–"
    monkeypatch.setattr(i18n, "_chosen", ["en"])
    assert percent(0.9734) == "97.3%"


def test_wilson_interval_of_known_counts():
    # 27 right of 37: the photo run of issue 28, 73.0 %; scipy's binomtest(...).proportion_ci("wilson").
    low, high = wilson_interval(27, 37)
    assert (round(low, 4), round(high, 4)) == (0.5702, 0.8460)
    # All right or all wrong still leaves room: 10 of 10 is not "certainly 100 %".
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert wilson_interval(10, 10) == (pytest.approx(0.7225, abs=1e-4), pytest.approx(1.0))


@pytest.mark.parametrize(("correct", "n"), [(27, 37), (1, 3), (95, 100), (500, 999), (0, 1)])
def test_wilson_interval_agrees_with_scipy(correct, n):
    stats = pytest.importorskip("scipy.stats", reason="scipy comes with scikit-learn")
    expected = stats.binomtest(correct, n).proportion_ci(method="wilson")
    assert wilson_interval(correct, n) == (pytest.approx(expected.low), pytest.approx(expected.high))


def test_a_small_test_set_shows_its_interval_and_a_large_one_its_decimals():
    assert accuracy_text(27 / 37, 37) == "73% (57–85%, 37 images)"
    assert accuracy_text(27 / 37, 37, images=False) == "73% (57–85%)"
    assert accuracy_text(0.9734, 10_000) == "97.3%" and accuracy_text(0.9734, None) == "97.3%"
    assert accuracy_text(None, 37) == "–"
    assert "37 test images" in interval_note(37) and interval_note(1000) == ""
    meta = {"arch": "cnn", "classes": ["ant", "bee"], "test": {"accuracy": 27 / 37, "n": 37}}
    assert model_line(meta).endswith("test accuracy 73% (57–85%, 37 images)")
    try:
        i18n.set_language("es")
        assert accuracy_text(27 / 37, 37) == "73\u00a0% (57–85\u00a0%, 37 imágenes)"
        assert "37 imágenes de prueba" in interval_note(37)
    finally:
        i18n.set_language(None)


def test_a_folder_dataset_is_named_in_the_user_s_language(monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", ["es"])
    assert dataset_name("folder:/data/pets") == "carpeta /data/pets" and dataset_name("digits") == "digits"
    monkeypatch.setattr(i18n, "_chosen", ["en"])
    assert dataset_name("folder:/data/pets") == "folder /data/pets"
