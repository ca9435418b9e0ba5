"""The root URLconf.

The coordinator console is included only once its module exists and its app is
installed (it is written alongside the patient portal), so the site works with
or without it.
Static files are served by Django only in DEBUG (and only when the staticfiles
app is installed); production serves the collected files from STATIC_ROOT.
"""

from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.urls import include, path

from casebridge.web import views

# the clinical content withheld after a withdrawn consent says why (views.py)
handler403 = "casebridge.web.views.permission_denied"

urlpatterns = [
    path("healthz", views.health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("", include("casebridge.web.portal.urls")),
]


def _module_exists(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


# The console has models: its URLs (which import them) need the app installed too.
if _module_exists("casebridge.web.console.urls") and apps.is_installed("casebridge.web.console"):
    urlpatterns.append(path("console/", include("casebridge.web.console.urls")))

urlpatterns.append(path("review/", include("casebridge.web.review.urls")))

if settings.DEBUG and "django.contrib.staticfiles" in settings.INSTALLED_APPS:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
