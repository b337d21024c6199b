"""Starting an incident's postmortem twice (a double click, two people at once) leads to the one
postmortem; never an error page."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.models import Role
from postmortems import services
from postmortems.models import Postmortem, PostmortemTemplate
from tests.factories import IncidentFactory, UserFactory

ALREADY = "already has a postmortem: here it is."


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_starting_again_leads_to_the_postmortem_with_a_message():
    writer = UserFactory(roles=[Role.AUTHOR])
    incident = IncidentFactory()
    template = PostmortemTemplate.objects.filter(is_active=True).first()
    client = _signed_in(writer)
    url = reverse("postmortems:start", args=[incident.reference])
    assert client.post(url, {"template": template.pk}).status_code == 302
    repeat = client.post(url, {"template": template.pk}, follow=True)
    assert repeat.redirect_chain[-1][0] == Postmortem.objects.get().get_absolute_url()
    assert f"{incident.reference} {ALREADY}" in repeat.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_starts_at_once_make_one_postmortem_and_no_error(monkeypatch):
    """The first request has inserted its postmortem but not committed when the second checks
    and inserts: the second waits on the unique index, then fails, and must lead to the first's
    postmortem instead of answering 500."""
    # Nothing from data migrations (roles, templates): a transactional test may run after
    # another one flushed them.
    writer = UserFactory()
    incident = IncidentFactory(created_by=writer)  # its creator may start its postmortem
    template = PostmortemTemplate.objects.create(name="Quick", prompts={})
    url = reverse("postmortems:start", args=[incident.reference])
    inserted, go_on = threading.Event(), threading.Event()
    record_revision = services.record_revision

    def held_before_commit(**kwargs):
        if threading.current_thread().name == "first":
            inserted.set()
            go_on.wait(timeout=10)
        return record_revision(**kwargs)

    monkeypatch.setattr(services, "record_revision", held_before_commit)
    responses, errors = {}, []

    def start(name):
        try:
            responses[name] = _signed_in(writer).post(url, {"template": template.pk})
        except Exception as error:  # the test client re-raises what would be a 500
            errors.append(error)
        finally:
            connection.close()

    first = threading.Thread(target=start, args=("first",), name="first")
    second = threading.Thread(target=start, args=("second",), name="second")
    first.start()
    assert inserted.wait(timeout=10)
    second.start()
    second.join(timeout=1)  # blocked on the unique index while the first is not committed
    go_on.set()
    first.join()
    second.join()

    assert errors == []
    postmortem = Postmortem.objects.get()
    assert responses["first"].url == reverse("postmortems:edit", args=[incident.reference])
    assert responses["second"].status_code == 302
    assert responses["second"].url == postmortem.get_absolute_url()
