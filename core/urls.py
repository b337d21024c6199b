from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", views.readyz, name="readyz"),
    path("metrics/", views.metrics, name="metrics"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    # Single sign-on; the names are those mozilla-django-oidc reverses.
    path(
        "oidc/authenticate/",
        login_not_required(views.SingleSignOnStartView.as_view()),
        name="oidc_authentication_init",
    ),
    path(
        "oidc/callback/",
        login_not_required(views.SingleSignOnCallbackView.as_view()),
        name="oidc_authentication_callback",
    ),
    path("account/", views.account_settings, name="account-settings"),
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]
