"""What the report page says, as plain strings and rows; ``templates/report.html.j2`` lays it out.

Every value here is text a user reads (already formatted); the template escapes all of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.formatting import dataset_name, duration, number, percent
from engine.report.charts import phase_markers

CLASSES_LISTED = 30


def page_context(
    meta: dict[str, Any],
    metrics: dict[str, Any] | None,
    figures: dict[str, str],
    thumbs: list[tuple[str, str]],
    evaluated_on: str | None = None,
) -> dict[str, Any]:
    """Everything the template needs, by section."""
    return {
        "title": f"{meta.get('arch', 'model')} on {dataset_name(meta.get('dataset'))}",
        "subtitle": _subtitle(meta, evaluated_on),
        "cards": _cards(meta, metrics),
        "dataset_rows": _dataset_rows(meta, metrics, evaluated_on),
        "model_rows": _model_rows(meta),
        "frozen": [str(n) for n in _frozen(meta)],
        "hyper_rows": [(k.replace("_", " "), _value(v)) for k, v in (meta.get("train_config") or {}).items()],
        "curves": figures.get("curves") if meta.get("history") else None,
        "markers": [label for _, label in phase_markers(list(meta.get("history") or []))],
        "kfold": _kfold(meta.get("kfold")),
        "test": _test(metrics, figures, thumbs),
        "footer": _versions(meta),
    }


def _subtitle(meta: dict[str, Any], evaluated_on: str | None) -> str:
    parts = [f"created {meta['created']}" if meta.get("created") else None]
    if meta.get("stopped"):
        parts.append("training was stopped early")
    if evaluated_on:
        parts.append(f"tested on {dataset_name(evaluated_on)}")
    return " · ".join(p for p in parts if p) or "Taller run"


def _cards(meta: dict[str, Any], metrics: dict[str, Any] | None) -> list[tuple[str, str]]:
    cards = []
    if metrics is not None:
        cards.append((percent(metrics["accuracy"]), f"test accuracy ({metrics['n']} images)"))
        cards.append((number(metrics["averages"]["macro"]["f1"], 3), "macro F1"))
    kf = meta.get("kfold")
    if kf:
        spread = f"{percent(kf['val_acc_mean'])} ± {number(100 * kf['val_acc_std'], 1)}"
        cards.append((spread, f"{len(kf['folds'])}-fold validation accuracy"))
    if meta.get("total_params"):
        cards.append(
            (f"{meta.get('trainable_params', 0):,}", f"trainable of {meta['total_params']:,} parameters")
        )
    cards.append((str(len(meta.get("history") or [])), "epochs run"))
    if meta.get("seconds") is not None:
        cards.append((duration(meta["seconds"]), "wall time"))
    return cards


def _dataset_rows(meta: dict[str, Any], metrics, evaluated_on: str | None) -> list[tuple[str, str]]:
    data = meta.get("data_config") or {}
    spec = meta.get("spec") or {}
    classes = [str(c) for c in meta.get("classes") or []]
    listed = ", ".join(classes[:CLASSES_LISTED]) + (" …" if len(classes) > CLASSES_LISTED else "")
    norm = f"normalised with mean {spec.get('mean')} std {spec.get('std')}"
    shape = f"{spec.get('channels', '?')} × {spec.get('height', '?')} × {spec.get('width', '?')}"
    rows = [
        ("dataset", dataset_name(meta.get("dataset"))),
        ("classes", f"{len(classes)}: {listed}"),
        ("input", f"{shape} (channels × height × width), {norm}"),
    ]
    if data:
        rows.append(("validation share", f"{data.get('val_split')}, split with seed {data.get('seed')}"))
        rows.append(("augmentation", "random shifts and rotations" if data.get("augment") else "none"))
        if data.get("image_size"):
            rows.append(("image size", f"{data['image_size']} px"))
    if evaluated_on:
        rows.append(("tested on", dataset_name(evaluated_on)))
    if metrics is not None:
        rows.append(("test images", str(metrics["n"])))
    return rows


def _frozen(meta: dict[str, Any]) -> list[str]:
    return meta.get("frozen") or (meta.get("model_config") or {}).get("frozen") or []


def _model_rows(meta: dict[str, Any]) -> list[tuple[str, str]]:
    model = meta.get("model_config") or {}
    frozen = _frozen(meta)
    rows = [
        ("architecture", str(meta.get("arch", "?"))),
        ("starting point", _start(model)),
        ("output classes", str(len(meta.get("classes") or []))),
        ("frozen layers", f"{len(frozen)}" + (" (listed below)" if frozen else " (everything trains)")),
        ("parameters", f"{meta.get('trainable_params', 0):,} trainable of {meta.get('total_params', 0):,}"),
    ]
    if frozen:
        kept = model.get("freeze_bn_stats", True)
        rows.append(
            ("BatchNorm in frozen layers", "statistics frozen" if kept else "statistics keep updating")
        )
    return rows + _finetune_rows(meta.get("train_config") or {})


def _start(model: dict[str, Any]) -> str:
    if model.get("pretrained"):
        return "ImageNet weights (transfer learning); new head"
    if model.get("init_checkpoint"):
        name = Path(str(model["init_checkpoint"])).name
        return f"own checkpoint {name}; head replaced where shapes differ"
    return "random initialisation (trained from scratch)"


def _finetune_rows(train: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    if train.get("unfreeze_after"):
        what = ", ".join(train.get("unfreeze") or []) or "all frozen layers"
        rows.append((
            "two-phase fine-tuning",
            f"after epoch {train['unfreeze_after']} unfreeze {what}, "
            f"learning rate × {train.get('finetune_lr_factor')}",
        ))  # fmt: skip
    if train.get("backbone_lr_factor", 1.0) != 1.0:
        rows.append(("backbone learning rate", f"× {train['backbone_lr_factor']} of the head's"))
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
    return {"n": len(kf["folds"]), "rows": rows, "mean": ["mean ± std", "", "", number(mean_loss), spread]}


def _test(metrics: dict[str, Any] | None, figures: dict[str, str], thumbs) -> dict[str, Any] | None:
    if metrics is None:
        return None
    scores = [[str(r["class"]), *_scores(r)] for r in metrics["per_class"]] + [
        [f"{name} avg", *_scores(r)] for name, r in metrics["averages"].items()
    ]
    return {
        "confusion": figures.get("confusion"),
        "per_class_chart": figures.get("per_class"),
        "class_rows": scores[: len(metrics["per_class"])],
        "average_rows": scores[len(metrics["per_class"]) :]
        + [["accuracy", "", "", number(metrics["accuracy"], 3), str(metrics["n"])]],
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
    return "Written by Taller" + (f" · {libs}" if libs else "")


def _value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v) or "–"
    return "–" if v is None else str(v)


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")
