"""Imports' jobs, run by the task queue's workers (core/queue.py)."""

from core import queue
from imports import services


# Retried: a run imports only the files not imported yet, so a second one adds nothing.
@queue.task(name=services.IMPORT_MARKDOWN_TASK, retries=3, retry_wait_seconds=30)
def import_markdown(markdown_import_id: int) -> str:
    return services.markdown_import_run(markdown_import_id=markdown_import_id)
