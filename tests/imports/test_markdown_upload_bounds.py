"""What an upload may hold, and a clear message (never a 500) for whatever it may not."""

import pytest
from django.urls import reverse

from imports import uploads
from imports.models import MarkdownImport
from incidents.models import Incident
from tests.imports.conftest import import_files, post_upload, upload, zipped

pytestmark = pytest.mark.django_db

GOOD = "# Disk full\n\n## Timeline\n\n- 2026-01-05 10:00 UTC: Disk alert\n"


def test_a_zip_brings_its_markdown_and_names_what_it_skipped(author_client):
    archive = zipped(
        {
            "pm/one.md": GOOD,
            "pm/two.markdown": GOOD.replace("Disk full", "Queue stuck"),
            "pm/diagram.png": b"\x89PNG",
            "__MACOSX/pm/._one.md": b"\x00\x01",
            "pm/.hidden.md": GOOD,
        }
    )
    response = post_upload(author_client, archive)
    assert response.status_code == 302
    markdown_import = MarkdownImport.objects.get()
    assert sorted(f.name for f in markdown_import.files.all()) == [
        "postmortems.zip/pm/one.md",
        "postmortems.zip/pm/two.markdown",
    ]
    page = author_client.get(response["Location"]).content.decode()
    assert "diagram.png: Not a Markdown file" in page


def test_a_zip_bomb_is_refused_by_the_bytes_it_unpacks(author_client):
    bomb = zipped({"bomb.md": "#" * (uploads.MAX_FILE_BYTES * 20)})
    assert bomb.size < 100_000
    response = post_upload(author_client, bomb)
    assert response.status_code == 400
    assert "bomb.md</strong>: Larger than 1000 kB" in response.content.decode()
    assert not MarkdownImport.objects.exists()


def test_text_that_is_not_utf8_is_refused_with_where_it_fails(author_client):
    response = post_upload(author_client, upload("latin.md", "# Störung\n".encode("latin-1")))
    assert response.status_code == 400
    assert "Not UTF-8 text (byte 4 cannot be read)" in response.content.decode()


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (upload("notes.docx", b"PK"), "Not a Markdown file"),
        (upload("broken.zip", b"not a zip"), "Not a zip archive that can be read."),
        (upload("big.md", b"x" * (uploads.MAX_FILE_BYTES + 1)), "Larger than 1000 kB"),
        (upload("binary.md", b"# a\x00b"), "contains NUL bytes"),
        (upload("empty.md", b""), "The submitted file is empty."),
    ],
)
def test_unreadable_files_get_a_message(author_client, file, message):
    response = post_upload(author_client, file)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_more_files_than_allowed_are_refused(author_client):
    files = [upload(f"{n}.md", GOOD) for n in range(uploads.MAX_FILES + 1)]
    response = post_upload(author_client, *files)
    assert response.status_code == 400
    assert "At most 50 files at once" in response.content.decode()


def test_an_empty_upload_asks_for_files(author_client):
    response = author_client.post(reverse("imports:markdown-upload"), {"time_zone": "UTC"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_readable_files_come_in_beside_refused_ones(author_client):
    import_files(author_client, upload("good.md", GOOD), upload("bad.md", b"\xff\xfe"))
    assert Incident.objects.get().title == "Disk full"


@pytest.mark.parametrize(
    "text",
    [
        "\n\n   \n",
        "---\n: : bad yaml [\n---\n# T\n",
        "---\n- a list\n---\n",
        "---\ntitle: x\nstarted_at: 9999-01-01\nseverity: SEV9\ntime_zone: Mars/Base\n---\n",
        "# T\n## Timeline\n| Time | Event |\n|---|---|\n| 2026-13-45 25:99 | nope |\n| | |\n",
        "# T\n## Timeline\n- 2150-01-01 10:00 far future\n- 1900-01-01 10:00 far past\n",
        "# T\n## Stats\n- Time to detection: 99999999 days\n- Time to recovery: -5 minutes\n",
        "# " + "long " * 100 + "\n## Action items\n- " + "word " * 200 + "\n",
        "```\n# not a heading\n## Timeline\n```\n",
        "|||\n|-|-|\n",
        "# T\n" + "## Timeline\n" + "- 10:00 no date anywhere\n",
        "# T\n## Timeline\n### 2026-01-05\n- 10:00 dated by its heading\n- 9:15pm PST late\n",
    ],
)
def test_odd_files_preview_and_import_without_an_error(author_client, text):
    import_files(author_client, upload("odd.md", text))
    assert Incident.objects.count() == 1


def test_a_date_heading_dates_the_times_under_it(author_client):
    text = "# T\n## Timeline\n### 2026-01-05\n- 10:00 dated by its heading\n- 9:15pm PST late\n"
    import_files(author_client, upload("odd.md", text), time_zone="Europe/Oslo")
    entries = [
        (entry.occurred_at.isoformat(), entry.body)
        for entry in Incident.objects.get().timeline_entries.all()
    ]
    assert entries == [
        ("2026-01-05T09:00:00+00:00", "dated by its heading"),  # 10:00 in Oslo, chosen
        ("2026-01-06T05:15:00+00:00", "late"),  # 21:15 PST says its own zone
    ]


def test_lines_built_to_make_patterns_backtrack_are_read_in_linear_time():
    """Each of these took hours with the first patterns (quadratic backtracking)."""
    import time
    import zoneinfo
    from datetime import UTC, datetime

    from imports.markdown import parse_markdown

    n = 200_000
    text = "\n".join(
        [
            "# a" + " " * n + "x",
            "## Timeline",
            "| Time | Event |",
            "--" + " " * n + "x",
            "A" * n,
            "## Stats",
            "- Time to detection: " + "1" * n + "x",
        ]
    )
    started = time.monotonic()
    parse_markdown(
        text,
        name="x.md",
        default_zone=zoneinfo.ZoneInfo("UTC"),
        today=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert time.monotonic() - started < 5


def test_a_timeline_entry_longer_than_the_form_allows_is_refused_with_the_reason(author_client):
    long_entry = "# T\n## Timeline\n- 2026-01-05 10:00 UTC " + "word " * 2_100 + "\n"
    markdown_import = import_files(author_client, upload("long.md", long_entry))
    assert not Incident.objects.exists()
    assert markdown_import.files.get().failure == (
        "A timeline entry is longer than 10000 characters: shorten it in the file."
    )
