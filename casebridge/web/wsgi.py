"""WSGI entry point: gunicorn casebridge.web.wsgi"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casebridge.web.settings")

application = get_wsgi_application()
