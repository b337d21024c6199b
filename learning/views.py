from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render

from actions.selectors import search_action_items
from core.search import search_words
from incidents.selectors import search_incidents, search_timeline_entries
from learning.forms import SEARCH_TYPES, SearchForm
from postmortems.selectors import search_postmortems

SEARCH_GROUP_SIZE = 5
# Counting every match of a very common word costs as much as ranking them; past this many a
# group just says "1000+".
SEARCH_COUNT_CAP = 1000


def _page_number(value) -> int:
    """The page number a paginator would read from ``value`` (1 when not a number), kept
    within what a database offset takes: past the last page the paginator reads that page."""
    try:
        return min(max(1, int(value)), 1_000_000)
    except (TypeError, ValueError):
        return 1


def search(request):
    """One search box for incidents, postmortems, timeline entries and action items."""
    form = SearchForm(request.GET or None)
    text, types, filters = form.search_plan() if request.GET else ("", [], {})
    filters = {**filters, "visible_to": request.user}  # restricted incidents: only who may see
    searches = {
        "incidents": lambda: search_incidents(text=text, filters=filters),
        "postmortems": lambda: search_postmortems(user=request.user, text=text, filters=filters),
        "timeline": lambda: search_timeline_entries(text=text, filters=filters),
        "actions": lambda: search_action_items(user=request.user, text=text, filters=filters),
    }
    groups, page = [], None
    if search_words(text):
        if len(types) == 1:
            # One type: its results, paginated. The page asked for is read first, counting
            # the matches in the same statement; the paginator then reuses both.
            results = searches[types[0]]()
            number = _page_number(request.GET.get("page"))
            results[(number - 1) * settings.PAGE_SIZE : number * settings.PAGE_SIZE]
            page = Paginator(results, settings.PAGE_SIZE).get_page(request.GET.get("page"))
            groups = [(types[0], page.object_list, page.paginator.count)]
        else:
            for kind in types:
                results = searches[kind]()
                best = results[:SEARCH_GROUP_SIZE]  # counts the matches as it reads them
                groups.append((kind, best, results.count(cap=SEARCH_COUNT_CAP)))
    return render(
        request,
        "search/results.html",
        {
            "form": form,
            "text": text,
            "groups": groups,
            "page": page,
            "total": sum(count for _kind, _results, count in groups),
            "type_labels": dict(SEARCH_TYPES),
            "searched": bool(search_words(text)),
            "count_cap": SEARCH_COUNT_CAP,
        },
    )
