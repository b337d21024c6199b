import csv

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.snapshots import page_snapshot, recomputes
from learning.insights import InsightsFilterForm, Period, insights

# Spreadsheets run cells starting with these as formulas; a leading quote keeps them text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(kind: str, value):
    if value is None:
        return ""
    if kind == "month":
        return value.strftime("%Y-%m")
    if kind == "duration":
        return round(value.total_seconds() / 60, 1)
    if isinstance(value, int):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_response(figure, period: Period) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="insights-{figure.name}-{period.start}-{period.end}.csv"'
    )
    response.write("\ufeff")  # so spreadsheet apps read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow([column.csv_label for column in figure.columns])
    for row in figure.table:
        writer.writerow([_csv_cell(kind, value) for kind, value in row])
    return response


@require_GET
def insights_view(request):
    """Charts of past incidents for a period, team, service and tag; ``?format=csv&figure=<name>``
    downloads one chart's table with the same filters."""
    filter_form = InsightsFilterForm(request.GET or None)
    filters = filter_form.filters() if request.GET else {}
    today = timezone.localdate()
    period = Period.from_filters(filters, today)
    if request.GET.get("format") == "csv":
        if filter_form.errors:
            # A file cannot show what was wrong: the page can, with the same filters as typed.
            query = request.GET.copy()
            del query["format"]
            query.pop("figure", None)
            return redirect(f"{reverse('insights:index')}?{query.urlencode()}")
        figures = insights(filters=filters, period=period, today=today)["figures"]
        figure = figures.get(request.GET.get("figure", ""))
        if figure is None:
            raise Http404(_("There is no such chart."))
        return _csv_response(figure, period)
    figures = _figures(request, filters=filters, period=period, today=today)
    return render(
        request,
        "learning/insights.html",
        {
            "period": period,
            "incident_count": figures.value["incident_count"],
            "restricted_count": figures.value["restricted_count"],
            "figures_html": figures.value["html"],
            "figures_as_of": figures,  # when they were computed
            "filter_form": filter_form,
            "is_filtered": bool(filters),
        },
    )


def _figures(request, *, filters: dict, period: Period, today):
    """The charts and tables as HTML, with the incident count, kept until the data changes
    (core/snapshots.py): a three-year page is thousands of SVG elements and table cells. After
    a write the last ones are served while the worker computes them again
    (``recompute_figures``)."""
    return page_snapshot(
        "insights", request, recompute_figures, today=today, filters=filters, period=period
    )


@recomputes
def recompute_figures(request, *, today, filters: dict | None = None, period: Period | None = None):
    """The figures' parts (what they depend on besides the data) and how to compute them, for
    ``request``: the page's, with its filters and period, or the one a worker rebuilds."""
    if filters is None:
        filters = InsightsFilterForm(request.GET).filters() if request.GET else {}
        period = Period.from_filters(filters, today)

    def compute() -> dict:
        context = insights(filters=filters, period=period, today=today)
        html = render_to_string(
            "learning/includes/_figures.html",
            {**context, "is_filtered": bool(filters)},
            request,
        )
        return {
            "incident_count": context["incident_count"],
            "restricted_count": context["restricted_count"],
            "html": html,
        }

    parts = (
        period,
        today,
        sorted((name, getattr(value, "slug", value)) for name, value in filters.items()),
        request.GET.urlencode(),  # the CSV links repeat the query string as typed
        get_language(),
        timezone.get_current_timezone_name(),
    )
    return parts, compute
