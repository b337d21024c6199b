"""Importing runs on the worker: asked for once, run by a real procrastinate worker, each
file's result kept; a retried job imports nothing more."""

import pytest
from django.urls import reverse

from imports.models import MarkdownImport
from imports.services import markdown_import_run
from incidents.models import Incident
from tests.imports.conftest import post_upload, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migration_data")]

TEXT = "# Disk full\n\n## Timeline\n\n- 2026-01-05 10:00 UTC: Disk alert\n"
# A summary longer than a section may be: refused, as the editor would refuse it.
REFUSED = "# Too long\n\n## Summary\n\n" + "word " * 11_000


def test_the_worker_imports_the_upload_and_keeps_each_files_result(author_client, run_worker):
    post_upload(author_client, upload("good.md", TEXT), upload("bad.md", REFUSED))
    markdown_import = MarkdownImport.objects.get()
    preview = reverse("imports:markdown-preview", args=[markdown_import.pk])
    author_client.post(reverse("imports:markdown-apply", args=[markdown_import.pk]))
    assert "Importing in the background" in author_client.get(preview).content.decode()
    assert not Incident.objects.exists()  # nothing in the request itself

    run_worker()

    incident = Incident.objects.get()
    assert incident.title == "Disk full"
    page = author_client.get(preview).content.decode()
    assert f"Imported as {incident.reference}" in page
    assert "Not imported: Summary is longer than 50000 characters: shorten it in the file." in page
    bad = markdown_import.files.get(name="bad.md")
    assert bad.incident is None and bad.failure  # the reason is kept, and shown
    # The job retried (or run by hand): nothing more.
    assert markdown_import_run(markdown_import_id=markdown_import.pk) == "imported already"
    assert Incident.objects.count() == 1
