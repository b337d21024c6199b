from django.urls import path

from core import views

app_name = "search"
urlpatterns = [path("", views.search, name="results")]
