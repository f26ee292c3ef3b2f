"""The numeric precision and memory layout a run computes in, on the CPU and on a GPU.

One place decides both, so training, validation and evaluation agree:

- ``auto`` (the default) uses bfloat16 autocast on a CPU that runs it natively (AVX-512 BF16 or
  AMX on x86, the BF16 extension on Arm), float16 autocast with a ``GradScaler`` on CUDA, and
  float32 everywhere else (older CPUs, Apple's MPS).
- ``fp32`` turns mixed precision off; ``bf16`` and ``fp16`` ask for it explicitly.
- Convolutional models run in channels-last (NHWC) layout whenever mixed precision is on: that
  is what oneDNN's and cuDNN's fast bfloat16/float16 kernels are written for. ``auto`` keeps them
  in channels-last on an x86 CPU without bfloat16 too: oneDNN's float32 convolutions measured
  1.1-1.6x faster in it on an AVX2 CPU, and not slower on an AMX one. ``fp32`` is the plain NCHW
  float32 of earlier versions.

Only activations are lower precision: the weights, their gradients, the optimizer state, the loss
and the metrics stay float32 (``torch.autocast``), so saved checkpoints hold float32 weights.
Native bfloat16 support is read from the CPU's feature flags (CPUID, via PyTorch's cpuinfo),
never guessed from the CPU's model name.
"""

from __future__ import annotations

import contextlib
import platform
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from engine.i18n import _
from engine.settings import PRECISIONS

PRECISION_LABELS = {
    "auto": "Automatic",
    "fp32": "Float32 (off)",
    "bf16": "BFloat16 mixed",
    "fp16": "Float16 mixed (GPU)",
}
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def is_x86() -> bool:
    """Whether this is an x86 CPU (Intel or AMD), where oneDNN's layout measurements were made."""
    return platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (so autocast to it is faster, not emulated).

    x86: AVX-512 BF16 or AMX tiles (Cooper Lake, Sapphire Rapids and later Xeons, Zen 4 and later).
    oneDNN also runs bfloat16 on plain AVX-512 by converting, which is slower than float32, so
    ``torch.backends.cpu.get_cpu_capability()`` (which says only "AVX512") is not enough.
    Arm: oneDNN's bfloat16 check there requires the BF16 instructions (Neoverse V1/N2, Graviton 3).
    """
    if is_x86():
        flags = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in flags)
    if platform.machine().lower() in ("aarch64", "arm64"):
        check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
        return bool(check()) if check is not None and torch.backends.mkldnn.is_available() else False
    return False


def cuda_has_bf16() -> bool:
    """Whether the current CUDA GPU computes bfloat16 natively (Ampere and later)."""
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)


def is_convolutional(model: nn.Module) -> bool:
    """Whether ``model`` has 2-D convolutions, the layers channels-last layout speeds up."""
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


def _relayout(model: nn.Module, memory_format: torch.memory_format) -> None:
    # Copies made inside inference_mode (evaluation runs in it) would be inference tensors, and the
    # model kept them for good: every later backward pass (Grad-CAM on the model just trained,
    # fine-tuning it further) would fail with "Inference tensors cannot be saved for backward".
    with torch.inference_mode(False):
        model.to(memory_format=memory_format)


@dataclass(frozen=True)
class Precision:
    """A resolved precision: what autocast does, the layout, and whether gradients are scaled.

    ``name`` is "fp32", "bf16" or "fp16" (never "auto"); ``channels_last`` applies to
    convolutional models only (see ``layout``).
    """

    name: str = "fp32"
    device_type: str = "cpu"
    channels_last: bool = False

    @property
    def dtype(self) -> torch.dtype | None:
        """The autocast dtype, None for plain float32."""
        return DTYPES.get(self.name)

    @property
    def mixed(self) -> bool:
        return self.dtype is not None

    def autocast(self) -> contextlib.AbstractContextManager:
        """The context a forward pass runs in (a no-op for float32)."""
        if not self.mixed:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def scaler(self) -> torch.amp.GradScaler | None:
        """A GradScaler for float16 on CUDA (its narrow range underflows small gradients), else None.

        bfloat16 has float32's exponent range and needs no scaling.
        """
        if self.name == "fp16" and self.device_type == "cuda":
            return torch.amp.GradScaler("cuda")
        return None

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """A batch in the layout the model's weights are in."""
        if self.channels_last and x.ndim == 4:
            return x.contiguous(memory_format=torch.channels_last)
        return x

    @contextlib.contextmanager
    def layout(self, model: nn.Module) -> Iterator[nn.Module]:
        """Hold a convolutional model's weights in channels-last inside the block, then contiguous.

        The parameters stay the same objects (``Module.to`` replaces their ``.data``), so an
        optimizer built inside or outside the block keeps working. Contiguous weights afterwards
        keep the canvas, saliency and saved files exactly as a float32 run leaves them. The weights
        stay ordinary tensors even when the caller is in ``torch.inference_mode``.
        """
        if not (self.channels_last and is_convolutional(model)):
            yield model
            return
        _relayout(model, torch.channels_last)
        try:
            yield model
        finally:
            _relayout(model, torch.contiguous_format)

    def describe(self) -> str:
        """A few words for status lines: "bfloat16 mixed precision, channels-last"."""
        mixed = {"bf16": _("bfloat16 mixed precision"), "fp16": _("float16 mixed precision")}
        words = {"fp32": "float32", **mixed}
        return words[self.name] + (_(", channels-last") if self.channels_last else "")


FP32 = Precision()


def resolve(choice: str, device: torch.device | str, convolutional: bool = True) -> Precision:
    """The precision ``choice`` ("auto", "fp32", "bf16", "fp16") means on ``device``.

    ``auto`` never picks a precision the hardware only emulates, nor bfloat16 on a CPU for a model
    without convolutions (``convolutional=False``): an MLP's small matrix products measured 1.5-2x
    slower in bfloat16 autocast than in float32 here, the casts costing more than they save.
    An explicit choice the device cannot run at all (float16 autocast on a CPU, bfloat16 on a GPU
    without it) falls back to the automatic one rather than failing a long run: ``describe()``
    tells what was used.
    """
    if choice not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {choice!r}")
    kind = torch.device(device).type
    if kind == "cpu":
        if choice in ("fp32", "bf16"):
            return Precision(name=choice, device_type=kind, channels_last=choice == "bf16")
        # auto, and fp16, whose autocast runs on GPUs only. Arm's float32 convolutions were never
        # measured in channels-last here: only x86 gets that layout without bfloat16.
        native = convolutional and cpu_has_native_bf16()
        layout = native or (convolutional and is_x86())
        return Precision(name="bf16" if native else "fp32", device_type=kind, channels_last=layout)
    if kind == "cuda":
        name = {"auto": "fp16", "bf16": "bf16" if cuda_has_bf16() else "fp16"}.get(choice, choice)
    else:  # MPS and others: autocast support varies by PyTorch version; float32 is always right
        name = "fp32"
    return Precision(name=name, device_type=kind, channels_last=name != "fp32")


def saved_layout(meta: dict[str, Any]) -> bool:
    """Whether a saved run computed in channels-last (``meta["channels_last"]``).

    Runs saved before the layout was recorded used it exactly when they used autocast.
    """
    return bool(meta.get("channels_last", meta.get("precision") in DTYPES))


def of_run(meta: dict[str, Any], device: torch.device | str) -> Precision:
    """The precision and layout a saved run computed in, to test it again exactly as it was tested.

    Checkpoints older than mixed precision say nothing (float32).
    """
    saved = meta.get("precision")
    chosen = resolve(saved if saved in PRECISIONS else "fp32", device)
    return replace(chosen, channels_last=saved_layout(meta))
