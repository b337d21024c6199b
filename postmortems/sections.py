"""The sections of a postmortem, in document order: one list that the model, forms, templates,
export and search all follow."""

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    field: str
    title: Promise
    help_text: Promise
    group: Promise | None = None
    required_for_review: bool = False


DISCUSSION = _("Discussion")

SECTIONS: tuple[Section, ...] = (
    Section("summary", _("Summary"), _("What happened, in two or three sentences."), required_for_review=True),
    Section("impact", _("Impact"), _("Who was affected, how, and for how long."), required_for_review=True),
    Section("timeline_narrative", _("Timeline narrative"), _("The story the timeline tells: how the response unfolded.")),
    Section("what_happened", _("What happened"), _("How the system and the people in it behaved."), DISCUSSION, required_for_review=True),
    Section("assumptions", _("Assumptions"), _("What people believed at the time, and why it made sense then."), DISCUSSION),
    Section("contributing_factors", _("Other contributing factors"), _("Conditions that made this possible or worse."), DISCUSSION),
    Section("what_went_well", _("What went well"), _("What helped: keep doing it.")),
    Section("what_went_wrong", _("What went wrong"), _("What hindered detection, diagnosis or recovery.")),
    Section("where_we_got_lucky", _("Where we got lucky"), _("What saved us that we cannot count on next time.")),
    Section("mitigations", _("Mitigations"), _("What will make this less likely or less harmful, in prose; owned action items are tracked below.")),
    Section("lessons_learned", _("Lessons learned"), _("What others should take away.")),
)  # fmt: skip

SECTION_FIELDS: tuple[str, ...] = tuple(section.field for section in SECTIONS)

# What an amendment of a published postmortem may change: its sections and the public summary.
AMENDABLE_SECTIONS: tuple[Section, ...] = (
    *SECTIONS,
    Section("public_title", _("Public title"), _("A plain-language title for customers.")),
    Section("public_summary", _("Public summary"), _("Written for customers. Markdown.")),
)
AMENDABLE_FIELDS: tuple[str, ...] = tuple(section.field for section in AMENDABLE_SECTIONS)
SECTIONS_BY_FIELD = {section.field: section for section in SECTIONS}
_TITLES_BY_FIELD = {section.field: section.title for section in AMENDABLE_SECTIONS}


def section_title(field: str) -> str:
    """What readers call a section; a field no longer a section (in old history) by its name."""
    return str(_TITLES_BY_FIELD.get(field, field))


REQUIRED_FOR_REVIEW = tuple(s.field for s in SECTIONS if s.required_for_review)

_PROMPT = re.compile(r"<!--.*?-->", re.DOTALL)


def prompt_as_guidance(prompt: str) -> str:
    """A template's prompt as plain guidance to show beside a section: its comment markers
    and Markdown marks dropped, the words kept."""
    words = _PROMPT.sub(lambda match: match.group()[4:-3], prompt or "").replace("**", "")
    return " ".join(line.strip().removeprefix("* ") for line in words.splitlines()).strip()


def strip_prompts(text: str) -> str:
    """The text an author wrote, without the template's guiding prompts (HTML comments)."""
    return _PROMPT.sub("", text or "").strip()
