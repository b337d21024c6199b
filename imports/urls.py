from django.urls import path

from imports import chat_views, markdown_views

app_name = "imports"
urlpatterns = [
    path("markdown/", markdown_views.markdown_upload, name="markdown-upload"),
    path("markdown/<int:pk>/", markdown_views.markdown_preview, name="markdown-preview"),
    path("markdown/<int:pk>/import/", markdown_views.markdown_apply, name="markdown-apply"),
    path("chat/<str:reference>/", chat_views.chat_import_start, name="chat-start"),
    path("chat/<str:reference>/slack/", chat_views.chat_import_slack, name="chat-slack"),
    path("chat/<str:reference>/paste/", chat_views.chat_import_paste, name="chat-paste"),
    path("chat/<str:reference>/<int:pk>/", chat_views.chat_import_pick, name="chat-pick"),
]
