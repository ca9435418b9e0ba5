"""The console's gate: coordinators and administrators only. Anyone else signed
in gets 404 (the console's existence is not advertised), anonymous visitors
the login page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from casebridge.web.cases import audit
from casebridge.web.console.actions import is_console_user

View = Callable[..., HttpResponse]


def console_view(view: View) -> View:
    """Staff only: anonymous → login page; signed in but not a coordinator or
    administrator → 404. Never cached."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_console_user(request.user):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return never_cache(wrapped)


def _meta(request: HttpRequest) -> audit.RequestMeta | None:
    return audit.meta_from_request(request)
