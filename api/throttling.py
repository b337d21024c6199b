from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import AccessToken


class PerTokenOrUserThrottle(SimpleRateThrottle):
    """``API_RATE_LIMIT`` requests for each token, and for each person using the API from their
    browser session; requests that are not signed in are refused before they count."""

    scope = "api"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        if isinstance(request.auth, AccessToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
