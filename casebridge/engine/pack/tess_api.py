"""Tesseract kept loaded for the pack's readings (tesserocr, Tesseract's Python
binding): one engine a thread and a language set, reused page after page.

Why: the pack reads each picture page twice (find the identifiers, then check
the blacked-out image). As a `tesseract` process each reading loads the models
and the orientation detector again: ~0.3 s a page, two thirds of it loading.
Loaded once, a reading of the same page takes ~0.1 s, and tesserocr releases
the GIL while Tesseract works, so the pack's threads read on every core.

Same settings as the command: automatic page segmentation with orientation and
script detection (--psm 1), the page's resolution, OMP_THREAD_LIMIT=1 (one core
a reading: the pages are read in parallel). Without tesserocr, or without the
language models where the Debian packages put them, `read` returns None and
words.ocr_words runs the command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from functools import cache
from typing import Any

from PIL import Image

from casebridge.engine.ingest import limits

# the models' folder, as the installed `tesseract` reports it
_LANGS_FOLDER = re.compile(r'"([^"]+)"')

_local = threading.local()


@cache
def tessdata() -> str | None:
    """The folder of the installed language models (Debian's tesseract-ocr-*)."""
    exe = shutil.which("tesseract")
    if exe is None:
        return None
    try:
        done = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = _LANGS_FOLDER.search(done.stdout + done.stderr)
    return found.group(1) if found and os.path.isdir(found.group(1)) else None


@cache
def _module() -> Any:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # before the library starts OpenMP
    try:
        import tesserocr
    except ImportError:
        return None
    return tesserocr


def _engine(languages: str) -> Any:
    """This thread's engine for `languages`, loaded on first use."""
    engines: dict[str, Any] = getattr(_local, "engines", None) or {}
    _local.engines = engines
    if languages not in engines:
        tesserocr, folder = _module(), tessdata()
        if tesserocr is None or folder is None:
            engines[languages] = None
        else:
            try:
                engines[languages] = tesserocr.PyTessBaseAPI(
                    path=folder.rstrip("/") + "/", lang=languages, psm=tesserocr.PSM.AUTO_OSD
                )
            except RuntimeError:  # a language model missing
                engines[languages] = None
    return engines[languages]


# (text, (left, top, right, bottom), confidence, (block, paragraph, line))
Reading = list[tuple[str, tuple[float, float, float, float], float, tuple[int, int, int]]]


def read(image: Image.Image, languages: str, dpi: int) -> Reading | None:
    """The words Tesseract reads on `image`, in reading order, with their boxes
    (this image's pixels, upright or not), confidences and line; None when the
    engine cannot be had or the reading failed or ran out of time."""
    api = _engine(languages)
    if api is None:
        return None
    tesserocr = _module()
    ril = tesserocr.RIL
    api.SetImage(image.convert("L"))
    api.SetSourceResolution(dpi)
    try:
        if not api.Recognize(timeout=limits.OCR_TIMEOUT_SECONDS * 1000):
            return None
    except RuntimeError:
        return None
    words: Reading = []
    block = paragraph = line = 0
    iterator = api.GetIterator()
    if iterator is None:
        return words
    while True:
        if iterator.IsAtBeginningOf(ril.BLOCK):
            block, paragraph, line = block + 1, 0, 0
        if iterator.IsAtBeginningOf(ril.PARA):
            paragraph, line = paragraph + 1, 0
        if iterator.IsAtBeginningOf(ril.TEXTLINE):
            line += 1
        try:
            text = (iterator.GetUTF8Text(ril.WORD) or "").strip()
        except RuntimeError:  # tesserocr's "No text returned": an empty element
            text = ""
        box = iterator.BoundingBox(ril.WORD)
        if text and box is not None:
            left, top, right, bottom = (float(v) for v in box)
            words.append(
                (
                    text,
                    (left, top, right, bottom),
                    iterator.Confidence(ril.WORD),
                    (block, paragraph, line),
                )
            )
        if not iterator.Next(ril.WORD):
            break
    api.Clear()  # the image is not kept between pages
    return words
