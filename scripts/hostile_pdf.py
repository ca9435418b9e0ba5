"""Hand-built PDFs for the hostile corpus (scripts/hostile_corpus.py).

Written byte by byte rather than through a library, because a library refuses
to write most of what a hostile file holds: actions, loops, absurd counts,
names spelled with #-escapes, objects hidden in compressed object streams.
"""

from __future__ import annotations

import random
import zlib

TEXT = (
    "Clinic letter. Dear Dr Patel, the core biopsy of the left breast shows invasive ductal "
    "carcinoma, grade 2. ER positive, HER2 negative. Seen in clinic on 12 March 2024."
)


def build(objects: list[bytes], root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A PDF of `objects` (object n is objects[n - 1]) with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\n" % (len(objects) + 1, root, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(content: bytes, extra: bytes = b"", compress: bool = False) -> bytes:
    if compress:
        content = zlib.compress(content)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(content), extra) + content + b"\nendstream"


def _text_content(text: str = TEXT) -> bytes:
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    ops = [b"BT /F1 11 Tf 50 780 Td 14 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(b"(" + escaped.encode("latin-1", "replace") + b") '")
    ops.append(b"ET")
    return b"\n".join(ops)


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def letter(catalog_extra: bytes = b"", page_extra: bytes = b"", more: list[bytes] | None = None):
    """A one-page letter with a readable text layer; `more` objects follow (numbers 6, 7, …)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + page_extra + b">>",
        stream(_text_content()),
        FONT,
        *(more or []),
    ]
    return build(objects)


def js_action(rng: random.Random) -> bytes:
    script = rng.choice(
        [b"app.alert('hello')", b"this.exportDataObject({cName: 'a', nLaunch: 2})", b"eval(x)"]
    )
    return b"<< /Type /Action /S /JavaScript /JS (" + script + b") >>"


def active(rng: random.Random) -> tuple[bytes, str]:
    """A readable letter that carries one kind of active content (or several)."""
    which = rng.choice(
        [
            "openaction-js",
            "names-js",
            "page-aa",
            "catalog-aa",
            "launch",
            "embedded",
            "xfa",
            "richmedia",
            "link-js",
            "hex-name",
            "objstm-js",
            "submit",
            "all",
        ]
    )
    js = js_action(rng)
    if which == "openaction-js":
        return letter(b"/OpenAction 6 0 R", more=[js]), which
    if which == "names-js":
        return letter(
            b"/Names << /JavaScript 6 0 R >>", more=[b"<< /Names [(a) 7 0 R] >>", js]
        ), which
    if which == "page-aa":
        return letter(page_extra=b"/AA << /O 6 0 R >>", more=[js]), which
    if which == "catalog-aa":
        return letter(b"/AA << /WC 6 0 R >>", more=[js]), which
    if which == "launch":
        launch = b"<< /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>"
        return letter(b"/OpenAction 6 0 R", more=[launch]), which
    if which == "embedded":
        payload = stream(
            b"MZ" + bytes(rng.randrange(256) for _ in range(64)), b" /Type /EmbeddedFile"
        )
        filespec = b"<< /Type /Filespec /F (invoice.exe) /EF << /F 8 0 R >> >>"
        return letter(
            b"/Names << /EmbeddedFiles 6 0 R >>",
            more=[b"<< /Names [(invoice.exe) 7 0 R] >>", filespec, payload],
        ), which
    if which == "xfa":
        xfa = stream(
            b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><script>x()</script></xdp:xdp>'
        )
        return letter(b"/AcroForm << /Fields [] /XFA 6 0 R >>", more=[xfa]), which
    if which == "richmedia":
        annot = (
            b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 100 100] /RichMediaContent << >> >>"
        )
        return letter(page_extra=b"/Annots [6 0 R]", more=[annot]), which
    if which == "link-js":
        annot = b"<< /Type /Annot /Subtype /Link /Rect [50 700 300 720] /A 7 0 R >>"
        return letter(page_extra=b"/Annots [6 0 R]", more=[annot, js]), which
    if which == "hex-name":
        # /J#61vaScript is /JavaScript: names may be spelled with #-escapes
        spelled = b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"
        return letter(b"/Open#41ction 6 0 R", more=[spelled]), which
    if which == "objstm-js":
        return hidden_in_object_stream(js), which
    if which == "submit":
        submit = b"<< /S /SubmitForm /F << /FS /URL /F (http://example.invalid/x) >> >>"
        return letter(b"/OpenAction 6 0 R", more=[submit]), which
    launch = b"<< /S /Launch /F (sh) /Next 7 0 R >>"
    return letter(
        b"/OpenAction 6 0 R /AA << /WC 7 0 R >> /AcroForm << /XFA (x) >>",
        page_extra=b"/AA << /O 7 0 R >>",
        more=[launch, js],
    ), which


def hidden_in_object_stream(js: bytes) -> bytes:
    """The catalog and its JavaScript inside a compressed object stream, reached through
    a cross-reference stream: no /JavaScript in the file's bytes."""
    inner = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",  # object 1
        js,  # object 6
    ]
    numbers = [1, 6]
    body = b""
    header = b""
    for number, obj in zip(numbers, inner, strict=True):
        header += b"%d %d " % (number, len(body))
        body += obj + b"\n"
    objstm = stream(header + body, b" /Type /ObjStm /N 2 /First %d" % len(header), compress=True)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    plain = {
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        4: stream(_text_content(), compress=True),
        5: FONT,
        7: objstm,
    }
    offsets: dict[int, int] = {}
    for number, obj in plain.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref_at = len(out)
    rows = [b"\x00\x00\x00\xff\xff"]  # object 0: free
    for number in range(1, 9):
        if number in offsets:
            rows.append(b"\x01" + offsets[number].to_bytes(3, "big") + b"\x00")
        elif number in numbers:
            rows.append(b"\x02" + (7).to_bytes(3, "big") + bytes([numbers.index(number)]))
        else:  # object 8 is the xref stream itself
            rows.append(b"\x01" + xref_at.to_bytes(3, "big") + b"\x00")
    xref = stream(b"".join(rows), b" /Type /XRef /Size 9 /W [1 3 1] /Root 1 0 R", compress=True)
    out += b"8 0 obj\n" + xref + b"\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def nested(rng: random.Random) -> bytes:
    """Arrays or dictionaries nested thousands deep, in the page or its resources."""
    depth = rng.choice([500, 5_000, 50_000, 200_000])
    if rng.random() < 0.5:
        deep = b"[" * depth + b"]" * depth
    else:
        deep = b"<< /A " * depth + b"1" + b" >>" * depth
    return letter(page_extra=b"/Deep " + deep + b" ")


def reference_loop() -> bytes:
    """A page tree whose kids point back at themselves."""
    return build(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [3 0 R 2 0 R] /Count 1 >>",
        ]
    )


def many_pages(rng: random.Random) -> bytes:
    """Thousands of pages sharing one content stream (small file, long read), or a page
    tree that claims a billion pages."""
    if rng.random() < 0.3:
        return build(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1000000000 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
            ]
        )
    count = rng.choice([1_001, 2_500, 6_000])
    first = 5
    kids = b" ".join(b"%d 0 R" % (first + i) for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
        stream(_text_content()),
        FONT,
    ]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>"
    objects += [page] * count
    return build(objects)


def huge_page(rng: random.Random) -> bytes:
    """A page 200 inches wide (PDF's maximum) with an image and no text: rendered for OCR."""
    side = rng.choice([14_400, 14_400 * 50])
    image = stream(
        zlib.compress(bytes(64 * 64)),
        b" /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode",
    )
    return build(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R "
            b"/Resources << /XObject << /Im1 5 0 R >> >> >>" % (side, side),
            stream(b"q %d 0 0 %d 0 0 cm /Im1 Do Q" % (side, side)),
            image,
        ]
    )


def image_bomb_pdf(rng: random.Random) -> bytes:
    """An image XObject that declares 100,000 x 100,000 pixels, or inflates a few KB to GBs."""
    width = rng.choice([100_000, 30_000])
    data = zlib.compress(bytes(min(width * 100, 50_000_000)), 9)
    image = stream(
        data,
        b" /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter /FlateDecode" % (width, width),
    )
    return build(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
            stream(b"q 595 0 0 842 0 0 cm /Im1 Do Q"),
            image,
        ]
    )


def broken_structure(rng: random.Random) -> bytes:
    """Damage to the structure rather than to random bytes."""
    base = letter()
    which = rng.randrange(7)
    if which == 0:  # xref offsets pointing nowhere
        return base.replace(b"0000000", b"9999999", 3)
    if which == 1:  # startxref past the end
        return base.rsplit(b"startxref", 1)[0] + b"startxref\n999999999\n%%EOF\n"
    if which == 2:  # stream /Length far larger than the file
        return base.replace(b"<< /Length ", b"<< /Length 99999999", 1)
    if which == 3:  # negative and absurd numbers
        return base.replace(b"/Count 1", b"/Count -7").replace(b"595 842", b"-1e308 1e308")
    if which == 4:  # an unknown filter and a bad Flate stream
        return letter(
            more=[b"<< /Length 10 /Filter [/FlateDecode /Nope] >>\nstream\n0123456789\nendstream"]
        )
    if which == 5:  # no trailer, no xref: only what a scanner finds
        return base.split(b"xref\n", 1)[0]
    return base.replace(b"/Root 1 0 R", b"/Root 99 0 R")
