"""Image files and pictures as the pixels they are meant to show: the one decoder.

The folder loader, the canvas and ``predict`` all go through ``open_image`` and
``standard_image`` (via ``engine.data.transforms.pil_to_array``), so a picture becomes the same
uint8 pixels wherever it comes from:

- 16- and 32-bit grey ("I;16", "I", "F") is scaled to 0..255, never clipped;
- palette, CMYK, YCbCr, LAB, HSV and 1-bit images become RGB or grey;
- transparency (LA, RGBA, PA, a palette's transparent colour) is laid on white;
- EXIF orientation (phone photos) is applied and animated images give their first frame;
- Pillow's decompression-bomb limit becomes a message instead of a crash.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.errors import InferenceError
from engine.i18n import _

# Modes read as one grey channel; everything else (palette included) as RGB.
GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
WHITE = (255, 255, 255, 255)


def to_unit(values: np.ndarray) -> np.ndarray:
    """Integer or float pixels as float32 in [0, 1], scaled by the range their type implies.

    Unsigned 8- and 16-bit integers by their type's range (a dim 16-bit picture, all values under 256, stays
    dim: 200/65535 is not 200/255); wider integers (Pillow's 32-bit "I", which holds 8- or 16-bit
    data from some readers) up to 255 as 8-bit, up to 65535 as 16-bit, larger ones by their maximum;
    floats up to 1 are already in [0, 1], larger ones are 8-bit values.
    """
    if values.dtype == bool:
        return values.astype(np.float32)
    if values.dtype.kind == "u" and values.dtype.itemsize <= 2:  # uint8, uint16 (Pillow's "I;16")
        top = float(np.iinfo(values.dtype).max)
    elif np.issubdtype(values.dtype, np.integer):
        peak = float(values.max()) if values.size else 0.0
        top = 255.0 if peak <= 255 else 65535.0 if peak <= 65535 else peak
    else:
        values = np.nan_to_num(values.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        top = 255.0 if values.size and float(values.max()) > 1.0 else 1.0
    return np.clip(values.astype(np.float32) / top, 0.0, 1.0)


def has_alpha(image: Image.Image) -> bool:
    """True when the picture carries transparency (an alpha band or a transparent colour)."""
    return "A" in image.getbands() or "a" in image.getbands() or "transparency" in image.info


def standard_image(image: Image.Image) -> Image.Image:
    """The picture as an 8-bit "L" (grey) or "RGB" image; transparency laid on white."""
    mode = image.mode
    if mode in ("L", "RGB"):
        return image
    if mode in ("I", "F") or mode.startswith("I;16"):
        grey = np.round(to_unit(np.asarray(image)) * 255.0).astype(np.uint8)
        return Image.fromarray(grey, "L")
    if has_alpha(image):
        flat = Image.alpha_composite(Image.new("RGBA", image.size, WHITE), image.convert("RGBA"))
        return flat.convert("L" if mode in GRAY_MODES else "RGB")
    return image.convert("L" if mode in GRAY_MODES else "RGB")


def open_image(path: str | Path, check: bool = True) -> Image.Image:
    """Open an image file fully: first frame, EXIF orientation applied, file closed on return.

    The mode is the file's own (``standard_image`` turns it into grey or RGB). ``check`` also
    verifies the file's chunks and checksums, which a plain decode would not notice.

    Raises
    ------
    InferenceError
        The file is missing, is not an image, is damaged or incomplete, or is larger than
        Pillow's decompression-bomb limit; the message starts with the path.
    """
    path = Path(path)
    if path.is_dir():
        raise InferenceError(
            _("{path}: a folder, not an image file; give the image files inside it").format(path=path)
        )
    if not path.is_file():
        raise InferenceError(_("{path}: no such image file").format(path=path))
    try:
        if check:
            with Image.open(path) as probe:
                probe.verify()
        with Image.open(path) as image:
            image.seek(0)  # an animated GIF/PNG/WebP is read as its first frame
            image.load()  # truncated pixel data shows only here
            return ImageOps.exif_transpose(image)  # a copy: usable after the file is closed
    except Image.DecompressionBombError as exc:
        raise InferenceError(
            _(
                "{path}: the image is too large to open safely (over {pixels} million pixels); use a smaller "
                "image"
            ).format(path=path, pixels=(Image.MAX_IMAGE_PIXELS or 0) * 2 // 1_000_000)
        ) from exc
    except UnidentifiedImageError as exc:
        raise InferenceError(
            # Pillow's own words repeat the path in English: say which formats would do instead.
            _("{path}: not a picture Taller can read (PNG, JPEG, BMP, GIF, TIFF or WebP)").format(path=path)
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise InferenceError(
            _("{path}: the image file is damaged or cut short; copy it again or leave it out").format(
                path=path
            )
        ) from exc
