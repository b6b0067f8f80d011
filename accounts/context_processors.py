from django.conf import settings
from django.http import HttpRequest

from tsumugi.middleware import idle_seconds_left_at_most

# The idle-logout warning appears this long before the session's idle timeout (static/js/idle.js).
IDLE_WARNING_SECONDS = 120


def two_factor(request: HttpRequest) -> dict[str, object]:
    return {
        "two_factor_required": settings.TSUMUGI_REQUIRE_TWO_FACTOR,
        "sso_enabled": settings.TSUMUGI_OIDC_ENABLED,
        "idle_timeout_seconds": idle_seconds_left_at_most(),
        "idle_warning_seconds": IDLE_WARNING_SECONDS,
    }
