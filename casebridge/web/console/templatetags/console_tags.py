"""Template filters of the console's pages."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from casebridge.web.console.forms import doc_type_options as _doc_type_options

register = template.Library()


@register.filter
def doc_type_options(selected: str | None) -> SafeString:
    """The <option>s of a document's type select, the current override selected."""
    return _doc_type_options(selected or "")
