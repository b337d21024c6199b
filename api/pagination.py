from django.conf import settings
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Pages of ``PAGE_SIZE`` linked by opaque cursors (``next`` and ``previous``): stable while
    rows are added, and as fast deep in a list as at its start. Each view names its order."""

    page_size = settings.PAGE_SIZE
    ordering = "-pk"
