"""Dates for people, for every app's pages: {% load dates %} then
{{ value|when }}. Shared here in cases, as apps never load one another's
template libraries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import dateformat, timezone
from django.utils.formats import get_format

register = template.Library()


@register.filter
def when(value: Any) -> str:
    """An ISO 8601 timestamp (or a datetime) for people, in the site's time zone
    and the reader's convention ("23 Nov 2026, 08:56", "2026年11月23日 08:56").
    Anything else is shown as it is."""
    moment = value
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
    if not isinstance(moment, dt.datetime):
        return "" if value is None else str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return dateformat.format(moment, get_format("DATETIME_FORMAT"))
