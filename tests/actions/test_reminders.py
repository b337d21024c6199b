from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.utils import timezone

from actions.models import SentReminder
from actions.services import send_action_reminders
from core.models import Role
from outbox.models import OutgoingEmail
from tests.factories import ActionItemFactory, UserFactory

# Dates here depend on "today": check them on both sides of midnight UTC and of the date line.
pytestmark = [pytest.mark.django_db, pytest.mark.day_boundaries]


@pytest.fixture(autouse=True)
def escalate_from_the_first_day(settings):
    """These tests are about sending, not about when items escalate (tests/actions/
    test_escalation.py): every overdue item goes to the managers of these unteamed owners."""
    settings.ACTION_ESCALATE_AFTER_DAYS = 1


def _days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def _to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


@pytest.fixture
def cast(settings):
    """ann: two overdue, one due soon, one far off. bob: only far off. Two managers."""
    settings.SITE_URL = "https://hindsight.example.com"
    settings.ACTION_REMINDER_DAYS_AHEAD = 7
    ann = UserFactory(username="ann", first_name="Ann", last_name="Able")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Baker")
    ActionItemFactory(owner=ann, title="Overdue long", due_date=_days(-10))
    ActionItemFactory(owner=ann, title="Overdue short", due_date=_days(-1))
    ActionItemFactory(owner=ann, title="Due soon", due_date=_days(7))
    ActionItemFactory(owner=ann, title="Far off", due_date=_days(8))
    ActionItemFactory(owner=ann, title="Done already", due_date=_days(-3), status="done")
    ActionItemFactory(owner=bob, title="Bob's far off", due_date=_days(30))
    ActionItemFactory(owner=None, title="Nobody's", due_date=_days(-2))
    return {
        "ann": ann,
        "bob": bob,
        "managers": [
            UserFactory(username="mia", roles=[Role.MANAGER]),
            UserFactory(username="max", roles=[Role.MANAGER, Role.AUTHOR]),
        ],
    }


def test_each_owner_with_overdue_or_soon_due_items_gets_one_digest(cast, deliver_outbox):
    call_command("send_action_reminders")
    deliver_outbox()
    [digest] = _to("ann@example.com")
    assert digest.subject == "Hindsight: your action items — 2 overdue, 1 due soon"
    body = digest.body
    assert "Hello Ann Able," in body
    assert body.index("Overdue long") < body.index("Overdue short") < body.index("Due soon")
    assert "10 days overdue" in body and "1 day overdue" in body
    assert "in 7 days" in body
    assert "Far off" not in body and "Done already" not in body and "Nobody's" not in body
    assert "https://hindsight.example.com/actions/mine/" in body
    item = cast["ann"].owned_action_items.get(title="Overdue long")
    assert f"https://hindsight.example.com/actions/{item.pk}/" in body
    html, mimetype = digest.alternatives[0]
    assert mimetype == "text/html" and "Overdue long</a>" in html
    assert _to("bob@example.com") == []  # nothing overdue or due within the week


def test_each_manager_gets_one_summary_of_everything_overdue(cast, deliver_outbox):
    call_command("send_action_reminders")
    deliver_outbox()
    for manager in cast["managers"]:
        [summary] = _to(manager.email)
        assert summary.subject == "Hindsight: 3 action items are overdue"
        body = summary.body
        assert body.index("Overdue long") < body.index("Nobody's") < body.index("Overdue short")
        assert "- Ann Able: 2" in body and "- No owner: 1" in body
        assert "https://hindsight.example.com/actions/dashboard/" in body
        assert "Due soon" not in body
    assert len(mail.outbox) == 3  # ann's digest and the two summaries


def test_inactive_people_and_people_without_an_address_get_nothing(cast, deliver_outbox):
    cast["ann"].is_active = False
    cast["ann"].save()
    cast["managers"][0].email = ""
    cast["managers"][0].save()
    call_command("send_action_reminders")
    deliver_outbox()
    assert [message.to for message in mail.outbox] == [[cast["managers"][1].email]]


def test_running_twice_the_same_day_sends_each_person_one_email(cast, deliver_outbox):
    call_command("send_action_reminders")
    deliver_outbox()
    call_command("send_action_reminders")
    deliver_outbox()
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["ann@example.com", "max@example.com", "mia@example.com"]
    sent = SentReminder.objects.get(recipient=cast["ann"])
    assert sent.kind == "owner_digest" and sent.sent_on == timezone.localdate()
    assert len(sent.item_ids) == 3


def test_the_next_day_brings_the_next_digest(cast, deliver_outbox):
    now = timezone.now()
    send_action_reminders(now=now)
    deliver_outbox()
    send_action_reminders(now=now + timedelta(days=1))
    deliver_outbox()
    assert len(_to("ann@example.com")) == 2


def test_a_dry_run_prints_what_it_would_send_and_sends_nothing(cast, capsys, deliver_outbox):
    call_command("send_action_reminders", "--dry-run")
    out = capsys.readouterr().out
    assert mail.outbox == []
    assert not SentReminder.objects.exists()
    assert "Would send Owner's digest to Ann Able <ann@example.com>" in out
    assert "Overdue long" in out and "10 days overdue" in out
    assert "Would send Manager's overdue summary to" in out
    assert "Dry run: 3 email(s) would be sent; nothing was sent or recorded." in out
    # A real run afterwards still sends them all.
    call_command("send_action_reminders")
    deliver_outbox()
    assert len(mail.outbox) == 3


def test_a_dry_run_after_sending_reports_nothing_left_to_send(cast, capsys, deliver_outbox):
    call_command("send_action_reminders")
    deliver_outbox()
    capsys.readouterr()
    call_command("send_action_reminders", "--dry-run")
    out = capsys.readouterr().out
    assert "Would send" not in out
    assert "already sent on" in out
    assert len(mail.outbox) == 3


def test_a_refused_email_is_recorded_and_goes_out_on_a_later_attempt(
    cast, monkeypatch, deliver_outbox
):
    real_send = EmailBackend.send_messages

    def refuse_ann(self, messages):
        if any("ann@example.com" in message.to for message in messages):
            raise OSError("mailbox unavailable")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_ann)
    call_command("send_action_reminders")
    deliver_outbox()
    assert len(mail.outbox) == 2  # the managers got theirs
    assert SentReminder.objects.filter(recipient=cast["ann"]).exists()
    digest = OutgoingEmail.objects.get(to=["ann@example.com"])
    assert digest.status == "pending" and "mailbox unavailable" in digest.last_error

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    call_command("send_action_reminders")  # already recorded: queues nothing more
    deliver_outbox()
    assert len(_to("ann@example.com")) == 1
    assert len(mail.outbox) == 3  # nobody else got a second


def test_each_digest_follows_its_owners_own_calendar(deliver_outbox):
    due = date(2026, 3, 10)
    in_tokyo = UserFactory(username="tokyo", time_zone="Asia/Tokyo")
    in_new_york = UserFactory(username="newyork", time_zone="America/New_York")
    ActionItemFactory(owner=in_tokyo, title="Tokyo's item", due_date=due)
    ActionItemFactory(owner=in_new_york, title="New York's item", due_date=due)
    # 20:00 UTC on the 10th: the 11th in Tokyo, still the 10th (16:00) in New York.
    send_action_reminders(now=datetime(2026, 3, 10, 20, 0, tzinfo=UTC))
    deliver_outbox()
    [tokyo] = _to("tokyo@example.com")
    [new_york] = _to("newyork@example.com")
    assert "1 day overdue" in tokyo.body and tokyo.subject.endswith("1 overdue, 0 due soon")
    assert "Due today, 2026-03-10" in new_york.body
    assert new_york.subject.endswith("0 overdue, 1 due soon")
    sent_on = dict(SentReminder.objects.values_list("recipient__username", "sent_on"))
    assert sent_on == {"tokyo": date(2026, 3, 11), "newyork": date(2026, 3, 10)}


def test_no_overdue_items_no_manager_summary(manager, deliver_outbox):
    ActionItemFactory(due_date=_days(30))
    call_command("send_action_reminders")
    deliver_outbox()
    assert mail.outbox == []


def test_reminders_carry_titles_as_typed_in_text_and_escaped_only_in_html(manager, deliver_outbox):
    title = """Q&A <beta> "quoted" and 'single'"""
    owner = UserFactory(username="quinn")
    ActionItemFactory(owner=owner, title=title, due_date=_days(-1))
    send_action_reminders()
    deliver_outbox()
    for message in _to("quinn@example.com") + _to("manager@example.com"):
        assert "&amp;" not in message.subject
        assert title in message.body
        html = message.alternatives[0][0]
        assert "Q&amp;A &lt;beta&gt;" in html and "<beta>" not in html
