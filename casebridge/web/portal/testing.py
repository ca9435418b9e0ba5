"""Settings the portal needs, for tests (and as the list to add to settings.py).

Until settings.py carries them, tests apply them with `portal_settings(settings)`
(pytest-django's settings fixture). Each is a no-op once settings.py has it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

WEB_DIR = Path(__file__).resolve().parent.parent

APPS = ["django.contrib.staticfiles", "casebridge.web.portal"]
LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"


def portal_settings(settings: Any) -> None:
    apps = list(settings.INSTALLED_APPS)
    missing = [app for app in APPS if app not in apps]
    if missing:
        settings.INSTALLED_APPS = apps + missing
    templates = [dict(t) for t in settings.TEMPLATES]
    dirs = [Path(d) for d in templates[0].get("DIRS", [])]
    if WEB_DIR / "templates" not in dirs:
        templates[0]["DIRS"] = [*templates[0].get("DIRS", []), WEB_DIR / "templates"]
        settings.TEMPLATES = templates
    middleware = list(settings.MIDDLEWARE)
    if LOCALE_MIDDLEWARE not in middleware:
        at = middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
        settings.MIDDLEWARE = [*middleware[:at], LOCALE_MIDDLEWARE, *middleware[at:]]
    locale = [Path(p) for p in getattr(settings, "LOCALE_PATHS", [])]
    if WEB_DIR / "locale" not in locale:
        settings.LOCALE_PATHS = [*getattr(settings, "LOCALE_PATHS", []), WEB_DIR / "locale"]
    static = [Path(p) for p in getattr(settings, "STATICFILES_DIRS", [])]
    if WEB_DIR / "static" not in static:
        settings.STATICFILES_DIRS = [*getattr(settings, "STATICFILES_DIRS", []), WEB_DIR / "static"]
