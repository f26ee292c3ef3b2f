"""The Training tab's words for where a run computes: the device, and on CUDA the memory in use.

The engine puts ``device`` (and on CUDA ``gpu_memory_mb``/``gpu_memory_peak_mb``, from
``torch.cuda.memory_allocated``) in each epoch_end event it sends; this turns them into the
status line, so a run close to the GPU's memory is seen before it runs out.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale


def device_name(device: str) -> str:
    """A user's name for a torch device string ("cuda:0" -> "GPU (CUDA)")."""
    kind = device.split(":", 1)[0]
    names = {
        "cpu": QCoreApplication.translate("DeviceStatus", "CPU"),
        "cuda": QCoreApplication.translate("DeviceStatus", "GPU (CUDA)"),
        "mps": QCoreApplication.translate("DeviceStatus", "Apple GPU (MPS)"),
    }
    return names.get(kind, device)


def device_status(event: dict[str, Any]) -> str:
    """ "Training on GPU (CUDA) · GPU memory in use: 812 MB (peak 1,204 MB)", or "" without a device."""
    device = event.get("device")
    if not device:
        return ""
    text = QCoreApplication.translate("DeviceStatus", "Training on {device}").format(
        device=device_name(device)
    )
    used = event.get("gpu_memory_mb")
    if used is not None:
        peak = event.get("gpu_memory_peak_mb", used)
        text += QCoreApplication.translate(
            "DeviceStatus", " · GPU memory in use: {used} MB (peak {peak} MB)"
        ).format(used=QLocale().toString(round(used)), peak=QLocale().toString(round(peak)))
    return text
