"""Images seen by the reviewers themselves (issue 11, part 5b), with a real
Orthanc (Debian's package, started by casebridge on loopback): a DICOM study the
patient uploaded goes into a pack version as a de-identified copy (the
pseudonym as patient name and id; the original is not kept in Orthanc), the
patient approves it with the rest, and a reviewer opens it in Orthanc's web
viewer only through the gate's proxy, which lets through that series alone."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pydicom
import pytest
from django.urls import reverse
from django.utils import timezone
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

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


def _sent_with(people, case, file_name: str, data: bytes):  # noqa: ANN001, ANN202
    """Alice's case with this upload, its pack built, approved and sent to the
    department, a lead on it."""
    doc = do_upload_document(case, acting_user=people.owner, file_name=file_name, data=data)
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


@pytest.fixture
def imaged(people, case):
    """Alice's case with a CT study, sent to the department, a lead on it."""
    return _sent_with(people, case, "ct.dcm", _ct())


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


# -- digital pathology slides (orthanc-wsi) ---------------------------------------------

DICOMIZER = shutil.which("OrthancWSIDicomizer")
needs_dicomizer = pytest.mark.skipif(
    DICOMIZER is None, reason="OrthancWSIDicomizer comes with orthanc-wsi (scripts/install.sh)"
)


def _slide(folder: Path, *, label: bool = True, overview: bool = False) -> bytes:
    """A small whole-slide image of Alice's, as a laboratory would send it: a
    two-level pyramid made by OrthancWSIDicomizer from a picture, her name and
    number in its dataset; with a label image (and an overview) in the same
    series, as scanners write them. A ZIP of the instances."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (600, 400), (236, 214, 226))
    draw = ImageDraw.Draw(picture)
    for x in range(0, 600, 40):  # something to see in each tile
        draw.ellipse((x, 150, x + 30, 180), fill=(120, 60, 140))
    picture.save(folder / "slide.png")
    (folder / "dataset.json").write_text(
        json.dumps(
            {
                "PatientName": "Smith^Alice",
                "PatientID": "9434765919",
                "PatientBirthDate": "19700101",
                "InstitutionName": "Royal Example Hospital",
                "ImageType": "DERIVED\\PRIMARY\\VOLUME\\NONE",
                "SeriesDescription": "H&E core biopsy",
            }
        )
    )
    out = folder / "dicom"
    out.mkdir()
    subprocess.run(  # noqa: S603 - the package's program, on files made here
        [
            str(DICOMIZER),
            "--dataset", str(folder / "dataset.json"),
            "--folder", str(out),
            "--tile-width", "256",
            "--tile-height", "256",
            "--compression", "jpeg",
            str(folder / "slide.png"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    levels = sorted(out.glob("*.dcm"))
    assert len(levels) == 2, levels
    files = {path.name: path.read_bytes() for path in levels}
    extra = [("LABEL", "label.dcm")] * label + [("OVERVIEW", "overview.dcm")] * overview
    for kind, name in extra:  # the small level, retyped: a picture of the glass
        ds = pydicom.dcmread(levels[-1])
        ds.ImageType = ["ORIGINAL", "PRIMARY", kind, "NONE"]
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        buffer = io.BytesIO()
        ds.save_as(buffer)
        files[name] = buffer.getvalue()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(f"slide/{name}", data)
    return archive.getvalue()


@pytest.fixture
def slid(people, case, tmp_path):
    """Alice's case with a slide (and its label), sent, a lead on it."""
    return _sent_with(people, case, "slide.zip", _slide(tmp_path))


def _slide_base(case: Case, series: PackSeries) -> str:
    page = reverse("review:slide", args=[case.pseudonym, series.pk, "wsi/app/viewer.html"])
    return page.rsplit("wsi/app/viewer.html", 1)[0]


@needs_dicomizer
def test_a_slide_goes_into_the_pack_pseudonymised_without_its_label(people, slid):
    case, pack, _lead = slid
    (series,) = PackSeries.objects.filter(pack=pack)
    assert series.slide and series.modality == "SM" and len(series.instances) == 2
    assert not series.burned_in  # no overview image
    assert pack.manifest["images"][0]["slide"] is True
    assert pack.manifest["images_withheld"] == [
        {"modality": "SM", "why": "a slide label, which often carries the patient's name"}
    ]
    server = orthanc.server()
    # the label is gone from the copy: the WSI viewer reads every instance of it
    assert sorted(server.json("GET", f"/series/{series.orthanc_series}")["Instances"]) == sorted(
        series.instances
    )
    for instance in series.instances:
        tags = server.instance_tags(instance)
        assert tags["PatientName"] == case.pseudonym and tags["PatientID"] == case.pseudonym
        assert tags["SOPClassUID"] == "1.2.840.10008.5.1.4.1.1.77.1.6"
        assert "LABEL" not in tags["ImageType"]
        assert tags.get("InstitutionName", "") != "Royal Example Hospital"
        assert not tags.get("PatientBirthDate")
    names = {
        server.json("GET", f"/patients/{p}")["MainDicomTags"].get("PatientName")
        for p in server.json("GET", "/patients")
    }
    assert "Smith^Alice" not in names


@needs_dicomizer
def test_a_reviewer_opens_the_slide_and_its_tiles_through_the_gate(client, people, slid):
    case, pack, lead = slid
    series = PackSeries.objects.get(pack=pack)
    client.force_login(lead)
    page = client.get(reverse("review:case", args=[case.pseudonym]))
    base = _slide_base(case, series)
    assert base + "wsi/app/viewer.html" in page.text
    assert reverse("review:viewer", args=[case.pseudonym, series.pk, "app/viewer.html"]) not in (
        page.text
    )
    opened = client.get(base + f"wsi/app/viewer.html?series={series.orthanc_series}")
    assert opened.status_code == 200 and b"viewer.js" in opened.content
    assert "script-src 'self';" in opened["Content-Security-Policy"]
    for path in ("wsi/app/viewer.js", "wsi/app/ol.js", "wsi/app/ol.css", "app/libs/jquery.min.js"):
        assert client.get(base + path).status_code == 200, path
    pyramid = client.get(base + f"wsi/pyramids/{series.orthanc_series}")
    assert pyramid.status_code == 200
    assert pyramid.json()["TotalWidth"] == 600 and len(pyramid.json()["Resolutions"]) == 2
    tile = client.get(base + f"wsi/tiles/{series.orthanc_series}/0/0/0")
    assert tile.status_code == 200 and tile["Content-Type"] == "image/jpeg"
    assert tile.content[:2] == b"\xff\xd8" and len(tile.content) > 500
    assert AuditEvent.objects.filter(actor=lead, action="images.opened").count() == 1


@needs_dicomizer
def test_the_slide_proxy_lets_through_that_slide_alone(client, people, slid, tmp_path):
    case, pack, lead = slid
    series = PackSeries.objects.get(pack=pack)
    # another slide in Orthanc (another case's, say): its tiles never pass here
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    server = orthanc.server()
    (other_study,) = server.upload(_slide(other_folder, label=False))
    (other,) = server.json("GET", f"/studies/{other_study}")["Series"]
    assert server.raw(f"/wsi/tiles/{other}/0/0/0")[0] == 200  # it is there
    client.force_login(lead)
    base = _slide_base(case, series)
    try:
        for path in (
            f"wsi/tiles/{other}/0/0/0",
            f"wsi/pyramids/{other}",
            f"wsi/tiles/{series.orthanc_series}/0/0/0/",
            f"wsi/./tiles/{series.orthanc_series}/0/0/0",
            f"wsi/app/../pyramids/{other}",
            "wsi/app/other.html",
            "app/explorer.html",
            "app/libs/jquery.min.js/",
            "system",
            "patients",
            f"series/{series.orthanc_series}",
            f"instances/{series.instances[0]}/file",
            f"web-viewer/series/{series.orthanc_series}",
        ):
            assert client.get(base + path).status_code == 404, path
        # a slide opens in the slide viewer only
        web = reverse("review:viewer", args=[case.pseudonym, series.pk, "app/viewer.html"])
        assert (
            client.get(
                web.rsplit("app/viewer.html", 1)[0] + f"series/{series.orthanc_series}"
            ).status_code
            == 404
        )
    finally:
        server.delete_study(other_study)


@needs_dicomizer
def test_a_ct_series_does_not_open_in_the_slide_viewer(client, people, imaged):
    case, pack, lead = imaged
    series = PackSeries.objects.get(pack=pack)
    client.force_login(lead)
    base = _slide_base(case, series)
    assert client.get(base + "wsi/app/viewer.html").status_code == 404
    assert client.get(base + f"wsi/pyramids/{series.orthanc_series}").status_code == 404


@needs_dicomizer
def test_a_slide_with_an_overview_image_is_flagged(people, case, tmp_path):
    pack = _pack_of(people, case, _slide(tmp_path, label=False, overview=True))
    series = PackSeries.objects.get(pack=pack)
    assert series.slide and series.burned_in and len(series.instances) == 3
    assert "images_withheld" not in pack.manifest
    # the overview image does not stop the viewer from reading the pyramid
    status, _headers, content = orthanc.server().raw(f"/wsi/pyramids/{series.orthanc_series}")
    assert status == 200 and json.loads(content)["TotalWidth"] == 600


def test_a_slide_is_not_taken_for_a_secondary_capture():
    from casebridge.web.cases.pack_images import _flagged

    assert not _flagged({"SOPClassUID": "1.2.840.10008.5.1.4.1.1.77.1.6"}, "SM")
    assert _flagged({"SOPClassUID": "1.2.840.10008.5.1.4.1.1.7"}, "CT")
    assert _flagged({"SOPClassUID": "1.2.840.10008.5.1.4.1.1.7.4"}, "CT")
