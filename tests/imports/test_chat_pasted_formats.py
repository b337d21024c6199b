"""Pasted chat text in each shape people paste it, read on a chosen day and zone."""

from datetime import UTC, date, datetime

import pytest

from imports.chat import ChatImportError
from imports.chat_paste import MAX_PASTE_LENGTH, parse_pasted

DAY = date(2026, 3, 14)


def read(text, zone="UTC"):
    messages, problems = parse_pasted(text, day=DAY, zone=zone)
    return [(m.moment.astimezone(UTC), m.speaker, m.text) for m in messages], problems


def at(hour, minute, second=0, day=14):
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def test_bracketed_times_with_a_colon_after_the_name():
    messages, problems = read(
        "[10:32] alice: checkout is failing\n"
        "[10:33:15] bob smith: looking\n"
        "  second line of bob's message\n"
        "[10:40 PM] alice: fixed"
    )
    assert messages == [
        (at(10, 32), "alice", "checkout is failing"),
        (at(10, 33, 15), "bob smith", "looking\n  second line of bob's message"),
        (at(22, 40), "alice", "fixed"),
    ]
    assert problems == []


def test_irc_style_with_or_without_brackets_round_the_time():
    messages, _problems = read("10:32 <alice> anyone deploying?\n[10:34] <bob> not me")
    assert messages == [
        (at(10, 32), "alice", "anyone deploying?"),
        (at(10, 34), "bob", "not me"),
    ]


def test_slacks_copy_format():
    pasted = (
        "Alex Okafor  10:00 AM\n"
        "Ack. Looking at checkout now.\n"
        "10:01\n"
        "anyone deploying payments?\n"
        "Riley Chen  10:03 AM\n"
        "Card processor status page is green (edited)\n"
        "1 reply\n"
        "Sam Jørgensen  [10:19 AM]\n"
        "Errors started at 09:58 exactly\n"
        "when config payments-v42 rolled out.\n"
    )
    messages, problems = read(pasted)
    assert messages == [
        (at(10, 0), "Alex Okafor", "Ack. Looking at checkout now."),
        (at(10, 1), "Alex Okafor", "anyone deploying payments?"),
        (at(10, 3), "Riley Chen", "Card processor status page is green"),
        (
            at(10, 19),
            "Sam Jørgensen",
            "Errors started at 09:58 exactly\nwhen config payments-v42 rolled out.",
        ),
    ]
    assert problems == []


def test_a_sentence_ending_in_a_time_continues_the_message():
    messages, _problems = read("[10:00] alice: we restarted\nthe pods at 10:32")
    assert messages == [(at(10, 0), "alice", "we restarted\nthe pods at 10:32")]


def test_times_are_read_in_the_chosen_zone():
    messages, _problems = read("[10:32] alice: hi", zone="America/New_York")
    assert messages[0][0] == at(14, 32)  # EDT (UTC-4) since 8 March 2026


def test_the_clock_passing_midnight_moves_to_the_next_day():
    messages, _problems = read("[23:58] alice: still broken\n[00:03] bob: fixed\n[00:01] c: late")
    assert [moment for moment, _s, _t in messages] == [
        at(23, 58),
        at(0, 3, day=15),
        at(0, 1, day=15),  # a small step back is out-of-order pasting, not another day
    ]


def test_joins_leaves_and_topic_changes_are_skipped():
    messages, _problems = read(
        "[10:00] alice: has joined the channel\n"
        "Bob  10:01 AM\n"
        "joined #inc-checkout.\n"
        "[10:02] alice: set the channel topic: SEV2 checkout\n"
        "[10:03] alice: the real message"
    )
    assert messages == [(at(10, 3), "alice", "the real message")]


def test_lines_before_the_first_message_and_impossible_times_are_reported():
    messages, problems = read("Some heading\n[25:61] alice: nope\n[10:00] bob: yes")
    assert messages == [(at(10, 0), "bob", "yes")]
    assert problems == [
        "Line 1 was not understood: Some heading",
        "Line 2 has a time that does not exist: [25:61] alice: nope",
    ]


def test_the_same_words_twice_in_a_minute_are_two_messages_with_their_own_keys():
    messages, _problems = parse_pasted("[10:00] a: +1\n[10:00] a: +1", day=DAY, zone="UTC")
    assert len({message.key for message in messages}) == 2
    again, _problems = parse_pasted("[10:00] a: +1\n[10:00] a: +1", day=DAY, zone="UTC")
    assert [m.key for m in again] == [m.key for m in messages]


def test_text_without_messages_is_refused_with_the_shapes_it_understands():
    with pytest.raises(ChatImportError, match=r"\[10:32\] alice: text"):
        parse_pasted("just some notes\nno times here", day=DAY, zone="UTC")


def test_a_paste_over_the_bound_is_refused():
    with pytest.raises(ChatImportError, match="at most"):
        parse_pasted("x" * (MAX_PASTE_LENGTH + 1), day=DAY, zone="UTC")


def test_a_very_long_message_is_cut_with_a_mark():
    messages, _problems = read("[10:00] a: " + "y" * 20_000)
    assert len(messages[0][2]) < 10_000
    assert messages[0][2].endswith("(cut: the message was longer than this)")


def test_a_day_near_the_end_of_the_range_rolling_past_it_is_reported():
    messages, problems = parse_pasted(
        "[23:00] a: one\n[01:00] a: two", day=date(2100, 12, 31), zone="UTC"
    )
    assert [m.text for m in messages] == ["one"]
    assert problems == ["The message on line 2 falls outside the years 1970 to 2100."]


def test_an_apps_message_copied_from_slack_takes_the_name_above_its_badge():
    messages, problems = read(
        "Pager\n"
        "APP  9:59 AM\n"
        "FIRING: CheckoutErrorRate\n"
        "Alex Okafor  10:00 AM\n"
        "Ack.\n"
        "Pager\n"
        "APP  10:05 AM\n"
        "RESOLVED: CheckoutErrorRate\n"
    )
    assert messages == [
        (at(9, 59), "Pager", "FIRING: CheckoutErrorRate"),
        (at(10, 0), "Alex Okafor", "Ack."),
        (at(10, 5), "Pager", "RESOLVED: CheckoutErrorRate"),
    ]
    assert problems == []
