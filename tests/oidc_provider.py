"""A small but real OpenID Connect provider for the single sign-on tests, run in its own process
(`running_provider()` below, or `python tests/oidc_provider.py PORT CLIENT_ID CLIENT_SECRET`).

It serves discovery, JWKS, authorize (approving at once, as whoever the test chose), token
(code flow with PKCE, client secret checked, each code used once), userinfo and end_session,
signing RS256 ID tokens with joserfc (a JOSE library independent of the one Hindsight checks
them with). Tests steer it over HTTP:
- POST /test/person  {claims...}: who signs in next ("id_token_nonce" forges the ID token's
  nonce, "userinfo_sub" the subject userinfo describes);
- GET /test/signed-out: the ID token hints of the sign-outs received so far.
"""

import base64
import hashlib
import json
import secrets
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "hindsight-tests"
CLIENT_SECRET = "provider-test-secret"
PROVIDER_NAME = "Test ID"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_provider():
    """The base URL of a provider in its own process, once it listens."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, str(port), CLIENT_ID, CLIENT_SECRET], stdout=subprocess.PIPE
    )
    try:
        assert process.stdout.readline().strip() == b"ready"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def configure(settings, provider_url, **overrides) -> None:
    """Point Hindsight's single sign-on at the provider, as its discovery document says."""
    import requests

    discovery = requests.get(f"{provider_url}/.well-known/openid-configuration", timeout=5).json()
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = PROVIDER_NAME
    settings.OIDC_OP_ISSUER = discovery["issuer"]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = discovery["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = discovery["jwks_uri"]
    settings.OIDC_OP_LOGOUT_ENDPOINT = discovery["end_session_endpoint"]
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_GROUP_ROLES = [("sre-leads", "Manager"), ("eng", "Author"), ("eng", "Reviewer")]
    for name, value in overrides.items():
        setattr(settings, name, value)


def next_person(provider_url, **claims) -> dict:
    """Who the provider signs in next: Alex, an engineer, unless ``claims`` say otherwise."""
    import requests

    person = {
        "sub": "idp-alex-1",
        "preferred_username": "alex",
        "email": "alex@example.com",
        "email_verified": True,
        "given_name": "Alex",
        "family_name": "Moreau",
        "groups": ["eng"],
        **claims,
    }
    requests.post(f"{provider_url}/test/person", json=person, timeout=5).raise_for_status()
    return person


class Provider:
    def __init__(self, issuer, client_id, client_secret):
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self.person = {"sub": "alex-1", "preferred_username": "alex"}
        self.codes = {}
        self.access_tokens = {}
        self.signed_out = []
        self.lock = threading.Lock()

    def discovery(self):
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/end_session",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def authorize(self, query):
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, {"error": "unauthorized_client"}
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {"query": query, "person": dict(self.person)}
        answer = urlencode({"code": code, "state": query.get("state", "")})
        return 302, f"{query['redirect_uri']}?{answer}"

    def token(self, form):
        with self.lock:
            grant = self.codes.pop(form.get("code"), None)
        if form.get("client_id") != self.client_id or not secrets.compare_digest(
            form.get("client_secret", ""), self.client_secret
        ):
            return 401, {"error": "invalid_client"}
        if grant is None or form.get("redirect_uri") != grant["query"]["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if challenge.decode() != grant["query"].get("code_challenge"):
            return 400, {"error": "invalid_grant", "error_description": "PKCE check failed"}
        person = grant["person"]
        now = int(time.time())
        id_claims = {
            "iss": self.issuer,
            "sub": person["sub"],
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": person.get("id_token_nonce", grant["query"].get("nonce")),
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, id_claims, self.key)
        access_token = secrets.token_urlsafe(24)
        with self.lock:
            self.access_tokens[access_token] = person
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }

    def userinfo(self, authorization):
        person = self.access_tokens.get(authorization.removeprefix("Bearer "))
        if person is None:
            return 401, {"error": "invalid_token"}
        claims = {k: v for k, v in person.items() if k not in {"id_token_nonce", "userinfo_sub"}}
        return 200, claims | {"sub": person.get("userinfo_sub", person["sub"])}

    def end_session(self, query):
        with self.lock:
            self.signed_out.append(query.get("id_token_hint"))
        return 302, query.get("post_logout_redirect_uri") or f"{self.issuer}/"


def handler_for(provider):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            routes = {
                "/.well-known/openid-configuration": lambda: (200, provider.discovery()),
                "/jwks": lambda: (200, {"keys": [provider.key.as_dict(private=False)]}),
                "/authorize": lambda: provider.authorize(query),
                "/userinfo": lambda: provider.userinfo(self.headers.get("Authorization", "")),
                "/end_session": lambda: provider.end_session(query),
                "/test/signed-out": lambda: (200, provider.signed_out),
            }
            self.answer(*routes.get(url.path, lambda: (404, {"error": "not_found"}))())

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if self.path == "/token":
                form = {k: v[0] for k, v in parse_qs(body).items()}
                self.answer(*provider.token(form))
            elif self.path == "/test/person":
                provider.person = json.loads(body)
                self.answer(200, provider.person)
            else:
                self.answer(404, {"error": "not_found"})

        def answer(self, status, body):
            self.send_response(status)
            if status == 302:
                self.send_header("Location", body)
                body = ""
            else:
                body = json.dumps(body)
                self.send_header("Content-Type", "application/json")
            encoded = body.encode()
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

    return Handler


if __name__ == "__main__":
    port, client_id, client_secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    provider = Provider(f"http://127.0.0.1:{port}", client_id, client_secret)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(provider))
    print("ready", flush=True)
    server.serve_forever()
