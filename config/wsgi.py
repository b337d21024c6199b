import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()
import_module(settings.ROOT_URLCONF)  # every view, now rather than on the first request

# Everything loaded so far (Django, the apps, their views) lives as long as the worker. Frozen,
# the garbage collector's full passes no longer walk it: without this, each full pass stalls
# the request it falls in by about 80 ms (measured on the postmortem pages).
gc.freeze()
