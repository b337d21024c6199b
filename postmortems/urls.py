from django.urls import path

from postmortems import survey_views, views

app_name = "postmortems"
urlpatterns = [
    path("", views.postmortem_list_view, name="list"),
    path("preview/", views.postmortem_preview, name="preview"),
    path("library/", views.library_view, name="library"),
    path("review-queue/", views.review_queue_view, name="queue"),
    path("start/<str:reference>/", views.postmortem_start, name="start"),
    path("<str:reference>/", views.postmortem_detail, name="detail"),
    path("<str:reference>/exempt/", views.requirement_exempt, name="exempt"),
    path("<str:reference>/edit/", views.postmortem_edit, name="edit"),
    path("<str:reference>/edit/<slug:section>/", views.postmortem_edit, name="edit-section"),
    path("<str:reference>/factors/", views.postmortem_factors_view, name="factors"),
    path("<str:reference>/factors/<int:pk>/", views.factor_edit, name="factor-edit"),
    path(
        "<str:reference>/factors/<int:pk>/remove/", views.factor_remove_view, name="factor-remove"
    ),
    path("<str:reference>/people/", views.postmortem_people, name="people"),
    path("<str:reference>/review/", views.postmortem_review, name="review"),
    path("<str:reference>/amendment/", views.postmortem_amendment, name="amendment"),
    path(
        "<str:reference>/comments/<int:pk>/resolve/", views.comment_resolve, name="comment-resolve"
    ),
    path("<str:reference>/survey/", survey_views.survey_results, name="survey"),
    path("<str:reference>/survey/answer/", survey_views.survey_answer, name="survey-answer"),
    path(
        "<str:reference>/comments/<int:pk>/suggestion/",
        views.comment_suggestion,
        name="comment-suggestion",
    ),
    path("<str:reference>/history/", views.postmortem_history, name="history"),
    path("<str:reference>/history/compare/", views.postmortem_compare, name="compare"),
    path("<str:reference>/history/<int:number>/restore/", views.postmortem_restore, name="restore"),
    path("<str:reference>/export.md", views.postmortem_export, name="export"),
    path("<str:reference>/export.pdf", views.postmortem_pdf, name="pdf"),
]
