from django.urls import path

from actions import views

app_name = "actions"
urlpatterns = [
    path("", views.item_list_view, name="list"),
    path("export.csv", views.item_export, name="export"),
    path("mine/", views.my_items, name="mine"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("postmortem/<str:reference>/", views.postmortem_items, name="postmortem"),
    path("postmortem/<str:reference>/new/", views.item_create, name="create"),
    path("<int:pk>/", views.item_detail, name="detail"),
    path("<int:pk>/edit/", views.item_update, name="update"),
    path("<int:pk>/status/", views.item_set_status, name="status"),
    path("<int:pk>/verify/", views.item_verify, name="verify"),
]
