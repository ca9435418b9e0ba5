from __future__ import annotations

from casebridge.engine.case import Document, Page
from casebridge.engine.extract.identifiers import find_identifiers, nhs_check_digit_ok

LETTER = """Department of Oncology
Old Road, Headington
Oxford OX3 7LE
Tel: 01865 235000  Fax: (01865) 235001
Email: oncology.secretaries@example.nhs.uk

Mrs Jane Elizabeth Doe
12 Acacia Avenue
Little Milton
Oxford
OX44 7QB

Patient name: DOE, Jane
DOB: 03/07/1961    NHS No: 943 476 5919    Hospital No: RTH1234567
MRN: K0012345

Dear Dr Patel,

Re: Mrs Jane Doe, D.O.B. 3rd July 1961, NHS number 123 456 7890

Her mobile is 07700 900123. Tumour 35 mm, Ki-67 20%, Hb 118 g/L, 12 of 15 nodes.

Yours sincerely,


Alan Smith
Consultant Medical Oncologist
"""


def ids(text: str) -> list[tuple[str, str, bool]]:
    doc = Document(
        id="d1", file_name="l.txt", sha256="0" * 64, size=len(text), pages=[Page(1, text, "plain")]
    )
    return [(i.kind, i.value, i.valid) for i in find_identifiers(doc)]


def test_the_nhs_check_digit_is_modulus_11() -> None:
    assert nhs_check_digit_ok("943 476 5919")
    assert not nhs_check_digit_ok("123 456 7890")
    assert not nhs_check_digit_ok("12345")


def test_it_finds_every_direct_identifier_in_a_letter() -> None:
    found = ids(LETTER)
    assert ("nhs_number", "943 476 5919", True) in found
    assert ("nhs_number", "123 456 7890", False) in found  # labelled, kept, marked invalid
    assert ("hospital_number", "RTH1234567", True) in found
    assert ("hospital_number", "K0012345", True) in found
    assert ("date_of_birth", "03/07/1961", True) in found
    assert ("date_of_birth", "3rd July 1961", True) in found
    assert ("postcode", "OX44 7QB", True) in found
    assert ("address", "12 Acacia Avenue\nLittle Milton\nOxford\nOX44 7QB", True) in found
    assert ("phone", "01865 235000", True) in found
    assert ("phone", "(01865) 235001", True) in found
    assert ("phone", "07700 900123", True) in found
    assert ("email", "oncology.secretaries@example.nhs.uk", True) in found
    names = {v for k, v, _ in found if k == "person_name"}
    assert {"Jane Elizabeth Doe", "DOE, Jane", "Patel", "Jane Doe", "Alan Smith"} <= names


def test_names_stop_before_roles_and_qualifications() -> None:
    names = [
        v
        for k, v, _ in ids("Seen by Dr Alan Smith Consultant Oncologist MBBS FRCR.")
        if k == "person_name"
    ]
    assert names == ["Alan Smith"]


def test_generic_salutations_are_not_names() -> None:
    assert [k for k, *_ in ids("Dear Colleague,\nDear Sir/Madam,")] == []


def test_clinical_numbers_are_not_identifiers() -> None:
    text = (
        "Tumour 35 mm, Ki-67 20%, 12 of 15 nodes, ER 8/8, weight of specimen: 340 g, "
        "MR imaging of the pelvis, PS 1, CA 15-3 45 kU/L, 1234567890 cells."
    )
    assert ids(text) == []


def test_an_unlabelled_ten_digit_number_needs_a_valid_check_digit() -> None:
    assert ids("Ref 9434765919 noted") == [("nhs_number", "9434765919", True)]
    assert ids("Ref 9434765918 noted") == []


def test_uk_phone_formats() -> None:
    found = [
        v
        for k, v, _ in ids("Call 020 7946 0123 or +44 7700 900456 or 0118-496-0000.")
        if k == "phone"
    ]
    assert found == ["020 7946 0123", "+44 7700 900456", "0118-496-0000"]


def test_an_address_on_one_line() -> None:
    found = ids("Address: 160 Banbury Road, Oxford OX2 7BS")
    assert ("address", "160 Banbury Road, Oxford OX2 7BS", True) in found


def test_a_blank_page_gives_nothing() -> None:
    assert ids("") == []
    assert ids("   \n\n ") == []
