from collections.abc import Callable
from functools import cache

from django.db import connection
from django.http import HttpRequest

from areas.scope import scope_of


def navigation(request: HttpRequest) -> dict[str, object]:
    if not request.user.is_authenticated:
        return {}
    scope = scope_of(request.user)
    user_id = request.user.pk

    # Counted when a template first shows them (the menu), once, and both in one statement: a
    # partial answer to htmx has no menu and makes no query.
    @cache
    def badges() -> tuple[int, int]:
        if hasattr(request, INBOX_COUNT_ATTR):
            counted: int = getattr(request, INBOX_COUNT_ATTR)
            return counted, unread_count(user_id)
        return badge_counts(scope.agency_ids, user_id)

    counts: dict[str, Callable[[], int]] = {
        "nav_inbox_count": lambda: badges()[0],
        "nav_unread_count": lambda: badges()[1],
    }
    return {"scope": scope, **counts}


def badge_counts(agency_ids: frozenset[int], user_id: int) -> tuple[int, int]:
    """Both badges (open sheets in my inbox, subjects with unread notices) in one statement of
    two scalar COUNT subqueries: one round trip on every page instead of two."""
    from reminders.centre import unread_subjects
    from sheets.models import Sheet

    if not agency_ids:  # an IN () clause would not compile; nobody's inbox then
        return 0, unread_count(user_id)
    inbox = Sheet.objects.inbox_of(agency_ids).filter(next_due_at__isnull=False)
    inbox_sql, inbox_params = inbox.order_by().values("pk").query.sql_with_params()
    unread_sql, unread_params = unread_subjects(user_id).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM ({inbox_sql}) AS inbox),"
            f" (SELECT COUNT(*) FROM ({unread_sql}) AS unread)",
            (*inbox_params, *unread_params),
        )
        row = cursor.fetchone()
    return int(row[0]), int(row[1])


def unread_count(user_id: int) -> int:
    """What still has unread notices for me, counted per subject (a sheet with a new notice and
    a reminder is one): one COUNT over the partial index of unread notices."""
    from reminders.centre import unread_groups

    return unread_groups(user_id)


# The unfiltered inbox page counts exactly the badge's sheets (open ones to my agencies: a sheet
# is open exactly when it has a pending deadline, see the sheet constraints) for its paginator
# and leaves the number here, so the navigation does not count them a second time.
INBOX_COUNT_ATTR = "_tsumugi_inbox_count"
