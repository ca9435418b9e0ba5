"""Sending a case pack, only with consent and approval (issue 11, part 3).

    do_prepare_pack   a coordinator asks for a new version of the pack for the
                      chosen department; a worker builds it (build_pack task:
                      engine/pack, every original page redacted) and stores it
                      encrypted, frozen, with its manifest's hash
    do_approve_pack   the patient approves that version, naming its hash: what
                      they saw is what will be sent
    do_send_pack      a coordinator sends the approved version: refused unless
                      the consents stand (processing, and transfer abroad naming
                      that department), the department is still the chosen one
                      and every stored file still has its approved hash; the
                      first pack sent moves the case to under review

A pack once built never changes. New records, a new choice of department or a
new version asked for replace an unsent one (superseded); a sent one stays on
record beside the next.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from casebridge.engine.case import Document as EngineDocument
from casebridge.engine.pack.build import build_pack as engine_build_pack
from casebridge.engine.pack.build import manifest_hash
from casebridge.engine.pack.identity import KnownIdentity, PackError
from casebridge.web.accounts.models import User
from casebridge.web.cases import audit, matching, storage, workflow
from casebridge.web.cases.access import case_for_system, require
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import ActionError, StorageError
from casebridge.web.cases.lib import can_share_abroad, engine_case
from casebridge.web.cases.models import (
    Case,
    CasePack,
    Document,
    Enquiry,
    PackFile,
    PackSeries,
)
from casebridge.web.cases.orthanc import OrthancError
from casebridge.web.cases.pack_images import deidentified_series, delete_studies
from casebridge.web.cases.versions import lock_case, move_on, save_case
from casebridge.web.cases.withdrawal import processing_withdrawn_at, withheld_line

log = logging.getLogger(__name__)

# where a pack may be prepared and sent: a department is chosen, or the case is
# already with it (new records make a new version)
PACKABLE = frozenset({workflow.MATCHED, workflow.UNDER_REVIEW})
OPEN_STATES = (CasePack.State.BUILDING, CasePack.State.READY, CasePack.State.APPROVED)


def current_pack(case: Case) -> CasePack | None:
    """The newest version that is not superseded (being prepared, ready, approved,
    sent or failed), or None."""
    return case.packs.exclude(state=CasePack.State.SUPERSEDED).first()


def sent_packs(case: Case) -> list[CasePack]:
    return list(case.packs.filter(state=CasePack.State.SENT))


def sent_pack(case: Case, direction_id: str) -> CasePack | None:
    """The newest version sent to the department `direction_id`: what its
    reviewers read and write their opinions on (it opens with `case`'s key)."""
    for pack in case.packs.filter(state=CasePack.State.SENT).order_by("-number"):
        if pack.recipient == direction_id:
            pack.case = case
            return pack
    return None


def do_prepare_pack(
    case: Case, *, acting_user: User, expected_version: int, meta: RequestMeta | None = None
) -> CasePack:
    """A new version of the pack for the chosen department, built by a worker.
    An unsent earlier version is superseded."""
    require(acting_user, case, "process")
    with transaction.atomic():
        locked = lock_case(case, expected_version)
        since = processing_withdrawn_at(locked)
        if since is not None:
            raise ActionError(f"No pack can be prepared. {withheld_line(since)}")
        if locked.status not in PACKABLE:
            raise ActionError(
                "A pack is prepared once a department is chosen for the case; this case is "
                f"'{locked.get_status_display()}'."
            )
        if locked.documents.filter(
            state__in=[Document.State.QUEUED, Document.State.PROCESSING]
        ).exists():
            raise ActionError(
                "Some records are still being read: prepare the pack once they are all read."
            )
        recipient = matching.consent_recipient(locked, "en")
        if recipient is None:
            raise ActionError("Choose a department for the case before preparing its pack.")
        replaced = _supersede(locked)
        number = (
            locked.packs.order_by("-number").values_list("number", flat=True).first() or 0
        ) + 1
        pack = CasePack(
            case=locked, number=number, case_version=locked.version, created_by=acting_user
        )
        pack.recipient = recipient["id"]
        pack.save()
        save_case(locked, [])
        audit.record(
            acting_user,
            locked,
            "pack.requested",
            obj=pack,
            after={"number": number, "recipient": recipient["id"], "superseded": replaced},
            meta=meta,
        )
        transaction.on_commit(lambda: build_pack.enqueue(pack.pk))
    case.version = locked.version
    return pack


def supersede_for_change(
    case: Case, acting_user: User | None, why: str, meta: RequestMeta | None = None
) -> list[int]:
    """Inside the transaction of a change to what a pack is built from (a new
    record, a corrected fact, a document's type): every version not yet sent
    is replaced, so that nothing approved before the change can be sent after
    it. A version being sent holds its row lock; it is sent first, or not at all."""
    old = list(
        CasePack.objects.select_for_update().filter(
            case=case, state__in=[*OPEN_STATES, CasePack.State.FAILED]
        )
    )
    _drop_images(case, old)
    for pack in old:
        pack.state = CasePack.State.SUPERSEDED
        pack.save(update_fields=["state"])
        audit.record(
            acting_user,
            case,
            "pack.superseded",
            obj=pack,
            after={"number": pack.number, "why": why},
            meta=meta,
        )
    return [p.number for p in old]


def do_set_share_name(
    case: Case,
    *,
    acting_user: User,
    share: bool,
    expected_version: int,
    meta: RequestMeta | None = None,
) -> Case:
    """The patient's choice whether their name goes with the pack (pseudonymised
    by default). Every version not yet sent is replaced: it was made the other way."""
    require(acting_user, case, "consent")
    with transaction.atomic():
        locked = lock_case(case, expected_version)
        before = locked.share_name
        locked.share_name = share
        save_case(locked, ["share_name"])
        audit.record(
            acting_user,
            locked,
            "pack.name_choice",
            before={"share_name": before},
            after={"share_name": share},
            meta=meta,
        )
        if before != share:
            supersede_for_change(locked, acting_user, "the patient's choice about their name", meta)
    case.share_name, case.version = locked.share_name, locked.version
    return locked


def _drop_images(case: Case, replaced: list[CasePack]) -> None:
    """Once the transaction commits, the de-identified images of versions that
    were never sent leave Orthanc (a sent one's stay: the reviewers read them)."""
    studies = sorted(
        set(PackSeries.objects.filter(pack__in=replaced).values_list("orthanc_study", flat=True))
    )
    if studies:
        pseudonym = case.pseudonym
        transaction.on_commit(lambda: delete_studies(studies, pseudonym))


def _supersede(locked: Case) -> list[int]:
    old = list(locked.packs.filter(state__in=[*OPEN_STATES, CasePack.State.FAILED]))
    _drop_images(locked, old)
    for pack in old:
        pack.state = CasePack.State.SUPERSEDED
        pack.save(update_fields=["state"])
    return [p.number for p in old]


@task()
def build_pack(pack_id: int) -> str:
    """Build and store one pack version (a worker's task). Returns what happened."""
    pack = CasePack.objects.filter(pk=pack_id).first()
    if pack is None or pack.state != CasePack.State.BUILDING:
        return "nothing to build"
    case = case_for_system(pack.case_id)
    since = processing_withdrawn_at(case)
    if since is not None:  # withdrawn after the coordinator asked for it
        return _failed(pack_id, f"The pack was not prepared: {withheld_line(since)}")
    known = known_identity(case)
    try:
        built = engine_build_pack(
            engine_case(case),
            _originals(case),
            pseudonym=case.pseudonym,
            created=timezone.now().isoformat(timespec="seconds"),
            known=known,
            include_name=known.name if case.share_name else "",
        )
    except PackError as error:  # a plain reason for the coordinator (e.g. no identity known)
        return _failed(pack_id, f"The pack could not be prepared safely: {error}")
    except Exception as error:  # noqa: BLE001 - recorded on the pack for the coordinator
        log.exception("building pack %s failed", pack_id)
        return _failed(pack_id, f"The pack could not be prepared ({type(error).__name__}).")
    try:
        deidentified = deidentified_series(case, known)
    except (OrthancError, StorageError) as error:
        log.exception("the images of pack %s failed", pack_id)
        return _failed(pack_id, f"The images could not be prepared: {error}")
    images = deidentified.series
    manifest = dict(built.manifest)
    if deidentified.withheld:
        manifest["images_withheld"] = deidentified.withheld
    if images:
        # the series are part of what the patient approves, by their copy's ids
        manifest["images"] = [
            {
                "series": i.series,
                "modality": i.modality,
                "date": i.study_date,
                "instances": len(i.instances),
                "burned_in": i.burned_in,
                **({"slide": True} if i.slide else {}),
            }
            for i in images
        ]
    sha256 = manifest_hash(manifest)
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = CasePack.objects.select_for_update().get(pk=pack_id)
            if locked.state != CasePack.State.BUILDING:
                delete_studies(deidentified.studies, case.pseudonym)
                return "superseded while it was built"
            store_files(case, locked, built.files, stored)
            for position, image in enumerate(images):
                series = PackSeries(
                    case=case,
                    pack=locked,
                    position=position,
                    orthanc_study=image.study,
                    orthanc_series=image.series,
                    modality=image.modality,
                    study_date=image.study_date,
                    instances=image.instances,
                    burned_in=image.burned_in,
                    slide=image.slide,
                )
                series.description = image.description
                series.save()
            locked.case = case
            locked.manifest = manifest
            locked.sha256 = sha256
            locked.state = CasePack.State.READY
            locked.save(update_fields=["manifest", "sha256", "state"])
            audit.record(
                None,
                case,
                "pack.built",
                obj=locked,
                after={
                    "number": locked.number,
                    "sha256": sha256,
                    "files": len(built.files),
                    "series": len(images),
                },
            )
    except Exception as error:  # noqa: BLE001
        for name in stored:  # nothing of a rolled-back pack stays in the store
            storage.delete_blob_named(name)
        delete_studies(deidentified.studies, case.pseudonym)
        log.exception("storing pack %s failed", pack_id)
        return _failed(pack_id, f"The pack could not be stored ({type(error).__name__}).")
    return "built"


def known_identity(case: Case) -> KnownIdentity:
    """Who the patient is as the platform knows them outside the records (their
    account, their enquiry, the people around the case), hidden in the pack as
    the identifiers the records hold are: a letterhead the engine misread still
    names them as the account does."""
    owner = case.owner
    enquiry = Enquiry.objects.filter(case=case).first()
    name = (owner.full_name if owner else "") or (enquiry.full_name if enquiry else "")
    others: list[tuple[str, str]] = []
    if enquiry is not None:
        if enquiry.full_name and enquiry.full_name != name:
            others.append(("person_name", enquiry.full_name))  # who enquired for them
        if enquiry.email:
            others.append(("email", enquiry.email))
    for member in case.members.select_related("user"):
        if member.user.full_name:
            others.append(("person_name", member.user.full_name))
        others.append(("email", member.user.email))
    return KnownIdentity(
        name=name,
        email=owner.email if owner else "",
        phone=enquiry.phone if enquiry else "",
        others=tuple(others),
    )


def store_files(case: Case, pack: CasePack, files: list[Any], stored: list[str]) -> None:
    """The built files as the pack's rows, each stored encrypted; every blob
    name is appended to `stored` as it is written (removed again on failure)."""
    for position, file in enumerate(files):
        row = PackFile(
            case=case,
            pack=pack,
            position=position,
            media_type=file.media_type,
            sha256=file.sha256,
            size=len(file.data),
        )
        row.name = file.name
        row.save()
        row.blob_path = storage.store_pack_file(case, row, file.data)
        stored.append(row.blob_path)
        row.save(update_fields=["blob_path"])


def _originals(case: Case) -> Any:
    """The uploaded bytes of each engine document; None for an archive's member
    (its pages then go as redacted text) or a file that does not open."""
    # An archive's members are engine documents of one upload: the upload's
    # bytes are the archive, not the member, so a member is matched to nothing
    # (the content hash says which engine document IS the uploaded file).
    by_sha = {d.sha256: d for d in case.documents.all() if d.blob_path}

    def original(document: EngineDocument) -> bytes | None:
        web = by_sha.get(document.sha256)
        if web is None or document.id not in (web.engine_doc_ids or [web.engine_doc_id]):
            return None
        try:
            return storage.read_document(case, web)  # the system's read: no audit row
        except StorageError:
            return None

    return original


def _failed(pack_id: int, why: str) -> str:
    with transaction.atomic():
        changed = CasePack.objects.filter(pk=pack_id, state=CasePack.State.BUILDING).update(
            state=CasePack.State.FAILED, error=why
        )
        pack = CasePack.objects.filter(pk=pack_id).select_related("case").first()
        if changed and pack is not None:
            # on the case's record, where the console's case page shows it
            audit.record(None, pack.case, "pack.failed", obj=pack, after={"why": why})
    return why


def stalled(pack: CasePack) -> bool:
    """A version still 'being prepared' long after it was asked for: its worker
    died. The console says so; preparing a new version replaces it."""
    limit = dt.timedelta(minutes=settings.PACK_BUILD_STALL_MINUTES)
    return pack.state == CasePack.State.BUILDING and pack.created_at < timezone.now() - limit


def do_approve_pack(
    pack: CasePack, *, acting_user: User, sha256: str, meta: RequestMeta | None = None
) -> CasePack:
    """The patient approves exactly this version (`sha256` is the hash their
    preview showed). Refused: a version not ready, or not the one they saw."""
    case = pack.case
    require(acting_user, case, "approve")
    with transaction.atomic():
        locked = CasePack.objects.select_for_update().get(pk=pack.pk, case=case)
        locked.case = case
        if locked.state != CasePack.State.READY:
            raise ActionError(_not_ready(locked))
        chosen = matching.consent_recipient(case, "en")
        if chosen is None or chosen["id"] != locked.recipient:
            raise ActionError(
                "This version was prepared for another department than the one now chosen: "
                "your coordinator will prepare a new one."
            )
        if sha256 != locked.sha256 or manifest_hash(locked.manifest) != locked.sha256:
            raise ActionError(
                "This is not the version you looked at: a newer one was prepared. "
                "Look at it again before you approve it."
            )
        locked.state = CasePack.State.APPROVED
        locked.approved_by, locked.approved_at = acting_user, timezone.now()
        locked.save(update_fields=["state", "approved_by", "approved_at"])
        audit.record(
            acting_user,
            case,
            "pack.approved",
            obj=locked,
            after={"number": locked.number, "sha256": locked.sha256},
            meta=meta,
        )
    return locked


def _not_ready(pack: CasePack) -> str:
    if pack.state == CasePack.State.APPROVED:
        return "You have already approved this version."
    if pack.state == CasePack.State.SENT:
        return "This version has already been sent."
    if pack.state == CasePack.State.SUPERSEDED:
        return "A newer version replaced this one: look at the newer one."
    return "This version is not ready to approve yet."


def do_send_pack(
    pack: CasePack,
    *,
    acting_user: User,
    expected_version: int,
    checked: bool = False,
    meta: RequestMeta | None = None,
) -> CasePack:
    """Send the approved version to the chosen department. `checked`: the
    coordinator confirms they looked at every page's redaction themselves (the
    redactor finds what it knows; a person looks before anything leaves). The
    first one sent moves the case to under review."""
    case = pack.case
    require(acting_user, case, "process")
    with transaction.atomic():
        locked_case = lock_case(case, expected_version)
        locked = CasePack.objects.select_for_update().get(pk=pack.pk, case=locked_case)
        locked.case = locked_case
        if locked.state != CasePack.State.APPROVED:
            raise ActionError("Only a version the patient has approved can be sent.")
        if not checked:
            raise ActionError(
                "Open every file of this version and check that nothing identifies the "
                "patient, then tick the box to say you have."
            )
        if locked_case.status not in PACKABLE:
            raise ActionError(
                f"The case is '{locked_case.get_status_display()}': nothing can be sent now."
            )
        chosen = matching.consent_recipient(locked_case, "en")
        if chosen is None or chosen["id"] != locked.recipient:
            raise ActionError(
                "This version was prepared for another department than the one now chosen: "
                "prepare a new version."
            )
        if not can_share_abroad(locked_case, locked.recipient):
            raise ActionError(
                f"The patient's consent to send their case to {chosen['name']} is not in force "
                "(it was withdrawn, or never given): nothing was sent."
            )
        # each stored file still the approved one (the platform's check: no read audited)
        system = case_for_system(locked_case.pk)
        listed = {f["name"]: f.get("sha256") for f in locked.manifest.get("files", [])}
        files = list(locked.files.all())
        if manifest_hash(locked.manifest) != locked.sha256 or len(files) != len(listed):
            raise ActionError("This version's list of files has changed: prepare a new version.")
        for file in files:
            if listed.get(file.name) != file.sha256:
                raise ActionError(f"{file.name} is not the approved file: prepare a new version.")
            storage.read_pack_file(system, file)
        locked.state = CasePack.State.SENT
        locked.sent_by, locked.sent_at = acting_user, timezone.now()
        locked.save(update_fields=["state", "sent_by", "sent_at"])
        before = move_on(locked_case, workflow.MATCHED, workflow.UNDER_REVIEW)
        save_case(locked_case, ["status"])
        audit.record(
            acting_user,
            locked_case,
            "pack.sent",
            obj=locked,
            before={"status": before},
            after={
                "status": locked_case.status,
                "number": locked.number,
                "sha256": locked.sha256,
                "recipient": locked.recipient,
                "redaction_checked_by": acting_user.pk,
            },
            meta=meta,
        )
    case.status, case.version = locked_case.status, locked_case.version
    return locked
