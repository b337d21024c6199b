"""Advisory blameless-language checks: flag phrases that assign blame or shut down learning,
and suggest a "how"-oriented rephrasing. Never blocks saving."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext

from postmortems.models import BlamelessPhrase
from postmortems.sections import SECTIONS_BY_FIELD

EXCERPT_CONTEXT = 40


@dataclass(frozen=True)
class BlameHit:
    matched: str
    excerpt: str
    suggestion: str
    section: str = ""  # the section's title, when checking a whole document


def compiled_phrases() -> list[tuple[re.Pattern, BlamelessPhrase]]:
    """The active phrases, compiled once per call (one query). Broken patterns are skipped:
    the admin validates them, but a bad one must never break writing."""
    compiled = []
    for phrase in BlamelessPhrase.objects.active():
        try:
            compiled.append((re.compile(phrase.pattern, re.IGNORECASE), phrase))
        except re.error:
            continue
    return compiled


def _excerpt(text: str, start: int, end: int) -> str:
    left = max(0, start - EXCERPT_CONTEXT)
    right = min(len(text), end + EXCERPT_CONTEXT)
    prefix = "…" if left else ""
    suffix = "…" if right < len(text) else ""
    return prefix + " ".join(text[left:right].split()) + suffix


def find_blame(text: str, phrases, section: str = "") -> list[BlameHit]:
    """Every flagged phrase in ``text``, in the order they appear."""
    hits = []
    for pattern, phrase in phrases:
        for match in pattern.finditer(text or ""):
            hits.append(
                (
                    match.start(),
                    BlameHit(
                        matched=match.group(0),
                        excerpt=_excerpt(text, match.start(), match.end()),
                        # The default suggestions are in the catalog (default_labels.py).
                        suggestion=gettext(phrase.suggestion),
                        section=section,
                    ),
                )
            )
    return [hit for _position, hit in sorted(hits, key=lambda pair: pair[0])]


def find_blame_in_sections(texts: dict[str, str], phrases) -> list[BlameHit]:
    hits = []
    for field, text in texts.items():
        hits.extend(find_blame(text, phrases, section=str(SECTIONS_BY_FIELD[field].title)))
    return hits
