"""Every limit of the ingest stage, in one place.

A file or archive past a limit is not read (or only partly read) and its
Document says so in plain language; nothing is silently dropped.
"""

from __future__ import annotations

MB = 1024 * 1024

# -- whole files ---------------------------------------------------------------
MAX_FILE_BYTES = 200 * MB  # a single file (or archive member) larger than this is not read
MAX_PDF_PAGES = 1000  # pages past this are not read; the document says so

# -- archives (ZIP) --------------------------------------------------------------
MAX_ARCHIVE_MEMBERS = 2000  # files in one archive (a DICOM CD can hold many)
MAX_ARCHIVE_TOTAL_BYTES = 500 * MB  # uncompressed bytes read from one archive, all members
MAX_COMPRESSION_RATIO = 100  # uncompressed / compressed size of one member ...
COMPRESSION_RATIO_MIN_BYTES = 1 * MB  # ... checked only for members larger than this
MAX_ARCHIVE_DEPTH = 2  # an archive inside an archive is opened; one more level is not

# -- images and OCR --------------------------------------------------------------
MAX_IMAGE_PIXELS = 100_000_000  # larger images are refused (decompression-bomb guard)
MAX_IMAGE_FRAMES = 200  # pages of a multi-page TIFF
OCR_DPI = 300  # PDF pages with no usable text layer are rendered at this resolution
SCAN_MIN_DPI = 200  # a page-sized scan in a PDF between these resolutions is OCR'd as it is ...
SCAN_MAX_DPI = 400  # ... (outside them, the page is rendered at OCR_DPI)
OCR_MAX_PIXELS = 40_000_000  # a rendered page or photo is scaled down to at most this
OCR_MIN_SIDE = 1000  # a smaller image is enlarged 2x before OCR
OCR_TIMEOUT_SECONDS = 180  # one tesseract run on one page
OCR_FIRST_LANGUAGE = "eng"  # tried first on every page (fast)
OCR_CHINESE_LANGUAGE = "chi_sim+eng"  # used when the page looks Chinese or English reads badly
OCR_RETRY_BELOW_CONFIDENCE = 0.75  # below this, check orientation and script and try again
OCR_LOW_CONFIDENCE = 0.50  # below this a page or photo is "too blurred or dark to read"

# -- text ------------------------------------------------------------------------
MIN_TEXT_LAYER_CHARS = 30  # a PDF page with fewer letters/digits in its text layer is OCR'd
MAX_TEXT_LAYER_GARBAGE = 0.2  # share of unmappable glyphs above which a text layer is unusable
MIN_READABLE_CHARS = 50  # fewer letters/digits in a whole document: "no readable text"
MIN_LANGUAGE_CHARS = 200  # shorter texts are not judged for language (too little evidence)
MAX_XML_BYTES = 50 * MB  # the text part of a DOCX
MAX_XML_DEPTH = 200  # elements nested deeper in a DOCX part are not read (real ones: ~20)
