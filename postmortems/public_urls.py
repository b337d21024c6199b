"""Pages anyone may read, signed in or not: public summaries of published postmortems only."""

from django.urls import path

from postmortems import views
from postmortems.feeds import PublicSummariesFeed

app_name = "public"
urlpatterns = [
    path("", views.public_list, name="list"),
    path("feed.atom", PublicSummariesFeed(), name="feed"),
    path("<uuid:public_id>/", views.public_detail, name="detail"),
]
