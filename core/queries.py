"""Query helpers shared by the apps' selectors."""

from django.db.models import F, Func, IntegerField, Subquery


def count_subquery(queryset) -> Subquery:
    """``SELECT COUNT(*)`` of ``queryset`` as a subquery, so several counts are one query."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())
