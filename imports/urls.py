from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("markdown/", views.markdown_upload, name="markdown-upload"),
    path("markdown/<int:pk>/", views.markdown_preview, name="markdown-preview"),
    path("markdown/<int:pk>/import/", views.markdown_apply, name="markdown-apply"),
]
