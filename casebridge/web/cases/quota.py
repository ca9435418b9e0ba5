"""Per-person upload quotas: how many files, and how many bytes, one person may
add in any 24 hours (settings.UPLOAD_FILES_PER_DAY, UPLOAD_MB_PER_DAY).

Every document costs a worker's time to read, whatever the reading limits; the
quota keeps one account (or one stolen password) from filling the queue that
every patient shares. Counted from the documents themselves (uploaded_by,
created_at), so it holds across web processes and restarts. A file over the
quota is refused on its own, with its reason; the person's other files and
everything already added stay as they are.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from casebridge.web.accounts.models import User
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.models import Document

WINDOW = dt.timedelta(hours=24)
MB = 1024 * 1024


class UploadQuotaExceeded(ActionError):
    """The person has added as much as one person may in a day."""


def used_today(user: User, now: dt.datetime | None = None) -> tuple[int, int]:
    """(files, bytes) this person added in the last 24 hours, in any case."""
    since = (now or timezone.now()) - WINDOW
    used = Document.objects.filter(uploaded_by=user, created_at__gte=since).aggregate(
        files=Count("pk"), size=Sum("size")
    )
    return int(used["files"] or 0), int(used["size"] or 0)


def check_upload_quota(user: User, name: str, size: int) -> None:
    """Raise UploadQuotaExceeded, naming the file and the limit, when adding a
    file of `size` bytes would take this person past today's quota."""
    files, size_used = used_today(user)
    if files >= settings.UPLOAD_FILES_PER_DAY:
        raise UploadQuotaExceeded(
            f"'{name}' was not added: you have added {files:,} files in the last 24 hours, "
            f"the most one person can add in a day ({settings.UPLOAD_FILES_PER_DAY:,}). Please "
            "add the rest tomorrow, or ask your coordinator."
        )
    limit = settings.UPLOAD_MB_PER_DAY * MB
    if size_used + size > limit:
        raise UploadQuotaExceeded(
            f"'{name}' was not added: with it, the files you added in the last 24 hours would "
            f"come to {(size_used + size) / MB:,.0f} MB, over the {settings.UPLOAD_MB_PER_DAY:,} "
            "MB one person can add in a day. Please add it tomorrow, or ask your coordinator."
        )
