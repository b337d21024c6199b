"""Readable diffs between two revisions: line by line, with changed lines diffed word by word."""

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from postmortems.sections import SECTIONS, Section

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
# Below this similarity, a changed line reads better as removed-and-added than word by word.
_WORD_DIFF_MIN_RATIO = 0.5


@dataclass
class DiffLine:
    kind: str  # "equal", "insert", "delete" or "change"
    segments: list[tuple[str, str]] = field(default_factory=list)  # (op, text)


@dataclass
class SectionDiff:
    section: Section
    lines: list[DiffLine]


def _word_diff(old: str, new: str) -> list[tuple[str, str]]:
    old_tokens, new_tokens = _TOKENS.findall(old), _TOKENS.findall(new)
    segments = []
    matcher = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(("equal", "".join(old_tokens[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("delete", "".join(old_tokens[i1:i2])))
        if j2 > j1:
            segments.append(("insert", "".join(new_tokens[j1:j2])))
    return segments


def _similar(old: str, new: str) -> bool:
    return SequenceMatcher(None, old, new, autojunk=False).ratio() >= _WORD_DIFF_MIN_RATIO


def _whole_lines(kind: str, lines: list[str]) -> list[DiffLine]:
    return [DiffLine(kind, [(kind, line)]) for line in lines]


def diff_text(old: str, new: str) -> list[DiffLine]:
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    lines = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            # Pair similar changed lines up and diff them word by word; the rest are whole lines.
            while i1 < i2 and j1 < j2 and _similar(old_lines[i1], new_lines[j1]):
                lines.append(DiffLine("change", _word_diff(old_lines[i1], new_lines[j1])))
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
