from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.i18n import set_language

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
    # The sign-in page's language choice (a cookie); signed in, Settings keeps it on the user.
    path("language/", login_not_required(set_language), name="set_language"),
    path("account/", views.account_settings, name="account-settings"),
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]
