"""Insights: what past incidents say, for a period, a team, a service and a tag.

Every figure is aggregated by the database (counts, medians and 90th percentiles, months in the
viewer's time zone); Python only fills in months without data and lays out the charts. The
page runs a fixed number of queries for its figures however many incidents there are.
"""

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DateField,
    DateTimeField,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from actions.models import ActionItem, ActionStatus
from core.forms import BoundedDateField, FilterForm, TeamFilterField
from core.templatetags.hindsight import duration
from incidents.models import Incident, IncidentLink, LinkKind, Service, Severity, Tag
from incidents.selectors import team_q
from learning.charts import (
    Series,
    grouped_bars,
    horizontal_stacked_bars,
    line_chart,
    stacked_bars,
)
from postmortems.models import (
    SURVEY_MIN_ANSWERS,
    SURVEY_QUESTIONS,
    ContributingFactor,
    Postmortem,
    PostmortemStatus,
    SurveyAnswer,
    SurveyRating,
)
from postmortems.survey import rating_counts

DEFAULT_MONTHS = 12
MAX_MONTHS = 120
TOP_SERVICES = 10


class Percentile(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``: the
    value below which ``fraction`` of the rows fall, interpolated. NULLs are ignored. Works on
    numbers and on intervals (durations)."""

    function = "percentile_cont"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile's fraction is between 0 and 1.")
        super().__init__(expression, fraction=float(fraction), **extra)


# The filters -----------------------------------------------------------------------------------


def _months_back(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole local days, ``start`` to ``end`` inclusive."""

    start: date
    end: date

    @classmethod
    def from_filters(cls, filters: dict, today: date) -> "Period":
        """The chosen dates; by default the last twelve months up to today (or up to the
        chosen end)."""
        end = filters.get("date_to") or today
        start = filters.get("date_from") or _months_back(end, DEFAULT_MONTHS - 1)
        return cls(start, max(start, end))

    @property
    def months(self) -> list[date]:
        first = self.start.replace(day=1)
        count = (self.end.year - first.year) * 12 + self.end.month - first.month + 1
        return [_months_back(first, -n) for n in range(count)]

    @property
    def starts_at(self) -> datetime:
        return _start_of_local_day(self.start)

    @property
    def ends_before(self) -> datetime:
        return _start_of_local_day(self.end + timedelta(days=1))


def _start_of_local_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class InsightsFilterForm(FilterForm):
    """The insights' filters, read from the query string. Bad values are ignored, not fatal."""

    date_from = BoundedDateField(label=gettext_lazy("From"), required=False)
    date_to = BoundedDateField(label=gettext_lazy("Until"), required=False)
    service = forms.ModelChoiceField(
        label=gettext_lazy("Service"),
        queryset=Service.objects.all(),
        required=False,
        to_field_name="slug",
    )
    tag = forms.ModelChoiceField(
        label=gettext_lazy("Tag"),
        queryset=Tag.objects.visible_to(AnonymousUser()),
        required=False,
        to_field_name="slug",
    )
    # Incidents that touched a service the team owns; their postmortems and action items too.
    team = TeamFilterField()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period cannot be before its start."))
        elif start:
            period = Period.from_filters(cleaned, timezone.localdate())
            if len(period.months) > MAX_MONTHS:
                self.add_error(
                    "date_from",
                    _("Choose a period of at most %(years)s years.") % {"years": MAX_MONTHS // 12},
                )
        return cleaned


# The reads -------------------------------------------------------------------------------------


def _incident_scope_q(filters: dict, via: str = "") -> Q:
    """The service, tag and team filters, about the incident reached through ``via``."""
    q = Q()
    if team := filters.get("team"):
        q &= team_q(team, via)
    if service := filters.get("service"):
        q &= Q(**{f"{via}services": service})
    if tag := filters.get("tag"):
        q &= Q(**{f"{via}tags": tag})
    return q


def incidents_in_scope(filters: dict, period: Period, *, restricted: bool = False):
    """Incidents that started in the period and match the service and tag filters.

    Restricted incidents (security, legal, HR) count only in the period's total
    (``restricted_total``): every figure, breakdown and filtered view leaves them out, for
    everyone alike, so the page (kept for all readers) reveals nothing about any one of them."""
    return Incident.objects.filter(
        _incident_scope_q(filters),
        restricted=restricted,
        started_at__gte=period.starts_at,
        started_at__lt=period.ends_before,
    )


def restricted_total(filters: dict, period: Period) -> int:
    """How many restricted incidents with customer impact started in the period: a total only,
    and none when a service or tag filter asks for a breakdown. One query."""
    if _incident_scope_q(filters):
        return 0
    return incidents_in_scope(filters, period, restricted=True).filter(near_miss=False).count()


def _month(field: str) -> TruncMonth:
    return TruncMonth(field, output_field=DateField(), tzinfo=timezone.get_current_timezone())


DURATIONS = {
    # figure name: (the moment measured from the start, its title)
    "time_to_detect": ("detected_at", gettext_lazy("Time to detect")),
    "time_to_mitigate": ("mitigated_at", gettext_lazy("Time to mitigate")),
    "time_to_resolve": ("resolved_at", gettext_lazy("Time to resolve")),
}
# What each duration measures, shown beside its figures.
DURATION_DEFINITIONS = {
    "time_to_detect": gettext_lazy(
        "From the start of the incident to its detection, for incidents with customer impact "
        "that started in the period and have both times."
    ),
    "time_to_mitigate": gettext_lazy(
        "From the start of the incident to its mitigation, for incidents with customer impact "
        "that started in the period and have been mitigated."
    ),
    "time_to_resolve": gettext_lazy(
        "From the start of the incident to its resolution, for incidents with customer impact "
        "that started in the period and have been resolved."
    ),
    "postmortem_cycle": gettext_lazy(
        "From the incident's resolution to the postmortem's publication, for postmortems "
        "published in the period."
    ),
}


def incident_months(filters: dict, period: Period) -> list[dict]:
    """Per month, severity and whether they were near misses: how many incidents started, and
    the median and 90th percentile of each duration (from the start, as
    ``Incident.time_to_detect`` and friends). One query."""
    aggregates = {}
    for name, (moment, _title) in DURATIONS.items():
        since_start = F(moment) - F("started_at")
        aggregates[f"{name}_count"] = Count(moment)
        aggregates[f"{name}_p50"] = Percentile(since_start, 0.5)
        aggregates[f"{name}_p90"] = Percentile(since_start, 0.9)
    return list(
        incidents_in_scope(filters, period)
        .annotate(month=_month("started_at"))
        .values("month", "severity", "near_miss")
        .annotate(count=Count("pk"), **aggregates)
        .order_by("month", "severity")
    )


def recurrences_despite_completed_actions(filters: dict, period: Period) -> int:
    """How many incidents in the period recurred an earlier one all of whose action items were
    done before they started. One query."""
    return (
        IncidentLink.objects.recurrences_despite_completed_actions()
        .filter(from_incident__in=incidents_in_scope(filters, period).values("pk"))
        .values("from_incident")
        .distinct()
        .count()
    )


def postmortem_cycle_months(filters: dict, period: Period) -> list[dict]:
    """Per month of publication: postmortems published in the period for incidents matching
    the filters, and the median and 90th percentile time from the incident's resolution to
    publication. One query."""
    cycle = F("published_at") - F("incident__resolved_at")
    return list(
        Postmortem.objects.filter(
            _incident_scope_q(filters, via="incident__"),
            incident__restricted=False,
            status=PostmortemStatus.PUBLISHED,
            published_at__gte=period.starts_at,
            published_at__lt=period.ends_before,
            incident__resolved_at__isnull=False,
        )
        .annotate(month=_month("published_at"))
        .values("month")
        .annotate(count=Count("pk"), p50=Percentile(cycle, 0.5), p90=Percentile(cycle, 0.9))
        .order_by("month")
    )


_NAMED_PARAM = re.compile(r"%\((\w+)\)s")
_ACTION_MONTHS_SQL = """
WITH items AS MATERIALIZED ({items}),
spans AS (
    SELECT GREATEST((created_at AT TIME ZONE %(zone)s)::date, due_date + 1) AS overdue_from,
           (closed_at AT TIME ZONE %(zone)s)::date AS overdue_until
    FROM items
    WHERE due_date IS NOT NULL
),
events AS (
    SELECT overdue_from AS day, 1 AS delta FROM spans
    WHERE overdue_until IS NULL OR overdue_until > overdue_from
    UNION ALL
    SELECT overdue_until, -1 FROM spans WHERE overdue_until > overdue_from
)
SELECT 'opened', date_trunc('month', created_at AT TIME ZONE %(zone)s)::date, count(*)
FROM items WHERE created_at >= %(starts)s AND created_at < %(ends)s GROUP BY 2
UNION ALL
SELECT 'completed', date_trunc('month', completed_at AT TIME ZONE %(zone)s)::date, count(*)
FROM items WHERE completed_at >= %(starts)s AND completed_at < %(ends)s GROUP BY 2
UNION ALL
SELECT 'verified', date_trunc('month', completed_at AT TIME ZONE %(zone)s)::date, count(*)
FROM items WHERE completed_at >= %(starts)s AND completed_at < %(ends)s
    AND verified_on IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'recurred', date_trunc('month', completed_at AT TIME ZONE %(zone)s)::date, count(*)
FROM items WHERE completed_at >= %(starts)s AND completed_at < %(ends)s AND EXISTS (
    SELECT FROM {links} AS link JOIN {incidents} AS later ON later.id = link.from_incident_id
    WHERE link.kind = %(recurrence)s AND link.to_incident_id = items.incident_id
        AND later.started_at > items.completed_at
) GROUP BY 2
UNION ALL
SELECT 'overdue', GREATEST(date_trunc('month', day::timestamp)::date, %(first)s), sum(delta)
FROM events WHERE day <= %(last_day)s GROUP BY 2
"""


def action_item_months(filters: dict, period: Period, today: date) -> list[dict]:
    """Per month of the period, for action items of incidents matching the service and tag
    filters: how many were opened and how many completed in the month (within the period),
    how many of those completed have since been verified by someone other than the owner,
    how many of those completed had their incident recur after they were done,
    and how many were overdue at the end of the month's last day (today for the current
    month) — created by then, due before that day and not closed by then, as the dashboard
    counts today. Done items close when completed; won't-do items at their last update.

    One query, linear in the items: each item becomes overdue on one day and stops on
    another (if ever), so the database counts those two events per month, and the overdue
    count at each month's end is the running sum of the events so far. Items closed before
    the period are not read, and whether an incident recurred is asked only of the items
    completed in the period (asked of every item, it made PostgreSQL's planner expect a cost
    that set its JIT compiler off, tens of milliseconds per page).
    """
    last_day = min(period.end, today)
    # An item created and closed before the period (and before the last day counted) adds one
    # overdue event and takes it back within the first month, if any: it changes no figure, so
    # it is left out, and only the items the period can see are read.
    closed_before = min(period.starts_at, _start_of_local_day(last_day + timedelta(days=1)))
    items = (
        ActionItem.objects.filter(
            _incident_scope_q(filters, via="postmortem__incident__"),
            postmortem__incident__restricted=False,
        )
        .annotate(
            closed_at=Case(
                When(status=ActionStatus.DONE, then=F("completed_at")),
                When(status=ActionStatus.WONT_DO, then=F("updated_at")),
                output_field=DateTimeField(),
            ),
            incident_id=F("postmortem__incident_id"),
        )
        .filter(
            Q(created_at__gte=period.starts_at)
            | Q(completed_at__gte=period.starts_at)
            | Q(closed_at__isnull=True)
            | Q(closed_at__gte=closed_before)
        )
        .values("created_at", "completed_at", "due_date", "closed_at", "verified_on", "incident_id")
        .order_by()
    )
    items_sql, items_params = items.query.sql_with_params()
    months = period.months
    named = {
        "zone": timezone.get_current_timezone_name(),
        "starts": period.starts_at,
        "ends": period.ends_before,
        "first": months[0],
        "last_day": last_day,
        "recurrence": LinkKind.RECURRENCE,
    }
    # The items' SQL comes first in the query and keeps its own positional placeholders
    # untouched; the outer query's named ones become positional, in the order they appear.
    outer = _NAMED_PARAM.sub("%s", _ACTION_MONTHS_SQL)
    params = [*items_params, *(named[name] for name in _NAMED_PARAM.findall(_ACTION_MONTHS_SQL))]
    with connection.cursor() as cursor:
        tables = {"links": IncidentLink._meta.db_table, "incidents": Incident._meta.db_table}
        cursor.execute(outer.format(items=items_sql, **tables), params)
        counts = {(measure, month): count for measure, month, count in cursor.fetchall()}
    rows, overdue = [], 0
    for month in months:
        overdue += counts.get(("overdue", month), 0)
        rows.append(
            {
                "month": month,
                "opened": counts.get(("opened", month), 0),
                "completed": counts.get(("completed", month), 0),
                "verified": counts.get(("verified", month), 0),
                "recurred": counts.get(("recurred", month), 0),
                "overdue": overdue,
            }
        )
    return rows


def top_services(filters: dict, period: Period) -> list[dict]:
    """The services with the most incidents with customer impact matching the filters, with
    their severities; an incident that touched several services counts under each. One query."""
    links = Incident.services.through.objects.filter(
        incident__in=incidents_in_scope(filters, period).with_impact().values("pk")
    )
    by_severity = {
        severity.value.lower(): Count("pk", filter=Q(incident__severity=severity))
        for severity in Severity
    }
    return list(
        links.values("service__slug", "service__name")
        .annotate(count=Count("pk"), **by_severity)
        .order_by("-count", "service__name")[:TOP_SERVICES]
    )


# The figures -----------------------------------------------------------------------------------


@dataclass
class Column:
    label: str
    kind: str = "count"  # "month", "severity", "text", "count", "duration" or "percent"

    @property
    def csv_label(self) -> str:
        if self.kind == "duration":
            return _("%(label)s (minutes)") % {"label": self.label}
        if self.kind == "percent":
            return _("%(label)s (%%)") % {"label": self.label}
        return str(self.label)


@dataclass
class Figure:
    """A chart, the table of the same numbers beneath it, and that table as CSV."""

    name: str
    title: str
    description: str
    columns: list[Column]
    rows: list[list]
    chart: object
    legend: list[tuple[str, str]]

    @property
    def svg(self):
        return self.chart.svg(name=self.name, title=self.title, description=self.description)

    @property
    def table_body(self) -> SafeString:
        """The table's rows, built in one pass like the chart: a three-year table has
        thousands of cells. Cells render as a template's ``{{ value }}`` would."""
        return SafeString("".join(_table_row(row) for row in self.table))

    @property
    def table(self) -> list[list[tuple[str, object]]]:
        kinds = [column.kind for column in self.columns]
        return [list(zip(kinds, row, strict=True)) for row in self.rows]


_CELL_OPENINGS = {
    "count": '<td class="text-end">',
    "duration": '<td class="text-end text-nowrap">',
    "percent": '<td class="text-end text-nowrap">',
}


@functools.lru_cache(maxsize=512)
def _month_name(month: date, language: str) -> str:
    """Every figure's table names the same months: name each once per language."""
    return escape(date_format(month, "F Y"))


def _cell_text(kind: str, value) -> str:
    if kind == "month":
        return _month_name(value, get_language())
    if kind == "duration":
        return escape(duration(value))
    if kind == "percent":
        return escape(_("%(share)s %%") % {"share": localize(value)})
    if kind == "severity":
        severity = escape(value)
        return f'<span class="badge severity severity-{severity.lower()}">{severity}</span>'
    return escape(localize(value))


def _table_row(row: list[tuple[str, object]]) -> str:
    (first_kind, first_value), *rest = row
    cells = [f'<th scope="row" class="fw-normal">{_cell_text(first_kind, first_value)}</th>']
    cells += [
        f"{_CELL_OPENINGS.get(kind, '<td>')}{_cell_text(kind, value)}</td>" for kind, value in rest
    ]
    return f"<tr>{''.join(cells)}</tr>\n      "


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _categories(months: list[date]) -> tuple[list[tuple[str, str]], list[str]]:
    """Axis labels (short month, and the year under January and the first month) and the
    full month names for tooltips."""
    labels = [
        (date_format(month, "M"), date_format(month, "Y") if i == 0 or month.month == 1 else "")
        for i, month in enumerate(months)
    ]
    return labels, [date_format(month, "F Y") for month in months]


SEVERITY_LEGEND = [(f"chart-{s.value.lower()}", s.value) for s in Severity]


def _incidents_figure(months, by_month) -> Figure:
    categories, titles = _categories(months)
    counts = {
        severity: [by_month.get((month, severity), {}).get("count", 0) for month in months]
        for severity in Severity.values
    }
    rows = [
        [month, *(counts[s][i] for s in Severity.values), sum(counts[s][i] for s in counts)]
        for i, month in enumerate(months)
    ]
    return Figure(
        name="incidents",
        title=_("Incidents per month, by severity"),
        description=_(
            "Stacked bars: how many incidents with customer impact started each month, one "
            "segment per severity. Near misses are counted in their own chart."
        ),
        columns=[
            Column(_("Month"), "month"),
            *(Column(s, "count") for s in Severity.values),
            Column(_("Total"), "count"),
        ],
        rows=rows,
        chart=stacked_bars(
            categories,
            titles,
            [Series(s.lower(), s, counts[s]) for s in Severity.values],
            width=960,
            height=300,
        ),
        legend=SEVERITY_LEGEND,
    )


def _near_miss_figure(months, near_misses_by_month) -> Figure:
    categories, titles = _categories(months)
    counts = [near_misses_by_month.get(month, 0) for month in months]
    return Figure(
        name="near_misses",
        title=_("Near misses per month"),
        description=_(
            "Bars: how many near misses (incidents without customer impact) started each month. "
            "They are counted here only, not in the incident, duration or service figures."
        ),
        columns=[Column(_("Month"), "month"), Column(_("Near misses"), "count")],
        rows=[[month, count] for month, count in zip(months, counts, strict=True)],
        chart=grouped_bars(categories, titles, [Series("near-miss", _("Near misses"), counts)]),
        legend=[("chart-near-miss", _("Near misses"))],
    )


def _duration_figure(name, title, months, by_month) -> Figure:
    categories, titles = _categories(months)
    series, rows = [], []
    for severity in Severity.values:
        cells = [by_month.get((month, severity), {}) for month in months]
        series.append(
            Series(
                severity.lower(),
                _("%(severity)s median") % {"severity": severity},
                [_seconds(c.get(f"{name}_p50")) for c in cells],
            )
        )
        series.append(
            Series(
                severity.lower(),
                _("%(severity)s 90th percentile") % {"severity": severity},
                [_seconds(c.get(f"{name}_p90")) for c in cells],
                dashed=True,
            )
        )
    for month in months:
        for severity in Severity.values:
            cell = by_month.get((month, severity))
            if cell and cell[f"{name}_count"]:
                rows.append(
                    [
                        month,
                        severity,
                        cell[f"{name}_count"],
                        cell[f"{name}_p50"],
                        cell[f"{name}_p90"],
                    ]
                )
    return Figure(
        name=name,
        title=_("%(duration)s, by severity") % {"duration": title},
        description=_(
            "%(definition)s Lines per severity over the months the incidents started: solid "
            "for the median, dashed for the 90th percentile (near misses are left out)."
        )
        % {"definition": DURATION_DEFINITIONS[name]},
        columns=[
            Column(_("Month"), "month"),
            Column(_("Severity"), "severity"),
            Column(_("Incidents measured"), "count"),
            Column(_("Median"), "duration"),
            Column(_("90th percentile"), "duration"),
        ],
        rows=rows,
        chart=line_chart(categories, titles, series, kind="duration"),
        legend=[
            *SEVERITY_LEGEND,
            ("chart-line-solid", _("median")),
            ("chart-line-dashed", _("90th percentile")),
        ],
    )


def _postmortem_figure(months, rows_by_month) -> Figure:
    categories, titles = _categories(months)
    cells = [rows_by_month.get(month, {}) for month in months]
    return Figure(
        name="postmortem_cycle",
        title=_("Postmortem cycle time"),
        description=_(
            "%(definition)s By month of publication: the median (solid) and the 90th "
            "percentile (dashed)."
        )
        % {"definition": DURATION_DEFINITIONS["postmortem_cycle"]},
        columns=[
            Column(_("Month published"), "month"),
            Column(_("Postmortems published"), "count"),
            Column(_("Median"), "duration"),
            Column(_("90th percentile"), "duration"),
        ],
        rows=[
            [row["month"], row["count"], row["p50"], row["p90"]] for row in rows_by_month.values()
        ],
        chart=line_chart(
            categories,
            titles,
            [
                Series("median", _("Median"), [_seconds(c.get("p50")) for c in cells]),
                Series(
                    "p90",
                    _("90th percentile"),
                    [_seconds(c.get("p90")) for c in cells],
                    dashed=True,
                ),
            ],
            kind="duration",
        ),
        legend=[("chart-median", _("Median")), ("chart-p90", _("90th percentile"))],
    )


def _action_figures(months, action_rows) -> tuple[Figure, Figure]:
    categories, titles = _categories(months)
    opened = [row["opened"] for row in action_rows]
    completed = [row["completed"] for row in action_rows]
    verified = [row["verified"] for row in action_rows]
    recurred = [row["recurred"] for row in action_rows]
    overdue = [row["overdue"] for row in action_rows]
    return (
        Figure(
            name="action_items",
            title=_("Action items opened and completed"),
            description=_(
                "Bars per month: action items added, action items done, and of those done how "
                "many someone other than the owner has since verified worked, and how many "
                "belong to an incident that recurred after they were done, for the incidents "
                "of the chosen service and tag."
            ),
            columns=[
                Column(_("Month"), "month"),
                Column(pgettext("action items per month", "Opened"), "count"),
                Column(pgettext("action items per month", "Completed"), "count"),
                Column(pgettext("action items per month", "Verified"), "count"),
                Column(pgettext("action items per month", "Recurred"), "count"),
            ],
            rows=[
                [row["month"], row["opened"], row["completed"], row["verified"], row["recurred"]]
                for row in action_rows
            ],
            chart=grouped_bars(
                categories,
                titles,
                [
                    Series("opened", pgettext("action items per month", "Opened"), opened),
                    Series("completed", pgettext("action items per month", "Completed"), completed),
                    Series("verified", pgettext("action items per month", "Verified"), verified),
                    Series("recurred", pgettext("action items per month", "Recurred"), recurred),
                ],
            ),
            legend=[
                ("chart-opened", pgettext("action items per month", "Opened")),
                ("chart-completed", pgettext("action items per month", "Completed")),
                ("chart-verified", pgettext("action items per month", "Verified")),
                ("chart-recurred", pgettext("action items per month", "Recurred")),
            ],
        ),
        Figure(
            name="overdue",
            title=_("Overdue action items over time"),
            description=_(
                "How many action items were overdue at the end of each month (today, for this "
                "month): still to do then, and past their due date."
            ),
            columns=[Column(_("Month"), "month"), Column(_("Overdue at month end"), "count")],
            rows=[[row["month"], row["overdue"]] for row in action_rows],
            chart=line_chart(categories, titles, [Series("overdue", _("Overdue"), overdue)]),
            legend=[("chart-overdue", _("Overdue"))],
        ),
    )


def _services_figure(service_rows) -> Figure:
    keys = [s.value.lower() for s in Severity]
    return Figure(
        name="services",
        title=_("Services with the most incidents"),
        description=_(
            "Bars per service, longest first, one segment per severity. An incident that "
            "touched several services counts under each. Near misses are not counted."
        ),
        columns=[
            Column(_("Service"), "text"),
            *(Column(s, "count") for s in Severity.values),
            Column(_("Total"), "count"),
        ],
        rows=[
            [row["service__name"], *(row[key] for key in keys), row["count"]]
            for row in service_rows
        ],
        chart=horizontal_stacked_bars(
            [row["service__name"] for row in service_rows],
            [
                Series(key, severity, [row[key] for row in service_rows])
                for key, severity in zip(keys, Severity.values, strict=True)
            ],
        ),
        legend=SEVERITY_LEGEND,
    )


# Durations at a glance: each one's distribution over the whole period ---------------------------

_SUMMARY_STATS = {
    # name: how it is computed from one duration
    "p25": lambda since, **extra: Percentile(since, 0.25, **extra),
    "p50": lambda since, **extra: Percentile(since, 0.5, **extra),
    "p75": lambda since, **extra: Percentile(since, 0.75, **extra),
    "p90": lambda since, **extra: Percentile(since, 0.9, **extra),
    "minimum": Min,
    "maximum": Max,
}


@dataclass(frozen=True)
class DurationSummary:
    """One duration's distribution: how many were measured, the median, the middle half (25th
    to 75th percentile), the 90th percentile and the range. Interpolated as PostgreSQL's
    ``percentile_cont``; ``None`` when nothing was measured."""

    name: str
    title: str
    definition: str
    count: int
    minimum: timedelta | None
    p25: timedelta | None
    p50: timedelta | None
    p75: timedelta | None
    p90: timedelta | None
    maximum: timedelta | None


def duration_summaries(filters: dict, period: Period) -> list[DurationSummary]:
    """Time to detect, mitigate and resolve (incidents with customer impact that started in
    the period) and the postmortem cycle time (postmortems published in the period), each as
    a distribution over the whole period. One query: every statistic is an aggregate with its
    own ``FILTER``."""
    started = Q(
        started_at__gte=period.starts_at, started_at__lt=period.ends_before, near_miss=False
    )
    published = Q(
        postmortem__status=PostmortemStatus.PUBLISHED,
        postmortem__published_at__gte=period.starts_at,
        postmortem__published_at__lt=period.ends_before,
        resolved_at__isnull=False,
    )
    measures = {
        name: (F(moment) - F("started_at"), started & Q(**{f"{moment}__isnull": False}), title)
        for name, (moment, title) in DURATIONS.items()
    }
    measures["postmortem_cycle"] = (
        F("postmortem__published_at") - F("resolved_at"),
        published,
        gettext_lazy("Postmortem cycle time"),
    )
    aggregates = {}
    for name, (since, only, _title) in measures.items():
        aggregates[f"{name}_count"] = Count("pk", filter=only)
        for stat, make in _SUMMARY_STATS.items():
            aggregates[f"{name}_{stat}"] = make(since, filter=only)
    values = Incident.objects.filter(_incident_scope_q(filters), started | published).aggregate(
        **aggregates
    )
    return [
        DurationSummary(
            name=name,
            title=str(title),
            definition=str(DURATION_DEFINITIONS[name]),
            count=values[f"{name}_count"],
            **{stat: values[f"{name}_{stat}"] for stat in _SUMMARY_STATS},
        )
        for name, (_since, _only, title) in measures.items()
    ]


# The postmortem on postmortems: how reviews went, by month ----------------------------------------


def survey_months(filters: dict, period: Period) -> list[dict]:
    """Per month of publication, for postmortems published in the period whose incidents match
    the filters: how many answered the questionnaire, and how many gave each rating to each
    question (``blameless_yes``...). Restricted incidents are left out: the figures are the
    same for everyone, and a handful of people could be told apart. One query."""
    counts = {
        name: count
        for field, _question, _short in SURVEY_QUESTIONS
        for name, count in rating_counts(field).items()
    }
    return list(
        SurveyAnswer.objects.filter(
            _incident_scope_q(filters, via="postmortem__incident__"),
            postmortem__incident__restricted=False,
            postmortem__published_at__gte=period.starts_at,
            postmortem__published_at__lt=period.ends_before,
        )
        .annotate(month=_month("postmortem__published_at"))
        .values("month")
        .annotate(answers=Count("pk"), **counts)
        .order_by("month")
    )


def _share(part: int, whole: int) -> int:
    return round(100 * part / whole)


def _survey_figure(months, survey_rows) -> Figure:
    """Per month, the share of answers saying yes to each question, and a table of every
    rating's share; a month with fewer than ``SURVEY_MIN_ANSWERS`` answers shows nothing."""
    categories, titles = _categories(months)
    shown = {row["month"]: row for row in survey_rows if row["answers"] >= SURVEY_MIN_ANSWERS}
    series = [
        Series(
            f"survey-{field}",
            _("%(question)s: yes") % {"question": short},
            [
                _share(shown[month][f"{field}_yes"], shown[month]["answers"])
                if month in shown
                else None
                for month in months
            ],
        )
        for field, _question, short in SURVEY_QUESTIONS
    ]
    rows = [
        [
            month,
            str(short),
            row["answers"],
            *(_share(row[f"{field}_{value}"], row["answers"]) for value in SurveyRating.values),
        ]
        for month, row in shown.items()
        for field, _question, short in SURVEY_QUESTIONS
    ]
    return Figure(
        name="review_questionnaire",
        title=_("How the reviews went"),
        description=_(
            "After each postmortem is published, its writers, reviewers and the incident's "
            "participants answer four questions anonymously. Lines per question, by month of "
            "publication: the share of answers saying yes; the table gives every answer's "
            "share. A month with fewer than %(needed)s answers shows nothing, so that no answer "
            "can be told apart. Restricted incidents are left out."
        )
        % {"needed": SURVEY_MIN_ANSWERS},
        columns=[
            Column(_("Month published"), "month"),
            Column(_("Question"), "text"),
            Column(_("Answers"), "count"),
            *(Column(label, "percent") for _value, label in SurveyRating.choices),
        ],
        rows=rows,
        chart=line_chart(categories, titles, series, kind="percent"),
        legend=[
            (f"chart-survey-{field}", _("%(question)s: yes") % {"question": short})
            for field, _question, short in SURVEY_QUESTIONS
        ],
    )


# Contributing factors --------------------------------------------------------------------------
# Kept apart from the other figures: three queries, each over the factors of published
# postmortems of the incidents in scope, counted under their top-level category. Factors of
# restricted incidents are left out of these breakdowns (a service or team row could otherwise
# reveal them); near misses' factors count, as they show how incidents come about too.

TOP_FACTOR_ROWS = 10
FACTOR_COLOURS = 8  # chart-factor-0 ... chart-factor-7 in app.css; more categories reuse them


def _factors_in_scope(filters: dict, period: Period) -> QuerySet[ContributingFactor]:
    # The incidents as a subquery, so grouping by their services joins them once, apart from
    # the service filter (as the services ranking counts every service of the incidents).
    return ContributingFactor.objects.filter(
        postmortem__incident__in=incidents_in_scope(filters, period).values("pk"),
        postmortem__status=PostmortemStatus.PUBLISHED,
        postmortem__incident__restricted=False,
    ).annotate(
        top_name=Coalesce("category__parent__name", "category__name"),
        top_position=Coalesce("category__parent__position", "category__position"),
    )


def factor_months(filters: dict, period: Period) -> list[dict]:
    """Per month the incidents started and top-level category: how many factors their
    published postmortems found. One query."""
    return list(
        _factors_in_scope(filters, period)
        .annotate(month=_month("postmortem__incident__started_at"))
        .values("month", "top_name", "top_position")
        .annotate(count=Count("pk"))
        .order_by("month", "top_position", "top_name")
    )


def factors_by(filters: dict, period: Period, *, group: str) -> list[dict]:
    """Per ``group`` (a path to a name from the incident: ``services__name`` or
    ``services__team__name``) and top-level category: how many factors. A factor of an
    incident that touched several services counts once under each service, and once under
    each team however many of its services the team owns. One query."""
    path = f"postmortem__incident__{group}"
    return list(
        _factors_in_scope(filters, period)
        .annotate(group=F(path))
        .filter(group__isnull=False)
        .values("group", "top_name", "top_position")
        .annotate(count=Count("pk", distinct=True))
        .order_by("group", "top_position", "top_name")
    )


def _factor_categories(*row_lists) -> list[str]:
    """The top-level categories that have factors, in the taxonomy's order."""
    seen = {(row["top_position"], row["top_name"]) for rows in row_lists for row in rows}
    return [name for _position, name in sorted(seen)]


def _factor_legend(categories) -> list[tuple[str, str]]:
    return [(f"chart-factor-{i % FACTOR_COLOURS}", name) for i, name in enumerate(categories)]


def _factor_series(categories, counts) -> list[Series]:
    return [
        Series(f"factor-{i % FACTOR_COLOURS}", name, counts[name])
        for i, name in enumerate(categories)
    ]


def _factor_months_figure(months, rows, categories) -> Figure:
    chart_categories, titles = _categories(months)
    by_month = {(row["month"], row["top_name"]): row["count"] for row in rows}
    counts = {name: [by_month.get((month, name), 0) for month in months] for name in categories}
    return Figure(
        name="factors",
        title=_("Contributing factors per month, by category"),
        description=_(
            "Stacked bars: how many contributing factors the published postmortems found, by "
            "the month their incident started, one segment per top-level category. Factors of "
            "restricted incidents are not counted."
        ),
        columns=[
            Column(_("Month"), "month"),
            *(Column(name, "count") for name in categories),
            Column(_("Total"), "count"),
        ],
        rows=[
            [month, *(counts[name][i] for name in categories), sum(c[i] for c in counts.values())]
            for i, month in enumerate(months)
        ],
        chart=stacked_bars(
            chart_categories, titles, _factor_series(categories, counts), width=960, height=300
        ),
        legend=_factor_legend(categories),
    )


def _factors_by_figure(name, title, description, label, rows, categories) -> Figure:
    totals: dict[str, int] = {}
    cells: dict[tuple[str, str], int] = {}
    for row in rows:
        totals[row["group"]] = totals.get(row["group"], 0) + row["count"]
        cells[(row["group"], row["top_name"])] = row["count"]
    groups = sorted(totals, key=lambda group: (-totals[group], group))[:TOP_FACTOR_ROWS]
    counts = {c: [cells.get((group, c), 0) for group in groups] for c in categories}
    return Figure(
        name=name,
        title=title,
        description=description,
        columns=[
            Column(label, "text"),
            *(Column(c, "count") for c in categories),
            Column(_("Total"), "count"),
        ],
        rows=[
            [group, *(cells.get((group, c), 0) for c in categories), totals[group]]
            for group in groups
        ],
        chart=horizontal_stacked_bars(groups, _factor_series(categories, counts)),
        legend=_factor_legend(categories),
    )


def factor_figures(filters: dict, period: Period) -> list[Figure]:
    """The contributing factors over time, by service and by team. Three queries."""
    month_rows = factor_months(filters, period)
    service_rows = factors_by(filters, period, group="services__name")
    team_rows = factors_by(filters, period, group="services__team__name")
    categories = _factor_categories(month_rows, service_rows, team_rows)
    return [
        _factor_months_figure(period.months, month_rows, categories),
        _factors_by_figure(
            "factors_by_service",
            _("Contributing factors by service"),
            _(
                "Bars per service, most factors first, one segment per top-level category. A "
                "factor of an incident that touched several services counts under each."
            ),
            _("Service"),
            service_rows,
            categories,
        ),
        _factors_by_figure(
            "factors_by_team",
            _("Contributing factors by team"),
            _(
                "Bars per team owning the incidents' services, most factors first, one segment "
                "per top-level category. A factor counts once per team, however many of the "
                "team's services its incident touched."
            ),
            _("Team"),
            team_rows,
            categories,
        ),
    ]


def insights(*, filters: dict, period: Period, today: date) -> dict:
    """Every figure of the insights page, for incidents matching ``filters`` in ``period``.
    Near misses have no customer impact: they are counted and charted apart, and left out of
    the incident counts, durations and services (impact figures); their postmortems and action
    items still count in those figures, which measure the follow-up work. Restricted incidents
    count only in ``incident_count`` (see ``incidents_in_scope``). Seven queries, and three for
    the contributing factors."""
    months = period.months
    incident_rows, near_misses_by_month = [], {}
    for row in incident_months(filters, period):
        if row["near_miss"]:
            near_misses_by_month[row["month"]] = (
                near_misses_by_month.get(row["month"], 0) + row["count"]
            )
        else:
            incident_rows.append(row)
    by_month = {(row["month"], row["severity"]): row for row in incident_rows}
    postmortem_rows = {row["month"]: row for row in postmortem_cycle_months(filters, period)}
    action_rows = action_item_months(filters, period, today)
    figures = [
        _incidents_figure(months, by_month),
        _near_miss_figure(months, near_misses_by_month),
        *(
            _duration_figure(name, title, months, by_month)
            for name, (_moment, title) in DURATIONS.items()
        ),
        _postmortem_figure(months, postmortem_rows),
        *_action_figures(months, action_rows),
        _services_figure(top_services(filters, period)),
        _survey_figure(months, survey_months(filters, period)),
        *factor_figures(filters, period),
    ]
    restricted_count = restricted_total(filters, period)
    return {
        "period": period,
        "incident_count": sum(row["count"] for row in incident_rows) + restricted_count,
        "restricted_count": restricted_count,
        "near_miss_count": sum(near_misses_by_month.values()),
        "recurrences_despite_completed_actions": recurrences_despite_completed_actions(
            filters, period
        ),
        "figures": {figure.name: figure for figure in figures},
        "duration_summaries": duration_summaries(filters, period),
    }
