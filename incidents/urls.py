from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list_view, name="list"),
    path("new/", views.incident_create, name="create"),
    path("<str:reference>/", views.incident_detail, name="detail"),
    path("<str:reference>/edit/", views.incident_update, name="update"),
    path("<str:reference>/links/", views.incident_link_create, name="link-create"),
    path("<str:reference>/links/<int:pk>/delete/", views.incident_link_delete, name="link-delete"),
    path("<str:reference>/timeline/", views.timeline_entry_create, name="timeline-create"),
    path(
        "<str:reference>/timeline/<int:pk>/edit/",
        views.timeline_entry_update,
        name="timeline-update",
    ),
    path(
        "<str:reference>/timeline/<int:pk>/set-incident-time/",
        views.timeline_entry_set_incident_time,
        name="timeline-set-incident-time",
    ),
    path(
        "<str:reference>/timeline/<int:pk>/delete/",
        views.timeline_entry_delete,
        name="timeline-delete",
    ),
    path(
        "<str:reference>/timeline/<int:pk>/restore/",
        views.timeline_entry_restore,
        name="timeline-restore",
    ),
    path(
        "<str:reference>/timeline/<int:pk>/history/",
        views.timeline_entry_history_view,
        name="timeline-history",
    ),
]
