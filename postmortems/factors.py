"""Contributing factors of a postmortem: every change in one place — lock, check, change,
record — and the reads its pages need.

Factors are part of the postmortem's document: only its editors change them, never while it is
approved (frozen), and after publication only within an open amendment, whose reason explains
the change. Each change is kept with the document's changes (and bumps its content version, so
earlier approvals no longer count).
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from incidents.models import TimelineEntry
from postmortems.models import (
    FACTOR_DESCRIPTION_MAX_LENGTH,
    FACTOR_DESCRIPTION_MIN_LENGTH,
    ContributingFactor,
    FactorCategory,
    Postmortem,
)
from postmortems.selectors import factor_list
from postmortems.services import (
    PostmortemError,
    check_document_change,
    lock_postmortem,
    record_document_change,
)


class FactorRefused(PostmortemError):
    """The factor cannot be saved as given; the message says why and what to do."""


# Reads -----------------------------------------------------------------------------------------


def postmortem_factors(postmortem: Postmortem) -> QuerySet[ContributingFactor]:
    """Its factors with their categories and (live) timeline entries in time order, as
    ``entries``. Two queries whatever their number."""
    return factor_list(postmortem)


def category_choices(*, keep: FactorCategory | None = None) -> list:
    """The categories offered to writers, grouped under their top-level category (which may
    be chosen itself, for a factor no sub-category fits). Retired ones are left out, except
    ``keep``: the category a factor already has stays choosable while it is edited."""
    categories = list(FactorCategory.objects.select_related("parent").order_by("position", "name"))
    offered = {c.pk for c in categories if c.is_active and (c.parent is None or c.parent.is_active)}
    if keep is not None:
        offered.add(keep.pk)
    groups = []
    for top in (c for c in categories if c.parent_id is None):
        children = [c for c in categories if c.parent_id == top.pk and c.pk in offered]
        options = []
        if top.pk in offered:
            options.append((top.pk, _("%(name)s (general)") % {"name": top.name}))
        options += [(child.pk, child.name) for child in children]
        if options:
            groups.append((top.name, options))
    return groups


def offered_category_ids(*, keep: FactorCategory | None = None) -> set[int]:
    return {pk for _group, options in category_choices(keep=keep) for pk, _label in options}


def entry_label(entry: TimelineEntry) -> str:
    """How a timeline entry is named in the factor form: its time, kind and first words."""
    text = Truncator(" ".join(entry.body.split())).chars(60)
    when = timezone.localtime(entry.occurred_at).strftime("%Y-%m-%d %H:%M")
    return f"{when} · {entry.get_kind_display()} · {text}"


# Changes ---------------------------------------------------------------------------------------


def may_change_factors(postmortem: Postmortem, user) -> bool:
    return postmortem.can_edit(user)


def _check(postmortem: Postmortem, actor) -> tuple[Postmortem, object]:
    """Lock the postmortem, then refuse anyone who may not edit it and any change to a frozen
    document. Returns the locked postmortem and the open amendment a change belongs to."""
    locked = lock_postmortem(postmortem.pk)
    if not may_change_factors(locked, actor):
        raise FactorRefused(
            _("Only the author, co-authors, reviewers and staff may change its factors.")
        )
    return locked, check_document_change(postmortem=locked)


def _clean_description(description: str) -> str:
    description = " ".join(description.split())
    if len(description) < FACTOR_DESCRIPTION_MIN_LENGTH:
        raise FactorRefused(
            _("Describe the factor in a few words (at least %(min)s characters).")
            % {"min": FACTOR_DESCRIPTION_MIN_LENGTH}
        )
    if len(description) > FACTOR_DESCRIPTION_MAX_LENGTH:
        raise FactorRefused(
            _(
                "Keep the description under %(max)s characters (it has %(length)s): the "
                "sections are the place for the whole story."
            )
            % {"max": FACTOR_DESCRIPTION_MAX_LENGTH, "length": len(description)}
        )
    return description


def _clean_category(category: FactorCategory, *, current: FactorCategory | None = None):
    if category.pk not in offered_category_ids(keep=current):
        raise FactorRefused(
            _("The category “%(name)s” is retired: choose another one.") % {"name": category}
        )


def _clean_entries(postmortem: Postmortem, entries: Iterable[TimelineEntry]) -> list:
    entries = list(entries)
    ids = {entry.pk for entry in entries}
    found = set(
        TimelineEntry.objects.filter(incident=postmortem.incident_id, pk__in=ids).values_list(
            "pk", flat=True
        )
    )
    if ids - found:
        raise FactorRefused(
            _(
                "A factor links only to entries of the timeline of %(ref)s; one of those chosen "
                "is not on it (another incident's, or deleted)."
            )
            % {"ref": postmortem.incident.reference}
        )
    return entries


@transaction.atomic
def factor_add(
    *,
    postmortem: Postmortem,
    actor,
    category: FactorCategory,
    description: str,
    timeline_entries: Iterable[TimelineEntry] = (),
) -> ContributingFactor:
    locked, amendment = _check(postmortem, actor)
    description = _clean_description(description)
    _clean_category(category)
    entries = _clean_entries(locked, timeline_entries)
    factor = ContributingFactor.objects.create(
        postmortem=locked, category=category, description=description
    )
    factor.timeline_entries.set(entries)
    record_document_change(
        postmortem=locked,
        actor=actor,
        amendment=amendment,
        description=_("Added the contributing factor “%(description)s” (%(category)s)")
        % {"description": description, "category": category},
    )
    return factor


@transaction.atomic
def factor_update(
    *,
    factor: ContributingFactor,
    actor,
    category: FactorCategory,
    description: str,
    timeline_entries: Iterable[TimelineEntry] = (),
) -> ContributingFactor:
    locked, amendment = _check(factor.postmortem, actor)
    factor = ContributingFactor.objects.select_for_update().get(pk=factor.pk)
    description = _clean_description(description)
    _clean_category(category, current=factor.category)
    entries = _clean_entries(locked, timeline_entries)
    before = (factor.category_id, factor.description, set(factor.timeline_entries.all()))
    if before == (category.pk, description, set(entries)):
        return factor
    factor.category = category
    factor.description = description
    factor.save()
    factor.timeline_entries.set(entries)
    record_document_change(
        postmortem=locked,
        actor=actor,
        amendment=amendment,
        description=_("Changed the contributing factor “%(description)s” (%(category)s)")
        % {"description": description, "category": category},
    )
    return factor


@transaction.atomic
def factor_remove(*, factor: ContributingFactor, actor) -> None:
    locked, amendment = _check(factor.postmortem, actor)
    factor = ContributingFactor.objects.select_related("category__parent").get(pk=factor.pk)
    description = _("Removed the contributing factor “%(description)s” (%(category)s)") % {
        "description": factor.description,
        "category": factor.category,
    }
    factor.delete()
    record_document_change(
        postmortem=locked, actor=actor, amendment=amendment, description=description
    )
