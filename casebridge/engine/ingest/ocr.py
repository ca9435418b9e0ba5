"""OCR with the Tesseract command-line program.

Each page is one `tesseract` process with OMP_THREAD_LIMIT=1, and the pages of
a document run in a thread pool as wide as the machine, so every core reads a
page at a time. Every page is read in English first (fast); a page that reads
badly is checked for orientation and script (tesseract's OSD) and read again,
turned upright and/or with the Chinese model, keeping the most confident result.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from casebridge.engine.ingest import limits


class OcrUnavailable(RuntimeError):
    """The tesseract program is not installed."""


@dataclass
class OcrResult:
    text: str
    confidence: float  # 0..1: mean word confidence, weighted by word length; 0 with no words
    words: int
    languages: str  # tesseract -l value that gave this text
    rotated: int = 0  # degrees clockwise the image was turned before reading
    failed: str = ""  # a plain-language reason when tesseract itself failed


@dataclass
class OcrHint:
    """Shared by the pages of one document: once a page reads as Chinese, the
    following pages start with the Chinese model."""

    chinese: bool = False


def workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def available() -> bool:
    return shutil.which("tesseract") is not None


# -- images ---------------------------------------------------------------------


def prepare(image: Image.Image, *, photo: bool) -> Image.Image:
    """Upright (EXIF orientation, for photos), greyscale, and a size tesseract reads well."""
    if photo:
        image = ImageOps.exif_transpose(image) or image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        image = image.convert("I").point(lambda v: v / 256)  # 16-bit scans: keep the tones
    if image.mode != "L":
        image = image.convert("L")
    width, height = image.size
    if width * height > limits.OCR_MAX_PIXELS:
        factor = (limits.OCR_MAX_PIXELS / (width * height)) ** 0.5
        image = image.resize((max(1, int(width * factor)), max(1, int(height * factor))))
    elif max(width, height) < limits.OCR_MIN_SIDE:
        image = image.resize((width * 2, height * 2), Image.Resampling.LANCZOS)
    return image


def write_image(image: Image.Image, path: Path) -> Path:
    """Uncompressed greyscale (PGM): nothing to encode here or decode in tesseract."""
    if image.mode not in ("L", "1"):
        image = image.convert("L")
    image.save(path, "PPM")
    return path


# -- tesseract ------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _run(args: list[str], image: Path) -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        raise OcrUnavailable("tesseract is not installed")
    done = subprocess.run(
        [exe, str(image), "stdout", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=limits.OCR_TIMEOUT_SECONDS,
        env=_env(),
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(message[-1] if message else f"tesseract exit {done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def read_tsv(image: Path, languages: str, dpi: int | None) -> OcrResult:
    args = ["-l", languages, "--psm", "3"]
    if dpi:
        args += ["--dpi", str(dpi)]
    return parse_tsv(_run([*args, "tsv"], image), languages)


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _join(words: list[str]) -> str:
    """Words of one line; no space between two Chinese characters or punctuation marks."""
    out = ""
    for word in words:
        if out and not (_CJK.match(out[-1]) and _CJK.match(word[0])):
            out += " "
        out += word
    return out


def parse_tsv(tsv: str, languages: str) -> OcrResult:
    """Text (lines, blank line between paragraphs) and confidence from tesseract's TSV."""
    paragraphs: dict[tuple[int, int], dict[int, list[str]]] = {}
    weighted = 0.0
    letters = 0
    words = 0
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        word = cols[11].strip()
        if not word:
            continue
        try:
            conf = float(cols[10])
            key = (int(cols[2]), int(cols[3]))
            line = int(cols[4])
        except ValueError:
            continue
        paragraphs.setdefault(key, {}).setdefault(line, []).append(word)
        if conf >= 0:
            weight = len(word)
            weighted += conf * weight
            letters += weight
            words += 1
    blocks = ["\n".join(_join(ws) for ws in lines.values()) for lines in paragraphs.values()]
    confidence = (weighted / letters / 100.0) if letters else 0.0
    return OcrResult("\n\n".join(blocks), round(confidence, 3), words, languages)


_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_SCRIPT = re.compile(r"Script:\s*(\w+)")


def orientation(image: Path, dpi: int | None = None) -> tuple[int, str]:
    """(degrees to turn clockwise, script name) from tesseract's OSD; (0, "") if unsure."""
    args = ["--psm", "0", "-l", "osd"] + (["--dpi", str(dpi)] if dpi else [])
    try:
        out = _run(args, image)
    except (RuntimeError, subprocess.TimeoutExpired):
        return 0, ""  # "Too few characters": nothing to go on
    rotate = _ROTATE.search(out)
    script = _SCRIPT.search(out)
    return (int(rotate.group(1)) % 360 if rotate else 0), (script.group(1) if script else "")


def _turn(image: Path, degrees: int) -> Path:
    turned = image.with_name(f"{image.stem}-{degrees}{image.suffix}")
    with Image.open(image) as upright:
        return write_image(upright.rotate(-degrees, expand=True), turned)


def read_page(image: Path, dpi: int | None = None, hint: OcrHint | None = None) -> OcrResult:
    """OCR one page image file. Raises OcrUnavailable if there is no tesseract."""
    hint = hint or OcrHint()
    first = limits.OCR_CHINESE_LANGUAGE if hint.chinese else limits.OCR_FIRST_LANGUAGE
    try:
        best = read_tsv(image, first, dpi)
    except subprocess.TimeoutExpired:
        return OcrResult("", 0.0, 0, first, failed="reading this page took too long")
    except RuntimeError as exc:
        if isinstance(exc, OcrUnavailable):
            raise
        return OcrResult("", 0.0, 0, first, failed=f"the page image could not be read ({exc})")
    if best.confidence >= limits.OCR_RETRY_BELOW_CONFIDENCE or best.words == 0:
        return _noted(best, hint)
    degrees, script = orientation(image, dpi)
    chinese = script in ("Han", "HanS", "HanT") or hint.chinese
    languages = limits.OCR_CHINESE_LANGUAGE if chinese else first
    attempts: list[tuple[Path, int]] = []
    if degrees:
        attempts.append((_turn(image, degrees), degrees))
    elif languages != first:
        attempts.append((image, 0))
    for path, turned in attempts:
        try:
            other = read_tsv(path, languages, dpi)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            if isinstance(exc, OcrUnavailable):
                raise
            continue
        finally:
            if path != image:
                path.unlink(missing_ok=True)
        other.rotated = turned
        if other.confidence > best.confidence:
            best = other
    return _noted(best, hint)


def _noted(result: OcrResult, hint: OcrHint) -> OcrResult:
    if result.languages == limits.OCR_CHINESE_LANGUAGE and result.confidence >= 0.6:
        hint.chinese = True
    return result


# -- many pages at once ---------------------------------------------------------------


class PagePool:
    """A pool of tesseract workers, one per core, fed page by page.

    Page images are written (uncompressed) to a private temporary folder and
    deleted as soon as they are read. `submit` blocks while 2 x workers pages
    wait, so a long scanned PDF is rendered only a little ahead of the OCR and
    memory and disk use stay small.
    """

    def __init__(self, size: int | None = None) -> None:
        self.size = size or workers()
        self._pool = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="ocr")
        self._slots = threading.BoundedSemaphore(self.size * 2)
        self._folder = tempfile.TemporaryDirectory(prefix="casebridge-ocr-")
        self._count = 0
        self.hint = OcrHint()

    def submit(self, image: Image.Image, dpi: int | None = None) -> Future[OcrResult]:
        self._slots.acquire()
        try:
            self._count += 1
            path = write_image(image, Path(self._folder.name) / f"page-{self._count:05d}.pgm")
            future = self._pool.submit(self._read, path, dpi)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(self._release)
        return future

    def _read(self, path: Path, dpi: int | None) -> OcrResult:
        try:
            return read_page(path, dpi, self.hint)
        finally:
            path.unlink(missing_ok=True)

    def _release(self, _future: Future[OcrResult]) -> None:
        self._slots.release()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._folder.cleanup()

    def __enter__(self) -> PagePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
