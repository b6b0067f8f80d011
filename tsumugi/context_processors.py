from collections.abc import Callable
from functools import cache

from django.http import HttpRequest

from areas.scope import scope_of


def navigation(request: HttpRequest) -> dict[str, object]:
    if not request.user.is_authenticated:
        return {}
    scope = scope_of(request.user)
    user_id = request.user.pk

    # Counted when a template first shows them (the menu), once: a partial answer to htmx has
    # no menu and makes neither query.
    @cache
    def inbox() -> int:
        if hasattr(request, INBOX_COUNT_ATTR):
            counted: int = getattr(request, INBOX_COUNT_ATTR)
            return counted
        return inbox_count(scope.agency_ids)

    @cache
    def unread() -> int:
        return unread_count(user_id)

    counts: dict[str, Callable[[], int]] = {"nav_inbox_count": inbox, "nav_unread_count": unread}
    return {"scope": scope, **counts}


def unread_count(user_id: int) -> int:
    """What still has unread notices for me, counted per subject (a sheet with a new notice and
    a reminder is one): one COUNT over the partial index of unread notices."""
    from reminders.centre import unread_groups

    return unread_groups(user_id)


# The unfiltered inbox page counts exactly these sheets for its paginator and leaves the number
# here, so the navigation does not count them a second time.
INBOX_COUNT_ATTR = "_tsumugi_inbox_count"


def inbox_count(agency_ids: frozenset[int]) -> int:
    """Open sheets to any of my agencies, in one COUNT over the inbox index: a sheet is open
    exactly when it has a pending deadline (see the sheet constraints)."""
    if not agency_ids:
        return 0
    from sheets.models import Sheet

    return Sheet.objects.inbox_of(agency_ids).filter(next_due_at__isnull=False).count()
