"""The course's usual questions as ready-made variants, and variants of any setting of the one table.

``expand(preset, arch)`` gives a preset's variants, each with a short name in the user's language that
the user may edit; ``setting_variants(name, values)`` one variant per value of any setting of
``engine.settings`` (values may be typed text: ``"0.01"``, ``"yes"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from engine.compare.plan import START, Variant
from engine.errors import ConfigError
from engine.formatting import short
from engine.i18n import N_, _, gettext
from engine.models import registry as architectures
from engine.settings import BY_NAME, OPTIMIZERS, Setting

PRESETS = {
    "scratch-frozen-finetune": N_("From scratch vs. frozen (transfer) vs. fine-tuned"),
    "architectures": N_("Every architecture"),
    "learning-rates": N_("Learning rates"),
    "optimizers": N_("Optimizers"),
    "augmentation": N_("With and without augmentation"),
}
LEARNING_RATES = (1e-4, 1e-3, 1e-2)
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "on", "1", "sí", "si"), ("false", "no", "off", "0")


def preset_label(key: str) -> str:
    """A preset as the user reads it."""
    return gettext(PRESETS[key])


def expand(preset: str, base_model_arch: str, values: Sequence[Any] | None = None) -> list[Variant]:
    """The variants of ``preset`` for a base run of ``base_model_arch``.

    ``values``: the learning rates (numbers, or one ``"LOW:HIGH:COUNT"`` log range), architectures
    or optimizers to try; each preset has its own default.

    Raises
    ------
    ConfigError
        An unknown preset, a value it cannot take, or a model without ImageNet weights for
        ``scratch-frozen-finetune``.
    """
    if preset not in PRESETS:
        raise ConfigError(
            _("unknown comparison {preset!r}; choose one of {choices}").format(
                preset=preset, choices=", ".join(PRESETS)
            )
        )
    if preset == "scratch-frozen-finetune":
        if not architectures.supports_pretrained(base_model_arch):
            raise ConfigError(
                _(
                    "{model} has no ImageNet weights, so it cannot start frozen or fine-tuned; "
                    "choose {models}"
                ).format(
                    model=architectures.label(base_model_arch), models=architectures.pretrainable_labels()
                )
            )
        return [
            Variant(_("from scratch"), {START: "scratch"}),
            Variant(_("frozen"), {START: "frozen"}),
            Variant(_("fine-tuned"), {START: "finetune"}),
        ]
    if preset == "architectures":
        return setting_variants("arch", values or architectures.keys())
    if preset == "learning-rates":
        return setting_variants("lr", learning_rates(values))
    if preset == "optimizers":  # "adam", "sgd": the setting's name would only repeat the preset's
        return [
            Variant(v.changes["optimizer"], v.changes)
            for v in setting_variants("optimizer", values or OPTIMIZERS)
        ]
    return [
        Variant(_("without augmentation"), {"augment": False}),
        Variant(_("with augmentation"), {"augment": True}),
    ]


def learning_rates(values: Sequence[Any] | None) -> list[float]:
    """Learning rates from numbers, or from one ``"LOW:HIGH:COUNT"`` (COUNT rates evenly spaced in log)."""
    if not values:
        return list(LEARNING_RATES)
    if len(values) == 1 and isinstance(values[0], str) and values[0].count(":") == 2:
        low, high, count = values[0].split(":")
        try:
            return log_range(float(low), float(high), int(count))
        except ValueError as e:
            raise ConfigError(
                _("a range of learning rates is LOW:HIGH:COUNT, such as 1e-4:1e-1:4, not {text!r}").format(
                    text=values[0]
                )
            ) from e
    return [_number(BY_NAME["lr"], v) for v in values]


def log_range(low: float, high: float, count: int) -> list[float]:
    """``count`` numbers from ``low`` to ``high``, evenly spaced on a log scale (3 significant digits)."""
    if not (0 < low < high and 2 <= count <= 20):
        raise ConfigError(
            _("a log range needs 0 < LOW < HIGH and 2 to 20 values, not {low}:{high}:{count}").format(
                low=low, high=high, count=count
            )
        )
    step = (math.log10(high) - math.log10(low)) / (count - 1)
    return [float(f"{10 ** (math.log10(low) + i * step):.3g}") for i in range(count)]


def setting_variants(setting_name: str, values: Sequence[Any]) -> list[Variant]:
    """One variant per value of the setting ``setting_name`` (repeated values once), named after it.

    Raises
    ------
    ConfigError
        Not a setting of the table, no value, or a value the setting refuses.
    """
    setting = BY_NAME.get(setting_name)
    if setting is None or setting_name == "seed":
        raise ConfigError(
            _("{name!r} is not a setting a comparison can vary; use one of {choices}").format(
                name=setting_name, choices=", ".join(k for k in BY_NAME if k != "seed")
            )
        )
    parsed = list(dict.fromkeys(_parse(setting, v) for v in values))
    if not parsed:
        raise ConfigError(_("give {name} at least one value to try").format(name=gettext(setting.label)))
    return [Variant(variant_name(setting, v), {setting.name: _plain(v)}) for v in parsed]


def variant_name(setting: Setting, value: Any) -> str:
    """A short name for a variant that sets ``setting`` to ``value``: ``lr 0.01``, ``ResNet-18``."""
    if setting.name == "arch":
        return architectures.label(value)
    if setting.type is bool:
        return (
            _("{setting} on").format(setting=gettext(setting.label))
            if value
            else _("{setting} off").format(setting=gettext(setting.label))
        )
    if setting.name == "lr":
        return f"lr {short(value, 3)}"
    if setting.type is tuple:
        value = " ".join(value) or "–"
    elif setting.type is float:
        value = short(value, 3)
    return f"{gettext(setting.label)} {value}"


def _parse(setting: Setting, value: Any) -> Any:
    """``value`` (typed text or a value) as the setting's type, checked against the table."""
    if setting.type is bool:
        parsed = _boolean(setting, value)
    elif setting.type is tuple:
        parsed = tuple(value.split(",")) if isinstance(value, str) else tuple(value)
    elif setting.type in (int, float):
        parsed = _number(setting, value)
    else:
        parsed = None if value in (None, "") and setting.default is None else setting.type(value)
    problem = setting.check(parsed)
    if problem:
        raise ConfigError(problem)
    return parsed


def _number(setting: Setting, value: Any) -> float | int:
    try:
        number = setting.type(value)
        if setting.type is int and isinstance(value, float) and value != int(value):
            raise ValueError(value)
    except (TypeError, ValueError) as e:
        kind = _("a whole number") if setting.type is int else _("a number")
        raise ConfigError(
            _("{name} must be {kind}, not {value!r}").format(
                name=gettext(setting.label), kind=kind, value=value
            )
        ) from e
    problem = setting.check(number)
    if problem:
        raise ConfigError(problem)
    return number


def _boolean(setting: Setting, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS or text in FALSE_WORDS:
        return text in TRUE_WORDS
    raise ConfigError(
        _("{name} is on or off (yes or no), not {value!r}").format(name=gettext(setting.label), value=value)
    )


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
