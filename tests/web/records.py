"""Record texts the web tests upload: small, but real enough for the engine to
read a cancer type, grade and receptor results from, with their sources."""

PATHOLOGY = (
    "HISTOPATHOLOGY REPORT\n"
    "Date of report: 12/03/2024\n"
    "Specimen: Left breast core biopsy.\n"
    "Diagnosis: Invasive ductal carcinoma (NST), grade 2.\n"
    "ER positive (Allred 8/8). PR positive. HER2 IHC 3+ (positive).\n"
)


def stored_pack(case, by):  # noqa: ANN001, ANN201 - a test helper
    """A ready pack of one small file, stored encrypted as a built one is (for
    the permission matrices: building a real one needs a matched case)."""
    import hashlib

    from casebridge.web.cases import storage
    from casebridge.web.cases.models import CasePack, PackFile

    data = b'{"resourceType": "Bundle"}'
    pack = CasePack(case=case, number=1, case_version=case.version, created_by=by)
    pack.recipient = "fuscc-breast-surgery"
    pack.state = CasePack.State.READY
    pack.save()
    file = PackFile(
        case=case,
        pack=pack,
        position=0,
        media_type="application/fhir+json",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
    file.name = "fhir.json"
    file.save()
    file.blob_path = storage.store_pack_file(case, file, data)
    file.save(update_fields=["blob_path"])
    return pack
