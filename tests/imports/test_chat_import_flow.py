"""From an incident's page: upload a Slack export or paste chat text, pick messages, import them
as timeline entries; who may, what is refused, and what is kept when it is."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import Role
from imports.chat import TRANSCRIPTS_KEPT, ChatMessage
from imports.models import ChatImportedEntry, ChatTranscript
from incidents.models import TimelineEntry
from tests.concurrency import at_once
from tests.factories import IncidentFactory, PostmortemFactory, UserFactory
from tests.imports.chat_data import CHANNEL_ID, export_files, shared_export_zip

STARTED = datetime(2026, 3, 14, 9, 58, tzinfo=UTC)
ALEX_ACK = f"slack:{CHANNEL_ID}:1773482400.000300"
RILEY_PROCESSOR = f"slack:{CHANNEL_ID}:1773482580.000400"
SAM_REPLY = f"slack:{CHANNEL_ID}:1773482640.000450"
SAM_FOUND = f"slack:{CHANNEL_ID}:1773483780.000600"


@pytest.fixture
def incident(author):
    return IncidentFactory(started_at=STARTED, created_by=author)


def start_url(incident):
    return reverse("imports:chat-start", args=[incident.reference])


def upload(client, incident, **data):
    return client.post(
        reverse("imports:chat-slack", args=[incident.reference]),
        {"export": shared_export_zip(), "workspace_url": "acme.slack.com", **data},
    )


def pick_url(transcript):
    return reverse("imports:chat-pick", args=[transcript.incident.reference, transcript.pk])


def import_picks(client, transcript, picks: dict[str, str], **window):
    data = {"channel": CHANNEL_ID, "pick": list(picks)}
    data.update({f"kind-{key}": kind for key, kind in picks.items()})
    return client.post(pick_url(transcript), {**data, **window})


def held_transcript(incident, author, count: int) -> ChatTranscript:
    """A pasted transcript of ``count`` messages a minute apart, as if just read."""
    messages = [
        ChatMessage(
            key=f"paste:{n}",
            channel="pasted",
            moment=STARTED + timedelta(minutes=n),
            speaker="a",
            text=f"message {n}",
        ).as_json()
        for n in range(count)
    ]
    return ChatTranscript.objects.create(
        incident=incident,
        uploaded_by=author,
        source="paste",
        messages=messages,
        channels=[{"id": "pasted", "name": "pasted"}],
    )


def test_the_incident_page_offers_the_chat_import_to_its_editors(author_client, incident):
    page = author_client.get(incident.get_absolute_url()).content.decode()
    assert start_url(incident) in page


def test_the_incident_page_does_not_offer_it_to_someone_without_a_role(make_client, outsider):
    incident = IncidentFactory()
    page = make_client(outsider).get(incident.get_absolute_url()).content.decode()
    assert start_url(incident) not in page


def test_an_uploaded_export_lists_its_messages_with_replies_under_their_thread(
    author_client, incident
):
    response = upload(author_client, incident)
    transcript = ChatTranscript.objects.get()
    assert response.status_code == 302
    assert response.url == pick_url(transcript)

    page = author_client.get(response.url)
    shown = page.context["shown"]
    assert [item.message.speaker for item in shown] == [
        "Pager",
        "Alex Okafor",
        "Riley Chen",
        "Sam Jørgensen",
        "Sam Jørgensen",
        "Alex Okafor",
        "Riley Chen",
    ]
    assert [reply.message.key for reply in shown[2].replies] == [SAM_REPLY]
    html = page.content.decode()
    assert "[checkout dashboard](https://grafana.example.com/d/checkout)" in html
    assert "has joined the channel" not in html


def test_ticked_messages_become_timeline_entries_with_speaker_time_kind_and_permalink(
    author_client, author, incident
):
    upload(author_client, incident)
    transcript = ChatTranscript.objects.get()
    response = import_picks(
        author_client,
        transcript,
        {RILEY_PROCESSOR: "blind_alley", SAM_REPLY: "blind_alley", SAM_FOUND: "golden_path"},
    )
    assert response.status_code == 302
    assert response.url == incident.get_absolute_url() + "#timeline-section"
    entries = list(TimelineEntry.objects.filter(incident=incident))
    assert [(e.occurred_at, e.kind, e.author, e.body) for e in entries] == [
        (
            datetime(2026, 3, 14, 10, 3, 0, 400, tzinfo=UTC),
            "blind_alley",
            author,
            "**Riley Chen**: Card processor status page is green and test charges work "
            ":thinking_face:",
        ),
        (
            datetime(2026, 3, 14, 10, 4, 0, 450, tzinfo=UTC),
            "blind_alley",
            author,
            "**Sam Jørgensen**: Same here, processor looks fine from our side.",
        ),
        (
            datetime(2026, 3, 14, 10, 23, 0, 600, tzinfo=UTC),
            "golden_path",
            author,
            "**Sam Jørgensen**: Found it: `timeout: 30` is read as **milliseconds** now, was "
            "seconds. Rolling back #inc-checkout-2026-03-14",
        ),
    ]
    assert (
        entries[2].source_url == f"https://acme.slack.com/archives/{CHANNEL_ID}/p1773483780000600"
    )
    page = author_client.get(response.url).content.decode()
    assert "3 timeline entries added from the chat." in page
    assert "<strong>milliseconds</strong>" in page


def test_importing_the_same_messages_again_adds_nothing(author_client, incident):
    upload(author_client, incident)
    first = ChatTranscript.objects.get()
    import_picks(author_client, first, {ALEX_ACK: "detection", SAM_FOUND: "golden_path"})
    # A second upload of the same export, some of the same messages ticked again.
    upload(author_client, incident)
    second = ChatTranscript.objects.latest("pk")
    page = author_client.get(pick_url(second))
    imported = {item.message.key for item in page.context["shown"] if item.imported}
    assert imported == {ALEX_ACK, SAM_FOUND}
    response = import_picks(author_client, second, {ALEX_ACK: "note", RILEY_PROCESSOR: "note"})
    assert TimelineEntry.objects.filter(incident=incident).count() == 3
    assert ChatImportedEntry.objects.filter(incident=incident).count() == 3
    page = author_client.get(response.url).content.decode()
    assert "1 timeline entry added from the chat. 1 message was in the timeline already." in page


def test_a_deleted_imported_entry_is_not_imported_again(author_client, author, incident):
    from incidents.services import timeline_entry_delete

    upload(author_client, incident)
    transcript = ChatTranscript.objects.get()
    import_picks(author_client, transcript, {ALEX_ACK: "detection"})
    timeline_entry_delete(entry=TimelineEntry.objects.get(), actor=author)
    import_picks(author_client, transcript, {ALEX_ACK: "detection"})
    assert TimelineEntry.all_objects.filter(incident=incident).count() == 1


def test_the_same_messages_may_be_imported_into_another_incident(author_client, author, incident):
    other = IncidentFactory(started_at=STARTED, created_by=author)
    for target in (incident, other):
        upload(author_client, target)
        import_picks(author_client, ChatTranscript.objects.latest("pk"), {ALEX_ACK: "note"})
    assert TimelineEntry.objects.filter(incident=other).count() == 1


def test_pasted_text_is_read_on_the_chosen_day_and_zone_and_imported(author_client, incident):
    response = author_client.post(
        reverse("imports:chat-paste", args=[incident.reference]),
        {
            "text": "[10:32] alice: rolled back <#C1|x> &amp; done\n10:40 <bob> confirmed",
            "day": "2026-03-14",
            "time_zone": "Europe/Oslo",
        },
    )
    transcript = ChatTranscript.objects.get()
    assert response.url == pick_url(transcript)
    keys = [item.message.key for item in author_client.get(response.url).context["shown"]]
    author_client.post(
        pick_url(transcript), {"channel": "pasted", "pick": keys, f"kind-{keys[0]}": "mitigation"}
    )
    entries = list(TimelineEntry.objects.filter(incident=incident))
    assert [(e.occurred_at, e.kind, e.body, e.source_url) for e in entries] == [
        (
            datetime(2026, 3, 14, 9, 32, tzinfo=UTC),
            "mitigation",
            "**alice**: rolled back <#C1|x> &amp; done",
            "",
        ),
        (datetime(2026, 3, 14, 9, 40, tzinfo=UTC), "note", "**bob**: confirmed", ""),
    ]


def test_the_paste_form_offers_the_incidents_day_and_the_users_zone(db, make_client):
    person = UserFactory(username="kiwi", roles=[Role.AUTHOR], time_zone="Pacific/Auckland")
    incident = IncidentFactory(
        started_at=datetime(2026, 3, 14, 20, 0, tzinfo=UTC), created_by=person
    )
    form = make_client(person).get(start_url(incident)).context["paste_form"]
    assert form["day"].value().isoformat() == "2026-03-15"  # already the 15th in Auckland
    assert form["time_zone"].value() == "Pacific/Auckland"


def test_the_time_window_and_channel_choose_what_is_listed(author_client, incident):
    upload(author_client, incident)
    transcript = ChatTranscript.objects.get()
    page = author_client.get(
        pick_url(transcript),
        {"channel": CHANNEL_ID, "start": "2026-03-14T10:03", "end": "2026-03-14T10:20"},
    )
    assert [item.message.moment.strftime("%H:%M") for item in page.context["shown"]] == [
        "10:03",
        "10:19",
    ]
    bad = author_client.get(
        pick_url(transcript),
        {"channel": CHANNEL_ID, "start": "2026-03-14T11:00", "end": "2026-03-14T10:00"},
    )
    assert "The end of the window cannot be before its start." in bad.content.decode()
    unknown = author_client.get(pick_url(transcript), {"channel": "C-NOT-THERE"})
    assert unknown.status_code == 200
    assert "Select a valid choice." in unknown.content.decode()


def test_nothing_ticked_says_so(author_client, incident):
    upload(author_client, incident)
    response = import_picks(author_client, ChatTranscript.objects.get(), {})
    assert response.status_code == 200
    assert "Tick the messages to import first." in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_an_imports_query_count_does_not_grow_with_the_messages(
    count, author_client, author, incident, django_assert_max_num_queries
):
    PostmortemFactory(incident=incident, status="draft")
    transcript = held_transcript(incident, author, count)
    picks = {message["key"]: "note" for message in transcript.messages}
    # session, user, incident, transcript; in the import: two savepoints and their releases,
    # the incident locked twice, the imported keys, the guard's postmortem, the entries, the
    # listener's postmortem id, the postmortem locked, its version, the document change, the
    # review requests whose approvals it voids, the keys.
    with django_assert_max_num_queries(19):
        response = author_client.post(
            pick_url(transcript), {"channel": "pasted", "pick": list(picks)}
        )
    assert response.status_code == 302
    assert TimelineEntry.objects.filter(incident=incident).count() == count


def test_a_frozen_timeline_refuses_the_import_and_keeps_the_ticks_and_kinds(
    author_client, incident
):
    upload(author_client, incident)
    transcript = ChatTranscript.objects.get()
    PostmortemFactory(incident=incident, status="approved")
    response = import_picks(author_client, transcript, {SAM_FOUND: "golden_path"})
    assert response.status_code == 200
    assert TimelineEntry.objects.count() == 0
    assert "approved" in response.context["error"]
    found = next(item for item in response.context["shown"] if item.message.key == SAM_FOUND)
    assert (found.picked, found.kind) == (True, "golden_path")
    html = response.content.decode()
    assert f'value="{SAM_FOUND}" id="pick-' in html and "checked" in html
    assert '<option value="golden_path" selected>' in html


def test_entries_are_written_through_the_services_so_the_postmortem_keeps_each_change(
    author_client, author, incident
):
    from postmortems.models import DocumentChange

    PostmortemFactory(incident=incident, status="draft")
    upload(author_client, incident)
    import_picks(
        author_client,
        ChatTranscript.objects.get(),
        {ALEX_ACK: "detection", SAM_FOUND: "golden_path"},
    )
    [change] = DocumentChange.objects.all()
    assert (change.actor, change.description) == (
        author,
        "Added 2 timeline entries, from 2026-03-14 10:00 UTC to 2026-03-14 10:23 UTC.",
    )


@pytest.mark.parametrize("who", ["outsider", "reviewer"])
def test_someone_who_may_not_edit_the_incident_cannot_import(make_client, who, outsider, reviewer):
    person = {"outsider": outsider, "reviewer": reviewer}[who]
    incident = IncidentFactory()
    client = make_client(person)
    assert client.get(start_url(incident)).status_code == 403
    assert upload(client, incident).status_code == 403
    paste = client.post(
        reverse("imports:chat-paste", args=[incident.reference]),
        {"text": "[10:00] a: b", "day": "2026-03-14", "time_zone": "UTC"},
    )
    assert paste.status_code == 403
    assert ChatTranscript.objects.count() == 0


def test_a_transcript_is_seen_only_by_who_brought_it_and_only_for_its_incident(
    author_client, make_client, manager, incident
):
    upload(author_client, incident)
    transcript = ChatTranscript.objects.get()
    assert make_client(manager).get(pick_url(transcript)).status_code == 404
    other = IncidentFactory(created_by=transcript.uploaded_by)
    wrong = reverse("imports:chat-pick", args=[other.reference, transcript.pk])
    assert author_client.get(wrong).status_code == 404


def test_a_file_that_is_not_a_zip_gets_a_message_and_the_typed_address_is_kept(
    author_client, incident
):
    response = author_client.post(
        reverse("imports:chat-slack", args=[incident.reference]),
        {
            "export": SimpleUploadedFile("x.zip", b"\xff\xfe not a zip"),
            "workspace_url": "acme.slack.com",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This is not a zip file Hindsight can read" in html
    assert 'value="acme.slack.com"' in html
    assert ChatTranscript.objects.count() == 0


def test_a_paste_without_messages_keeps_the_text(author_client, incident):
    response = author_client.post(
        reverse("imports:chat-paste", args=[incident.reference]),
        {"text": "no times here at all", "day": "2026-03-14", "time_zone": "UTC"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "No messages found." in html
    assert "no times here at all</textarea>" in html


@pytest.mark.parametrize("day", ["1969-12-31", "2101-01-01"])
def test_a_paste_day_outside_the_range_is_refused(author_client, incident, day):
    response = author_client.post(
        reverse("imports:chat-paste", args=[incident.reference]),
        {"text": "[10:00] a: b", "day": day, "time_zone": "UTC"},
    )
    assert "Enter a date from 1970-01-01 to 2100-12-31." in response.content.decode()


def test_what_was_not_understood_is_shown_above_the_messages(author_client, incident):
    author_client.post(
        reverse("imports:chat-paste", args=[incident.reference]),
        {"text": "Heading\n[10:00] a: b", "day": "2026-03-14", "time_zone": "UTC"},
    )
    page = author_client.get(pick_url(ChatTranscript.objects.get())).content.decode()
    assert "Line 1 was not understood: Heading" in page


def test_old_transcripts_are_cleared_away(author_client, author, incident, pinned_now):
    stale = ChatTranscript.objects.create(incident=incident, uploaded_by=author, source="paste")
    ChatTranscript.objects.filter(pk=stale.pk).update(created_at=pinned_now - timedelta(days=2))
    for _ in range(TRANSCRIPTS_KEPT + 1):
        upload(author_client, incident)
    assert ChatTranscript.objects.count() == TRANSCRIPTS_KEPT
    assert not ChatTranscript.objects.filter(pk=stale.pk).exists()


@pytest.mark.parametrize("copies", [1, 20])
def test_the_picking_page_query_count_does_not_grow_with_the_transcript(
    copies, author_client, author, incident, django_assert_max_num_queries
):
    transcript = held_transcript(incident, author, 10 * copies)
    # session, user, incident, its postmortem (the trust guard), the transcript, the messages
    # already imported, the bell's unread count.
    with django_assert_max_num_queries(8):
        response = author_client.get(pick_url(transcript))
    assert len(response.context["shown"]) == 10 * copies


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_of_the_same_messages_add_them_once(author, incident, make_client):
    """The second import waits for the first to commit, then finds the messages imported."""
    upload(make_client(author), incident)
    transcript = ChatTranscript.objects.get()
    racers = iter([make_client(author), make_client(author)])
    responses, errors = at_once(
        lambda: import_picks(
            next(racers), transcript, {ALEX_ACK: "detection", SAM_FOUND: "golden_path"}
        )
    )
    assert errors == []
    assert [response.status_code for response in responses] == [302, 302]
    entries = TimelineEntry.objects.filter(incident=incident)
    assert sorted(entry.chat_source.source_key for entry in entries) == [ALEX_ACK, SAM_FOUND]


def folder_upload(client, incident, *, paths=None):
    files = export_files()
    uploads = [SimpleUploadedFile(Path(path).name, data) for path, data in files.items()]
    folder = [f"slack-export/{path}" for path in files]
    return client.post(
        reverse("imports:chat-slack", args=[incident.reference]),
        {"folder": uploads, "folder_paths": json.dumps(folder if paths is None else paths)},
    )


def test_the_unzipped_export_folder_reads_like_the_zip(author_client, incident):
    response = folder_upload(author_client, incident)
    transcript = ChatTranscript.objects.get()
    assert response.url == pick_url(transcript)
    assert len(transcript.messages) == 8
    assert transcript.channels == [{"id": CHANNEL_ID, "name": "inc-checkout-2026-03-14"}]


def test_a_folder_whose_paths_the_browser_did_not_send_is_refused_with_a_message(
    author_client, incident
):
    response = folder_upload(author_client, incident, paths=["users.json"])
    assert "did not say where each file of the folder sits" in response.content.decode()
    assert ChatTranscript.objects.count() == 0


def test_neither_or_both_of_zip_and_folder_is_refused_with_a_message(author_client, incident):
    url = reverse("imports:chat-slack", args=[incident.reference])
    neither = author_client.post(url, {"workspace_url": ""})
    assert "Choose the export&#x27;s zip or its unzipped folder." in neither.content.decode()
    both = author_client.post(
        url,
        {
            "export": shared_export_zip(),
            "folder": [SimpleUploadedFile("users.json", b"[]")],
            "folder_paths": '["x/users.json"]',
        },
    )
    assert "Choose the export&#x27;s zip or its unzipped folder." in both.content.decode()


def test_one_import_takes_at_most_the_bound_of_messages(author, incident):
    from imports.chat import MAX_PICKS, ChatImportError, chat_messages_import

    picks = [
        (
            ChatMessage(key=f"paste:{n}", channel="pasted", moment=STARTED, speaker="a", text="b"),
            "note",
        )
        for n in range(MAX_PICKS + 1)
    ]
    with pytest.raises(ChatImportError, match=f"at most {MAX_PICKS} messages"):
        chat_messages_import(incident=incident, importer=author, picks=picks)
    assert TimelineEntry.objects.count() == 0


def test_the_start_page_shows_the_pasted_shapes_it_understands(author_client, incident):
    page = author_client.get(start_url(incident)).content.decode()
    assert "&quot;10:32 &lt;alice&gt; text&quot;" in page
