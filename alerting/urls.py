from django.urls import path

from alerting import views

app_name = "alerting"
urlpatterns = [
    path("", views.integration_list, name="integrations"),
    path("<int:pk>/", views.delivery_list, name="deliveries"),
    path("hooks/<uuid:endpoint_id>/", views.receive, name="receive"),
]
