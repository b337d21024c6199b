from django.urls import path

from imports import chat_views

app_name = "imports"
urlpatterns = [
    path("chat/<str:reference>/", chat_views.chat_import_start, name="chat-start"),
    path("chat/<str:reference>/slack/", chat_views.chat_import_slack, name="chat-slack"),
    path("chat/<str:reference>/paste/", chat_views.chat_import_paste, name="chat-paste"),
    path("chat/<str:reference>/<int:pk>/", chat_views.chat_import_pick, name="chat-pick"),
]
