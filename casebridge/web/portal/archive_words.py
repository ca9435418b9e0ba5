"""The portal's words for the archive of everything a patient has
(cases/exports.py): the same wording the patient's pages use, in English and
in Chinese, whoever makes the archive (the patient, or a coordinator with
`manage.py export_case`)."""

from __future__ import annotations

from django.utils import translation

from casebridge.web.cases.models import Consent
from casebridge.web.portal import content
from casebridge.web.portal.lib.activity import action_text
from casebridge.web.portal.lib.wording import CONSENT_KIND_TEXT, ROLE_TEXT
from casebridge.web.portal.templatetags.portal_tags import consent_given_wording

# the site's language for each language of the archive
DJANGO_LANG = {"en": "en-gb", "zh": "zh-hans"}


class ArchiveWords:
    """cases.exports.Words, worded as the portal's pages word them."""

    def consent_kind(self, kind: str, lang: str) -> str:
        with translation.override(DJANGO_LANG[lang]):
            return str(CONSENT_KIND_TEXT.get(kind, kind))

    def consent_wording(self, consent: Consent, lang: str) -> str:
        with translation.override(DJANGO_LANG[lang]):
            return str(consent_given_wording(consent))

    def consent_text(self, consent: Consent, lang: str) -> str:
        # only the current version's wording is kept: an older one's is not
        # quoted as if it were the one agreed to
        shown = content.consent_text(consent.kind, lang)
        return shown.text if shown.version == consent.text_version else ""

    def action(self, action: str, lang: str) -> str:
        with translation.override(DJANGO_LANG[lang]):
            return str(action_text(action))

    def role(self, role: str, lang: str) -> str:
        with translation.override(DJANGO_LANG[lang]):
            return str(ROLE_TEXT.get(role, role))
