"""What the platform e-mails about an enquiry, shared by the apps: the link a
cleared red-flag enquirer continues from (the console sends it when a
coordinator clears the flag; the portal reads the token when the link is
opened). Apps never import one another, so both take it from here.

E-mails carry a link only, never health data.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from casebridge.web.cases import mail
from casebridge.web.cases.errors import NotAllowed
from casebridge.web.cases.models import Enquiry

# A red-flag enquiry a coordinator cleared is continued from an e-mailed link,
# in any browser: the link carries a signed token naming the enquiry, valid for
# RESUME_MAX_AGE and only while the enquiry is cleared and not yet submitted.
# The salt still names the portal, where this began: links already e-mailed keep working.
RESUME_SALT = "casebridge.portal.enquiry-resume"
RESUME_MAX_AGE = 7 * 24 * 3600


def enquiry_resume_token(enquiry: Enquiry) -> str:
    """A signed, timestamped token for continuing this enquiry (no health data in it)."""
    return signing.dumps({"enquiry": enquiry.pk}, salt=RESUME_SALT, compress=True)


def enquiry_from_resume_token(token: str, *, max_age: int = RESUME_MAX_AGE) -> Enquiry:
    """The cleared enquiry a resume token names; NotAllowed, with a plain reason,
    when the link is broken, expired, or the enquiry can no longer be continued."""
    try:
        data = signing.loads(token or "", salt=RESUME_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise NotAllowed(
            "This link has expired. Start a new enquiry, or reply to the coordinator's e-mail."
        ) from None
    except signing.BadSignature:
        raise NotAllowed("This link is not valid. Check it was copied in full.") from None
    pk = data.get("enquiry") if isinstance(data, dict) else None
    enquiry = Enquiry.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if enquiry is None:
        raise NotAllowed("This link is not valid. Check it was copied in full.")
    if enquiry.case_id is not None or enquiry.user_id is not None:
        raise NotAllowed("This enquiry was already sent. Sign in to continue with your case.")
    if enquiry.red_flag_state != Enquiry.RedFlag.CLEARED:
        raise NotAllowed("This enquiry cannot be continued from this link.")
    if enquiry.diagnosis:
        raise NotAllowed(
            "This enquiry was already sent. Check your e-mail for the link to create your account."
        )
    return enquiry


def enquiry_resume_link(enquiry: Enquiry, site_url: str = "") -> str:
    """The absolute link continuing this enquiry: site_url (the console request's
    own address, e.g. "https://casebridge.example/") or, when none is given, the
    first named host in ALLOWED_HOSTS over HTTPS."""
    path = f"{reverse('portal:enquiry_details')}?resume={enquiry_resume_token(enquiry)}"
    if not site_url:
        hosts = [h for h in settings.ALLOWED_HOSTS if h and not h.startswith((".", "*"))]
        site_url = f"https://{hosts[0]}" if hosts else ""
    return site_url.rstrip("/") + path


def send_enquiry_resume_mail(enquiry: Enquiry, link: str) -> None:
    """Tell a cleared enquirer they may continue, in the language they chose:
    the link only, never health data (not even their name)."""
    if not enquiry.email:
        return
    mail.send(
        "mail/enquiry_resume",
        [mail.Recipient(enquiry.email, mail.site_language(enquiry.preferred_language))],
        {"link": link, "days": RESUME_MAX_AGE // (24 * 3600)},
    )
