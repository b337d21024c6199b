"""Print the single sign-on settings of an OpenID Connect provider, read from its discovery
document, as environment variables to paste into the deployment's configuration."""

import requests
from django.core.management.base import BaseCommand, CommandError

# Our variable for each field of the discovery document.
DISCOVERY_FIELDS = {
    "OIDC_OP_ISSUER": "issuer",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}


class Command(BaseCommand):
    help = "Print the OIDC_OP_* variables for a provider, from its discovery document."

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="e.g. https://sso.example.com/realms/acme")

    def handle(self, *args, issuer, **options):
        url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=10)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise CommandError(f"Could not read {url}: {error}") from None
        for variable, field in DISCOVERY_FIELDS.items():
            if document.get(field):
                self.stdout.write(f"{variable}={document[field]}")
