"""Predictions of a trained model on user images: the drawing canvas and ``main.py predict``.

Images are prepared by ``engine.data.prepare`` (the same code for both) and run through the same
eval/normalise/softmax path as the test split (``engine.evaluation.predict_probabilities``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from engine import evaluation
from engine.checkpoints import load_checkpoint
from engine.data.prepare import PREPARATIONS, load_image, prepare
from engine.data.types import InputSpec
from engine.errors import InferenceError
from engine.i18n import _
from engine.saliency import saliency


@dataclass
class Prediction:
    """What the model said about one image.

    ``probabilities`` has one entry per class, ``top`` the best classes as ``(name, probability)``
    sorted from most likely, ``input`` the uint8 ``(C, H, W)`` array the model saw.
    """

    probabilities: np.ndarray
    top: list[tuple[str, float]]
    input: np.ndarray


def _check_batch(images: torch.Tensor, spec: InputSpec) -> None:
    if images.ndim != 4 or tuple(images.shape[1:]) != spec.shape:
        raise InferenceError(
            _("images have shape {shape}; the model expects (N, C, H, W) = (N, *{expected})").format(
                shape=tuple(images.shape), expected=spec.shape
            )
        )


def _device(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def predict_probabilities(model: nn.Module, spec: InputSpec, images: torch.Tensor) -> np.ndarray:
    """Class probabilities for uint8 ``(N, C, H, W)`` images; float ``(N, K)``, rows sum to 1.

    The model is used in eval mode and left in the mode it was in.
    """
    _check_batch(images, spec)
    return evaluation.predict_probabilities(model, images, spec, device=_device(model))


class Predictor:
    """A trained model with the metadata needed to prepare inputs and name its classes.

    ``meta`` is a checkpoint's metadata: "classes" (list of names), "spec" (``InputSpec.to_dict()``),
    "preparation" ("digit" or "image") and "arch".
    """

    def __init__(self, model: nn.Module, meta: dict[str, Any]):
        try:
            self.classes = [str(c) for c in meta["classes"]]
            self.spec = InputSpec.from_dict(meta["spec"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InferenceError(
                _("the model's metadata is incomplete or invalid ({exc})").format(exc=exc)
            ) from exc
        self.preparation = str(meta.get("preparation", "image"))
        if self.preparation not in PREPARATIONS:
            raise InferenceError(
                _("the model's metadata has an unknown preparation {preparation!r}").format(
                    preparation=self.preparation
                )
            )
        self.model = model.eval()
        self.meta = meta

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> Predictor:
        """Load a checkpoint saved by Taller (raises ``CheckpointError`` if it cannot)."""
        loaded = load_checkpoint(path)
        return cls(loaded.model, loaded.meta)

    def predict(self, image: Image.Image | np.ndarray | str | Path, top_k: int | None = None) -> Prediction:
        """Prepare one picture (or image file) as in training and return the model's verdict.

        ``top`` lists the ``top_k`` most likely classes (all of them by default), most likely first.
        """
        if isinstance(image, (str, Path)):
            image = load_image(image)
        x = prepare(image, self.spec, self.preparation)
        probs = predict_probabilities(self.model, self.spec, x[None])[0]
        if probs.shape[0] != len(self.classes):
            raise InferenceError(
                _("the model gives {shape} scores but its metadata names {n_classes} classes").format(
                    shape=probs.shape[0], n_classes=len(self.classes)
                )
            )
        order = np.argsort(-probs, kind="stable")[: len(probs) if top_k is None else max(1, top_k)]
        top = [(self.classes[i], float(probs[i])) for i in order]
        return Prediction(probabilities=probs, top=top, input=x.numpy())

    def saliency(self, model_input: np.ndarray, target: int | None = None) -> np.ndarray:
        """Which pixels of ``model_input`` (a ``Prediction.input``) drove the answer, ``(H, W)`` in [0, 1].

        A class activation map at the layer the registry names for the model's architecture
        (``engine.saliency``).
        """
        return saliency(self.model, self.spec, model_input, target, arch=self.meta.get("arch"))
