"""A small embeddable Chinese font for the PDF summary, made once and cached on disk.

Why: embedding a whole Noto Sans CJK (20 MB, PostScript outlines) costs seconds per PDF, and
reportlab embeds only TrueType outlines. So, once per machine, fontTools cuts the system's
Noto Sans CJK SC (or Source Han Sans SC) down to the characters a summary can need (Latin,
punctuation and symbols, every GB2312 hanzi, and every character of the terminology table
and the disclaimer) and converts the outlines to TrueType. The result (about 2 MB) is cached
under the user's cache folder; reportlab then embeds only the glyphs each PDF uses.

When no such font is installed (or the cache cannot be written), the PDF falls back to
Adobe's STSong-Light CID font, which every PDF reader supports without embedding.
Characters the cached font lacks are drawn with that fallback too.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from casebridge.engine import kb

CACHE_VERSION = "1"
FALLBACK = "STSong-Light"
FAMILY_PATTERNS = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC")
FILE_PATTERNS = {
    "Regular": ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf",
                "SourceHanSans-Regular.ttc", "SourceHanSansSC-Regular.otf"),
    "Bold": ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf", "NotoSansSC-Bold.otf",
             "SourceHanSans-Bold.ttc", "SourceHanSansSC-Bold.otf"),
}  # fmt: skip


@dataclass(frozen=True)
class PdfFonts:
    regular: str  # reportlab font names
    bold: str
    fallback: str
    embedded: bool  # False when only the CID fallback is available
    regular_chars: frozenset[int]
    bold_chars: frozenset[int]


def font_dirs() -> list[Path]:
    """The usual places fonts are installed, per platform."""
    home = Path.home()
    dirs = [home / ".local/share/fonts", home / ".fonts"]
    if sys.platform == "darwin":
        dirs += [home / "Library/Fonts", Path("/Library/Fonts"), Path("/System/Library/Fonts")]
    elif sys.platform.startswith("win"):
        windir = Path(os.environ.get("WINDIR", "C:/Windows"))
        dirs += [windir / "Fonts", home / "AppData/Local/Microsoft/Windows/Fonts"]
    else:
        data_dirs = os.environ.get("XDG_DATA_DIRS", "/usr/local/share:/usr/share").split(":")
        dirs += [Path(d) / "fonts" for d in data_dirs if d]
    return dirs


@lru_cache(maxsize=4)
def find_cjk_font(weight: str = "Regular") -> tuple[Path, int] | None:
    """(file, face index) of a Simplified Chinese sans font of this weight, or None.
    CASEBRIDGE_CJK_FONT (a path, optionally `path::index`, or `none` for the CID fallback)
    overrides the search."""
    override = os.environ.get("CASEBRIDGE_CJK_FONT_" + weight.upper()) or (
        os.environ.get("CASEBRIDGE_CJK_FONT") if weight == "Regular" else None
    )
    if override == "none":
        return None  # force the CID fallback (for comparison and tests)
    if override:
        name, _, number = override.partition("::")
        if Path(name).is_file():
            return Path(name), int(number or 0)
    for path, index, trusted in _candidates(weight):
        if trusted and index is not None:
            return path, index
        face = _sc_face(path, index)
        if face is not None:
            return path, face
    return None


def _candidates(weight: str) -> Iterator[tuple[Path, int | None, bool]]:
    """(file, face index, trusted): fontconfig's answer is trusted when it names one of
    our families; files found by name in the font folders are checked by _sc_face."""
    if shutil.which("fc-match"):
        for family in FAMILY_PATTERNS:
            try:
                out = subprocess.run(
                    ["fc-match", "-f", "%{file}\n%{index}\n%{family}", f"{family}:style={weight}"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                ).stdout.split("\n")
            except (OSError, subprocess.SubprocessError):
                break
            if len(out) >= 3 and out[0] and Path(out[0]).is_file():
                named = family in out[2].split(",")
                if named and weight.lower() in Path(out[0]).name.lower():
                    yield Path(out[0]), int(out[1] or 0), True
    for folder in font_dirs():
        if not folder.is_dir():
            continue
        for name in FILE_PATTERNS.get(weight, ()):
            for path in sorted(folder.rglob(name)):
                yield path, None, False


def _sc_face(path: Path, index: int | None) -> int | None:
    """The face of `path` whose name says Simplified Chinese (SC/CN), checked to map 中."""
    from fontTools.ttLib import TTCollection, TTFont

    try:
        if path.suffix.lower() == ".ttc":
            faces = list(TTCollection(str(path), lazy=True).fonts)
        else:
            faces = [TTFont(str(path), lazy=True)]
    except Exception:
        return None
    order = list(range(len(faces)))
    if index is not None and index < len(faces):
        order.insert(0, order.pop(index))
    for i in order:
        try:
            name = faces[i]["name"].getDebugName(1) or ""
            if re.search(r"\b(SC|CN)\b", name) and ord("中") in (faces[i].getBestCmap() or {}):
                return i
        except Exception:
            continue
    return None


def charset(weight: str = "Regular") -> set[int]:
    """Every character a summary is expected to draw. Bold is used only for headings and
    labels (from the knowledge files), so it skips the general hanzi: anything else in
    bold is drawn with the regular weight."""
    chars: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x250))
    for lo, hi in ((0x370, 0x3FF), (0x2000, 0x206F), (0x2070, 0x209F), (0x20A0, 0x20BF),
                   (0x2100, 0x214F), (0x2150, 0x218F), (0x2190, 0x21FF), (0x2200, 0x22FF),
                   (0x2460, 0x24FF), (0x2500, 0x257F), (0x25A0, 0x25FF), (0x2600, 0x26FF),
                   (0x2700, 0x27BF), (0x3000, 0x303F), (0xFF00, 0xFFEF)):  # fmt: skip
        chars |= set(range(lo, hi + 1))
    for hi_byte in (
        range(0xA1, 0xF8) if weight == "Regular" else ()
    ):  # GB2312: symbols and both levels of hanzi
        for lo_byte in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([hi_byte, lo_byte]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    for name in ("terminology_zh", "disclaimer"):
        path = kb.KNOWLEDGE_DIR / f"{name}.yaml"
        if path.exists():
            chars |= {ord(c) for c in path.read_text(encoding="utf-8") if ord(c) >= 0x20}
    return chars


def cache_dir() -> Path:
    base = os.environ.get("CASEBRIDGE_CACHE")
    if base:
        return Path(base) / "fonts"
    if sys.platform.startswith("win"):
        root = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData/Local"))
    elif sys.platform == "darwin":
        root = Path.home() / "Library/Caches"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "casebridge" / "fonts"


def cached_subset(weight: str = "Regular") -> Path | None:
    """Path of the cached TrueType subset for `weight`, made on first use; None if no
    suitable font is installed or it cannot be converted or written."""
    found = find_cjk_font(weight)
    if found is None:
        return None
    path, index = found
    chars = charset(weight)
    stat = path.stat()
    key = hashlib.sha256(
        "|".join(
            (CACHE_VERSION, str(path), str(stat.st_size), str(int(stat.st_mtime)), str(index),
             hashlib.sha256(repr(sorted(chars)).encode()).hexdigest())
        ).encode()
    ).hexdigest()[:16]  # fmt: skip
    for folder in (cache_dir(), Path(tempfile.gettempdir()) / f"casebridge-fonts-{_uid()}"):
        target = folder / f"cjk-sc-{weight.lower()}-{key}.ttf"
        if target.is_file() and target.stat().st_size > 0:
            return target
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{target.name}.{os.getpid()}.tmp"
            build_subset(path, index, chars, tmp)
            os.replace(tmp, target)  # atomic: concurrent builders write the same bytes
            return target
        except OSError:
            continue
        except Exception:
            return None
    return None


def _uid() -> str:
    getuid = getattr(os, "getuid", None)
    return str(getuid()) if getuid else "user"


def build_subset(source: Path, index: int, chars: set[int], out: Path) -> None:
    """Cut `source` (face `index`) down to `chars`, with TrueType outlines, into `out`."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(str(source), fontNumber=index, lazy=True)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=chars)
    subsetter.subset(font)
    if "CFF " in font:
        order = font.getGlyphOrder()
        glyphs = font.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = {}
        for name in order:
            pen = TTGlyphPen(glyphs)
            glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
            glyf.glyphs[name] = pen.glyph()
        font["loca"] = newTable("loca")
        font["glyf"] = glyf
        del font["CFF "]
        font.sfntVersion = "\x00\x01\x00\x00"
        maxp = font["maxp"]
        maxp.tableVersion = 0x00010000
        for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                     "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                     "maxComponentElements"):  # fmt: skip
            setattr(maxp, attr, 0)
        maxp.maxZones = 1
        font["head"].glyphDataFormat = 0
        post = font["post"]
        post.formatType = 2.0
        post.extraNames = []
        post.mapping = {}
        post.glyphOrder = order
    font.save(str(out))


@lru_cache(maxsize=1)
def pdf_fonts() -> PdfFonts:
    """Register the summary's fonts with reportlab (once per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    names: dict[str, tuple[str, frozenset[int]]] = {}
    for weight in ("Regular", "Bold"):
        path = cached_subset(weight)
        if path is None:
            continue
        name = f"CasebridgeSC-{weight}"
        try:
            font = TTFont(name, str(path))
        except Exception:
            continue
        pdfmetrics.registerFont(font)
        names[weight] = (name, frozenset(font.face.charToGlyph))
    if "Regular" not in names:
        empty: frozenset[int] = frozenset()
        return PdfFonts(FALLBACK, FALLBACK, FALLBACK, False, empty, empty)
    regular, regular_chars = names["Regular"]
    bold, bold_chars = names.get("Bold", names["Regular"])
    pdfmetrics.registerFontFamily(regular, normal=regular, bold=bold, italic=regular,
                                  boldItalic=bold)  # fmt: skip
    return PdfFonts(regular, bold, FALLBACK, True, regular_chars, bold_chars)
