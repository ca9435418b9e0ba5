"""Active content in a PDF: found at ingest, and a copy without it for the people who open it.

A PDF can carry more than pages: JavaScript, actions run on opening or on other events
(OpenAction, AA), commands that start programs (Launch), attached files (EmbeddedFiles),
XFA forms, Flash or video (RichMedia), forms that send data away (SubmitForm). A patient's
upload (or a stranger's) that carries them would otherwise reach a coordinator's PDF viewer
unchanged (issue 10's security review).

find_active() reports which kinds a PDF holds, looking two ways: pypdf walks every object
reachable from the trailer (so also those packed into compressed object streams), and a
scan of the raw bytes finds the names of active content outside that graph, where a viewer
repairing a broken file would still find them (names spelled with #-escapes included).

redraw() makes the copy staff and reviewers open: each page rendered by pdfium into a
picture, placed in a new PDF written from nothing. Why redrawing rather than rewriting the
file with pypdf minus the keys named above: a rewrite keeps whatever a list of keys forgets
(actions on form fields, a name a future viewer acts on, a font that exploits the viewer),
and needs the very parser a hostile file attacks to have understood it; a redrawn copy holds
nothing but pictures of the pages, by construction. It costs the text layer (the engine has
already read the text) and a larger file. The original is kept encrypted and unchanged.

redraw_in_child() runs redraw() in a fresh interpreter under CPU, memory and time limits
(`python -m casebridge.engine.ingest.pdf_active`), for a web process that must not parse a
hostile file itself.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from dataclasses import dataclass

from casebridge.engine.ingest import limits

# Short names kept on the Document (metadata["active_content"]) and what they mean in the
# reason a coordinator reads.
KINDS: dict[str, str] = {
    "JavaScript": "JavaScript",
    "OpenAction": "an action run when the file is opened",
    "AA": "actions run on events such as opening a page",
    "Launch": "a command that starts a program",
    "EmbeddedFiles": "attached files",
    "XFA": "an XFA form",
    "RichMedia": "Flash or video",
    "SubmitForm": "a form that sends data away",
    "GoToR": "a link that opens another file",
}
# The value of metadata["active_content"] when the structure could not be checked: the copy
# staff open is redrawn all the same.
UNCHECKED = "unchecked"

# Action types (/S) that are active; /GoTo (a page of the same file) and /URI are not.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "Launch",
    "/SubmitForm": "SubmitForm",
    "/ImportData": "SubmitForm",
    "/GoToR": "GoToR",
    "/GoToE": "GoToR",
    "/RichMediaExecute": "RichMedia",
    "/Rendition": "JavaScript",  # a rendition action may carry JavaScript (/JS)
}
_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "AA",
    "/EmbeddedFiles": "EmbeddedFiles",
    "/EmbeddedFile": "EmbeddedFiles",
    "/EF": "EmbeddedFiles",
    "/XFA": "XFA",
    "/RichMediaContent": "RichMedia",
    "/RichMediaSettings": "RichMedia",
}
# Names whose mere presence in the bytes is active content; /OpenAction and /AA are not
# among them (a page destination in /OpenAction is only a view setting: LaTeX writes one).
_RAW_NAMES = {
    "JavaScript": "JavaScript",
    "JS": "JavaScript",
    "Launch": "Launch",
    "EmbeddedFile": "EmbeddedFiles",
    "EmbeddedFiles": "EmbeddedFiles",
    "XFA": "XFA",
    "RichMedia": "RichMedia",
    "SubmitForm": "SubmitForm",
    "ImportData": "SubmitForm",
    "GoToR": "GoToR",
    "GoToE": "GoToR",
}
_NAME = re.compile(rb"/((?:[A-Za-z0-9]|#[0-9A-Fa-f]{2})+)(?![A-Za-z0-9_.+#-])")
MAX_OBJECTS = 2_000_000  # values visited in the object walk; a file past it is "unchecked"


@dataclass(frozen=True)
class Found:
    kinds: tuple[str, ...]  # keys of KINDS, in its order
    checked: bool  # False: the structure could not be walked (damaged, too deep, too large)


def find_active(data: bytes) -> Found:
    """The kinds of active content `data` holds. Never raises."""
    kinds = set(_raw_names(data))
    checked = True
    try:
        kinds |= _walk(data)
    except Exception:  # noqa: BLE001 - a file pypdf cannot walk is reported as unchecked
        checked = False
    return Found(tuple(k for k in KINDS if k in kinds), checked)


def _raw_names(data: bytes) -> set[str]:
    found = set()
    for match in _NAME.finditer(data):
        raw = match.group(1)
        if b"#" in raw:
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        kind = _RAW_NAMES.get(raw.decode("latin-1"))
        if kind:
            found.add(kind)
    return found


def _walk(data: bytes) -> set[str]:
    """Every object reachable from the trailer, without recursion (a hostile file nests
    thousands deep), each indirect object once."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    reader = PdfReader(io.BytesIO(data), strict=False)
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.trailer]
    visited = 0
    while stack:
        value = stack.pop()
        visited += 1
        if visited > MAX_OBJECTS:
            raise ValueError("too many objects to check")
        if isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key in seen:
                continue
            seen.add(key)
            stack.append(value.get_object())
        elif isinstance(value, DictionaryObject):  # a stream's dictionary too
            for name, item in value.items():
                if name in _KEYS:
                    found.add(_KEYS[name])
                if name == "/OpenAction":
                    target = item.get_object() if isinstance(item, IndirectObject) else item
                    if isinstance(target, DictionaryObject) and target.get("/S") != "/GoTo":
                        found.add("OpenAction")
                if name == "/S" and isinstance(item, NameObject) and item in _ACTIVE_ACTIONS:
                    found.add(_ACTIVE_ACTIONS[item])
                if name == "/Subtype" and item == "/RichMedia":
                    found.add("RichMedia")
                stack.append(item)
        elif isinstance(value, ArrayObject):
            stack.extend(value)
    return found


def reason(found: Found) -> str:
    """What the coordinator reads on the document."""
    named = ", ".join(f"{KINDS[k]} ({k})" if KINDS[k] != k else k for k in found.kinds)
    return (
        f"This PDF contains active content ({named}): it was removed from the copy staff and "
        "reviewers open, which shows each page redrawn as a picture; the original is kept "
        "unchanged"
    )


# -- the redrawn copy ----------------------------------------------------------------------

REDRAW_DPI = 150
REDRAW_MAX_PIXELS = 20_000_000  # per page; a larger page is drawn at a lower resolution
REDRAW_JPEG_QUALITY = 85


def redraw(data: bytes, max_pages: int = limits.MAX_PDF_PAGES) -> bytes:
    """A new PDF holding a picture of each page of `data` (at most `max_pages`), and
    nothing else. Raises pdfium's PdfiumError when the file cannot be opened."""
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(data)
    copy = pdfium.PdfDocument.new()
    try:
        for index in range(min(len(source), max_pages)):
            page = source[index]
            try:
                width, height = page.get_size()
                width, height = max(width, 1.0), max(height, 1.0)
                scale = REDRAW_DPI / 72
                if width * height * scale * scale > REDRAW_MAX_PIXELS:
                    scale = (REDRAW_MAX_PIXELS / (width * height)) ** 0.5
                # forms are not run (may_draw_forms=False): only what the page shows
                picture = page.render(scale=scale, may_draw_forms=False).to_pil().convert("RGB")
            finally:
                page.close()
            jpeg = io.BytesIO()
            picture.save(jpeg, "JPEG", quality=REDRAW_JPEG_QUALITY)
            jpeg.seek(0)
            new_page = copy.new_page(width, height)
            image = pdfium.PdfImage.new(copy)
            image.load_jpeg(jpeg, inline=True)
            image.set_matrix(pdfium.PdfMatrix().scale(width, height))
            new_page.insert_obj(image)
            new_page.gen_content()
            new_page.close()
        out = io.BytesIO()
        copy.save(out)
        return out.getvalue()
    finally:
        copy.close()
        source.close()


class RedrawError(RuntimeError):
    """The copy could not be made (damaged file, or a limit stopped it)."""


def redraw_in_child(
    data: bytes, *, cpu_seconds: int = 60, memory_mb: int = 1024, wall_seconds: float = 120
) -> bytes:
    """redraw() in a fresh interpreter that limits itself before it reads the file."""
    command = [sys.executable, "-m", "casebridge.engine.ingest.pdf_active", str(cpu_seconds)]
    command.append(str(memory_mb))
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, timeout=wall_seconds, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RedrawError(f"redrawing took longer than {wall_seconds:g} seconds") from exc
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF-"):
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RedrawError(message[-1] if message else f"exit {done.returncode}")
    return done.stdout


def _child(cpu_seconds: int, memory_mb: int) -> int:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a core would hold the record
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    data = sys.stdin.buffer.read()
    try:
        copy = redraw(data)
    except Exception as exc:  # noqa: BLE001 - the parent reports it
        print(f"the PDF could not be redrawn: {type(exc).__name__}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(copy)
    return 0


if __name__ == "__main__":
    sys.exit(_child(int(sys.argv[1]), int(sys.argv[2])))
