"""Reading a Slack workspace export: ``users.json``, ``channels.json`` (and ``groups.json`` for
private channels), and one folder per channel holding one JSON file of messages per day.

Read from a zip (as Slack hands it out) or from the files of an unzipped folder, within bounds:
the zip's size, the number of files and their unpacked size (a zip bomb stops at the bound,
whatever its headers claim), JSON that does not parse or is not UTF-8 gets a message naming
the file. Slack's mrkdwn becomes Markdown; joins, leaves, topic changes and the like are left
out.
"""

import html
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

from imports.chat import (
    ChatImportError,
    ChatMessage,
    Problems,
    bounded_text,
    check_message_count,
    moment_in_range,
)

MAX_ZIP_BYTES = 20 * 1024 * 1024
MAX_FILES = 5_000
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_FILE_BYTES = 10 * 1024 * 1024

# Messages that record something happening to the channel rather than something said in it.
SKIPPED_SUBTYPES = frozenset(
    {
        "channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
        "channel_archive", "channel_unarchive", "channel_convert_to_private",
        "group_join", "group_leave", "group_topic", "group_purpose", "group_name",
        "group_archive", "group_unarchive", "pinned_item", "unpinned_item",
        "bot_add", "bot_remove", "tombstone", "joiner_notification", "reminder_add",
    }
)  # fmt: skip

_DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")


@dataclass
class SlackExport:
    channels: list[dict]  # [{"id": ..., "name": ...}], in the export's order
    messages: list[ChatMessage]
    problems: list[str] = field(default_factory=list)


def read_zip(upload) -> dict[str, bytes]:
    """The files of an uploaded zip, by path, within the bounds."""
    if upload.size > MAX_ZIP_BYTES:
        raise ChatImportError(
            _("The file is %(size)s MB; upload a Slack export of at most %(limit)s MB.")
            % {"size": upload.size // (1024 * 1024), "limit": MAX_ZIP_BYTES // (1024 * 1024)}
        )
    try:
        archive = zipfile.ZipFile(upload)
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_FILES:
            raise ChatImportError(
                _("The zip holds more than %(limit)s files; export fewer channels or days.")
                % {"limit": MAX_FILES}
            )
        files, unpacked = {}, 0
        for info in members:
            if not _is_wanted(info.filename):
                continue
            # Read one byte past the bound: the header's size may lie.
            with archive.open(info) as member:
                data = member.read(MAX_FILE_BYTES + 1)
            unpacked += len(data)
            if len(data) > MAX_FILE_BYTES or unpacked > MAX_UNPACKED_BYTES:
                raise ChatImportError(
                    _("The zip unpacks to more than %(limit)s MB; export fewer channels or days.")
                    % {"limit": MAX_UNPACKED_BYTES // (1024 * 1024)}
                )
            files[info.filename] = data
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
    ) as error:
        raise ChatImportError(
            _("This is not a zip file Hindsight can read (%(error)s). Upload Slack's export zip.")
            % {"error": error}
        ) from error
    except RuntimeError as error:  # an encrypted member
        raise ChatImportError(_("The zip is password-protected; upload it unencrypted.")) from error
    return files


def read_folder(uploads, paths: list[str]) -> dict[str, bytes]:
    """The files of an uploaded folder, by their path in it (which the browser tells apart from
    the files: ``paths[i]`` is where ``uploads[i]`` sits), within the same bounds as a zip."""
    if len(uploads) > MAX_FILES:
        raise ChatImportError(
            _("The folder holds more than %(limit)s files; export fewer channels or days.")
            % {"limit": MAX_FILES}
        )
    files, unpacked = {}, 0
    for upload, path in zip(uploads, paths, strict=True):
        if not _is_wanted(path):
            continue
        unpacked += upload.size
        if upload.size > MAX_FILE_BYTES or unpacked > MAX_UNPACKED_BYTES:
            raise ChatImportError(
                _("The folder holds more than %(limit)s MB; export fewer channels or days.")
                % {"limit": MAX_UNPACKED_BYTES // (1024 * 1024)}
            )
        files[path] = upload.read()
    return files


def _is_wanted(path: str) -> bool:
    name = PurePosixPath(path).name
    return (
        name in {"users.json", "channels.json", "groups.json"} or _DAY_FILE.match(name) is not None
    )


def parse_export(files: dict[str, bytes], *, workspace_url: str = "") -> SlackExport:
    """The channels and messages of an export given as {path: content}, paths as in the zip
    (the export may sit in a top-level folder of its own)."""
    root = _export_root(files)
    problems = Problems()
    users = {
        user["id"]: user
        for user in _json_list(files, root / "users.json", problems)
        if isinstance(user.get("id"), str)
    }
    channels = []
    for listing in ("channels.json", "groups.json"):
        for channel in _json_list(files, root / listing, problems):
            if isinstance(channel.get("id"), str) and isinstance(channel.get("name"), str):
                channels.append({"id": channel["id"], "name": channel["name"]})
    names = {channel["id"]: channel["name"] for channel in channels}
    markdown = MrkdwnConverter(users=users, channels=names)
    messages = []
    for channel in channels:
        for path in sorted(p for p in files if PurePosixPath(p).parent == root / channel["name"]):
            if not _DAY_FILE.match(PurePosixPath(path).name):
                continue
            for raw in _json_list(files, PurePosixPath(path), problems):
                message = _message(raw, channel["id"], users, markdown, workspace_url, problems)
                if message:
                    messages.append(message)
                    check_message_count(messages)
    if not channels:
        raise ChatImportError(
            " ".join(
                [
                    _("No channels found: a Slack export has a channels.json listing them."),
                    *problems,
                ]
            )
        )
    messages.sort(key=lambda message: (message.moment, message.key))
    return SlackExport(channels=channels, messages=messages, problems=problems.as_list())


def _export_root(files: dict[str, bytes]) -> PurePosixPath:
    listings = [PurePosixPath(p) for p in files if PurePosixPath(p).name == "channels.json"]
    if not listings:
        raise ChatImportError(
            _(
                "This is not a Slack export: it has no channels.json. Export the workspace from "
                "Slack's admin pages and upload the zip as it is."
            )
        )
    return min(listings, key=lambda path: len(path.parts)).parent


def _json_list(files, path: PurePosixPath, problems: Problems) -> list[dict]:
    data = files.get(str(path))
    if data is None:
        return []
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        problems.add(_("%(file)s is not UTF-8 text; it was left out.") % {"file": path})
        return []
    except (json.JSONDecodeError, RecursionError) as error:
        problems.add(
            _("%(file)s is not valid JSON (%(error)s); it was left out.")
            % {"file": path, "error": error}
        )
        return []
    if not isinstance(parsed, list):
        problems.add(_("%(file)s does not hold a list; it was left out.") % {"file": path})
        return []
    return [item for item in parsed if isinstance(item, dict)]


def _message(raw, channel_id, users, markdown, workspace_url, problems) -> ChatMessage | None:
    subtype = raw.get("subtype")
    if raw.get("type", "message") != "message" or (
        isinstance(subtype, str) and subtype in SKIPPED_SUBTYPES
    ):
        return None
    ts = raw.get("ts")
    try:
        moment = datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        problems.add(_("A message with the time %(ts)r was left out.") % {"ts": str(ts)[:40]})
        return None
    if not moment_in_range(moment):
        problems.add(
            _("A message of %(when)s was left out: it is outside the years 1970 to 2100.")
            % {"when": moment.date()}
        )
        return None
    text = markdown.convert(_text_of(raw))
    attached = [
        str(upload.get("name") or upload.get("title"))
        for upload in raw.get("files") or []
        if isinstance(upload, dict) and (upload.get("name") or upload.get("title"))
    ]
    if attached:
        text = f"{text}\n\n" + _("(attached: %(files)s)") % {"files": ", ".join(attached)}
    if not text.strip():
        return None
    thread_ts = raw.get("thread_ts")
    is_reply = isinstance(thread_ts, str) and thread_ts != ts
    return ChatMessage(
        key=f"slack:{channel_id}:{ts}",
        channel=channel_id,
        moment=moment,
        speaker=_speaker(raw, users),
        text=bounded_text(text),
        thread=f"slack:{channel_id}:{thread_ts}" if is_reply else "",
        permalink=permalink(workspace_url, channel_id, str(ts), thread_ts if is_reply else None),
    )


def _text_of(raw: dict) -> str:
    """The message's text; for an app's message that has none, its attachments' (alerting
    tools post their alerts as attachments)."""
    if isinstance(raw.get("text"), str) and raw["text"].strip():
        return raw["text"]
    parts = []
    for attachment in raw.get("attachments") or []:
        if isinstance(attachment, dict):
            for key in ("pretext", "title", "text", "fallback"):
                if isinstance(attachment.get(key), str) and attachment[key].strip():
                    parts.append(attachment[key])
                    break
    return "\n".join(parts)


def _speaker(raw: dict, users: dict) -> str:
    user = users.get(raw["user"]) if isinstance(raw.get("user"), str) else None
    # Messages carry their speaker's profile too: people from other workspaces in a shared
    # channel are in no users.json.
    embedded = raw.get("user_profile") if isinstance(raw.get("user_profile"), dict) else {}
    if isinstance(user, dict) or embedded:
        user = user if isinstance(user, dict) else {}
        profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
        return str(
            user.get("real_name")
            or profile.get("real_name")
            or profile.get("display_name")
            or embedded.get("real_name")
            or embedded.get("display_name")
            or user.get("name")
            or embedded.get("name")
            or raw.get("user")
        )[:100]
    bot = raw.get("bot_profile") if isinstance(raw.get("bot_profile"), dict) else {}
    return str(
        raw.get("username") or bot.get("name") or raw.get("user") or raw.get("bot_id") or ""
    )[:100]


def permalink(workspace_url: str, channel_id: str, ts: str, thread_ts: str | None) -> str:
    """Slack's link to a message: /archives/<channel>/p<ts without the dot>, and for a reply
    the thread it is in. Without the workspace's address there is no link."""
    if not workspace_url:
        return ""
    link = f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link[:500]


# mrkdwn -> Markdown ------------------------------------------------------------------------------

# <@U123>, <@U123|name>, <#C123|name>, <!here>, <!subteam^S1|@team>, <https://x|label>, <mailto:..>
_ANGLED = re.compile(r"<([^<>\n]+)>")
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")


class MrkdwnConverter:
    """Slack's mrkdwn as Markdown: mentions by name, links as Markdown links, *bold* as
    **bold**, ~strike~ as ~~strike~~, HTML entities decoded. Code spans are left as they are."""

    def __init__(self, *, users: dict, channels: dict):
        self.users = users
        self.channels = channels

    def convert(self, text: str) -> str:
        parts = _CODE.split(text)
        return "".join(
            html.unescape(part) if index % 2 else self._convert_prose(part)
            for index, part in enumerate(parts)
        )

    def _convert_prose(self, text: str) -> str:
        text = _ANGLED.sub(lambda match: self._angled(match.group(1)), text)
        text = _BOLD.sub(r"**\1**", text)
        text = _STRIKE.sub(r"~~\1~~", text)
        return html.unescape(text)

    def _angled(self, inner: str) -> str:
        target, _bar, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or self._user_name(target[1:]))
        if target.startswith("#"):
            return "#" + (label or self.channels.get(target[1:], target[1:]))
        if target.startswith("!"):
            if label:
                return label if target.startswith(("!date", "!subteam")) else "@" + label
            return "@" + target[1:].split("^")[0]
        url = html.unescape(target)
        if not label:
            return f"<{url}>"
        label = html.unescape(label).replace("[", r"\[").replace("]", r"\]")
        return f"[{label}]({url})"

    def _user_name(self, user_id: str) -> str:
        user = self.users.get(user_id)
        if not isinstance(user, dict):
            return user_id
        profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
        return str(profile.get("display_name") or user.get("name") or user_id)
