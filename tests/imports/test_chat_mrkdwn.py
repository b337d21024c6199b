"""Slack's mrkdwn becomes Markdown that Hindsight renders."""

import pytest

from imports.slack import MrkdwnConverter

USERS = {
    "U01ALEX": {"id": "U01ALEX", "name": "alex", "profile": {"display_name": "alex.o"}},
    "U03SAM": {"id": "U03SAM", "name": "sam", "profile": {"display_name": ""}},
}
CHANNELS = {"C05INC": "inc-checkout"}


@pytest.mark.parametrize(
    ("mrkdwn", "markdown"),
    [
        ("ping <@U01ALEX>", "ping @alex.o"),
        ("ping <@U03SAM>", "ping @sam"),
        ("ping <@U99GONE>", "ping @U99GONE"),
        ("ping <@U01ALEX|alexander>", "ping @alexander"),
        ("see <#C05INC|inc-checkout-old>", "see #inc-checkout-old"),
        ("see <#C05INC>", "see #inc-checkout"),
        ("<!here> and <!channel>", "@here and @channel"),
        ("<!subteam^S01|@oncall> please", "@oncall please"),
        (
            "<https://grafana.example.com/d/x|checkout dashboard>",
            "[checkout dashboard](https://grafana.example.com/d/x)",
        ),
        ("<https://example.com/a?b=1&amp;c=2>", "<https://example.com/a?b=1&c=2>"),
        ("<https://example.com|a [b] c>", r"[a \[b\] c](https://example.com)"),
        ("<mailto:ops@example.com|ops@example.com>", "[ops@example.com](mailto:ops@example.com)"),
        ("5xx &gt; 2% &amp; p99 &lt; 1s", "5xx > 2% & p99 < 1s"),
        ("*milliseconds* not seconds", "**milliseconds** not seconds"),
        ("~seconds~ milliseconds", "~~seconds~~ milliseconds"),
        ("_maybe_", "_maybe_"),
        ("a*b*c stays", "a*b*c stays"),
        ("`*not bold* &amp;` but *this*", "`*not bold* &` but **this**"),
        ("```\n<@U01ALEX> *x*\n```", "```\n<@U01ALEX> *x*\n```"),
    ],
)
def test_mrkdwn_becomes_markdown(mrkdwn, markdown):
    assert MrkdwnConverter(users=USERS, channels=CHANNELS).convert(mrkdwn) == markdown


def test_a_hostile_link_in_a_message_is_dropped_when_the_entry_is_rendered():
    from core.markdown import render_markdown

    markdown = MrkdwnConverter(users=USERS, channels=CHANNELS).convert(
        "<javascript:alert(1)|click> &lt;script&gt;alert(2)&lt;/script&gt;"
    )
    html = render_markdown(markdown)
    assert "javascript:" not in html
    assert "<script>" not in html
