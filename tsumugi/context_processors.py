from django.http import HttpRequest

from areas.scope import scope_of


def navigation(request: HttpRequest) -> dict[str, object]:
    if not request.user.is_authenticated:
        return {}
    return {"scope": scope_of(request.user)}
