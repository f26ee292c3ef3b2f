"""What the report page says, as plain strings and rows; ``templates/report.html.j2`` lays it out.

Every value here is text a user reads (already formatted); the template escapes all of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine import settings
from engine.formatting import accuracy_text, dataset_name, duration, interval_note, number, percent
from engine.i18n import N_, _, gettext, language
from engine.report.advice import warning_text
from engine.report.charts import phase_markers

CLASSES_LISTED = 30
AVERAGE_NAMES = {"macro": N_("macro"), "weighted": N_("weighted")}


def page_context(
    meta: dict[str, Any],
    metrics: dict[str, Any] | None,
    figures: dict[str, str],
    thumbs: list[tuple[str, str]],
    evaluated_on: str | None = None,
) -> dict[str, Any]:
    """Everything the template needs, by section."""
    return {
        "lang": language(),
        "title": _("{arch} on {dataset}").format(
            arch=meta.get("arch", _("model")), dataset=dataset_name(meta.get("dataset"))
        ),
        "subtitle": _subtitle(meta, evaluated_on),
        "cards": _cards(meta, metrics),
        "warnings": [warning_text(w) for w in meta.get("warnings") or [] if isinstance(w, dict)],
        "accuracy_note": interval_note(metrics["n"]) if metrics is not None else "",
        "dataset_rows": _dataset_rows(meta, metrics, evaluated_on),
        "model_rows": _model_rows(meta),
        "frozen": [str(n) for n in _frozen(meta)],
        "hyper_rows": _hyper_rows(meta),
        "curves": figures.get("curves") if meta.get("history") else None,
        "markers": [label for _, label in phase_markers(list(meta.get("history") or []))],
        "kfold": _kfold(meta.get("kfold")),
        "filters": figures.get("filters"),
        "test": _test(metrics, figures, thumbs),
        "footer": _versions(meta),
    }


def _subtitle(meta: dict[str, Any], evaluated_on: str | None) -> str:
    parts = [_("created {created}").format(created=meta["created"]) if meta.get("created") else None]
    if meta.get("stopped"):
        parts.append(_("training was stopped early"))
    if evaluated_on:
        parts.append(_("tested on {dataset}").format(dataset=dataset_name(evaluated_on)))
    return " · ".join(p for p in parts if p) or _("Taller run")


def _cards(meta: dict[str, Any], metrics: dict[str, Any] | None) -> list[tuple[str, str]]:
    cards = []
    if metrics is not None:
        accuracy = accuracy_text(metrics["accuracy"], metrics["n"], images=False)  # with its interval
        cards.append((accuracy, _("test accuracy ({n} images)").format(n=metrics["n"])))
        cards.append((number(metrics["averages"]["macro"]["f1"], 3), _("macro F1")))
    kf = meta.get("kfold")
    if kf:
        spread = f"{percent(kf['val_acc_mean'])} ± {number(100 * kf['val_acc_std'], 1)}"
        cards.append((spread, _("{k}-fold validation accuracy").format(k=len(kf["folds"]))))
    if meta.get("total_params"):
        cards.append(
            (
                f"{meta.get('trainable_params', 0):,}",
                _("trainable of {total:,} parameters").format(total=meta["total_params"]),
            )
        )
    cards.append((str(len(meta.get("history") or [])), _("epochs run")))
    if meta.get("seconds") is not None:
        cards.append((duration(meta["seconds"]), _("wall time")))
    return cards


def _dataset_rows(meta: dict[str, Any], metrics, evaluated_on: str | None) -> list[tuple[str, str]]:
    data = meta.get("data_config") or {}
    spec = meta.get("spec") or {}
    classes = [str(c) for c in meta.get("classes") or []]
    listed = ", ".join(classes[:CLASSES_LISTED]) + (" …" if len(classes) > CLASSES_LISTED else "")
    norm = _("normalised with mean {mean} std {std}").format(mean=spec.get("mean"), std=spec.get("std"))
    shape = f"{spec.get('channels', '?')} × {spec.get('height', '?')} × {spec.get('width', '?')}"
    rows = [
        (_("dataset"), dataset_name(meta.get("dataset"))),
        (_("classes"), f"{len(classes)}: {listed}"),
        (_("input"), _("{shape} (channels × height × width), {norm}").format(shape=shape, norm=norm)),
    ]
    if data:
        split = _("{share}, split with seed {seed}").format(
            share=data.get("val_split"), seed=data.get("seed")
        )
        rows.append((_("validation share"), split))
        augment = _("random shifts and rotations") if data.get("augment") else _("none")
        rows.append((_("augmentation"), augment))
        if data.get("image_size"):
            rows.append((_("image size"), f"{data['image_size']} px"))
    if evaluated_on:
        rows.append((_("tested on"), dataset_name(evaluated_on)))
    if metrics is not None:
        rows.append((_("test images"), str(metrics["n"])))
    return rows


def _frozen(meta: dict[str, Any]) -> list[str]:
    return meta.get("frozen") or (meta.get("model_config") or {}).get("frozen") or []


def _model_rows(meta: dict[str, Any]) -> list[tuple[str, str]]:
    model = meta.get("model_config") or {}
    frozen = _frozen(meta)
    rows = [
        (_("architecture"), str(meta.get("arch", "?"))),
        (_("starting point"), _start(model)),
        (_("output classes"), str(len(meta.get("classes") or []))),
        (
            _("frozen layers"),
            (_("{n} (listed below)") if frozen else _("{n} (everything trains)")).format(n=len(frozen)),
        ),
        (
            _("parameters"),
            _("{trainable:,} trainable of {total:,}").format(
                trainable=meta.get("trainable_params", 0), total=meta.get("total_params", 0)
            ),
        ),
    ]
    if frozen:
        kept = model.get("freeze_bn_stats", True)
        rows.append(
            (
                _("BatchNorm in frozen layers"),
                _("statistics frozen") if kept else _("statistics keep updating"),
            )
        )
    return rows + _finetune_rows(meta.get("train_config") or {})


def _start(model: dict[str, Any]) -> str:
    if model.get("pretrained"):
        return _("ImageNet weights (transfer learning); new head")
    if model.get("init_checkpoint"):
        name = Path(str(model["init_checkpoint"])).name
        return _("own checkpoint {name}; head replaced where shapes differ").format(name=name)
    return _("random initialisation (trained from scratch)")


def _finetune_rows(train: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    if train.get("unfreeze_after"):
        what = ", ".join(train.get("unfreeze") or []) or _("all frozen layers")
        rows.append((
            _("two-phase fine-tuning"),
            _("after epoch {epoch} unfreeze {what}, learning rate × {factor}").format(
                epoch=train["unfreeze_after"], what=what, factor=train.get("finetune_lr_factor")
            ),
        ))  # fmt: skip
    if train.get("backbone_lr_factor", 1.0) != 1.0:
        factor = _("× {factor} of the head's").format(factor=train["backbone_lr_factor"])
        rows.append((_("backbone learning rate"), factor))
    return rows


def _kfold(kf: dict[str, Any] | None) -> dict[str, Any] | None:
    if not kf:
        return None
    rows = [
        [str(f.get("fold")), str(f.get("epochs_run", "")), percent(f.get("train_acc")),
         number(f.get("val_loss")), percent(f.get("val_acc"))]
        for f in kf["folds"]
    ]  # fmt: skip
    losses = np.array([_float(f.get("val_loss")) for f in kf["folds"]])
    mean_loss = float(np.nanmean(losses)) if np.isfinite(losses).any() else float("nan")
    spread = f"{percent(kf['val_acc_mean'])} ± {number(100 * kf['val_acc_std'], 2)}"
    return {"n": len(kf["folds"]), "rows": rows, "mean": [_("mean ± std"), "", "", number(mean_loss), spread]}


def _test(metrics: dict[str, Any] | None, figures: dict[str, str], thumbs) -> dict[str, Any] | None:
    if metrics is None:
        return None
    scores = [[str(r["class"]), *_scores(r)] for r in metrics["per_class"]] + [
        [_("{name} avg").format(name=gettext(AVERAGE_NAMES.get(name, name))), *_scores(r)]
        for name, r in metrics["averages"].items()
    ]
    return {
        "confusion": figures.get("confusion"),
        "per_class_chart": figures.get("per_class"),
        "class_rows": scores[: len(metrics["per_class"])],
        "average_rows": scores[len(metrics["per_class"]) :]
        + [[_("accuracy"), "", "", number(metrics["accuracy"], 3), str(metrics["n"])]],
        "confused": [
            {"true": str(p["true"]), "predicted": str(p["predicted"]), "count": int(p["count"])}
            for p in metrics.get("most_confused") or []
        ],
        "thumbs": thumbs,
    }


def _scores(r: dict[str, Any]) -> list[str]:
    return [number(r["precision"], 3), number(r["recall"], 3), number(r["f1"], 3), str(r["support"])]


def _versions(meta: dict[str, Any]) -> str:
    libs = ", ".join(f"{k} {v}" for k, v in (meta.get("versions") or {}).items())
    return _("Written by Taller") + (f" · {libs}" if libs else "")


def _hyper_rows(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """The settings the run used, named as the table names them (no momentum for Adam, ...)."""
    values = settings.run_values({c: meta.get(f"{c}_config") for c in settings.CONFIGS})
    return [(gettext(s.label), _value(values[s.name])) for s in settings.used_in_run(values)]


def _value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v) or "–"
    return "–" if v is None else str(v)


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")
