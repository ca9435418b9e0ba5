"""The patient's own questions for the specialists (issue 12): collected,
edited and put in order; the reason the case exists.

Where they come from: the enquiry (each line of its questions answer, when the
case is opened), typed in the workspace, or taken from a note the patient
uploaded (the questions the engine finds in a patient's own document are
offered, not added behind their back). The list, in its order, is the case's
intake `questions`: the summary, the pack and the reviewing team read it there.
A change to it is a change to what is sent (versions not yet sent are
replaced) and goes through the emergency screen, as a message does.

Who: the patient, a relative who may add records, and staff (the `upload`
need); every change has its audit row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from casebridge.engine.case import Case as EngineCase
from casebridge.engine.pipeline import refresh
from casebridge.engine.render.essentials import patient_questions
from casebridge.web.cases import audit, safety
from casebridge.web.cases.access import require
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.lib import engine_case
from casebridge.web.cases.models import Case, Document, PatientQuestion
from casebridge.web.cases.packs import supersede_for_change
from casebridge.web.cases.versions import lock_case, save_case

MAX_LENGTH = 1000  # characters a question
MAX_QUESTIONS = 40  # a case's list; the summary quotes the first ten and counts the rest

_BULLET = re.compile(r"^\s*(?:[-*•·]|\(?\d{1,2}[.)、:]|[（(]\d{1,2}[）)])\s*")


@dataclass(frozen=True)
class Suggestion:
    """A question found in a note the patient wrote, not yet on their list."""

    text: str
    document_id: int | None  # the platform's Document
    file_name: str
    page: int | None


def questions_of(case: Case) -> list[PatientQuestion]:
    found = list(case.questions.all())
    for question in found:  # sealed with the case's key: the case at hand
        question.case = case
    return found


def split_enquiry_questions(text: str) -> list[str]:
    """The enquiry's questions answer as separate questions: one a line, the
    numbering or bullet of each left out."""
    out = []
    for line in (text or "").splitlines():
        cleaned = " ".join(_BULLET.sub("", line, count=1).split())
        if cleaned:
            out.append(cleaned[:MAX_LENGTH])
    return out


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()


def suggestions(case: Case, engine: EngineCase, listed: list[PatientQuestion]) -> list[Suggestion]:
    """The questions in the patient's own notes (and, for a case opened before
    the list existed, its enquiry's answer) that are not on the list."""
    have = {_key(q.text) for q in listed}
    out: list[Suggestion] = []
    intake = engine.intake if isinstance(engine.intake, dict) else {}
    if not listed:
        for text in _texts(intake.get("questions")):
            if _key(text) not in have:
                have.add(_key(text))
                out.append(Suggestion(text, None, "", None))
    by_engine_id = {
        engine_id: doc_id
        for doc_id, ids in Document.objects.filter(case=case).values_list("pk", "engine_doc_ids")
        for engine_id in ids or []
    }
    for doc in engine.documents:
        if doc.duplicate_of is not None or doc.metadata.get("author") != "patient":
            continue
        for page in doc.pages:
            for start, end in patient_questions(page.text):
                text = " ".join(_BULLET.sub("", page.text[start:end], count=1).split())
                if text and _key(text) not in have:
                    have.add(_key(text))
                    out.append(
                        Suggestion(
                            text[:MAX_LENGTH], by_engine_id.get(doc.id), doc.file_name, page.number
                        )
                    )
    return out


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return split_enquiry_questions(value)
    if isinstance(value, list):
        return [" ".join(str(v).split()) for v in value if str(v).strip()]
    return []


def _clean(text: str) -> str:
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise ActionError(_("Write the question first."))
    if len(cleaned) > MAX_LENGTH:
        raise ActionError(
            _("A question can be up to %(n)s characters: split it into two, or shorten it.")
            % {"n": MAX_LENGTH}
        )
    return cleaned


def _changed(locked: Case, acting_user: Any, why: str, meta: RequestMeta | None) -> EngineCase:
    """After a change to the list: numbered 1..n again, the engine's intake set
    to it (the summary's source), a new version, unsent pack versions replaced.
    Returns the engine case as saved (the screen reads it: not parsed again)."""
    listed = list(PatientQuestion.objects.filter(case=locked).order_by("position", "pk"))
    for number, question in enumerate(listed, start=1):
        if question.position != number:
            PatientQuestion.objects.filter(pk=question.pk).update(position=number)
            question.position = number
    engine = engine_case(locked)
    intake = dict(engine.intake) if isinstance(engine.intake, dict) else {}
    for question in listed:
        question.case = locked
    intake["questions"] = [q.text for q in listed]
    engine.intake = intake
    refresh(engine)
    locked.engine = engine.to_dict()
    save_case(locked, ["engine"])
    supersede_for_change(locked, acting_user, why, meta)
    return engine


def _screen(
    case: Case,
    engine: EngineCase,
    text: str,
    acting_user: Any,
    question: PatientQuestion,
    meta: RequestMeta | None,
) -> None:
    """A question is the patient's own words: it goes through the emergency
    screen as a message does ("I have been coughing up blood, is that normal?")."""
    if getattr(acting_user, "is_case_staff", False):
        return
    found = safety.screen_answers(
        {"questions": text},
        case=engine,
        programme=case.programme,
    )
    if found:
        safety.act_on_flags(
            case,
            found,
            acting_user=acting_user,
            origin={"from": "question", "question": question.pk},
            meta=meta,
        )


def _adopt_enquiry(locked: Case, acting_user: Any) -> None:
    """A case opened before the list existed: its enquiry's questions become the
    first items, so that the first change to the list loses none of them."""
    if PatientQuestion.objects.filter(case=locked).exists():
        return
    intake = engine_case(locked).intake
    for number, text in enumerate(_texts((intake or {}).get("questions")), start=1):
        PatientQuestion.objects.create(
            case=locked,
            text=text,
            position=number,
            origin=PatientQuestion.Origin.ENQUIRY,
            created_by=acting_user,
        )


def add_enquiry_questions(case: Case, acting_user: Any, texts: list[str]) -> None:
    """When a case is opened from an enquiry (in do_create_case's transaction):
    each line of its questions answer, in order."""
    for number, question in enumerate(texts[:MAX_QUESTIONS], start=1):
        PatientQuestion.objects.create(
            case=case,
            text=question,
            position=number,
            origin=PatientQuestion.Origin.ENQUIRY,
            created_by=acting_user,
        )


def do_add_question(
    case: Case,
    *,
    acting_user: Any,
    text: str,
    document_id: int | None = None,
    page: int | None = None,
    meta: RequestMeta | None = None,
) -> PatientQuestion:
    """Add a question at the end of the list; with `document_id`, one taken from
    the patient's note (that document of this case, that page)."""
    require(acting_user, case, "upload")
    cleaned = _clean(text)
    with transaction.atomic():
        locked = lock_case(case, None)
        _adopt_enquiry(locked, acting_user)
        listed = PatientQuestion.objects.filter(case=locked)
        if listed.count() >= MAX_QUESTIONS:
            raise ActionError(
                _("The list holds up to %(n)s questions: join or remove some first.")
                % {"n": MAX_QUESTIONS}
            )
        if any(_key(q.text) == _key(cleaned) for q in questions_of(locked)):
            raise ActionError(_("This question is already on the list."))
        document = (
            Document.objects.filter(case=locked, pk=document_id).first() if document_id else None
        )
        question = PatientQuestion.objects.create(
            case=locked,
            text=cleaned,
            position=listed.count() + 1,
            origin=PatientQuestion.Origin.DOCUMENT if document else PatientQuestion.Origin.TYPED,
            document=document,
            page=page if document else None,
            created_by=acting_user,
        )
        audit.record(
            acting_user,
            locked,
            "question.added",
            obj=question,
            after={
                "origin": question.origin,
                "position": question.position,
                "length": len(cleaned),
            },
            meta=meta,
        )
        engine = _changed(locked, acting_user, "the patient's questions changed", meta)
        _screen(locked, engine, cleaned, acting_user, question, meta)
    case.version, case.status, case.paused = locked.version, locked.status, locked.paused
    return question


def _question(locked: Case, question_id: int) -> PatientQuestion:
    question = PatientQuestion.objects.filter(case=locked, pk=question_id).first()
    if question is None:
        raise ActionError(_("That question is no longer on the list: reload the page."))
    question.case = locked
    return question


def do_edit_question(
    case: Case, *, acting_user: Any, question_id: int, text: str, meta: RequestMeta | None = None
) -> PatientQuestion:
    require(acting_user, case, "upload")
    cleaned = _clean(text)
    with transaction.atomic():
        locked = lock_case(case, None)
        question = _question(locked, question_id)
        if question.text == cleaned:
            return question
        before = {"length": len(question.text)}
        question.text = cleaned
        question.save(update_fields=["text", "updated_at"])
        audit.record(
            acting_user,
            locked,
            "question.edited",
            obj=question,
            before=before,
            after={"length": len(cleaned), "position": question.position},
            meta=meta,
        )
        engine = _changed(locked, acting_user, "the patient's questions changed", meta)
        _screen(locked, engine, cleaned, acting_user, question, meta)
    case.version, case.status, case.paused = locked.version, locked.status, locked.paused
    return question


def do_remove_question(
    case: Case, *, acting_user: Any, question_id: int, meta: RequestMeta | None = None
) -> None:
    require(acting_user, case, "upload")
    with transaction.atomic():
        locked = lock_case(case, None)
        question = _question(locked, question_id)
        audit.record(
            acting_user,
            locked,
            "question.removed",
            obj=question,
            before={"origin": question.origin, "position": question.position},
            meta=meta,
        )
        question.delete()
        _changed(locked, acting_user, "the patient's questions changed", meta)
    case.version = locked.version


def do_move_question(
    case: Case,
    *,
    acting_user: Any,
    question_id: int,
    direction: str,
    meta: RequestMeta | None = None,
) -> None:
    """One place up or down the list (the most important first)."""
    require(acting_user, case, "upload")
    if direction not in ("up", "down"):
        raise ActionError(_("A question moves up or down."))
    with transaction.atomic():
        locked = lock_case(case, None)
        listed = list(PatientQuestion.objects.filter(case=locked).order_by("position", "pk"))
        at = next((i for i, q in enumerate(listed) if q.pk == question_id), None)
        if at is None:
            raise ActionError(_("That question is no longer on the list: reload the page."))
        to = at - 1 if direction == "up" else at + 1
        if not 0 <= to < len(listed):
            return
        listed[at], listed[to] = listed[to], listed[at]
        for number, question in enumerate(listed, start=1):
            PatientQuestion.objects.filter(pk=question.pk).update(position=number)
        audit.record(
            acting_user,
            locked,
            "question.moved",
            obj=listed[to],
            before={"position": at + 1},
            after={"position": to + 1},
            meta=meta,
        )
        _changed(locked, acting_user, "the patient's questions changed", meta)
    case.version = locked.version
