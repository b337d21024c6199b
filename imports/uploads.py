"""Reading uploaded files (one, several, or zip archives of them) as text, within bounds: file
count and sizes, zip bombs (the bytes actually read are counted, not what the archive
claims), and text that is not UTF-8. Each refused file gets a message saying why."""

import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

MAX_FILES = 50
MAX_FILE_BYTES = 1_000_000
MAX_UPLOAD_BYTES = 10_000_000  # all uploaded files together, archives as uploaded
MAX_UNPACKED_BYTES = 20_000_000  # everything read out of archives
MAX_ARCHIVE_MEMBERS = 500  # entries looked at in one archive, folders included
TEXT_SUFFIXES = (".md", ".markdown", ".txt")


@dataclass
class TextFiles:
    files: list = field(default_factory=list)  # (name, text)
    refused: list = field(default_factory=list)  # (name, why)


def read_text_files(uploads) -> TextFiles:
    """The text of each uploaded Markdown file and of each one inside an uploaded zip."""
    result = TextFiles()
    total = sum(upload.size for upload in uploads)
    if total > MAX_UPLOAD_BYTES:
        result.refused.append(
            ("", _("The upload is %(size)s MB; at most %(max)s MB at once.")
             % {"size": round(total / 1e6, 1), "max": MAX_UPLOAD_BYTES // 1_000_000})
        )  # fmt: skip
        return result
    unpacked = [0]
    for upload in uploads:
        name = upload.name or _("(no name)")
        if name.lower().endswith(".zip"):
            _read_archive(upload, name, result, unpacked)
        elif name.lower().endswith(TEXT_SUFFIXES):
            if upload.size > MAX_FILE_BYTES:
                result.refused.append((name, _too_big()))
            else:
                _add(result, name, upload.read(MAX_FILE_BYTES + 1))
        else:
            result.refused.append((name, _not_markdown()))
    if len(result.files) > MAX_FILES:
        for name, _text in result.files[MAX_FILES:]:
            result.refused.append(
                (name, _("More than %(max)s files in one upload: import the rest next.")
                 % {"max": MAX_FILES})
            )  # fmt: skip
        del result.files[MAX_FILES:]
    return result


def _too_big() -> str:
    return _("Larger than %(max)s kB: split it, or trim what is not the postmortem.") % {
        "max": MAX_FILE_BYTES // 1000
    }


def _not_markdown() -> str:
    return _("Not a Markdown file (.md, .markdown or .txt) or a zip of them.")


def _add(result: TextFiles, name: str, content: bytes) -> None:
    if len(content) > MAX_FILE_BYTES:
        result.refused.append((name, _too_big()))
        return
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        result.refused.append(
            (name, _("Not UTF-8 text (byte %(position)s cannot be read): save it as UTF-8.")
             % {"position": error.start})
        )  # fmt: skip
        return
    if "\x00" in text:
        result.refused.append((name, _("Not a text file: it contains NUL bytes.")))
        return
    result.files.append((name, text))


def _read_archive(upload, name: str, result: TextFiles, unpacked: list) -> None:
    try:
        archive = zipfile.ZipFile(upload)
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        result.refused.append((name, _("Not a zip archive that can be read.")))
        return
    with archive:
        for info in members[:MAX_ARCHIVE_MEMBERS]:
            path = PurePosixPath(info.filename)
            hidden = any(part.startswith((".", "__MACOSX")) for part in path.parts)
            if info.is_dir() or hidden:
                continue
            member = f"{name}/{info.filename}"[:255]
            if not info.filename.lower().endswith(TEXT_SUFFIXES):
                result.refused.append((member, _not_markdown()))
                continue
            if info.flag_bits & 0x1:
                result.refused.append((member, _("Encrypted: unpack it first.")))
                continue
            if unpacked[0] >= MAX_UNPACKED_BYTES:
                result.refused.append(
                    (member, _("The archives unpack to more than %(max)s MB: split them.")
                     % {"max": MAX_UNPACKED_BYTES // 1_000_000})
                )  # fmt: skip
                continue
            try:
                # Never trust the sizes an archive declares: read one byte past the limit.
                with archive.open(info) as stream:
                    content = stream.read(MAX_FILE_BYTES + 1)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
                result.refused.append((member, _("Damaged or compressed in a way not supported.")))
                continue
            unpacked[0] += len(content)
            _add(result, member, content)
        if len(members) > MAX_ARCHIVE_MEMBERS:
            result.refused.append(
                (
                    name,
                    _("Only its first %(max)s entries were read.") % {"max": MAX_ARCHIVE_MEMBERS},
                )
            )
