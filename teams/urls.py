from django.urls import path

from teams import views

app_name = "teams"

urlpatterns = [
    path("", views.team_list_view, name="list"),
    path("<str:slug>/", views.team_detail, name="detail"),
]
