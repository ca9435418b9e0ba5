"""The request type of views that need a signed-in user.

Django types `request.user` as a user or AnonymousUser. Behind login_required
(the portal) or console_view (the console) it is always a signed-in User:
annotating such a view's request as AuthedRequest tells the type checker so
(django-stubs' documented pattern). It changes nothing at run time: Django
still passes its own HttpRequest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from casebridge.web.accounts.models import User


class AuthedRequest(HttpRequest):
    user: User
