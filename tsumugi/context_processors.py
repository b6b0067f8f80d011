from django.http import HttpRequest

from areas.scope import scope_of


def navigation(request: HttpRequest) -> dict[str, object]:
    if not request.user.is_authenticated:
        return {}
    return {"scope": scope_of(request.user), "nav_unread_count": unread_count(request.user.pk)}


def unread_count(user_id: int) -> int:
    """My unread notifications: one COUNT over the partial index of unread notices."""
    from sheets.models import Notification

    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()
