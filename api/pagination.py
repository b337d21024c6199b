from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Pages of ``PAGE_SIZE`` linked by opaque cursors (``next`` and ``previous``): stable while
    rows are added, and as fast deep in a list as at its start. Each view names its order."""

    page_size = settings.PAGE_SIZE
    ordering = "-pk"

    def paginate_queryset(self, queryset, request, view=None):
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """A cursor made up by hand may hold any text as its position: refuse one that is not
        a value of the ordering column (a page's cursors always are), rather than fail on it."""
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        try:
            position = field.to_python(cursor.position)
        except ValidationError:
            raise NotFound(self.invalid_cursor_message) from None
        if isinstance(position, datetime) and timezone.is_naive(position):
            raise NotFound(self.invalid_cursor_message)
        return cursor
