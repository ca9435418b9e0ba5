"""Record texts the web tests upload: small, but real enough for the engine to
read a cancer type, grade and receptor results from, with their sources."""

PATHOLOGY = (
    "HISTOPATHOLOGY REPORT\n"
    "Date of report: 12/03/2024\n"
    "Specimen: Left breast core biopsy.\n"
    "Diagnosis: Invasive ductal carcinoma (NST), grade 2.\n"
    "ER positive (Allred 8/8). PR positive. HER2 IHC 3+ (positive).\n"
)


def stored_pack(  # noqa: ANN201 - a test helper
    case,  # noqa: ANN001
    by,  # noqa: ANN001
    *,
    recipient: str = "fuscc-breast-surgery",
    state: str = "ready",
    number: int = 1,
    name: str = "fhir.json",
    data: bytes = b'{"resourceType": "Bundle"}',
    media_type: str = "application/fhir+json",
):
    """A pack of one small file, stored encrypted as a built one is (for the
    permission matrices and the reviewers' tests: building a real one needs a
    matched case and takes seconds)."""
    import hashlib

    from django.utils import timezone

    from casebridge.web.cases import storage
    from casebridge.web.cases.models import CasePack, PackFile

    pack = CasePack(case=case, number=number, case_version=case.version, created_by=by)
    pack.recipient, pack.state = recipient, state
    pack.sha256 = hashlib.sha256(data).hexdigest()
    pack.manifest = {"files": [{"name": name, "role": "summary"}]}
    pack.sent_at = timezone.now() if state == CasePack.State.SENT else None
    pack.save()
    file = PackFile(
        case=case,
        pack=pack,
        position=0,
        media_type=media_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
    file.name = name
    file.save()
    file.blob_path = storage.store_pack_file(case, file, data)
    file.save(update_fields=["blob_path"])
    return pack
