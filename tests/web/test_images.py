"""Images seen by the reviewers themselves (issue 11, part 5b), with a real
Orthanc (Debian's package, started by casebridge on loopback): a DICOM study the
patient uploaded goes into a pack version as a de-identified copy (the
pseudonym as patient name and id; the original is not kept in Orthanc), the
patient approves it with the rest, and a reviewer opens it in Orthanc's web
viewer only through the gate's proxy, which lets through that series alone."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import pydicom
import pytest
from django.urls import reverse
from django.utils import timezone
from pydicom.data import get_testdata_file

from casebridge.web.cases import orthanc
from casebridge.web.cases.actions import do_upload_document
from casebridge.web.cases.models import AuditEvent, Case, CasePack, PackSeries
from casebridge.web.cases.packs import build_pack, do_approve_pack, do_prepare_pack, do_send_pack
from casebridge.web.cases.reviews import Seat, do_assign_review
from casebridge.web.cases.tasks import process_document
from tests.web.reviewing import make_sent, reviewer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("plain_http"),
    pytest.mark.skipif(
        orthanc.binary() is None, reason="Orthanc is installed by scripts/install.sh"
    ),
]


def _ct(name: str = "Smith^Alice", patient_id: str = "9434765919", **tags: object) -> bytes:
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.PatientName, ds.PatientID = name, patient_id
    ds.InstitutionName = "Royal Example Hospital"
    # an overlay that names her: kept by the basic profile, removed by casebridge
    ds.add_new(0x60000022, "LO", "Smith Alice localiser")
    ds.add_new(0x60004000, "LT", "for Alice Smith")
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


@pytest.fixture
def imaged(people, case):
    """Alice's case with a CT study, sent to the department, a lead on it."""
    doc = do_upload_document(case, acting_user=people.owner, file_name="ct.dcm", data=_ct())
    assert process_document.call(doc.pk) in {"processed", "needs_attention"}
    case, best = make_sent(people, case)
    case.packs.all().delete()  # make_sent's stand-in pack: build the real one instead
    Case.objects.filter(pk=case.pk).update(status="matched")
    case.refresh_from_db()
    pack = do_prepare_pack(case, acting_user=people.coordinator, expected_version=case.version)
    assert build_pack.call(pack.pk) == "built", CasePack.objects.get(pk=pack.pk).error
    pack.refresh_from_db()
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    case.refresh_from_db()
    do_send_pack(pack, acting_user=people.coordinator, expected_version=case.version, checked=True)
    lead = reviewer(people, "li@hospital.test", best, ["radiology", "pathology"])
    case.refresh_from_db()
    discipline = (
        "radiology" if "radiology" in case.direction_choices.get().disciplines else "pathology"
    )
    do_assign_review(
        case,
        acting_user=people.coordinator,
        expected_version=case.version,
        seats=[Seat(lead.pk, discipline, lead=True)],
        due_date=timezone.localdate() + dt.timedelta(days=7),
    )
    return case, pack, lead


def test_the_study_goes_into_the_pack_as_a_deidentified_copy_only(people, imaged):
    case, pack, _lead = imaged
    (series,) = PackSeries.objects.filter(pack=pack)
    assert series.modality == "CT" and series.instances
    assert pack.manifest["images"][0]["series"] == series.orthanc_series
    server = orthanc.server()
    tags = server.json("GET", f"/instances/{series.instances[0]}/simplified-tags")
    assert tags["PatientName"] == case.pseudonym and tags["PatientID"] == case.pseudonym
    assert "InstitutionName" not in tags or tags["InstitutionName"] != "Royal Example Hospital"
    # nothing of the original stays in Orthanc
    names = {
        server.json("GET", f"/patients/{p}")["MainDicomTags"].get("PatientName")
        for p in server.json("GET", "/patients")
    }
    assert "Smith^Alice" not in names


def test_a_reviewer_opens_the_series_through_the_gate_and_the_opening_is_audited(
    client, people, imaged
):
    case, pack, lead = imaged
    series = PackSeries.objects.get(pack=pack)
    client.force_login(lead)
    page = client.get(reverse("review:case", args=[case.pseudonym]))
    viewer = reverse("review:viewer", args=[case.pseudonym, series.pk, "app/viewer.html"])
    assert viewer in page.text
    opened = client.get(viewer + f"?series={series.orthanc_series}")
    assert opened.status_code == 200 and b"cornerstone" in opened.content
    base = viewer.rsplit("app/viewer.html", 1)[0]
    info = client.get(base + f"series/{series.orthanc_series}")
    assert info.status_code == 200 and series.instances[0].encode() in info.content
    tile = client.get(base + f"instances/deflate-{series.instances[0]}_0")
    assert tile.status_code == 200 and len(tile.content) > 1000
    assert AuditEvent.objects.filter(actor=lead, action="images.opened").count() == 1


def test_the_proxy_lets_through_that_series_alone(client, people, imaged):
    case, pack, lead = imaged
    series = PackSeries.objects.get(pack=pack)
    client.force_login(lead)
    base = reverse("review:viewer", args=[case.pseudonym, series.pk, "app/viewer.html"]).rsplit(
        "app/viewer.html", 1
    )[0]
    other = "0" * 8 + "-" + "1" * 8 + "-" + "2" * 8 + "-" + "3" * 8 + "-" + "4" * 8
    for path in (
        f"series/{other}",
        f"instances/deflate-{other}_0",
        "../../instances/" + series.instances[0] + "/file",
        "../../patients",
        "app/../../../system",
    ):
        assert client.get(base + path).status_code == 404, path


@pytest.mark.parametrize("who", ["owner", "coordinator", "reviewer", "anonymous"])
def test_nobody_else_reaches_the_viewer(client, people, imaged, who):
    case, pack, _lead = imaged
    series = PackSeries.objects.get(pack=pack)
    if who != "anonymous":
        client.force_login(getattr(people, who))
    url = reverse("review:viewer", args=[case.pseudonym, series.pk, "app/viewer.html"])
    response = client.get(url)
    assert response.status_code in ({302} if who == "anonymous" else {404})


def test_the_viewer_closes_when_the_consent_is_withdrawn(client, people, imaged):
    from casebridge.web.cases.actions import do_withdraw_consent

    case, pack, lead = imaged
    series = PackSeries.objects.get(pack=pack)
    do_withdraw_consent(case, acting_user=people.owner, kind="transfer_abroad")
    client.force_login(lead)
    url = reverse("review:viewer", args=[case.pseudonym, series.pk, "app/viewer.html"])
    assert client.get(url).status_code == 404


def test_orthanc_is_reachable_on_loopback_only_and_with_its_password():
    import urllib.error
    import urllib.request

    server = orthanc.server()
    assert server.url.startswith("http://127.0.0.1:")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(server.url + "/system", timeout=5)  # noqa: S310 - loopback
    assert refused.value.code == 401
    assert shutil.which("Orthanc") or orthanc.binary()


def test_the_overlay_that_names_her_does_not_survive(people, imaged):
    _case, pack, _lead = imaged
    series = PackSeries.objects.get(pack=pack)
    tags = orthanc.server().json("GET", f"/instances/{series.instances[0]}/tags?short")
    assert "6000,0022" not in tags and "6000,4000" not in tags


def _pack_of(people, case, data: bytes) -> CasePack:
    doc = do_upload_document(case, acting_user=people.owner, file_name="x.dcm", data=data)
    assert process_document.call(doc.pk) in {"processed", "needs_attention"}
    case, _best = make_sent(people, case)
    case.packs.all().delete()
    Case.objects.filter(pk=case.pk).update(status="matched")
    case.refresh_from_db()
    pack = do_prepare_pack(case, acting_user=people.coordinator, expected_version=case.version)
    assert build_pack.call(pack.pk) == "built", CasePack.objects.get(pk=pack.pk).error
    pack.refresh_from_db()
    return pack


def test_a_series_whose_copy_still_names_the_patient_is_withheld(people, case):
    people.owner.full_name = "Alice Smith"
    people.owner.save()
    # a field the basic profile keeps, written by hand at the scanner
    pack = _pack_of(people, case, _ct(ConvolutionKernel="ALICE SMITH"))
    assert not PackSeries.objects.filter(pack=pack).exists()
    assert pack.manifest["images_withheld"][0]["why"] == "a known identifier is in its tags"


def test_a_secondary_capture_like_series_is_flagged(people, case):
    pack = _pack_of(people, case, _ct(ImageType=["DERIVED", "SECONDARY"]))
    assert PackSeries.objects.get(pack=pack).burned_in


def test_the_images_of_a_replaced_version_leave_orthanc(
    people, case, django_capture_on_commit_callbacks
):
    pack = _pack_of(people, case, _ct())
    study = PackSeries.objects.get(pack=pack).orthanc_study
    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        do_prepare_pack(case, acting_user=people.coordinator, expected_version=case.version)
    assert study not in orthanc.server().json("GET", "/studies")


def test_no_second_spelling_of_a_viewer_path_gets_through(client, people, imaged):
    case, pack, lead = imaged
    series = PackSeries.objects.get(pack=pack)
    client.force_login(lead)
    base = reverse("review:viewer", args=[case.pseudonym, series.pk, "app/viewer.html"]).rsplit(
        "app/viewer.html", 1
    )[0]
    for path in ("app/./viewer.html", "app//viewer.html", "app/viewer.html/", "app/%2e/x"):
        assert client.get(base + path).status_code == 404, path
