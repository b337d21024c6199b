from django.urls import path

from learning import insights_views

app_name = "insights"
urlpatterns = [path("", insights_views.insights_view, name="index")]
