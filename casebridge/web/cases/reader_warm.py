"""Imported once by the reader's forkserver (cases/reader.py), before it forks
any child: loads the engine and reads one small document, so that the
knowledge files are parsed and the patterns compiled in the server and every
child starts warm (a fresh interpreter spends ~3 s on its first document).
No thread may be started here: the server forks."""

from __future__ import annotations

import logging

from casebridge.engine.pipeline import add_document, new_case
from casebridge.web.cases import reader_child  # noqa: F401  (the children run it)

_SAMPLE = (
    b"HISTOPATHOLOGY REPORT\nDate of report: 12/03/2024\nSpecimen: Left breast core biopsy.\n"
    b"Diagnosis: Invasive ductal carcinoma (NST), grade 2.\n"
    b"ER positive (Allred 8/8). PR positive. HER2 IHC 3+ (positive).\n"
)


def warm() -> None:
    try:
        add_document(new_case(), _SAMPLE, "warm-up.txt")
    except Exception:  # noqa: BLE001 - a cold child is slower, not wrong
        logging.getLogger(__name__).exception("warming the document reader failed")


warm()
