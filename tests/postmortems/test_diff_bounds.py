"""Diffs do bounded work: two 30 KiB one-paragraph revisions took 18 s word by word.

The bound is checked by counting what difflib is given, not by timing.
"""

import difflib

import pytest
from django.urls import reverse

from postmortems import diff as diff_module
from postmortems.diff import MAX_EQUAL_PAIRS, diff_text
from tests.postmortems.conftest import section_data

pytestmark = pytest.mark.django_db


def _paragraph(n_chars: int, *, changed_every: int = 0) -> str:
    words = [f"w{i % 997}x{i}" for i in range(n_chars // 6)]
    if changed_every:
        words = [w if i % changed_every else "changed" for i, w in enumerate(words)]
    return " ".join(words)[:n_chars]


@pytest.fixture
def matched(monkeypatch):
    """The equal pairs each SequenceMatcher the diff builds could match: its work."""
    pairs = []

    class Counting(difflib.SequenceMatcher):
        def set_seqs(self, a, b):
            super().set_seqs(a, b)
            if self.autojunk is False:
                pairs.append(diff_module.equal_pairs(list(a), list(b)))

    monkeypatch.setattr(diff_module, "SequenceMatcher", Counting)
    return pairs


@pytest.mark.parametrize(
    "old, new",
    [
        (_paragraph(30 * 1024), _paragraph(30 * 1024, changed_every=20)),
        ("a " * 999, "a b " * 499),
        ("." * 50_000, ".," * 25_000),
        ("a\n" * 25_000, "a\nb\n" * 12_500),
    ],
    ids=["30KiB-paragraph", "repeated-words", "punctuation", "repeated-lines"],
)
def test_large_or_repetitive_text_falls_back_to_a_coarser_diff(old, new, matched):
    lines = diff_text(old, new)
    assert lines.coarse
    assert max(matched, default=0) <= MAX_EQUAL_PAIRS
    assert "".join(text for line in lines if line.kind != "insert" for _op, text in line.segments)


def test_an_ordinary_paragraph_is_still_diffed_word_by_word(matched):
    old = _paragraph(3000)
    new = old.replace("w5x5 ", "w5x5 inserted ")
    [line] = diff_text(old, new)
    assert line.kind == "change" and ("insert", "inserted ") in line.segments
    assert not diff_text(old, new).coarse


def test_the_compare_page_says_when_a_diff_is_coarser(author_client, postmortem):
    url = reverse("postmortems:edit", args=[postmortem.incident.reference])
    author_client.post(url, section_data(postmortem, summary=_paragraph(30 * 1024)))
    postmortem.refresh_from_db()
    changed = _paragraph(30 * 1024, changed_every=20)
    author_client.post(url, section_data(postmortem, summary=changed))
    response = author_client.get(
        reverse("postmortems:compare", args=[postmortem.incident.reference]), {"from": 2, "to": 3}
    )
    assert response.status_code == 200
    assert "too long or repetitive to compare word by word" in response.content.decode()


def test_the_stale_save_page_bounds_its_diff_too(make_client, author, reviewer, postmortem):
    url = reverse("postmortems:edit", args=[postmortem.incident.reference])
    first = "A first line, replaced below by a long paragraph."
    make_client(author).post(url, section_data(postmortem, summary=first))
    postmortem.refresh_from_db()
    loaded = section_data(postmortem)
    make_client(reviewer).post(url, {**loaded, "summary": _paragraph(30 * 1024)})
    refused = make_client(author).post(url, {**loaded, "impact": "Mine, typed carefully."})
    content = refused.content.decode()
    assert "Someone else saved this postmortem" in content
    assert "Mine, typed carefully." in content
    assert "too long or repetitive to compare word by word" in content
