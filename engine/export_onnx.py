"""A trained model as an ONNX file other tools can run: ``taller export`` and File > Export model….

The file takes the *normalised* image batch ``input`` of shape ``(N, C, H, W)`` (N is dynamic) and
gives ``logits`` and ``probabilities`` (softmax) per class. How to get from pixels to ``input`` is in
the file's metadata, with the class names, so the file alone is enough to use the model:
``input = (pixels / 255 - mean) / std`` per channel.

Every export is checked at once: onnxruntime runs the file on a few real images (the model's own
test images when its dataset is on this machine, else seeded random pixels) and its probabilities
must match PyTorch's within ``TOLERANCE``, or the export fails with a message saying by how much.

onnx, onnxscript and onnxruntime are an optional extra (``pip install -e ".[export]"``); without them
the export says what to install.
"""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import tempfile
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine import evaluation
from engine.checkpoints import LoadedCheckpoint, atomic_write, load_checkpoint, save_checkpoint
from engine.data.registry import load_dataset
from engine.data.stream import LazyImages
from engine.data.transforms import normalise
from engine.data.types import InputSpec
from engine.errors import OnnxExportError, TallerError, os_reason
from engine.i18n import N_, _, gettext, ngettext
from engine.names import display_name

OPSET = 18
TOLERANCE = 1e-4  # max |probability difference| between onnxruntime and PyTorch
CHECK_IMAGES = 8
INPUT_NAME = "input"
OUTPUT_NAMES = ("logits", "probabilities")
PACKAGES = ("onnx", "onnxscript", "onnxruntime")
INSTALL_HINT = 'pip install -e ".[export]"  (or: pip install onnx onnxscript onnxruntime)'
EventCallback = Callable[[dict[str, Any]], None]
STEPS = (N_("Exporting to ONNX"), N_("Writing the metadata"), N_("Checking with onnxruntime"))


@dataclass
class OnnxExport:
    """What an export wrote and how well onnxruntime agreed with PyTorch."""

    path: Path
    max_difference: float  # max |Δ probability| over the checked images
    checked: int  # how many images were compared
    checked_on: str  # "test images of digits" or "random images"
    agreement: float  # share of checked images with the same top class


class _WithProbabilities(nn.Module):
    """The model plus the softmax, so the file gives probabilities as Taller shows them."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.model(x)
        return logits, torch.softmax(logits, dim=1)


def missing_packages() -> list[str]:
    """The export's optional packages that are not installed."""
    return [name for name in PACKAGES if importlib.util.find_spec(name) is None]


def require_packages() -> None:
    """Raise OnnxExportError naming what to install when an optional package is missing."""
    missing = missing_packages()
    if missing:
        raise OnnxExportError(
            ngettext(
                "ONNX export needs {missing}, which is not installed. "
                "Install the export extra: {install_hint}",
                "ONNX export needs {missing}, which are not installed. "
                "Install the export extra: {install_hint}",
                len(missing),
            ).format(missing=", ".join(missing), install_hint=INSTALL_HINT)
        )


def metadata(meta: dict[str, Any], spec: InputSpec) -> dict[str, str]:
    """The ONNX file's metadata_props: input, normalisation, classes and where the model came from."""
    return {
        "taller.format": "taller-onnx/1",
        "input_name": INPUT_NAME,
        "input_shape": json.dumps(["N", *spec.shape]),
        "input_layout": "NCHW float32, normalised: (pixels / 255 - mean) / std per channel",
        "normalisation_mean": json.dumps(list(spec.mean)),
        "normalisation_std": json.dumps(list(spec.std)),
        "pixel_scale": "1/255",
        "output_names": json.dumps(list(OUTPUT_NAMES)),
        "class_names": json.dumps([display_name(str(c)) for c in meta["classes"]]),
        "preparation": str(meta.get("preparation", "image")),
        "architecture": str(meta.get("arch", "")),
        "dataset": display_name(str(meta.get("dataset", ""))),
    }


def export_checkpoint(
    checkpoint: str | Path | LoadedCheckpoint,
    out: str | Path,
    images: torch.Tensor | None = None,
    on_event: EventCallback | None = None,
    stop: threading.Event | None = None,
) -> OnnxExport | None:
    """Export a checkpoint (a path or an opened one) to ``out`` and check it with onnxruntime.

    Parameters
    ----------
    checkpoint
        A Taller checkpoint file, or a ``LoadedCheckpoint``.
    out
        The ``.onnx`` file to write (atomically: a failed export leaves no file).
    images
        uint8 ``(N, C, H, W)`` images to check on; default: a few of the model's test images, or
        seeded random pixels when its dataset is not on this machine.
    on_event
        Receives "progress" events (``step``/``steps``) and "status" events with what is done now.
    stop
        Set to cancel between steps; returns None then.

    Raises
    ------
    OnnxExportError
        An optional package is missing, the exporter failed, or onnxruntime disagrees with PyTorch.
    """
    require_packages()
    loaded = checkpoint if isinstance(checkpoint, LoadedCheckpoint) else load_checkpoint(checkpoint)
    emit = on_event or (lambda e: None)
    out = Path(out)
    spec = loaded.spec
    checked_on = _("the images given")
    if images is None:
        images, checked_on = check_images(loaded.meta, spec)
    model = loaded.model.cpu().eval()
    for step, message in enumerate(map(gettext, STEPS), start=1):
        if stop is not None and stop.is_set():
            return None
        emit({"event": "status", "message": f"{message}…"})
        if step == 1:
            program = _export_program(model, spec)
        elif step == 2:
            _write(program, out, metadata(loaded.meta, spec))
        else:
            result = check_file(out, model, spec, images, checked_on)
        emit({"event": "progress", "step": step, "steps": len(STEPS), "message": message})
    return result


def check_images(meta: dict[str, Any], spec: InputSpec) -> tuple[torch.Tensor, str]:
    """A few of the model's test images, or seeded random pixels when its data cannot be loaded."""
    try:
        data = load_dataset(evaluation.data_config_for(meta))
        test = evaluation.model_test_split(data, meta)
        if len(test) and tuple(test.images.shape[1:]) == spec.shape:
            images = test.images[:CHECK_IMAGES]
            images = images.load() if isinstance(images, LazyImages) else images  # a streamed folder
            return images, _("test images of {name}").format(name=data.name)
    except TallerError:
        pass  # the dataset is not on this machine: random pixels still compare the two runtimes
    generator = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (CHECK_IMAGES, *spec.shape), generator=generator, dtype=torch.uint8)
    return pixels, _("random images")


def _export_program(model: nn.Module, spec: InputSpec):
    """torch.onnx's dynamo exporter with a dynamic batch; the ONNXProgram it returns."""
    # A batch of 2 at export and CHECK_IMAGES at the check: the check also proves the batch is dynamic.
    example = torch.zeros(2, *spec.shape)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes are for PyTorch developers
            return _export(_WithProbabilities(model).eval(), example)
    except Exception as e:  # noqa: BLE001 - the exporter raises many kinds; the user needs one message
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise OnnxExportError(
            _("the model could not be exported to ONNX: {first}").format(first=first)
        ) from e


def _export(model: nn.Module, example: torch.Tensor):
    """The dynamo exporter (the TorchScript one cannot export VGG-16's pooling on small images)."""
    return torch.onnx.export(
        model,
        (example,),
        input_names=[INPUT_NAME],
        output_names=list(OUTPUT_NAMES),
        opset_version=OPSET,
        dynamo=True,
        dynamic_shapes=({0: torch.export.Dim("batch")},),
        verbose=False,
    )


def _write(program, out: Path, props: dict[str, str]) -> None:
    """Add the metadata and write the file atomically."""
    import onnx  # optional: the export extra; require_packages() checked it is there

    proto = program.model_proto
    onnx.helper.set_model_props(proto, props)
    try:
        atomic_write(out, lambda tmp: onnx.save_model(proto, str(tmp)))
    except OSError as e:
        raise OnnxExportError(
            _("cannot write {out}: {e}; choose another place").format(out=out, e=os_reason(e))
        ) from e


def check_file(
    path: Path, model: nn.Module, spec: InputSpec, images: torch.Tensor, checked_on: str
) -> OnnxExport:
    """Run the file with onnxruntime on ``images`` and compare with PyTorch's probabilities."""
    import onnxruntime  # optional: the export extra; require_packages() checked it is there

    expected = evaluation.predict_probabilities(model, images, spec)
    # The file's bytes, not its name: onnxruntime cannot open a path that is not UTF-8 (Latin-1).
    session = onnxruntime.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
    x = normalise(images, spec).numpy().astype(np.float32)
    got = session.run(["probabilities"], {INPUT_NAME: x})[0]
    difference = float(np.abs(got - expected).max()) if len(images) else 0.0
    agreement = float((got.argmax(1) == expected.argmax(1)).mean()) if len(images) else 1.0
    if not difference < TOLERANCE:
        del session
        path.unlink(missing_ok=True)  # a file that answers differently must not be used by mistake
        raise OnnxExportError(
            _(
                "the ONNX export of this model does not match PyTorch: probabilities differ by up to "
                "{difference:.2g} on {n_images} {checked_on} (allowed {tolerance:g}), so no file was "
                "kept. Please report it with the model's architecture"
            ).format(difference=difference, n_images=len(images), checked_on=checked_on, tolerance=TOLERANCE)
        )
    return OnnxExport(path, difference, len(images), checked_on, agreement)


def read_metadata(path: str | Path) -> dict[str, str]:
    """The metadata_props of an ONNX file, as a dict (what ``metadata`` wrote)."""
    import onnx  # optional: the export extra

    model = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}


def export_in_child(
    loaded: LoadedCheckpoint, out: str | Path, stop: threading.Event | None = None, poll: float = 0.2
) -> OnnxExport | None:
    """``export_checkpoint`` in a fresh (spawned) process; None when ``stop`` is set first.

    The window calls this from a worker thread: torch.export's tracing, run in a thread of a process
    whose main thread runs Qt's event loop, was seen to stall for good; a process of its own cannot,
    and Stop can end it at once. The model goes over as a checkpoint in a temporary folder.
    """
    with tempfile.TemporaryDirectory(prefix="taller-export-") as tmp:
        checkpoint = save_checkpoint(Path(tmp) / "model.pt", loaded.model, loaded.meta)
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            pending = pool.apply_async(export_checkpoint, (str(checkpoint), str(out)))
            while not pending.ready():
                if stop is not None and stop.is_set():
                    pool.terminate()
                    return None
                pending.wait(poll)
            return pending.get()  # an OnnxExportError raised in the child is raised here
