"""Imports' jobs, run by `manage.py procrastinate worker`."""

from django.db import close_old_connections
from procrastinate.contrib.django import app

from imports import services


@app.task(name=services.IMPORT_MARKDOWN_TASK, retry=services.IMPORT_RETRY)
def import_markdown(markdown_import_id: int) -> str:
    # Sync jobs run in worker threads: give each the fresh-connection rules of a request.
    close_old_connections()
    try:
        return services.markdown_import_run(markdown_import_id=markdown_import_id)
    finally:
        close_old_connections()
