"""Plain text and HTML/XML: decoding (the encoding is detected, never assumed) and tag stripping."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Return (text, encoding). Order: byte-order mark, UTF-8, UTF-16 without a
    mark, a declared charset (HTML/XML), GB2312/GB18030 Chinese, then Windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding.replace("-sig", ""), "replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        even_zeros = data[0:4096:2].count(0)
        odd_zeros = data[1:4096:2].count(0)
        encoding = "utf-16-be" if even_zeros > odd_zeros else "utf-16-le"
        return data.decode(encoding, "replace"), encoding
    if declared:
        try:
            return data.decode(declared), declared
        except (LookupError, ValueError):  # "undefined" raises UnicodeError, not ...DecodeError
            pass
    try:
        # EUC-CN only decodes where every high byte pairs with another high byte,
        # which Western text with accented letters almost never does.
        data.decode("gb2312")
        text = data.decode("gb18030")
        if sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") >= 2:
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    return data.decode("cp1252", "replace"), "cp1252"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")


def normalise(text: str) -> str:
    """Unify line ends, drop NULs and trailing spaces, collapse runs of blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = _CONTROL.sub("", text.replace("\x0c", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_CHARSET = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def declared_charset(data: bytes) -> str | None:
    match = _CHARSET.search(data[:2048])
    return match.group(1).decode("ascii").lower() if match else None


_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt"),
        *("fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "li"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "main", "nav", "ol", "p", "pre", "section"),
        *("table", "tbody", "thead", "tfoot", "tr", "ul", "title", "caption"),
    }
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg"})
_CELL_TAGS = frozenset({"td", "th"})


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag == "body":
            self.skip_depth = 0  # an unclosed <script> or <style> in the head ends here
        elif tag in _CELL_TAGS:
            self.parts.append(" | ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(re.sub(r"[ \t\r\n\f\v]+", " ", data))


def markup_to_text(markup: str) -> str:
    """Visible text of HTML or XML: scripts and styles dropped, blocks on their own lines."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    lines = []
    for line in text.split("\n"):
        line = re.sub(r" {2,}", " ", line).strip()
        line = re.sub(r"^\|\s*", "", line)
        lines.append(line)
    return normalise("\n".join(lines))
