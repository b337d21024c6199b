"""Full-text search building blocks shared by the apps: one text-search configuration, the
weighted stored vectors, and the query a search box produces."""

import re

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.html import escape
from django.utils.safestring import mark_safe

SEARCH_CONFIG = "english"
_WORD = re.compile(r"\w+", re.UNICODE)


def stored_search_vector(*weighted_fields: tuple[str, str]) -> models.GeneratedField:
    """A tsvector column PostgreSQL keeps current on every write (GIN-index it).

    ``weighted_fields`` are (field, weight) pairs: A for titles, B for summaries, C for body text.
    """
    vector = None
    for field, weight in weighted_fields:
        text = Coalesce(field, Value(""), output_field=models.TextField())
        part = SearchVector(text, weight=weight, config=SEARCH_CONFIG)
        vector = part if vector is None else vector + part
    return models.GeneratedField(
        expression=vector, output_field=SearchVectorField(), db_persist=True, editable=False
    )


def search_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())[:12]


def prefix_query(text: str) -> SearchQuery | None:
    """Every word must match, each also as a prefix: "data" finds "database"."""
    words = search_words(text)
    if not words:
        return None
    raw = " & ".join(f"{word}:*" for word in words)
    return SearchQuery(raw, search_type="raw", config=SEARCH_CONFIG)


# ts_headline marks matches with these; the snippet is escaped, then they become <mark>.
_MARK_START, _MARK_STOP = "\u27e6", "\u27e7"
HEADLINE_OPTIONS = {
    "start_sel": _MARK_START,
    "stop_sel": _MARK_STOP,
    "max_words": 30,
    "min_words": 12,
    "max_fragments": 2,
    "fragment_delimiter": " … ",
}
# Word similarity above which a title matches despite a typo ("timout" finds "timeout" at
# 0.5). PostgreSQL applies it to the indexable %> operator; config/settings sets it on every
# connection from this value.
TITLE_SIMILARITY = 0.4


def safe_snippet(headline: str) -> str:
    """ts_headline output made HTML-safe: everything escaped, only our marks become <mark>."""
    text = escape(headline or "")
    if text.count(_MARK_START) != text.count(_MARK_STOP):
        return mark_safe(text.replace(_MARK_START, "").replace(_MARK_STOP, ""))
    return mark_safe(text.replace(_MARK_START, "<mark>").replace(_MARK_STOP, "</mark>"))


def headline(expression, query) -> SearchHeadline:
    return SearchHeadline(expression, query, config=SEARCH_CONFIG, **HEADLINE_OPTIONS)


def ranked(queryset, *, text: str, title_field: str | None):
    """Matches of ``text`` in the stored vector (and, with a title field, titles that are a
    typo away), best first."""
    query = prefix_query(text)
    rank = SearchRank(F("search_vector"), query)
    match = Q(search_vector=query)
    if title_field:
        queryset = queryset.annotate(similarity=TrigramWordSimilarity(text, title_field))
        match |= Q(**{f"{title_field}__trigram_word_similar": text})
        rank = rank + F("similarity") / 2
    return queryset.annotate(rank=rank).filter(match).order_by("-rank", "-pk")
