"""Properties of the extractors on arbitrary text (hypothesis): clinical fragments mixed with
any Unicode. They never raise; every span they report lies inside the text and is the text
it quotes; dates are real calendar dates; the safety screen's evidence is words of the text."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casebridge.engine.extract import extract_document
from casebridge.engine.extract.dates import find_dates, parse_date
from casebridge.engine.extract.identifiers import find_identifiers
from casebridge.engine.extract.tnm.written import explicit_hits
from casebridge.engine.safety import screen_text
from tests.engine.factories import document

# Fragments the extractors look for, so that arbitrary text reaches their deeper branches.
FRAGMENTS = [
    "12/03/2024",
    "3 March 2024",
    "March 2024",
    "2024-03-12",
    "31/02/2024",
    "00/00/0000",
    "99/99/99",
    "Date of report:",
    "since 2019",
    "pT2 N1a M0",
    "ypT0N0",
    "cT4b",
    "T2N0M0",
    "TNM 8th edition",
    "AJCC",
    "stage IIIB",
    "ER positive (Allred 8/8)",
    "PR negative",
    "HER2 IHC 2+",
    "HER2 FISH amplified",
    "Ki-67 30%",
    "EGFR exon 19 deletion",
    "T790M not detected",
    "VAF 12%",
    "BRCA1 c.68_69del",
    "MSI-high",
    "PD-L1 TPS 80%",
    "invasive ductal carcinoma",
    "grade 3",
    "left breast",
    "liver metastases",
    "no evidence of",
    "hepatitis B surface antigen negative",
    "NHS number 943 476 5919",
    "Mrs Jane Smith",
    "DOB 01/02/1960",
    "SW1A 1AA",
    "07700 900123",
    "jane@example.org",
    "temperature 38.5",
    "fever",
    "spinal cord compression",
    "chest pain",
    "not",
    "?",
    "\n",
    "\n\n",
    " ",
    ":",
    "病理",
    "乳腺癌",
    "雌激素受体阳性",
    "发热",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\u0301",
    "\U0001f600",
]
TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40).map(
    "".join
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_ISO = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _is_calendar_date(iso: str) -> bool:
    parts = [int(p) for p in iso.split("-")]
    try:
        dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


@SETTINGS
@given(TEXT)
def test_dates_found_lie_in_the_text_in_order_and_are_real_dates(text: str) -> None:
    found = find_dates(text)
    last_end = 0
    for date in found:
        assert 0 <= date.start < date.end <= len(text)
        assert text[date.start : date.end] == date.text
        assert date.start >= last_end  # left to right, no overlaps
        last_end = date.end
        assert _ISO.fullmatch(date.iso) and _is_calendar_date(date.iso), date
        assert date.precision in ("day", "month", "year")


@SETTINGS
@given(TEXT)
def test_parsing_any_text_as_a_date_gives_a_real_date_or_none(text: str) -> None:
    parsed = parse_date(text)
    assert parsed is None or (_ISO.fullmatch(parsed[0]) and _is_calendar_date(parsed[0]))


@SETTINGS
@given(TEXT)
def test_tnm_categories_found_quote_their_span_of_the_text(text: str) -> None:
    for hit in explicit_hits(text):
        assert 0 <= hit.start < hit.end <= len(text)
        assert hit.written == text[hit.start : hit.end] or hit.written in text


@SETTINGS
@given(TEXT)
def test_every_fact_of_any_text_is_sourced_inside_its_page(text: str) -> None:
    doc = document("d1", "pathology", text)
    facts = extract_document(doc)
    pages = {page.number: page.text for page in doc.pages}
    for fact in facts:
        source = fact.source
        assert source is not None and source.document_id == "d1"
        assert source.page in pages
        page = pages[source.page]
        assert 0 <= source.start <= source.end <= len(page)
        assert " ".join(page[source.start : source.end].split()) in source.snippet


@SETTINGS
@given(TEXT)
def test_identifiers_found_in_any_text_are_sourced_inside_it(text: str) -> None:
    doc = document("d1", "letter", text)
    for identifier in find_identifiers(doc):
        assert 0 <= identifier.source.start <= identifier.source.end <= len(text)
        assert identifier.value.strip()


@SETTINGS
@given(TEXT)
def test_the_safety_screen_reads_any_unicode_and_quotes_only_its_words(text: str) -> None:
    for flag in screen_text(text):
        assert flag.level in ("red", "amber")
        assert flag.phrase == "" or " ".join(flag.phrase.split()) in " ".join(text.split())
