"""Reading the shared Slack export: channels, speakers, times, threads, permalinks, and what is
left out (joins, topic changes)."""

from datetime import UTC, datetime

import pytest

from imports import chat, slack
from imports.chat import ChatImportError
from imports.slack import parse_export, read_zip
from tests.imports.chat_data import CHANNEL_ID, export_files, shared_export_zip, zipped

WORKSPACE = "https://acme.slack.com"


@pytest.fixture
def export():
    return parse_export(export_files(), workspace_url=WORKSPACE)


def test_the_shared_export_gives_its_channel_and_every_spoken_message(export):
    assert export.channels == [{"id": CHANNEL_ID, "name": "inc-checkout-2026-03-14"}]
    assert [(m.moment.strftime("%H:%M"), m.speaker) for m in export.messages] == [
        ("09:59", "Pager"),
        ("10:00", "Alex Okafor"),
        ("10:03", "Riley Chen"),
        ("10:04", "Sam Jørgensen"),
        ("10:19", "Sam Jørgensen"),
        ("10:23", "Sam Jørgensen"),
        ("10:28", "Alex Okafor"),
        ("11:28", "Riley Chen"),
    ]
    assert export.problems == []


def test_joins_and_topic_changes_are_left_out(export):
    texts = " ".join(message.text for message in export.messages)
    assert "has joined the channel" not in texts
    assert "set the channel topic" not in texts


def test_slack_timestamps_are_read_as_utc(export):
    assert export.messages[1].moment == datetime(2026, 3, 14, 10, 0, 0, 300, tzinfo=UTC)


def test_a_thread_reply_knows_its_parent_and_links_into_the_thread(export):
    reply = export.messages[3]
    assert reply.thread == f"slack:{CHANNEL_ID}:1773482580.000400"
    assert reply.permalink == (
        f"{WORKSPACE}/archives/{CHANNEL_ID}/p1773482640000450"
        f"?thread_ts=1773482580.000400&cid={CHANNEL_ID}"
    )
    assert export.messages[2].thread == ""
    assert export.messages[2].permalink == f"{WORKSPACE}/archives/{CHANNEL_ID}/p1773482580000400"


def test_messages_get_no_permalink_without_the_workspace_address():
    export = parse_export(export_files())
    assert {message.permalink for message in export.messages} == {""}


def test_attached_files_are_named(export):
    assert "(attached: error-rate.png)" in export.messages[6].text


def test_the_zip_reads_the_same_whether_or_not_the_export_sits_in_a_folder():
    flat = parse_export(read_zip(shared_export_zip()))
    nested = parse_export(read_zip(shared_export_zip(folder="acme Slack export Mar 14 2026")))
    assert flat.messages == nested.messages
    assert len(flat.messages) == 8


def test_a_file_that_is_not_json_or_not_utf8_is_named_and_the_rest_is_read():
    files = export_files()
    files["inc-checkout-2026-03-14/2026-03-15.json"] = b'[{"type": "message", "ts": '
    files["inc-checkout-2026-03-14/2026-03-16.json"] = '[{"text": "blåbær"}]'.encode("latin-1")
    export = parse_export(files)
    assert len(export.messages) == 8
    assert export.problems == [
        "inc-checkout-2026-03-14/2026-03-15.json is not valid JSON "
        "(Expecting value: line 1 column 28 (char 27)); it was left out.",
        "inc-checkout-2026-03-14/2026-03-16.json is not UTF-8 text; it was left out.",
    ]


def test_messages_with_unreadable_or_out_of_range_times_are_reported():
    files = export_files()
    files["inc-checkout-2026-03-14/2026-03-17.json"] = (
        b'[{"type": "message", "ts": "soon", "text": "a"},'
        b' {"type": "message", "ts": "99999999999.1", "text": "b"},'
        b' {"type": "message", "ts": "1e400", "text": "c"}]'
    )
    export = parse_export(files)
    assert len(export.messages) == 8
    assert export.problems[0] == "A message with the time 'soon' was left out."
    assert "outside the years 1970 to 2100" in export.problems[1]
    assert len(export.problems) == 3


def test_an_archive_without_channels_json_is_not_taken_for_an_export():
    with pytest.raises(ChatImportError, match="no channels.json"):
        parse_export({"notes/2026-03-14.json": b"[]"})


def test_a_file_that_is_not_a_zip_is_refused_with_a_message():
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ChatImportError, match="not a zip file"):
        read_zip(SimpleUploadedFile("export.zip", b"PK\x03\x04 not really"))


def test_a_zip_bomb_stops_at_the_unpacked_bound():
    # 11 MB of zeros compress to about 11 kB; the bound is 10 MB per file.
    bomb = zipped({"channels.json": b"[]", "c/2026-03-14.json": b"0" * (11 * 1024 * 1024)})
    assert bomb.size < 100_000
    with pytest.raises(ChatImportError, match="unpacks to more than"):
        read_zip(bomb)


def test_a_zip_over_the_upload_bound_is_refused_before_it_is_opened(settings):
    upload = shared_export_zip()
    upload.size = 21 * 1024 * 1024
    with pytest.raises(ChatImportError, match="at most 20 MB"):
        read_zip(upload)


def test_a_zip_with_too_many_files_is_refused(monkeypatch):
    # The shared export holds three files: users.json, channels.json and one day's messages.
    monkeypatch.setattr(slack, "MAX_FILES", 3)
    assert len(read_zip(shared_export_zip())) == 3
    monkeypatch.setattr(slack, "MAX_FILES", 2)
    with pytest.raises(ChatImportError, match="more than 2 files"):
        read_zip(shared_export_zip())


def test_messages_beyond_the_bound_are_refused_with_advice(monkeypatch):
    monkeypatch.setattr(chat, "MAX_MESSAGES", 5)
    with pytest.raises(ChatImportError, match="more than 5 messages"):
        parse_export(export_files())


def test_fields_of_unexpected_types_leave_the_message_out_or_read_what_they_can():
    files = export_files()
    files["users.json"] = b'[{"id": ["U01ALEX"]}, {"id": "U02RILEY", "profile": "x"}, 7]'
    files["inc-checkout-2026-03-14/2026-03-18.json"] = (
        b'[{"type": "message", "subtype": ["channel_join"], "ts": "1773800000.1", "text": "a"},'
        b' {"type": "message", "user": {"id": 1}, "ts": "1773800001.1", "text": ["b"]},'
        b' {"type": "message", "user": "U02RILEY", "ts": "1773800002.1", "text": "c",'
        b'  "thread_ts": 5, "files": ["x", {"name": 3}]},'
        b' "not a message", null]'
    )
    export = parse_export(files)
    late = [message for message in export.messages if message.moment.day == 18]
    # A subtype that is not a name is no channel event; a text that is not text is nothing.
    assert [(m.speaker, m.text, m.thread) for m in late] == [
        ("", "a", ""),
        ("U02RILEY", "c\n\n(attached: 3)", ""),
    ]


def test_a_broken_channel_list_says_why_no_channel_was_found():
    files = export_files()
    files["channels.json"] = b"{not json"
    with pytest.raises(
        ChatImportError, match=r"No channels found.*channels.json is not valid JSON"
    ):
        parse_export(files)


def test_an_apps_alert_posted_as_an_attachment_is_read_from_it():
    files = export_files()
    files["inc-checkout-2026-03-14/2026-03-19.json"] = (
        b'[{"type": "message", "subtype": "bot_message", "ts": "1773900000.1", "text": "",'
        b' "username": "PagerDuty", "attachments": [{"fallback": "Triggered #42: checkout 5xx",'
        b' "title": "Triggered #42: <https://pd.example.com/i/42|checkout 5xx>"}]}]'
    )
    [alert] = [m for m in parse_export(files).messages if m.moment.day == 19]
    assert (alert.speaker, alert.text) == (
        "PagerDuty",
        "Triggered #42: [checkout 5xx](https://pd.example.com/i/42)",
    )


def test_someone_from_another_workspace_is_named_from_the_message_itself():
    files = export_files()
    files["inc-checkout-2026-03-14/2026-03-20.json"] = (
        b'[{"type": "message", "user": "W09EXT", "ts": "1774000000.1", "text": "hi",'
        b' "user_profile": {"real_name": "Kim Vendor", "display_name": "kim"}}]'
    )
    [message] = [m for m in parse_export(files).messages if m.moment.day == 20]
    assert message.speaker == "Kim Vendor"
