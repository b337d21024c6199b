from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("core.urls")),
    path("incidents/", include("incidents.urls")),
    path("postmortems/", include("postmortems.urls")),
    path("status/", include("postmortems.public_urls")),
    path("search/", include("learning.search_urls")),
    path("actions/", include("actions.urls")),
    path("notifications/", include("notifications.urls")),
    path("insights/", include("learning.insights_urls")),
    path("teams/", include("teams.urls")),
    path("imports/", include("imports.urls")),
    path("alerting/", include("alerting.urls")),
    path("api/", include("api.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("admin/", admin.site.urls),
]
