import csv

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

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
    """Charts of past incidents for a period, service and tag; ``?format=csv&figure=<name>``
    downloads one chart's table with the same filters."""
    filter_form = InsightsFilterForm(request.GET or None)
    filters = filter_form.filters() if request.GET else {}
    today = timezone.localdate()
    period = Period.from_filters(filters, today)
    context = insights(filters=filters, period=period, today=today)
    if request.GET.get("format") == "csv":
        if filter_form.errors:
            # A file cannot show what was wrong: the page can, with the same filters as typed.
            query = request.GET.copy()
            del query["format"]
            query.pop("figure", None)
            return redirect(f"{reverse('insights:index')}?{query.urlencode()}")
        figure = context["figures"].get(request.GET.get("figure", ""))
        if figure is None:
            raise Http404(_("There is no such chart."))
        return _csv_response(figure, period)
    return render(
        request,
        "learning/insights.html",
        {
            **context,
            "filter_form": filter_form,
            "is_filtered": bool(filters),
        },
    )
