"""Full-text search building blocks shared by the apps: one text-search configuration, the
weighted stored vectors, and the query a search box produces."""

import re

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchQueryField,
    SearchRank,
    SearchVector,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import connections, models
from django.db.models import Case, Count, ExpressionWrapper, F, Func, Q, Value, When, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat
from django.db.models.sql import Query
from django.utils.html import escape
from django.utils.safestring import mark_safe

SEARCH_CONFIG = "english"
# French text is also stemmed as French, accents dropped (core migration 0007 creates it).
FRENCH_CONFIG = "hindsight_french"
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


def stored_french_vector(*weighted_fields: tuple[str, str]) -> models.GeneratedField:
    """For a text written in French (more French than English common words, as
    ``hindsight_is_french`` counts them), its words stemmed as French with accents dropped,
    weighted like ``stored_search_vector``; null for any other text, whose search
    ``stored_search_vector`` serves alone, exactly as before (partial GIN-index it)."""
    texts = [
        Coalesce(field, Value(""), output_field=models.TextField()) for field, _ in weighted_fields
    ]
    whole = texts[0]
    for text in texts[1:]:
        whole = Concat(whole, Value(" "), text, output_field=models.TextField())
    vector = None
    for text, (_field, weight) in zip(texts, weighted_fields, strict=True):
        part = SearchVector(text, weight=weight, config=FRENCH_CONFIG)
        vector = part if vector is None else vector + part
    is_french = Func(whole, function="hindsight_is_french", output_field=models.BooleanField())
    return models.GeneratedField(
        expression=Case(When(is_french, then=vector), default=Value(None)),
        output_field=SearchVectorField(null=True),
        db_persist=True,
        editable=False,
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


def french_prefix_query(text: str) -> SearchQuery | None:
    """``prefix_query`` stemmed as French, for the French vectors."""
    words = search_words(text)
    if not words:
        return None
    raw = " & ".join(f"{word}:*" for word in words)
    return SearchQuery(raw, search_type="raw", config=FRENCH_CONFIG)


def title_query(text: str, config: str = SEARCH_CONFIG) -> SearchQuery | None:
    """Like ``prefix_query``, but matching only what a vector weighs A: its title."""
    words = search_words(text)
    if not words:
        return None
    raw = " & ".join(f"{word}:*A" for word in words)
    return SearchQuery(raw, search_type="raw", config=config)


class _EqualsAny(Func):
    """``field = ANY(array)``: PostgreSQL looks the values up in the field's index (and can OR
    that with another index's matches); ``field IN (subquery)`` it may test row by row."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = models.BooleanField()

    def __init__(self, field: str, array):
        super().__init__(F(field), array)


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


# Markdown markup a reader should not see in a snippet, as (PostgreSQL pattern, replacement)
# pairs applied in order; flag "n" makes ^ match after every newline. Links and images keep
# their label, headings, quotes and list items their text; emphasis and code marks go.
_MARKDOWN_TO_PLAIN = (
    (r"!?\[([^]\n]*)\]\([^)\n]*\)", r"\1"),
    (r"^[ \t]*(#{1,6}|>+|[-*+]|\d{1,9}[.)])[ \t]+", ""),
    (r"^[ \t]*([-*_][ \t]*){3,}$", ""),
    (r"\*+|__+|~~+|`+|\|", " "),
)


class MarkdownAsPlainText(Func):
    """Markdown text with its markup removed, computed in SQL, so a snippet ts_headline cuts
    from it reads as the rendered page does and no URL or "**" takes up its words.

    One expression writing the nested ``regexp_replace`` calls itself: built of a Func per
    pattern, every search page resolved and compiled a dozen expressions per snippet."""

    arity = 1
    output_field = models.TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        params = list(params)
        for pattern, replacement in _MARKDOWN_TO_PLAIN:
            sql = f"regexp_replace({sql}, %s, %s, 'gn')"
            params += [pattern, replacement]
        return sql, params


def headline(expression, query, config=SEARCH_CONFIG) -> SearchHeadline:
    """A highlighted snippet of Markdown ``expression``, in plain text. ``config`` and
    ``query`` may be expressions (chosen per row)."""
    return SearchHeadline(MarkdownAsPlainText(expression), query, config=config, **HEADLINE_OPTIONS)


def _count_up_to(queryset, limit: int) -> int:
    """How many rows ``queryset`` has, counting no further than ``limit``.

    The matches are planned on their own (a materialized CTE, read only as far as needed):
    under a LIMIT, PostgreSQL expects a rare word to be common, and scans the whole table
    sequentially (500,000 timeline entries) hoping to stop early, instead of asking the index.
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            f"WITH matches AS MATERIALIZED ({sql}) "
            "SELECT COUNT(*) FROM (SELECT 1 FROM matches LIMIT %s) AS counted",
            (*params, limit),
        )
        return cursor.fetchone()[0]


class RankedSearch:
    """The matches of one search, fetched lazily the way a page needs them.

    A page ranks only ids in a narrow statement that also counts the matches it reads (one
    read of the matches for both), then fetches those rows (and computes their snippets) by id,
    so no wide row is sorted. Titles a typo away are a second step, taken only when full text
    finds nothing: OR-ed into every query, the trigram test forced a scan of every title even
    when full text had plenty to show.
    """

    # How many of the best by text rank (at least) set the bar a match must reach to be
    # fully ranked (see ``_page_ids``).
    BAR_LEADERS = 200

    def __init__(
        self,
        queryset,
        *,
        text: str,
        title_field: str | None,
        snippet_of,
        title_in=None,
        title_match=None,
    ):
        self._queryset = queryset
        self._text = text
        self._title_field = title_field
        self._snippet_of = snippet_of
        self._query = prefix_query(text)
        self._query_fr = french_prefix_query(text)
        self._title_in = title_in
        self._title_match = title_match
        self._typo_step = None  # decided by the first count or page
        self._total = None  # every match, counted with the first page read
        self._fetched = None  # (start, stop, rows) of the last page read

    def _matches(self, titled: str | None = None):
        """The matching rows; ``titled`` names a CTE of the ``title_in`` ids, read once by
        a statement that asks for them twice."""
        if self._typo_step:
            return self._queryset.filter(
                **{f"{self._title_field}__trigram_word_similar": self._text}
            )
        full_text = Q(search_vector=self._query) | Q(search_vector_fr=self._query_fr)
        if self._title_in is not None:
            field, ids = self._title_in
            if titled:
                ids = RawSQL(f"ARRAY(SELECT pk FROM {titled})", (), output_field=models.Field())
            else:
                ids = ArraySubquery(ids.order_by())
            full_text |= Q(_EqualsAny(field, ids))
        if self._title_match is not None:
            full_text |= self._title_match
        return self._queryset.filter(full_text)

    def _text_rank(self):
        """A text written in French ranks by its French words; any other exactly as before."""
        return Coalesce(
            SearchRank(F("search_vector_fr"), self._query_fr),
            SearchRank(F("search_vector"), self._query),
        )

    def _rank(self):
        rank = self._text_rank()
        if self._title_field:
            rank = rank + TrigramWordSimilarity(self._text, self._title_field) / 2
        return rank

    def count(self, *, cap: int | None = None) -> int:
        """How many match; with a cap, counting stops at cap + 1."""
        if self._total is None:
            matches = self._matches().order_by().values("pk")
            counted = matches.count() if cap is None else _count_up_to(matches, cap + 1)
            if self._typo_step is None:
                self._typo_step = bool(self._title_field) and counted == 0
                if self._typo_step:
                    return self.count(cap=cap)
            if cap is None or counted <= cap:
                self._total = counted
            return counted
        return self._total if cap is None else min(self._total, cap + 1)

    def _page_ids(self, page: slice) -> tuple[list[int], int]:
        """The ids on ``page``, best first, and how many match, in one statement that reads
        the matches once.

        Each match's text rank is computed once, in a materialized CTE. When a title adds
        half its similarity (at most 0.5) to the rank, a bar spares most matches that costly
        similarity: the ``page.stop`` best by text rank (and by title match, for a title kept
        in another model's vector), fully ranked, set it, since the ``page.stop``-th place
        overall ranks at least as high as their ``page.stop``-th. A match whose text rank is
        more than 0.5 below the bar cannot reach the page; the others are fully ranked. The
        result is the same as ranking every match; a common word's matches mostly drop out.
        The leaders are at least ``BAR_LEADERS``: ranking a few more raises the bar (never
        past the ``page.stop``-th place overall), and fewer matches contend. Each match
        carries its title, read with it, so a contender's similarity needs no lookup of its
        row (a title kept on another model's row would be joined to every match: keep a copy
        on the row, as postmortems do).
        """
        ctes, params = [], []
        titled = None
        if self._title_in is not None:
            # The ids of rows titled with the words, found once for both uses below.
            field, ids = self._title_in
            sql, ids_params = ids.order_by().query.sql_with_params()
            ctes.append(f"titled(pk) AS MATERIALIZED ({sql})")
            params += ids_params
            titled = "titled"
        matches = self._matches(titled).order_by().annotate(text_rank=self._text_rank())
        columns = ["pk", "text_rank"]
        if self._title_field:
            matches = matches.annotate(match_title=F(self._title_field))
            columns.append("match_title")
        if self._title_in is not None or self._title_match is not None:
            title_hit = Q(pk__in=[])
            if self._title_in is not None:
                # Projected, "IN" is a hash lookup per row; "= ANY" would search the array.
                title_hit = Q(**{f"{field}__in": RawSQL(f"SELECT pk FROM {titled}", ())})
            if self._title_match is not None:
                title_hit |= self._title_match
            matches = matches.annotate(
                title_hit=ExpressionWrapper(title_hit, models.BooleanField())
            )
            columns.append("title_hit")
        sql, matches_params = matches.values(*columns).query.sql_with_params()
        ctes.append(f"matches({', '.join(columns)}) AS MATERIALIZED ({sql})")
        params += matches_params
        start, stop = int(page.start), page.stop and int(page.stop)
        if not self._title_field:
            ranked = "SELECT pk, text_rank AS rank FROM matches"
        else:
            contenders = "matches"
            if stop:
                leading = max(stop, self.BAR_LEADERS)
                leaders = (
                    "(SELECT pk, text_rank, match_title FROM matches"
                    f" ORDER BY text_rank DESC LIMIT {leading})"
                )
                if "title_hit" in columns:
                    leaders += (
                        " UNION (SELECT pk, text_rank, match_title FROM matches WHERE title_hit"
                        f" ORDER BY text_rank DESC LIMIT {leading})"
                    )
                sql, bar_params = self._fully_ranked("leaders")
                ctes += [
                    f"leaders AS ({leaders})",
                    f"bar AS (SELECT rank FROM ({sql}) AS ranked"
                    f" ORDER BY rank DESC LIMIT 1 OFFSET {stop - 1})",
                    "contenders AS (SELECT pk, text_rank, match_title FROM matches"
                    " WHERE text_rank >= COALESCE((SELECT rank FROM bar), -1) - 0.5)",
                ]
                params += bar_params
                contenders = "contenders"
            ranked, ranked_params = self._fully_ranked(contenders)
            params += ranked_params
        window = f"LIMIT {stop - start} OFFSET {start}" if stop else ""
        # The count comes along even when the page is past the end (a left join to no rows).
        sql = (
            f"WITH {', '.join(ctes)} SELECT counted.total, paged.pk"
            " FROM (SELECT COUNT(*) AS total FROM matches) AS counted LEFT JOIN"
            f" (SELECT pk, rank FROM ({ranked}) AS ranked ORDER BY rank DESC, pk DESC {window})"
            " AS paged ON true ORDER BY paged.rank DESC, paged.pk DESC"
        )
        with connections[self._queryset.db].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [pk for _total, pk in rows if pk is not None], rows[0][0]

    def _typo_page_ids(self, page: slice) -> tuple[list[int], int | None]:
        """The ids on ``page`` of titles a typo away, best first, and how many match (unknown
        when the page is past the end)."""
        ranked = (
            self._matches()
            .annotate(rank=self._rank(), total=Window(Count("*")))
            .order_by("-rank", "-pk")
            .values_list("pk", "total")
        )
        rows = list(ranked[page])
        return [pk for pk, _total in rows], rows[0][1] if rows else None

    def _fully_ranked(self, rows: str) -> tuple[str, tuple]:
        """SQL for the pk and rank of ``rows`` (a CTE of pk, text_rank and match_title): their
        text rank plus half their title's similarity, computed for them alone, from the title
        they carry. The rows are matches already: the search's filters (who may see them,
        say) are not asked again."""
        query = Query(self._queryset.model)
        title = RawSQL("ranked_row.match_title", (), output_field=models.TextField())
        similarity = TrigramWordSimilarity(self._text, title) / 2
        sql, params = query.get_compiler(self._queryset.db).compile(
            similarity.resolve_expression(query)
        )
        return (
            f"SELECT ranked_row.pk, ranked_row.text_rank + {sql} AS rank FROM {rows} AS ranked_row",
            tuple(params),
        )

    def _snippet(self):
        """A French text's snippet is cut by its French words, any other by its English
        ones: one headline whose configuration and query are chosen per row, so the text
        is written (and compiled) once."""

        def per_language(french, english, output_field):
            return Case(
                When(search_vector_fr__isnull=False, then=french),
                default=english,
                output_field=output_field,
            )

        return headline(
            self._snippet_of,
            per_language(self._query_fr, self._query, SearchQueryField()),
            config=per_language(Value(FRENCH_CONFIG), Value(SEARCH_CONFIG), models.TextField()),
        )

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list:
        start = page.start or 0
        if page.stop is not None and page.stop <= start:
            return []
        if self._fetched and page.stop is not None:
            # A paginator asks for the page it was prepared for, cut at the last match.
            fetched_start, fetched_stop, rows = self._fetched
            if fetched_start == start and page.stop <= fetched_stop:
                return rows[: page.stop - start]
        ids, total = [], None
        if self._typo_step is not True:
            ids, total = self._page_ids(slice(start, page.stop))
            if self._typo_step is None:
                self._typo_step = bool(self._title_field) and total == 0
        if self._typo_step:
            ids, total = self._typo_page_ids(slice(start, page.stop))
        if total is not None:
            self._total = total
        if not ids:
            rows = []
        else:
            rows = list(
                self._queryset.filter(pk__in=ids)
                .annotate(rank=self._rank(), snippet=self._snippet())
                .order_by("-rank", "-pk")
            )
        self._fetched = (start, page.stop, rows) if page.stop is not None else None
        return rows


def ranked(
    queryset,
    *,
    text: str,
    title_field: str | None,
    snippet_of,
    title_in=None,
    title_match=None,
) -> RankedSearch:
    """Matches of ``text`` in the stored vector (or, when none, titles a typo away), best
    first; each with a highlighted ``snippet`` of ``snippet_of``. A title kept apart from
    the vector matches too: ``title_in`` is a (field, ids) pair, rows whose field is among
    the ids (found with ``title_query``), ``title_match`` a condition on the row itself."""
    return RankedSearch(
        queryset,
        text=text,
        title_field=title_field,
        snippet_of=snippet_of,
        title_in=title_in,
        title_match=title_match,
    )
