"""Photos and scans (JPEG, PNG, TIFF, ...): upright by EXIF orientation, then OCR."""

from __future__ import annotations

import io
import struct
import warnings
from concurrent.futures import Future

from PIL import Image

from casebridge.engine.case import Document, Page
from casebridge.engine.ingest import limits, ocr


def read_image(doc: Document, data: bytes) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > limits.MAX_IMAGE_PIXELS:
                doc.needs_attention(
                    f"This picture is too large to read ({width} x {height} pixels): please "
                    "send a smaller copy"
                )
                return
            if not ocr.available():
                doc.needs_attention(
                    "Pictures cannot be read on this system because OCR (tesseract) is not "
                    "installed"
                )
                return
            frames = min(getattr(image, "n_frames", 1), limits.MAX_IMAGE_FRAMES)
            pending: list[Future[ocr.OcrResult]] = []
            with ocr.PagePool(size=min(frames, ocr.workers())) as pool:
                for frame in range(frames):
                    image.seek(frame)
                    prepared = ocr.prepare(image, photo=True)
                    pending.append(pool.submit(prepared, _dpi(image, prepared)))
                results = [future.result() for future in pending]
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        doc.needs_attention("This picture is too large to read: please send a smaller copy")
        return
    # Pillow's decoders also raise TypeError ("Missing dimensions": a TIFF without a width),
    # struct.error (a GIF cut short), KeyError and IndexError on malformed headers.
    except (
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        TypeError,
        KeyError,
        IndexError,
        struct.error,
    ):
        doc.needs_attention("This picture is damaged or incomplete and cannot be opened")
        return
    doc.pages = [
        Page(number, result.text, "ocr", ocr_confidence=result.confidence)
        for number, result in enumerate(results, start=1)
    ]
    if getattr(image, "n_frames", 1) > frames:
        doc.needs_attention(f"Only the first {frames} pages of this picture file were read")
    if any(result.failed for result in results):
        doc.needs_attention("Some pages of this picture could not be read")


def _dpi(original: Image.Image, prepared: Image.Image) -> int | None:
    """The resolution the picture declares, adjusted for any resizing; None if unknown."""
    dpi = original.info.get("dpi")
    try:
        value = float(dpi[0]) if isinstance(dpi, tuple) else 0.0
    except (TypeError, ValueError):
        return None
    if not 70 <= value <= 1200:
        return None
    scale = max(prepared.size) / max(max(original.size), 1)
    return round(value * scale)
