"""The export of a case: everything the patient has on casebridge, as one ZIP
archive (their right of access and to portability, UK GDPR arts. 15 and 20;
a coordinator's answer to a subject access request).

`do_export_case` is an action like those of actions.py: it checks who may
export (the patient, or staff), then writes and commits the case.exported
audit row, naming the parts and every original file, before a byte of the
archive is made, so no copy leaves unrecorded. The CaseExport it returns makes
the archive as a stream of chunks (`chunks()`, for a streamed response) or
into a file (`write_to`): one original is in memory at a time, never all.

The archive, under one folder <pseudonym>-everything-<day>/:
    README.txt        what each file is, in English and Chinese
    originals/        the uploaded files, decrypted exactly as uploaded
    case.json         the engine's output as stored
    summary-en.pdf, summary-zh.pdf, fhir.json
                      the summaries and the FHIR bundle, once a record is read
                      (the engine's renderers, as the portal's downloads)
    consents.json, messages.json, questions.json
    access-log.csv    every audit row of the case: who, in which role, when
    manifest.json     the files, each original's size and SHA-256, and what
                      could not be included (last: only then is it known)

What only an app can word (which consent wording, in plain words; what an
audit action means) comes from the caller's `Words`, in both languages; the
portal's (portal/archive_words.py) is the one the patient's pages use.
Internal notes are staff-only and stay out.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Protocol

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from casebridge.engine.render.fhir import to_ips_bundle
from casebridge.engine.render.pdf import render_pdf
from casebridge.web.accounts.models import User
from casebridge.web.cases import audit, matching, opinions, storage
from casebridge.web.cases.access import grant_of, needs_of
from casebridge.web.cases.actions import clean_file_name
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import StorageError
from casebridge.web.cases.lib import engine_case
from casebridge.web.cases.models import (
    AuditEvent,
    Case,
    CaseMember,
    CasePack,
    Consent,
    Document,
    Message,
)
from casebridge.web.cases.questions import questions_of

LANGS = ("en", "zh")
CHUNK = 1 << 16  # what is handed on at a time
ACCESS_LOG_BATCH = 2000  # audit rows read at a time

# The parts of an archive, in its order (the audit row names those it holds).
ORIGINALS = "originals"
CASE_JSON = "case.json"
SUMMARY_EN = "summary-en.pdf"
SUMMARY_ZH = "summary-zh.pdf"
FHIR = "fhir.json"
CONSENTS = "consents.json"
MESSAGES = "messages.json"
QUESTIONS = "questions.json"
ACCESS_LOG = "access-log.csv"
SENT_ABROAD = "sent-abroad.json"  # once a version was sent to a team abroad
OPINION = "opinion.json"  # once an opinion was released to the patient
README = "README.txt"
MANIFEST = "manifest.json"
READ_PARTS = (SUMMARY_EN, SUMMARY_ZH, FHIR)  # only once a record has been read


class Words(Protocol):
    """What the archive says in words only an app holds; `lang` is "en" or "zh"."""

    def consent_kind(self, kind: str, lang: str) -> str: ...

    def consent_wording(self, consent: Consent, lang: str) -> str:
        """Which wording was agreed to, in plain words ("the wording of 1 March 2025")."""
        ...

    def consent_text(self, consent: Consent, lang: str) -> str:
        """The wording itself, or "" when that version's text is no longer kept."""
        ...

    def action(self, action: str, lang: str) -> str: ...

    def role(self, role: str, lang: str) -> str: ...


def may_export(user: User, case: Case) -> bool:
    """The patient (their own decisions: the `consent` need) or staff (`manage`).
    A relative views the case but does not take the whole record away, nor
    does a reviewer abroad (who never sees the uploads)."""
    needs = needs_of(user, case)
    return "consent" in needs or "manage" in needs


@dataclass(frozen=True)
class Plan:
    """What an archive holds, fixed when the export is recorded."""

    documents: tuple[int, ...]
    read: bool  # a record has been read: the summaries and the FHIR bundle exist
    counts: dict[str, int] = field(default_factory=dict)
    sent: bool = False  # a version of the case was sent to a team abroad
    opinion: bool = False  # an opinion was released to the patient

    @property
    def parts(self) -> list[str]:
        parts = [ORIGINALS, CASE_JSON]
        if self.read:
            parts += list(READ_PARTS)
        parts += [CONSENTS, MESSAGES, QUESTIONS, ACCESS_LOG]
        parts += [SENT_ABROAD] if self.sent else []
        return parts + ([OPINION] if self.opinion else [])


def plan_export(case: Case) -> Plan:
    documents = tuple(Document.objects.filter(case=case).values_list("pk", flat=True))
    read = Document.objects.filter(case=case, state=Document.State.PROCESSED).exists()
    counts = {
        "consents": Consent.objects.filter(case=case).count(),
        "messages": Message.objects.filter(case=case).count(),
        "questions": case.questions.count(),
    }
    sent = CasePack.objects.filter(case=case, sent_at__isnull=False).exists()
    opinion = case.opinions.filter(released_at__isnull=False).exists()
    return Plan(documents, read, counts, sent, opinion)


def do_export_case(
    case: Case,
    *,
    acting_user: User | None,
    words: Words,
    meta: RequestMeta | None = None,
) -> CaseExport:
    """Record the export of `case` and return it, to be streamed or written.

    `acting_user` is the patient or a member of staff (else Http404, as the
    gate answers); None is the system (a command run without a named person),
    which needs a case from access.case_for_system. The audit row commits
    before this returns: an archive can fail half-way, but never go unrecorded."""
    grant = grant_of(case)
    if grant is None:
        raise PermissionError("do_export_case needs a case returned by the access gate")
    if acting_user is None:
        if grant.user_id is not None:
            raise PermissionError("an export by the system needs access.case_for_system")
    elif not may_export(acting_user, case):
        raise Http404("No such case")
    plan = plan_export(case)
    with transaction.atomic():
        event = audit.record(
            acting_user,
            case,
            "case.exported",
            obj=case,
            after={"parts": plan.parts, "documents": list(plan.documents), **plan.counts},
            meta=meta,
        )
    by = acting_user.display_name if acting_user is not None else "casebridge"
    return CaseExport(case, plan, words, by=by, at=event.at)


# -- making the archive -----------------------------------------------------------------


class _Pipe:
    """A write-only file with no seek or tell, so zipfile streams into it (a
    data descriptor after each entry); `take` hands on what was written."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.pending = 0

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        self.pending += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        self.pending = 0
        return out


# Characters some systems refuse in a file name, and the names Windows keeps.
_UNSAFE = re.compile(r'[<>:"|?*]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)", re.IGNORECASE)


def safe_name(name: str, taken: set[str]) -> str:
    """An upload's name as a file of the archive: no folders, control or
    reserved characters, not a device name, and unique (case-insensitively:
    "scan.pdf", then "scan (2).pdf"). Adds the name chosen to `taken`."""
    name = _UNSAFE.sub("_", clean_file_name(name))
    if _RESERVED.match(name):
        name = "_" + name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, dot, ext = name, "", ""
    chosen, number = name, 1
    while chosen.casefold() in taken:
        number += 1
        chosen = f"{stem} ({number}){dot}{ext}"
    taken.add(chosen.casefold())
    return chosen


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    local = timezone.localtime(moment)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode()


class CaseExport:
    """One recorded export of a case: its archive, made on demand."""

    def __init__(self, case: Case, plan: Plan, words: Words, *, by: str, at: datetime) -> None:
        self.case, self.plan, self.words = case, plan, words
        self.by, self.at = by, at
        self.folder = f"{case.pseudonym}-everything-{timezone.localtime(at):%Y-%m-%d}"
        self.originals: list[dict[str, Any]] = []
        self.not_included: list[dict[str, str]] = []
        self._names: dict[int, str] = {}  # document id -> its file in the archive
        self._roles: dict[int, str] | None = None

    @property
    def filename(self) -> str:
        return f"{self.folder}.zip"

    def write_to(self, out: BinaryIO) -> None:
        for chunk in self.chunks():
            out.write(chunk)

    def chunks(self) -> Iterator[bytes]:
        """The archive, a chunk at a time (a generator: nothing is read before
        the first chunk is asked for)."""
        pipe = _Pipe()
        with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            yield from self._entry(archive, pipe, README, [self._readme().encode()])
            yield from self._originals(archive, pipe)
            yield from self._entry(archive, pipe, CASE_JSON, [_json(self.case.engine or {})])
            if self.plan.read:
                for lang, name in (("en", SUMMARY_EN), ("zh", SUMMARY_ZH)):
                    pdf = render_pdf(engine_case(self.case), lang)
                    yield from self._entry(archive, pipe, name, [pdf])
                bundle = to_ips_bundle(engine_case(self.case))
                yield from self._entry(archive, pipe, FHIR, [_json(bundle)])
            yield from self._entry(archive, pipe, CONSENTS, [_json(self._consents())])
            yield from self._entry(archive, pipe, MESSAGES, [_json(self._messages())])
            yield from self._entry(archive, pipe, QUESTIONS, [_json(self._questions())])
            yield from self._entry(archive, pipe, ACCESS_LOG, self._access_log())
            if self.plan.sent:
                yield from self._entry(archive, pipe, SENT_ABROAD, [_json(self._sent_abroad())])
            if self.plan.opinion:
                yield from self._entry(archive, pipe, OPINION, [_json(self._opinion())])
            yield from self._entry(archive, pipe, MANIFEST, [_json(self._manifest())])
        yield pipe.take()  # the central directory

    def _entry(
        self,
        archive: zipfile.ZipFile,
        pipe: _Pipe,
        name: str,
        pieces: Iterable[bytes],
        when: datetime | None = None,
    ) -> Iterator[bytes]:
        info = zipfile.ZipInfo(f"{self.folder}/{name}", date_time=_zip_time(when or self.at))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16  # health data: the owner's to read
        with archive.open(info, "w") as dest:
            for piece in pieces:
                for start in range(0, len(piece), CHUNK):
                    dest.write(piece[start : start + CHUNK])
                    if pipe.pending >= CHUNK:
                        yield pipe.take()
        if pipe.pending:
            yield pipe.take()

    def _originals(self, archive: zipfile.ZipFile, pipe: _Pipe) -> Iterator[bytes]:
        taken: set[str] = set()
        documents = Document.objects.filter(case=self.case, pk__in=self.plan.documents)
        found = {d.pk: d for d in documents.select_related("uploaded_by")}
        for pk in self.plan.documents:
            document = found.get(pk)
            if document is None:
                self.not_included.append({"file": f"document {pk}", "why": "it was removed"})
                continue
            document.case = self.case  # its name is sealed with the case's key
            try:
                data = storage.read_document(self.case, document, audited=False)
            except StorageError as error:
                self.not_included.append({"file": document.file_name, "why": str(error)})
                continue
            name = f"{ORIGINALS}/{safe_name(document.file_name, taken)}"
            self._names[pk] = name
            self.originals.append(
                {
                    "file": name,
                    "uploaded_as": document.file_name,
                    "uploaded_at": _iso(document.created_at),
                    "uploaded_by": self._person(document.uploaded_by),
                    "size": len(data),
                    "sha256": document.sha256,
                }
            )
            yield from self._entry(archive, pipe, name, [data], when=document.created_at)
            del data  # one original in memory at a time

    # -- who -------------------------------------------------------------------------

    def _role_of(self, user: User | None) -> str:
        """The role someone has on this case: the patient, their family (whatever
        their account is otherwise), or their account's role (staff)."""
        if user is None:
            return ""
        if self._roles is None:
            members = CaseMember.objects.filter(case=self.case).values_list("user_id", flat=True)
            self._roles = {user_id: "family" for user_id in members}
            self._roles[self.case.owner_id] = "patient"
        return self._roles.get(user.pk, user.role)

    def _person(self, user: User | None) -> dict[str, Any] | None:
        if user is None:
            return None
        role = self._role_of(user)
        return {
            "name": user.display_name,
            "role": role,
            "role_in_words": {lang: self.words.role(role, lang) for lang in LANGS},
        }

    # -- the parts in JSON and CSV ----------------------------------------------------

    def _consents(self) -> list[dict[str, Any]]:
        names = {lang: matching.recipient_names(lang) for lang in LANGS}
        rows = []
        consents = Consent.objects.filter(case=self.case).select_related("given_by", "withdrawn_by")
        for consent in consents:
            consent.case = self.case  # its recipients are sealed with the case's key
            rows.append(
                {
                    "kind": consent.kind,
                    "for": {lang: self.words.consent_kind(consent.kind, lang) for lang in LANGS},
                    "wording": {lang: self.words.consent_wording(consent, lang) for lang in LANGS},
                    "wording_version": consent.text_version,
                    "language_shown": consent.language,
                    "text_shown": self.words.consent_text(consent, consent.language) or None,
                    "country": consent.country or None,
                    "recipients": [
                        {"id": r, **{lang: names[lang].get(r, r) for lang in LANGS}}
                        for r in consent.recipients
                    ],
                    "given_at": _iso(consent.given_at),
                    "given_by": self._person(consent.given_by),
                    "withdrawn_at": _iso(consent.withdrawn_at),
                    "withdrawn_by": self._person(consent.withdrawn_by),
                    "in_force": consent.active,
                }
            )
        return rows

    def _messages(self) -> list[dict[str, Any]]:
        rows = []
        for message in Message.objects.filter(case=self.case).select_related("sender"):
            message.case = self.case
            rows.append(
                {
                    "at": _iso(message.created_at),
                    "from": self._person(message.sender),
                    "message": message.body,
                }
            )
        return rows

    def _questions(self) -> list[dict[str, Any]]:
        rows = []
        for question in questions_of(self.case):
            rows.append(
                {
                    "position": question.position,
                    "question": question.text,
                    "from": question.origin,
                    "file": self._names.get(question.document_id or 0),
                    "page": question.page,
                    "added_at": _iso(question.created_at),
                }
            )
        return rows

    def _sent_abroad(self) -> list[dict[str, Any]]:
        """Each version of the case sent to a team abroad: to whom, when the
        patient approved it, when it was sent, and exactly which files."""
        rows = []
        packs = CasePack.objects.filter(case=self.case, sent_at__isnull=False).order_by("number")
        for pack in packs:
            pack.case = self.case
            manifest = pack.manifest or {}
            rows.append(
                {
                    "version": pack.number,
                    "to": pack.recipient,
                    "approved_by_the_patient_at": _iso(pack.approved_at),
                    "sent_at": _iso(pack.sent_at),
                    "files": [f.get("name") for f in manifest.get("files", [])],
                    "images_withheld": manifest.get("images_withheld", []),
                }
            )
        return rows

    def _opinion(self) -> dict[str, Any] | None:
        """The opinion as the reviewing team signed it and a coordinator released
        it to the patient (the newest released version)."""
        released = opinions.released_opinion(self.case)
        if released is None:
            return None
        released.case = self.case
        assignment = released.assignment
        names = {lang: matching.recipient_names(lang) for lang in LANGS}
        department = {lang: names[lang].get(assignment.direction_id, "") for lang in LANGS}
        fields: tuple[str, ...] = ("summary", "diagnosis_note", "staging", "direction")
        fields += ("further_tests", "trials", "questions_back", "disagreements", "amend_reason")
        return {
            "version": released.number,
            "department": department,
            "language": released.language,
            "written_on_case_version": released.pack.number,
            "signed_at": _iso(released.signed_at),
            "signed_by": self._person(released.signed_by),
            "released_at": _iso(released.released_at),
            "agreement_with_the_diagnosis": released.get_agreement_display()
            if released.agreement
            else "",
            **{name: getattr(released, name) for name in fields},
        }

    def _access_log(self) -> Iterator[bytes]:
        """The rows the portal's "who opened my case" reads, one a line, oldest
        first: when, who, their role, what they did (the code and its words)."""
        rows = (
            AuditEvent.objects.filter(Q(case=self.case) | Q(case_pseudonym=self.case.pseudonym))
            .order_by("at", "pk")
            .values_list("actor_id", "actor_label", "action", "at")
        )
        actor_ids = set(rows.exclude(actor_id=None).values_list("actor_id", flat=True))
        actors = User.objects.in_bulk(actor_ids) if actor_ids else {}
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # the byte-order mark lets a spreadsheet read the Chinese columns as UTF-8
        buffer.write("\ufeff")
        writer.writerow(["when", "who", "role", "action", "what", "做了什么"])
        for number, (actor_id, label, action, moment) in enumerate(
            rows.iterator(chunk_size=ACCESS_LOG_BATCH), 1
        ):
            actor = actors.get(actor_id) if actor_id else None
            role = self._role_of(actor) if actor is not None else ""
            writer.writerow(
                [
                    _iso(moment),
                    actor.display_name if actor is not None else label,
                    self.words.role(role, "en") if role else "",
                    action,
                    self.words.action(action, "en"),
                    self.words.action(action, "zh"),
                ]
            )
            if number % ACCESS_LOG_BATCH == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()

    def _manifest(self) -> dict[str, Any]:
        return {
            "case": self.case.pseudonym,
            "exported_at": _iso(self.at),
            "exported_by": self.by,
            "parts": self.plan.parts,
            "originals": self.originals,
            "not_included": self.not_included,
        }

    def _readme(self) -> str:
        when = f"{timezone.localtime(self.at):%Y-%m-%d %H:%M}"
        values = {"case": self.case.pseudonym, "when": when, "by": self.by}
        english = README_EN.format(**values)
        chinese = README_ZH.format(**values)
        if not self.plan.read:
            english += README_NOT_READ_EN
            chinese += README_NOT_READ_ZH
        return english + "\n\n" + chinese


README_EN = """\
Everything casebridge holds about case {case}
Made on {when} (UK time) by {by}.

What each file is:
README.txt       This note.
originals/       The files you and your family uploaded, exactly as they were
                 uploaded.
case.json        Everything casebridge read from your records, as it is stored:
                 the text of each page, each fact and where it was found. For
                 computer systems.
summary-en.pdf   The summary of your records, in English.
summary-zh.pdf   The same summary in Chinese.
fhir.json        The same facts in the standard format hospital systems read
                 (HL7 FHIR).
consents.json    Your consents: what each is for, which wording you agreed to
                 and in which language, who may receive your case, when each
                 was given or withdrawn, and by whom.
messages.json    The messages on your case.
questions.json   Your questions for the specialists, in your order.
access-log.csv   Every time someone opened, downloaded or changed your case:
                 when, who, in which role, and what they did. It opens in a
                 spreadsheet.
sent-abroad.json Once your case was sent abroad: each version sent, to whom,
                 when you approved it, when it was sent, and exactly which files.
opinion.json     Once it was released to you: the reviewing team's opinion, as
                 they signed it.
manifest.json    The list of the files, with the size and SHA-256 fingerprint
                 of each original, and anything that could not be included.

Not in this archive: the coordinators' internal working notes. You can ask for
them through your coordinator.
These files hold your health information: keep them safe.
"""

README_NOT_READ_EN = """
The summaries and fhir.json are not here: none of your records had been read
yet when this copy was made.
"""

README_ZH = """\
casebridge 保存的病例 {case} 的全部资料
由 {by} 于 {when}（英国时间）导出。

各个文件的内容：
README.txt       本说明。
originals/       您和家人上传的文件，和上传时完全一样。
case.json        casebridge 从您的病历中读取的全部内容（按保存时的原样）：
                 每一页的文字、每一条信息以及它的出处。供计算机系统使用。
summary-en.pdf   您的病历摘要（英文）。
summary-zh.pdf   同一份摘要（中文）。
fhir.json        同样的信息，采用医院系统通用的标准格式（HL7 FHIR）。
consents.json    您的各项同意：每项同意的用途、您同意的是哪一版文字、用的是
                 哪种语言、谁可以接收您的病例，以及每项同意由谁在何时给出或撤回。
messages.json    您病例中的所有留言。
questions.json   您想问专家的问题，按您排好的顺序。
access-log.csv   每一次有人打开、下载或更改您的病例的记录：时间、是谁、以什么
                 身份、做了什么。可以用电子表格软件打开。
sent-abroad.json 病例发往国外后才有：每一次发送的版本、发给谁、您何时确认、
                 何时发出，以及具体发送了哪些文件。
opinion.json     意见发布给您之后才有：专家团队签署的意见原文。
manifest.json    文件清单，列出每个原始文件的大小和 SHA-256 校验值，以及未能
                 放进来的内容。

本压缩包里没有协调员内部的工作备注。如需要，可以通过您的协调员索取。
这些文件含有您的健康信息，请妥善保管。
"""

README_NOT_READ_ZH = """
这里没有摘要和 fhir.json：制作这份副本时，您的病历还没有被读取。
"""
