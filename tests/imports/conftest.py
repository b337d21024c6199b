import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import MarkdownImport
from imports.services import markdown_import_run
from tests.samples import SHARED_SAMPLES

# The shared samples (real postmortems, MIT licence, see their LICENSE): read in place.
SAMPLES = SHARED_SAMPLES / "markdown-postmortems"
SAMPLE_FILES = sorted(SAMPLES.glob("*.md"))


def sample(prefix: str) -> Path:
    return next(path for path in SAMPLE_FILES if path.name.startswith(prefix))


def upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def zipped(members: dict[str, bytes | str], name: str = "postmortems.zip") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return upload(name, buffer.getvalue())


def post_upload(client, *files, time_zone="UTC", severity="SEV3"):
    return client.post(
        reverse("imports:markdown-upload"),
        {"files": list(files), "time_zone": time_zone, "severity": severity},
    )


def import_files(client, *files, **options) -> MarkdownImport:
    """Upload, preview and import: the journey a person makes, through the views; then the
    import job's own code, as the worker runs it (test_markdown_import_worker runs the worker)."""
    response = post_upload(client, *files, **options)
    assert response.status_code == 302, response.content.decode()[:2000]
    markdown_import = MarkdownImport.objects.latest("pk")
    assert client.get(response["Location"]).status_code == 200
    response = client.post(reverse("imports:markdown-apply", args=[markdown_import.pk]))
    assert response.status_code == 302
    markdown_import.refresh_from_db()
    assert markdown_import.job_id is not None
    markdown_import_run(markdown_import_id=markdown_import.pk)
    assert client.get(response["Location"]).status_code == 200
    return markdown_import


@pytest.fixture
def sample_paths():
    assert len(SAMPLE_FILES) == 6, f"expected the six shared samples in {SAMPLES}"
    return SAMPLE_FILES
