from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from api import views

app_name = "api"

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("postmortems", views.PostmortemViewSet, basename="postmortem")
router.register("action-items", views.ActionItemViewSet, basename="action-item")
router.register("services", views.ServiceViewSet, basename="service")
router.register("tags", views.TagViewSet, basename="tag")

timeline = views.TimelineEntryViewSet.as_view({"get": "list", "post": "create"})
comments = views.CommentViewSet.as_view({"get": "list"})

urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.docs, name="docs"),
    path("me/", views.MeView.as_view(), name="me"),
    path("incidents/<str:reference>/timeline/", timeline, name="incident-timeline"),
    path("postmortems/<str:reference>/comments/", comments, name="postmortem-comments"),
    *router.urls,
    re_path(r"^(?P<path>.*)$", views.not_found),
]
