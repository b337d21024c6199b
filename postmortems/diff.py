"""Readable diffs between two revisions: line by line, with changed lines diffed word by word.

difflib's matcher does work that grows with the number of pairs of equal items it could
match up, which is quadratic for long or repetitive text (two 30 KiB one-paragraph revisions
took 18 s word by word). So each diff is bounded: a changed line too long or too repetitive to
compare word by word is shown removed and added, and a section whose lines repeat too much is
matched with difflib's junk heuristic. Either way the diff says it is coarser.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from postmortems.sections import SECTIONS, Section

# A word with the spaces after it, or one punctuation mark with its spaces, or leading spaces:
# spaces alone would be most of the tokens and make the matcher slow.
_TOKENS = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")
# Below this similarity, a changed line reads better as removed-and-added than word by word.
_WORD_DIFF_MIN_RATIO = 0.5
# Tokens per side of a changed line compared word by word (about a 500-word paragraph).
WORD_DIFF_MAX_TOKENS = 1_000
# Pairs of equal items (tokens or lines) a matcher may consider: ordinary prose of the longest
# paragraph above has a few thousand; a line of "a a a ..." has hundreds of thousands.
MAX_EQUAL_PAIRS = 20_000


def equal_pairs(old: list[str], new: list[str]) -> int:
    """How many (old, new) pairs of equal items there are: a bound on the matcher's work."""
    new_counts = Counter(new)
    return sum(count * new_counts[item] for item, count in Counter(old).items())


@dataclass
class DiffLine:
    kind: str  # "equal", "insert", "delete" or "change"
    segments: list[tuple[str, str]] = field(default_factory=list)  # (op, text)


class TextDiff(list):
    """The lines of a diff; ``coarse`` when a bound made it less detailed than usual."""

    coarse = False


@dataclass
class SectionDiff:
    section: Section
    lines: TextDiff

    @property
    def coarse(self) -> bool:
        return self.lines.coarse


def _word_diff(matcher: SequenceMatcher) -> list[tuple[str, str]]:
    old_tokens, new_tokens = matcher.a, matcher.b
    segments = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(("equal", "".join(old_tokens[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("delete", "".join(old_tokens[i1:i2])))
        if j2 > j1:
            segments.append(("insert", "".join(new_tokens[j1:j2])))
    return segments


def _whole_lines(kind: str, lines: list[str]) -> list[DiffLine]:
    return [DiffLine(kind, [(kind, line)]) for line in lines]


def diff_text(old: str, new: str) -> TextDiff:
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    lines = TextDiff()
    exact = equal_pairs(old_lines, new_lines) <= MAX_EQUAL_PAIRS
    lines.coarse = not exact
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=not exact)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            # Pair similar changed lines up and diff them word by word; the rest are whole lines.
            while i1 < i2 and j1 < j2:
                old_tokens = _TOKENS.findall(old_lines[i1])
                new_tokens = _TOKENS.findall(new_lines[j1])
                if (
                    max(len(old_tokens), len(new_tokens)) > WORD_DIFF_MAX_TOKENS
                    or equal_pairs(old_tokens, new_tokens) > MAX_EQUAL_PAIRS
                ):
                    lines.coarse = True
                    break
                words = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
                if words.ratio() < _WORD_DIFF_MIN_RATIO:
                    break
                lines.append(DiffLine("change", _word_diff(words)))
                i1, j1 = i1 + 1, j1 + 1
        if tag == "equal":
            lines.extend(_whole_lines("equal", old_lines[i1:i2]))
            continue
        lines.extend(_whole_lines("delete", old_lines[i1:i2]))
        lines.extend(_whole_lines("insert", new_lines[j1:j2]))
    return lines


def diff_sections(
    old: dict[str, str], new: dict[str, str], sections: tuple[Section, ...] = SECTIONS
) -> list[SectionDiff]:
    """Only the sections whose text differs, in document order."""
    return [
        SectionDiff(section, diff_text(old.get(section.field, ""), new.get(section.field, "")))
        for section in sections
        if old.get(section.field, "") != new.get(section.field, "")
    ]
