from collections.abc import Callable

from django.conf import settings
from django.core.paginator import Paginator

from core.snapshots import snapshot


def filtered_list_context(request, form_class, select, *, count=None, **select_kwargs) -> dict:
    """The context every filtered, paginated list page shares: the filter form as typed, the
    page of results, and whether any filter applies (for the empty state).

    ``select`` is the app's selector; it gets the valid filters and ``select_kwargs``.
    ``count(filters, results)``, when given, says how many results there are (a kept count,
    say) instead of the paginator's own query.
    """
    filter_form = form_class(request.GET or None)
    filters = filter_form.filters() if request.GET else {}
    results = select(filters=filters, **select_kwargs)
    paginator = Paginator(results, settings.PAGE_SIZE)
    if count is not None:
        paginator.count = count(filters, results)
    page = paginator.get_page(request.GET.get("page"))
    return {
        "filter_form": filter_form,
        "filters": filters,
        "page": page,
        "is_filtered": bool(filters),
    }


def kept_count(name: str, *parts) -> Callable:
    """A ``count`` for ``filtered_list_context``: the results' count kept until the data
    changes (core/snapshots.py), under the filters and ``parts`` (who is looking, today...).
    Counting every incident or postmortem grows with the data; a kept count costs one query."""

    def count(filters: dict, results) -> int:
        key = (
            *parts,
            sorted((name, repr(value)) for name, value in filters.items() if name != "sort"),
        )
        return snapshot(name, key, results.count).value

    return count
