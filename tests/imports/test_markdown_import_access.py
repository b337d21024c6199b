"""Who may import, who sees an upload, and an upload imported once however often it is sent."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from imports.models import MarkdownImport
from imports.services import markdown_import_run
from incidents.models import Incident
from tests.factories import UserFactory
from tests.imports.conftest import SAMPLE_FILES, import_files, post_upload, upload

TEXT = "# Disk full\n\n## Timeline\n\n- 2026-01-05 10:00 UTC: Disk alert\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [("outsider", 403), ("manager", 403), ("author", 200), ("staff", 200)]
)
def test_authors_and_staff_may_import(request, make_client, who, status):
    client = make_client(request.getfixturevalue(who))
    assert client.get(reverse("imports:markdown-upload")).status_code == status
    assert post_upload(client, upload("a.md", TEXT)).status_code == (302 if status == 200 else 403)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "offered"), [("outsider", False), ("author", True), ("staff", True)]
)
def test_the_incident_list_offers_the_import_only_to_those_who_may(
    request, make_client, who, offered
):
    page = make_client(request.getfixturevalue(who)).get(reverse("incidents:list"))
    assert (reverse("imports:markdown-upload") in page.content.decode()) is offered


@pytest.mark.django_db
def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(reverse("imports:markdown-upload"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_an_upload_is_seen_and_imported_only_by_whoever_sent_it(author_client, make_client):
    post_upload(author_client, upload("a.md", TEXT))
    markdown_import = MarkdownImport.objects.get()
    other_author = make_client(UserFactory(username="other", roles=["Author"]))
    preview = reverse("imports:markdown-preview", args=[markdown_import.pk])
    apply = reverse("imports:markdown-apply", args=[markdown_import.pk])
    assert other_author.get(preview).status_code == 403
    assert other_author.post(apply).status_code == 403
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_the_same_file_twice_in_one_upload_is_imported_once(author_client):
    post_upload(author_client, upload("a.md", TEXT), upload("copy.md", TEXT))
    markdown_import = MarkdownImport.objects.get()
    page = author_client.get(reverse("imports:markdown-preview", args=[markdown_import.pk]))
    assert "The same text as “a.md” in this upload: skipped." in page.content.decode()
    author_client.post(reverse("imports:markdown-apply", args=[markdown_import.pk]))
    markdown_import_run(markdown_import_id=markdown_import.pk)
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_the_preview_costs_the_same_queries_for_one_file_or_six(
    author_client, django_assert_max_num_queries
):
    def preview_queries(files) -> int:
        post_upload(author_client, *files)
        url = reverse("imports:markdown-preview", args=[MarkdownImport.objects.latest("pk").pk])
        # session + user (2), the upload (1), its files (1), earlier imports (1), people (1),
        # services (1)
        with django_assert_max_num_queries(7) as captured:
            assert author_client.get(url).status_code == 200
        return len(captured.captured_queries)

    one = preview_queries([upload(SAMPLE_FILES[0].name, SAMPLE_FILES[0].read_bytes())])
    six = preview_queries([upload(path.name, path.read_bytes()) for path in SAMPLE_FILES])
    assert one == six


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_two_imports_of_one_upload_at_once_import_it_once(author, run_worker):
    client = Client()
    client.force_login(author)
    post_upload(client, upload("a.md", TEXT))
    url = reverse("imports:markdown-apply", args=[MarkdownImport.objects.get().pk])
    statuses, errors = [], []
    start = threading.Barrier(2)

    def send():
        other = Client()
        other.force_login(author)
        try:
            start.wait()
            statuses.append(other.post(url).status_code)
        except Exception as error:  # a 500 surfaces here
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert statuses == [302, 302]
    run_worker()
    assert Incident.objects.count() == 1
    assert MarkdownImport.objects.get().imported_at is not None


@pytest.mark.django_db
def test_files_without_a_reference_are_told_apart_by_their_text(author_client):
    import_files(author_client, upload("a.md", TEXT))
    other = TEXT.replace("Disk full", "Queue stuck")
    import_files(author_client, upload("again.md", TEXT), upload("b.md", other))
    assert sorted(Incident.objects.values_list("title", flat=True)) == ["Disk full", "Queue stuck"]


@pytest.mark.django_db
def test_two_versions_of_one_postmortem_in_an_upload_import_once(author_client):
    first = upload("PM2024-001 - Disk.md", TEXT)
    second = upload("PM2024-001 - Disk (edited).md", TEXT + "\nOne more line.\n")
    post_upload(author_client, first, second)
    markdown_import = MarkdownImport.objects.get()
    preview = reverse("imports:markdown-preview", args=[markdown_import.pk])
    page = author_client.get(preview).content.decode()
    assert "The same reference as “PM2024-001 - Disk.md” in this upload: skipped." in page
    author_client.post(reverse("imports:markdown-apply", args=[markdown_import.pk]))
    markdown_import_run(markdown_import_id=markdown_import.pk)
    assert Incident.objects.count() == 1
