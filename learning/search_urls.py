from django.urls import path

from learning import views

app_name = "search"
urlpatterns = [path("", views.search, name="results")]
