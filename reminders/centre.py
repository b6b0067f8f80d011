"""The notification centre as a list of what happened: one entry per subject (a sheet, a meeting
…), newest first, with its latest notices, what the subject is now and whether it still waits
for me. The domain apps describe their subjects (reminders.topics.SubjectKind); the engine only
groups.

A notice with no subject is a group of its own (its id stands in for the subject's).

Queries for a page, whatever the number of notices: the count of groups, the page of groups,
the latest notices of those groups, and each subject kind's own few (a sheet: two).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import BigIntegerField, Count, F, Max, Q, QuerySet, Window
from django.db.models.functions import Coalesce, RowNumber

from .models import Notification
from .topics import Subject, subject_kinds

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

GROUPS_PER_PAGE = 20
LINES_PER_GROUP = 5
NO_SUBJECT = "_"  # the URL's name for "a notice on its own"


def subject_of() -> Coalesce:
    return Coalesce("group_id", "id", output_field=BigIntegerField())


def groups_of(notices: QuerySet[Notification]) -> QuerySet[Any]:
    """One row per subject: kind, id, when it last moved, how many notices, how many unread."""
    return (
        notices.values("group_kind", subject=subject_of())
        .annotate(
            latest=Max("created_at"),
            last_id=Max("id"),
            total=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
        )
        .order_by("-latest", "-last_id")
    )


def unread_subjects(user_id: int) -> QuerySet[Notification, Any]:
    """The subjects with something unread for the user (over the unread partial index)."""
    return (
        Notification.objects.filter(user_id=user_id, read_at__isnull=True)
        .order_by()
        .values("group_kind", subject=subject_of())
        .distinct()
    )


def unread_groups(user_id: int) -> int:
    """The badge: how many subjects have something unread, in one COUNT."""
    return unread_subjects(user_id).count()


@dataclass
class Group:
    kind: str
    subject_id: int
    latest: datetime
    total: int
    unread: int
    lines: list[Notification] = field(default_factory=list)
    subject: Subject | None = None

    @property
    def url_kind(self) -> str:
        return self.kind or NO_SUBJECT

    @property
    def title(self) -> str:
        if self.subject is not None:
            return self.subject.label
        return self.lines[0].title if self.lines else ""

    @property
    def url(self) -> str:
        if self.subject is not None and self.subject.url:
            return self.subject.url
        return next((n.url for n in self.lines if n.url), "")

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.lines))


def page_of_groups(
    notices: QuerySet[Notification], user: User | AnonymousUser, number: Any
) -> tuple[Page[Any], list[Group]]:
    page = Paginator(groups_of(notices), GROUPS_PER_PAGE).get_page(number)
    groups = [
        Group(row["group_kind"], row["subject"], row["latest"], row["total"], row["unread"])
        for row in page.object_list
    ]
    if not groups:
        return page, groups
    wanted = Q()
    for g in groups:
        if g.kind:
            wanted |= Q(group_kind=g.kind, group_id=g.subject_id)
        else:
            wanted |= Q(group_kind="", pk=g.subject_id)
    lines = (
        notices.filter(wanted)
        .annotate(
            subject=subject_of(),
            n=Window(
                RowNumber(),
                partition_by=[F("group_kind"), subject_of()],
                order_by=[F("created_at").desc(), F("id").desc()],
            ),
        )
        .filter(n__lte=LINES_PER_GROUP)
        .order_by("-created_at", "-id")
    )
    by_key = {(g.kind, g.subject_id): g for g in groups}
    for notice in lines:
        by_key[(notice.group_kind, notice.subject)].lines.append(notice)
    ids_by_kind: dict[str, list[int]] = defaultdict(list)
    for g in groups:
        if g.kind:
            ids_by_kind[g.kind].append(g.subject_id)
    kinds = subject_kinds()
    for name, ids in ids_by_kind.items():
        if name in kinds:
            for pk, subject in kinds[name].describe(ids, user).items():
                by_key[(name, pk)].subject = subject
    return page, groups
