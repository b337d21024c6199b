import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_the_schema_is_a_valid_openapi_3_document(author, token_client):
    response = token_client(author).get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    validate(document)  # raises on any departure from the OpenAPI 3 specification
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in [
        "/api/incidents/",
        "/api/incidents/{reference}/timeline/",
        "/api/postmortems/{reference}/sections/",
        "/api/postmortems/{reference}/comments/",
        "/api/action-items/{id}/status/",
        "/api/services/",
        "/api/tags/",
    ]:
        assert path in paths
    assert document["components"]["securitySchemes"]["accessToken"]["scheme"] == "bearer"
    severity = {p["name"]: p for p in paths["/api/incidents/"]["get"]["parameters"]}["severity"]
    assert severity["schema"]["items"]["enum"] == ["SEV1", "SEV2", "SEV3", "SEV4"]


def test_the_schema_is_also_served_as_json(author, token_client):
    response = token_client(author).get("/api/schema/", {"format": "json"})
    validate(response.json())


def test_the_schema_needs_a_sign_in(db):
    assert Client().get("/api/schema/").status_code == 401


def test_the_docs_page_uses_only_vendored_assets_under_the_strict_policy(author_client):
    response = author_client.get("/api/docs/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe" not in policy
    page = response.content.decode()
    assert "<script>" not in page and " style=" not in page
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert "/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js" in sources
    for source in sources:
        assert source.startswith("/static/")
        assert finders.find(source.removeprefix("/static/")), source


def test_the_docs_page_signs_in_like_every_page(db):
    response = Client().get("/api/docs/")
    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


def test_the_vendored_assets_collect_for_production(tmp_path, settings):
    """Production serves hashed copies (collectstatic with the manifest storage, as the
    Dockerfile runs it), which fails on a file that points at one missing, like a source map."""
    import json

    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert "vendor/swagger-ui-5.35.0/swagger-ui-bundle.js" in manifest
    assert "js/api-docs.js" in manifest


def test_drf_spectacular_generates_it_without_a_warning(tmp_path):
    from django.core.management import call_command

    # --fail-on-warn: an undocumented field, an ambiguous name or an unreadable view fails.
    call_command(
        "spectacular", validate=True, fail_on_warn=True, file=str(tmp_path / "schema.yaml")
    )
    assert "/api/action-items/" in (tmp_path / "schema.yaml").read_text()
