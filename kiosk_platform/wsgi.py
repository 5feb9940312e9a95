"""The WSGI application gunicorn serves (``kiosk_platform.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiosk_platform.settings")
application = get_wsgi_application()
