"""Comments anchored to a quote of a section's rendered text (the W3C TextQuoteSelector idea:
the exact quote plus a little text before and after it to tell repeats apart).

A reviewer selects text in the rendered section; the page sends the quote and its context. When
a later revision is shown, the quote is looked for again in that revision's rendered text: found,
the comment anchors there (wherever the text moved); not found, the comment is outdated and shows
the quote it was made on. Matching ignores differences in white space, as a browser's selection
and the HTML's text nodes lay white space out differently.

Highlights are added here, server-side, into HTML the Markdown pipeline already sanitised: the
text is re-emitted exactly as it was, with ``<mark>`` around the quoted characters, split at tag
boundaries so the markup stays well formed.
"""

import html
import re
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

QUOTE_MAX_LENGTH = 1_000
CONTEXT_MAX_LENGTH = 64
# A tag, with any ">" inside its quoted attribute values (a link's query string) kept inside it.
_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")
_UNIT = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|\w+);|.", re.DOTALL)
_SPACE = re.compile(r"\s+")
# Tags a browser lays out as their own block or line: a selection reads white space there.
_BLOCK_TAGS = re.compile(
    r"</?(?:p|br|hr|li|ul|ol|dl|dt|dd|div|h[1-6]|pre|blockquote|table|thead|tbody|tr|td|th)\b",
    re.IGNORECASE,
)


def collapse(text: str) -> str:
    """White space collapsed to single spaces: how the text around a quote is stored."""
    return _SPACE.sub(" ", text or "")


def normalise(text: str) -> str:
    """White space collapsed to single spaces, and trimmed: how quotes are stored and matched."""
    return collapse(text).strip()


@dataclass
class _Unit:
    """One piece of the HTML: a tag (emitted as is) or one character or entity of text."""

    source: str
    is_tag: bool


def _units(fragment: str) -> tuple[list[_Unit], str, list[int]]:
    """The HTML as units, its normalised text, and for each text character the unit it came
    from (-1 for white space that a block boundary stands for)."""
    units: list[_Unit] = []
    raw_chars: list[tuple[str, int]] = []
    position = 0
    for tag in _TAG.finditer(fragment):
        for match in _UNIT.finditer(fragment, position, tag.start()):
            units.append(_Unit(match.group(), False))
            for char in html.unescape(match.group()):
                raw_chars.append((char, len(units) - 1))
        units.append(_Unit(tag.group(), True))
        if _BLOCK_TAGS.match(tag.group()):
            raw_chars.append((" ", -1))
        position = tag.end()
    for match in _UNIT.finditer(fragment, position):
        units.append(_Unit(match.group(), False))
        for char in html.unescape(match.group()):
            raw_chars.append((char, len(units) - 1))
    # Collapse white space runs the way ``normalise`` does, keeping the map to units.
    text: list[str] = []
    owners: list[int] = []
    for char, owner in raw_chars:
        if char.isspace():
            if text and text[-1] == " ":
                continue
            char = " "
        text.append(char)
        owners.append(owner)
    while text and text[0] == " ":
        text.pop(0)
        owners.pop(0)
    while text and text[-1] == " ":
        text.pop()
        owners.pop()
    return units, "".join(text), owners


def plain_text(fragment: str) -> str:
    """The normalised text a reader sees in a rendered fragment."""
    return _units(fragment)[1]


def locate(text: str, quote: str, prefix: str = "", suffix: str = "") -> int | None:
    """Where ``quote`` starts in ``text`` (both normalised): the occurrence with the most of the
    surrounding ``prefix`` and ``suffix`` still around it, else the first; None when it is not
    there. Every step is one ``str.find``, so a page with many comments stays quick."""
    if not quote or quote not in text:
        return None
    tries = [(prefix, suffix), (prefix, ""), ("", suffix)]
    for length in (16, 8):
        tries += [
            (prefix[-length:], suffix[:length]),
            (prefix[-length:], ""),
            ("", suffix[:length]),
        ]
    for before, after in tries:
        if before or after:
            found = text.find(f"{before}{quote}{after}")
            if found >= 0:
                return found + len(before)
    return text.find(quote)


@dataclass
class Anchor:
    key: int  # what the <mark> points at, e.g. the comment's id
    quote: str
    prefix: str = ""
    suffix: str = ""


def highlight(fragment: str, anchors: list[Anchor]) -> tuple[SafeString, set[int]]:
    """The sanitised ``fragment`` with each found anchor's quote in ``<mark>``; and the keys of
    the anchors found (the others are outdated)."""
    if not anchors or not fragment:
        return mark_safe(fragment), set()
    units, text, owners = _units(fragment)
    covering: dict[int, set[int]] = {}  # unit index → keys of the anchors covering it
    found = set()
    for anchor in anchors:
        start = locate(text, normalise(anchor.quote), anchor.prefix, anchor.suffix)
        if start is None:
            continue
        found.add(anchor.key)
        for owner in owners[start : start + len(normalise(anchor.quote))]:
            if owner >= 0:
                covering.setdefault(owner, set()).add(anchor.key)
    for index in list(covering):
        # Text that is only white space between two tags may sit between table cells or list
        # items, where a <mark> cannot go.
        if units[index].source.isspace() and _only_space_between_tags(units, index):
            del covering[index]
    out: list[str] = []
    open_keys: frozenset[int] = frozenset()
    for index, unit in enumerate(units):
        keys = frozenset(covering.get(index, ()))
        if unit.is_tag or keys != open_keys:
            if open_keys:
                out.append("</mark>")
            open_keys = frozenset()
        if unit.is_tag:
            out.append(unit.source)
            continue
        if keys and not open_keys:
            ids = " ".join(str(key) for key in sorted(keys))
            out.append(f'<mark class="comment-anchor" data-comments="{ids}">')
            open_keys = keys
        out.append(unit.source)
    if open_keys:
        out.append("</mark>")
    return mark_safe("".join(out)), found


def _only_space_between_tags(units: list[_Unit], index: int) -> bool:
    for step in (-1, 1):
        position = index + step
        while 0 <= position < len(units) and not units[position].is_tag:
            if not units[position].source.isspace():
                return False
            position += step
    return True


def source_span(text: str, quote: str) -> list[tuple[int, int]]:
    """Where a quote of the rendered text stands in a section's Markdown, white space aside:
    every (start, end) it matches (a suggestion applies only when there is exactly one)."""
    words = normalise(quote).split(" ")
    if not words or not words[0]:
        return []
    pattern = re.compile(r"\s+".join(re.escape(word) for word in words))
    return [match.span() for match in pattern.finditer(text)][:2]
