"""The Simplified Chinese catalogue covers the second opinion's pages: the
reviewer workspace (casebridge/web/review/), the coordinator console
(casebridge/web/console/), the patient pages added for the second opinion, the reviewers' messages of casebridge/web/cases/opinions.py, and
every e-mail's templates (templates/account/email/ and templates/mail/).

The strings are found the way the catalogue is made: Django's own makemessages
(its templatize for the templates, xgettext with Django's keywords for the
Python), run on a copy of just those files in a temporary folder, so nothing of
the repository's own catalogue is touched. Each one must then have a non-empty
translation in the compiled catalogue (django.mo, what Django serves), which
msgfmt never fills from a fuzzy entry; and django.mo must be django.po compiled.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "casebridge" / "web"
CATALOGUE = WEB / "locale" / "zh_Hans" / "LC_MESSAGES"
SHOWN = "casebridge/web/locale/zh_Hans/LC_MESSAGES"  # in the messages
PORTAL = "portal/templates/portal"

SOURCES: dict[str, list[str]] = {
    "the reviewer workspace": ["review", "templates/withheld.html"],
    "the patient's second-opinion pages": [
        f"{PORTAL}/pack.html",
        f"{PORTAL}/opinion.html",
        f"{PORTAL}/_matched.html",
        f"{PORTAL}/consent.html",
        f"{PORTAL}/activity.html",
        f"{PORTAL}/questions.html",
        f"{PORTAL}/_activity_group.html",
        f"{PORTAL}/messages.html",
        "portal/views_pack.py",
    ],
    "the patient's records and overview": [
        f"{PORTAL}/documents.html",
        f"{PORTAL}/_document_list.html",
        f"{PORTAL}/case_home.html",
        f"{PORTAL}/_section_facts.html",
        f"{PORTAL}/document_text.html",
        "portal/lib",
        "cases/audit_text.py",
        "portal/forms.py",
    ],
    "the reviewers' messages about opinions": ["cases/opinions.py"],
    "what a first-time user meets before and during the enquiry": [
        f"{PORTAL}/home.html",
        f"{PORTAL}/enquiry_start.html",
        f"{PORTAL}/enquiry_details.html",
        f"{PORTAL}/enquiry_sent.html",
        f"{PORTAL}/seek_care.html",
        f"{PORTAL}/legal.html",
        f"{PORTAL}/_error_summary.html",
        "portal/forms.py",
        "portal/expect.py",
        "portal/views_info.py",
        "portal/views_enquiry.py",
        "templates/partials/footer.html",
    ],
    "a family invitation's page": [
        f"{PORTAL}/invitation.html",
        f"{PORTAL}/invitation_invalid.html",
        "portal/views_invitation.py",
    ],
    "the case's pages, as the patient and as a relative read them": [
        f"{PORTAL}/case_home.html",
        f"{PORTAL}/_section_facts.html",
        f"{PORTAL}/_section_timeline.html",
        f"{PORTAL}/_section_missing.html",
        f"{PORTAL}/_section_summary.html",
        f"{PORTAL}/case_section.html",
        f"{PORTAL}/summary_preview.html",
        "portal/overview.py",
        "portal/views_sections.py",
        f"{PORTAL}/documents.html",
        "portal/templatetags/portal_tags.py",
        "portal/lib",
        "cases/audit_text.py",
    ],
    "the e-mails (allauth's and the platform's own)": [
        "templates/account/email",
        "templates/mail",
    ],
    "the coordinator console, as a coordinator works a case": [
        "console",
        "templates/partials/header.html",
        "templates/partials/messages.html",
        "templates/mfa",
    ],
    "the error pages": [
        "templates/404.html",
        "templates/403.html",
        "templates/400.html",
        "templates/500.html",
        "templates/403_csrf.html",
        "templates/partials/_error_next.html",
    ],
}

# A message as gettext keys it: "context\x04msgid", and a plural's forms by number.
Key = str | tuple[str, int]


def _tools() -> None:
    missing = [t for t in ("xgettext", "msgen", "msgfmt") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"gettext tools missing ({', '.join(missing)}): apt-packages.txt installs them")


def _run(args: list[str], cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


def _catalogue(mo: Path) -> tuple[dict[Key, str], int]:
    """The messages of a compiled catalogue, and how many plural forms it has."""
    with mo.open("rb") as file:
        translations = gettext.GNUTranslations(file)
    forms = re.search(r"nplurals\s*=\s*(\d+)", translations.info().get("plural-forms", ""))
    return translations._catalog, int(forms.group(1)) if forms else 2  # type: ignore[attr-defined]  # noqa: SLF001


def _extracted(sources: list[str], work: Path) -> set[tuple[str, bool]]:
    """The msgids (with their context) of `sources`, by Django's makemessages run
    without settings in `work` (so its own locale folder is the only one it knows);
    True for a plural."""
    copy = work / "web"
    for source in sources:
        origin = WEB / source
        if origin.is_dir():
            shutil.copytree(origin, copy / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (copy / source).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, copy / source)
    (copy / "locale").mkdir()
    _run([sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-location"], copy)
    po = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    # The msgids as their own translation, compiled: gettext's own reading of them.
    _run(["msgen", "-o", str(work / "en.po"), str(po)], work)
    _run(["msgfmt", "-o", str(work / "en.mo"), str(work / "en.po")], work)
    found, _ = _catalogue(work / "en.mo")
    return {(k, False) if isinstance(k, str) else (k[0], True) for k in found if k}


def _shown(key: str) -> str:
    context, _, msgid = key.rpartition("\x04")
    return f"[{context}] {msgid!r}" if context else repr(msgid)


@pytest.mark.parametrize("part", list(SOURCES))
def test_every_string_of_the_second_opinions_pages_has_a_chinese_translation(
    part: str, tmp_path: Path
) -> None:
    _tools()
    wanted = _extracted(SOURCES[part], tmp_path)
    assert len(wanted) >= 10, f"hardly any strings found in {part}: {sorted(wanted)}"
    chinese, forms = _catalogue(CATALOGUE / "django.mo")
    missing = sorted(
        _shown(msgid)
        for msgid, plural in wanted
        if not all(
            chinese.get(k) for k in ([(msgid, n) for n in range(forms)] if plural else [msgid])
        )
    )
    assert not missing, (
        f"{len(missing)} of the {len(wanted)} strings of {part} have no Chinese translation "
        f"(none, an empty one or only a fuzzy one) in {SHOWN}/django.mo: add them "
        "to django.po and compile it (msgfmt -o django.mo django.po):\n" + "\n".join(missing)
    )


def test_the_compiled_chinese_catalogue_is_the_po_file_compiled(tmp_path: Path) -> None:
    _tools()
    fresh = tmp_path / "django.mo"
    _run(["msgfmt", "--check-format", "-o", str(fresh), str(CATALOGUE / "django.po")], tmp_path)
    compiled, _ = _catalogue(CATALOGUE / "django.mo")
    expected, _ = _catalogue(fresh)
    stale = sorted(
        _shown(k if isinstance(k, str) else k[0])
        for k in compiled.keys() | expected.keys()
        if k and compiled.get(k) != expected.get(k)
    )
    assert not stale, (
        f"django.mo is not django.po compiled ({len(stale)} messages differ): run "
        f"`msgfmt -o django.mo django.po` in {SHOWN}:\n" + "\n".join(stale)
    )
