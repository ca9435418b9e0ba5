"""Draft subject access request letters, one per gap: from the patient to the UK
holder of the record, under the UK GDPR right of access (Article 15) and the Data
Protection Act 2018. The patient's details are placeholders ([Your name] ...) and
the letter names only the record requested: no other health detail. When the records give
them, the letter is addressed to the department and organisation in the letterhead of the
document the gap was seen in, and names that document, its reference and its date
(render/record_holder.py); otherwise those stay placeholders."""

from __future__ import annotations

from casebridge.engine.case import Case, Gap
from casebridge.engine.gaps import request_for
from casebridge.engine.render.record_holder import holder_of


def _letter(gap: Gap, case: Case) -> str:
    wanted = request_for(gap.id, case.programme) or gap.title
    found = holder_of(case, gap)
    holder = gap.holder or "[Name of the practice or hospital department]"
    if found.department:
        holder = found.addressee
    elif found.organisation:
        holder = f"{holder}, {found.organisation}"
    aid = found.finding_aid()
    if aid and found.seen_in:
        help_line = f"If it helps you find it: it is referred to in {aid}."
    elif aid:
        help_line = f"If it helps you find it: your records include {aid}."
    else:
        help_line = (
            "If it helps you find it: [approximate date, hospital or clinic, if you know them]."
        )
    return "\n".join(
        [
            "[Your name]",
            "[Your address]",
            "[Your date of birth]",
            "[Your NHS number, if you know it]",
            "[Your hospital number, if you know it]",
            "[Your email address or phone number]",
            "",
            "[Date]",
            "",
            f"To: {holder}",
            "[Address of the practice or hospital department]",
            "",
            "Dear Sir or Madam,",
            "",
            "**Subject access request: a copy of my health records**",
            "",
            "I am writing to ask for a copy of my personal data under my right of access "
            "(Article 15 of the UK General Data Protection Regulation and the Data "
            "Protection Act 2018). Specifically, I would like:",
            "",
            f"- {wanted}",
            "",
            help_line,
            "",
            "I would prefer to receive this electronically (by secure email or a download "
            "link). Paper copies sent to the address above are also fine; for scan images, "
            "a disc, USB drive or secure image-sharing link is fine.",
            "",
            "I understand that you should respond without undue delay and at the latest "
            "within one month of receiving this request, and that a copy is normally "
            "provided free of charge. Please let me know if you need anything to confirm "
            "my identity, or if this record is held by someone else.",
            "",
            "Thank you for your help.",
            "",
            "Yours faithfully,",
            "",
            "[Your name]",
            "",
        ]
    )


def render_requests(case: Case) -> dict[str, str]:
    """{"requests/NN-slug.md": letter} for every gap with a request letter name."""
    letters: dict[str, str] = {}
    for gap in case.gaps:
        if gap.request_letter and gap.request_letter not in letters:
            letters[gap.request_letter] = _letter(gap, case)
    return letters
