from django.conf import settings
from django.http import HttpRequest


def two_factor(request: HttpRequest) -> dict[str, object]:
    return {
        "two_factor_required": settings.TSUMUGI_REQUIRE_TWO_FACTOR,
        "sso_enabled": settings.TSUMUGI_OIDC_ENABLED,
    }
