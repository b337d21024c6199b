"""Single sign-on against a real OpenID Connect provider (tests/oidc_provider.py) running in its
own process: the test client goes to the provider and back over real HTTP, and Hindsight
exchanges the code, checks the signed ID token against the provider's JWKS and reads userinfo.
"""

import importlib
import io
from urllib.parse import parse_qs, urlparse

import factory
import pytest
import requests
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.models import Role, User
from core.sso import check_group_roles
from tests.factories import PASSWORD, UserFactory
from tests.oidc_provider import (
    PROVIDER_NAME,
    configure,
    free_port,
    next_person,
    running_provider,
)

pytestmark = pytest.mark.django_db

REFUSED = f"Sign-in with {PROVIDER_NAME} did not succeed"


@pytest.fixture(scope="module")
def provider():
    with running_provider() as url:
        yield url


@pytest.fixture(autouse=True)
def single_sign_on(settings, provider):
    configure(settings, provider)


def _to_provider_and_back(client, provider, **claims):
    """Start sign-in at Hindsight, let the provider approve who ``claims`` describe; the
    callback URL it sends the browser back to."""
    next_person(provider, **claims)
    start = client.get(reverse("oidc_authentication_init"), {"next": "/actions/"})
    assert start.status_code == 302 and start.url.startswith(f"{provider}/authorize?")
    approval = requests.get(start.url, allow_redirects=False, timeout=5)
    assert approval.status_code == 302
    return urlparse(approval.headers["Location"])


def _sign_in(client, provider, **claims):
    callback = _to_provider_and_back(client, provider, **claims)
    return client.get(callback.path, parse_qs(callback.query))


def _roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_first_sign_in_creates_the_user_with_roles_from_groups(client, provider):
    response = _sign_in(client, provider, groups=["sre-leads", "eng", "marketing"])

    assert response.status_code == 302 and response.url == "/actions/"
    user = User.objects.get(sso_subject="idp-alex-1")
    assert (user.username, user.email, user.get_full_name()) == (
        "alex",
        "alex@example.com",
        "Alex Moreau",
    )
    assert not user.has_usable_password()
    assert _roles(user) == {"Manager", "Author", "Reviewer"}
    assert client.get(reverse("incidents:list")).status_code == 200


def test_second_sign_in_updates_name_and_roles(client, provider):
    _sign_in(client, provider, groups=["sre-leads"])
    client.post(reverse("logout"))
    _sign_in(client, provider, groups=["eng"], family_name="Martin")

    user = User.objects.get()
    assert user.last_name == "Martin"
    assert _roles(user) == {"Author", "Reviewer"}


def test_an_unmapped_group_gives_no_role_but_other_django_groups_stay(client, provider):
    user = UserFactory(username="alex", sso_subject="idp-alex-1", roles=[Role.MANAGER])
    auditors = Group.objects.create(name="Auditors")
    user.groups.add(auditors)

    response = _sign_in(client, provider, groups=["marketing"])

    assert response.status_code == 302
    assert _roles(user) == {"Auditors"}


def test_without_a_group_table_roles_stay_as_set_in_hindsight(client, provider, settings):
    settings.OIDC_GROUP_ROLES = []
    user = UserFactory(username="alex", sso_subject="idp-alex-1", roles=[Role.REVIEWER])
    _sign_in(client, provider, groups=["sre-leads"])
    assert _roles(user) == {"Reviewer"}


def test_an_existing_account_is_taken_over_only_with_a_verified_email(client, provider):
    existing = UserFactory(username="alex", email="Alex@Example.com")

    _sign_in(client, provider, email_verified=False)
    stranger = User.objects.get(sso_subject="idp-alex-1")
    assert stranger != existing and stranger.username == "alex-2"

    client.post(reverse("logout"))
    assert _sign_in(client, provider, sub="idp-alex-2", email_verified=True).status_code == 302
    existing.refresh_from_db()
    assert existing.sso_subject == "idp-alex-2"
    assert client.session["_auth_user_id"] == str(existing.pk)


def test_odd_claims_are_bounded_never_a_crash(client, provider):
    response = _sign_in(
        client,
        provider,
        email=f"{'a' * 250}@example.com",
        given_name={"not": "text"},
        family_name="L" * 400,
        preferred_username="ålex the admin!",
        groups="eng",
    )

    assert response.status_code == 302
    user = User.objects.get()
    assert (user.username, user.email, user.first_name) == ("ålextheadmin", "", "")
    assert user.last_name == "L" * 150
    assert _roles(user) == {"Author", "Reviewer"}  # one group, given as text


def test_an_overlong_subject_is_refused(client, provider):
    response = _sign_in(client, provider, sub="s" * 256)
    assert response.status_code == 400 and not User.objects.exists()


def test_a_role_table_naming_no_role_stops_start_up(settings):
    settings.OIDC_GROUP_ROLES = [("eng", "Writer")]
    errors = check_group_roles(None)
    assert [error.id for error in errors] == ["core.E001"]
    assert "'Writer', which is not a role" in errors[0].msg


def test_a_deactivated_account_is_refused(client, provider):
    UserFactory(username="alex", sso_subject="idp-alex-1", is_active=False)
    response = _sign_in(client, provider)
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_with_local_passwords_off_the_page_offers_only_the_provider(client, settings):
    settings.HINDSIGHT_LOCAL_LOGIN = False
    UserFactory(username="riley", is_staff=True, is_superuser=True)

    page = client.get(reverse("login")).content.decode()
    assert "Sign in with Test ID" in page and 'name="password"' not in page

    response = client.post(reverse("login"), {"username": "riley", "password": PASSWORD})
    assert response.status_code == 403
    assert "Sign-in with a password is turned off here" in response.content.decode()
    admin = client.post(reverse("admin:login"), {"username": "riley", "password": PASSWORD})
    assert admin.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session


def test_with_local_passwords_on_both_ways_are_offered(client, password):
    UserFactory(username="riley")
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with Test ID" in page and 'name="password"' in page
    assert (
        client.post(reverse("login"), {"username": "riley", "password": password}).status_code
        == 302
    )


def test_sign_out_ends_the_session_here_and_at_the_provider(client, provider):
    _sign_in(client, provider)
    id_token = client.session["oidc_id_token"]
    # The page's policy lets its sign-out form lead on to the provider.
    policy = client.get(reverse("incidents:list")).headers["Content-Security-Policy"]
    assert f"form-action 'self' {provider};" in policy

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url.startswith(f"{provider}/end_session?")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("incidents:list")).status_code == 302  # to the sign-in page
    back = requests.get(response.url, allow_redirects=False, timeout=5)
    assert back.headers["Location"] == "http://testserver/login/"
    assert requests.get(f"{provider}/test/signed-out", timeout=5).json()[-1] == id_token


def test_without_an_end_session_endpoint_sign_out_ends_only_the_session_here(
    client, provider, settings
):
    settings.OIDC_OP_LOGOUT_ENDPOINT = ""
    _sign_in(client, provider)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_sign_in_page_passes_where_to_go_on_to_the_provider(client):
    page = client.get(reverse("login"), {"next": "/actions/?mine=1"}).content.decode()
    assert 'href="/oidc/authenticate/?next=/actions/%3Fmine%3D1"' in page


def test_a_forged_state_is_refused_with_a_clear_page(client, provider):
    callback = _to_provider_and_back(client, provider)
    query = parse_qs(callback.query) | {"state": ["forged"]}

    response = client.get(callback.path, query)

    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert not User.objects.exists()


def test_a_forged_nonce_is_refused_with_a_clear_page(client, provider):
    response = _sign_in(client, provider, id_token_nonce="forged")
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert not User.objects.exists()


def test_userinfo_about_someone_else_is_refused(client, provider):
    response = _sign_in(client, provider, userinfo_sub="idp-someone-else")
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert not User.objects.exists()


def test_a_callback_used_twice_is_refused(client, provider):
    callback = _to_provider_and_back(client, provider)
    assert client.get(callback.path, parse_qs(callback.query)).status_code == 302
    client.post(reverse("logout"))
    replay = client.get(callback.path, parse_qs(callback.query))
    assert replay.status_code == 400 and "_auth_user_id" not in client.session


def test_a_sign_in_cancelled_at_the_provider_is_a_clear_page(client, provider):
    callback = _to_provider_and_back(client, provider)
    state = parse_qs(callback.query)["state"]
    response = client.get(callback.path, {"error": "access_denied", "state": state})
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("existing_users", [1, 60])
def test_a_sign_in_costs_the_same_queries_however_many_users(
    client, provider, existing_users, django_assert_max_num_queries
):
    UserFactory.create_batch(existing_users, roles=[Role.AUTHOR])
    UserFactory.create_batch(existing_users, username=factory.Sequence(lambda n: f"alex-{n + 2}"))
    callback = _to_provider_and_back(client, provider, groups=["sre-leads", "eng"])
    # The session read and saved around the token exchange (2 + 2 + savepoints); the subject,
    # email and username lookups, the insert, the role groups, those not claimed removed, those
    # claimed added; the new session (4) and the old one deleted (2); axes' log and attempts (3);
    # last_login; the session saved (3).
    with django_assert_max_num_queries(27):
        response = client.get(callback.path, parse_qs(callback.query))
    assert response.status_code == 302


def test_a_callback_without_a_started_sign_in_is_refused(client):
    response = client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"})
    assert response.status_code == 400 and REFUSED in response.content.decode()


def test_an_unreachable_provider_is_a_clear_page(client, provider, settings):
    callback = _to_provider_and_back(client, provider)
    settings.OIDC_OP_TOKEN_ENDPOINT = f"http://127.0.0.1:{free_port()}/token"
    response = client.get(callback.path, parse_qs(callback.query))
    assert response.status_code == 502
    assert "Test ID did not answer" in response.content.decode()


def test_failed_single_sign_ons_never_lock_out_password_or_provider_sign_in(client, provider):
    for _attempt in range(6):
        _sign_in(client, provider, id_token_nonce="forged")
        _sign_in(client, provider, userinfo_sub="idp-someone-else")
    assert not AccessAttempt.objects.exists()
    assert _sign_in(client, provider).status_code == 302


def test_single_sign_on_is_absent_until_configured(client, settings):
    settings.OIDC_ENABLED = False
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404
    assert "Sign in with" not in client.get(reverse("login")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_sign_in_commits_the_new_user(client, provider):
    # The role groups, which transactional tests before this one flushed with everything else.
    importlib.import_module("core.migrations.0002_create_role_groups").create_role_groups(
        apps, None
    )
    assert _sign_in(client, provider, groups=["sre-leads"]).status_code == 302
    assert _roles(User.objects.get(username="alex")) == {"Manager"}


def test_the_endpoints_command_prints_the_variables_from_discovery(provider):
    out = io.StringIO()
    call_command("oidc_endpoints", provider, stdout=out)
    assert out.getvalue().splitlines() == [
        f"OIDC_OP_ISSUER={provider}",
        f"OIDC_OP_AUTHORIZATION_ENDPOINT={provider}/authorize",
        f"OIDC_OP_TOKEN_ENDPOINT={provider}/token",
        f"OIDC_OP_USER_ENDPOINT={provider}/userinfo",
        f"OIDC_OP_JWKS_ENDPOINT={provider}/jwks",
        f"OIDC_OP_LOGOUT_ENDPOINT={provider}/end_session",
    ]


def test_the_endpoints_command_says_when_the_provider_does_not_answer():
    with pytest.raises(CommandError, match="Could not read"):
        call_command("oidc_endpoints", f"http://127.0.0.1:{free_port()}")


def test_staff_see_and_may_clear_the_subject_in_the_admin(admin_client, client, provider):
    _sign_in(client, provider, email_verified=True)
    user = User.objects.get(sso_subject="idp-alex-1")
    page = admin_client.get(reverse("admin:core_user_change", args=[user.pk])).content.decode()
    assert "Single sign-on subject" in page and 'value="idp-alex-1"' in page

    User.objects.filter(pk=user.pk).update(sso_subject="")
    client.post(reverse("logout"))
    _sign_in(client, provider, sub="idp-alex-new", email_verified=True)
    user.refresh_from_db()
    assert user.sso_subject == "idp-alex-new"  # the verified email linked it again
