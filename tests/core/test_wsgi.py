"""config/wsgi.py: the application, with everything loaded at start-up kept out of the
garbage collector's full passes."""

import os
import subprocess
import sys

from django.conf import settings


def test_the_wsgi_module_loads_the_views_and_freezes_what_it_loaded():
    script = (
        "import gc, sys; import config.wsgi as wsgi; "
        "assert callable(wsgi.application); "
        "assert 'incidents.views' in sys.modules and 'postmortems.views' in sys.modules; "
        "print(gc.get_freeze_count())"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(result.stdout.split()[-1]) > 10_000
