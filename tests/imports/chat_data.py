"""The shared Slack export (../shared/samples/slack-export) as files and as an uploaded zip."""

import io
import zipfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.samples import SHARED_SAMPLES

SLACK_EXPORT = SHARED_SAMPLES / "slack-export"
CHANNEL_ID = "C05INC"


def export_files(root: Path = SLACK_EXPORT) -> dict[str, bytes]:
    """The unzipped export folder as {path: content}, as the zip reader gives it."""
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*.json")}


def zipped(files: dict[str, bytes], *, name="slack-export.zip") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def shared_export_zip(*, folder: str = "") -> SimpleUploadedFile:
    prefix = f"{folder}/" if folder else ""
    return zipped({prefix + path: data for path, data in export_files().items()})
