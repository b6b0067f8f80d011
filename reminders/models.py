"""The engine's tables: a narrow cursor per item with a deadline, the exactly-once record of each
ladder step, in-app notices and the outbox of mails.

Nothing here knows what a sheet or a 宿題 is: `kind` names a registered deadline kind and
`subject_id` the item's primary key in that kind's own table.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenancy.fields import TenantKey
from tsumugi.lib.worker_file import WorkerFile


class Cursor(models.Model):
    """Where an item stands on its reminder ladder. One narrow row per item, so a ladder step
    rewrites a few bytes (a HOT update, the only index is partial on `remind_at`) instead of the
    wide domain row and all its indexes.

    `step` is the *next* step to send; `remind_at` is when (NULL: nothing left to remind)."""

    # No index of its own: cursor_once and the (municipality_id, id) key lead with it (every
    # claim is an update that writes each index of the row again).
    municipality = TenantKey(db_index=False)
    kind = models.CharField("種類", max_length=20)
    subject_id = models.BigIntegerField("対象のID")
    deadline = models.DateTimeField("期限", null=True, blank=True)
    remind_at = models.DateTimeField("次の督促", null=True, blank=True)
    step = models.PositiveSmallIntegerField("次の段階", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "督促カーソル"
        constraints = [
            # Also the index a domain move uses to find its item's cursor.
            models.UniqueConstraint(
                fields=["municipality", "kind", "subject_id"], name="cursor_once"
            ),
            models.CheckConstraint(
                condition=Q(remind_at__isnull=True) | Q(deadline__isnull=False),
                name="cursor_reminds_a_deadline",
            ),
        ]
        indexes = [
            # The sweep: one range scan over what is due, whatever the kind.
            models.Index(
                fields=["remind_at"], name="cursor_remind_at", condition=Q(remind_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.subject_id} 段階{self.step} {self.remind_at}"


class Reminder(models.Model):
    """One ladder step sent for one deadline of one item, recorded before anything goes out.
    The unique constraint is what makes each step happen exactly once per item and deadline."""

    # No index of its own: reminder_step_once and the (municipality_id, id) key lead with it.
    municipality = TenantKey(db_index=False)
    kind = models.CharField("対象の種類", max_length=20)
    subject_id = models.BigIntegerField("対象のID")
    deadline = models.DateTimeField("期限")
    step = models.PositiveSmallIntegerField("段階")
    created_at = models.DateTimeField("記録日時")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "督促"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "kind", "subject_id", "deadline", "step"],
                name="reminder_step_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.subject_id} {self.deadline:%Y-%m-%d} 段階{self.step}"


class Mail(models.Model):
    """The outbox: one mail owed to one user, written in the transaction that decided it.

    The worker takes a lease (`claimed_until`), sends, and marks `sent_at` with a
    compare-and-set update; the sweep hands unsent rows to the broker again, so a broker outage
    or a killed worker loses nothing. What the mail says is rendered at delivery from `template`,
    `context` (numbers, agency names, links: never personal data) and the notices linked to it.
    """

    class Template(models.TextChoices):
        REMINDERS = "reminders", "督促のまとめ"
        AGENDA = "agenda", "議題の配布"
        NOTICE = "notice", "お知らせ"
        DAILY = "daily", "1日のまとめ"

    municipality = TenantKey(db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    template = models.CharField("種類", max_length=20, choices=Template.choices)
    # JSON text (numbers, agency and body names, dates, places), read by `context_data`.
    context = models.TextField("内容", blank=True, default="")
    created_at = models.DateTimeField("作成日時")
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    claimed_by = models.CharField(max_length=32, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField("送信の試行回数", default=0)
    sent_at = models.DateTimeField("送信日時", null=True, blank=True)
    # The local day of a daily digest (Template.DAILY): at most one per person and day.
    digest_day = models.DateField("まとめの日", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "送信待ちメール"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "user", "digest_day"],
                name="mail_one_digest_a_day",
                condition=Q(digest_day__isnull=False),
            ),
        ]
        indexes = [
            # Re-enqueueing what never went out (broker down, worker killed).
            models.Index(
                fields=["created_at"], name="mail_unsent", condition=Q(sent_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_template_display()} → {self.user_id} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def context_data(self) -> dict[str, Any]:
        return dict(json.loads(self.context)) if self.context else {}


class Delivery(models.TextChoices):
    """How a person hears one topic of notices (NoticePreference). Reminder rungs ignore it:
    they are always mailed."""

    IMMEDIATE = "immediate", "すぐにメールで知らせる"
    DAILY = "daily", "1日1回、始業時にまとめてメールで知らせる"
    IN_APP = "in_app", "メールは送らず、画面の通知だけ"


class NoticePreference(models.Model):
    """One person's choice for one topic (reminders.topics). No row: Delivery.IMMEDIATE."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences"
    )
    topic = models.CharField("通知の種類", max_length=20)
    delivery = models.CharField(
        "知らせ方", max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE
    )

    class Meta:
        verbose_name = verbose_name_plural = "通知の受け取り方"
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="notice_preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.topic}: {self.delivery}"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def in_group(self, kind: str, subject_id: int) -> NotificationQuerySet:
        """One group of the notification centre; `kind` "" is a notice alone (by its id)."""
        if kind:
            return self.filter(group_kind=kind, group_id=subject_id)
        return self.filter(group_kind="", pk=subject_id)


class Notification(models.Model):
    """An in-app notice for one user. Titles carry numbers and agency names, never people.

    `group_kind`/`group_id` name what the notice is about (a sheet, a meeting …) in the domain
    app's own terms, so the notification centre lists one line per subject without knowing
    what a sheet is. `key` names the move that caused it: one notice per move and person.
    `digest_at`: the notice waits for that person's daily digest mail, due at that time."""

    # The sweep writes some 330,000 notices per 100,000 due sheets, each into every index here,
    # so no index of its own where another leads with the column: the municipality's is led
    # by the (municipality_id, id) key (tenancy/rls.py) and notice_once_per_reminder, the
    # user's by notice_group and notice_unread, the reminder's (read only with the municipality,
    # a reminder is never deleted) by notice_once_per_reminder. mail_id keeps its own: a mail's
    # notices are read by it when the mail is written and delivered.
    municipality = TenantKey(db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="notifications",
        db_index=False,
    )
    reminder = models.ForeignKey(
        Reminder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
        db_index=False,
    )
    # The mail that tells this notice (NULL: not mailed yet, or in-app only).
    mail = models.ForeignKey(
        Mail, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    title = models.CharField("件名", max_length=200)
    url = models.CharField("リンク", max_length=200, blank=True)
    created_at = models.DateTimeField("日時")
    read_at = models.DateTimeField("既読日時", null=True, blank=True)
    topic = models.CharField("通知の種類", max_length=20, blank=True)
    group_kind = models.CharField("対象の種類", max_length=20, blank=True)
    group_id = models.BigIntegerField("対象のID", null=True, blank=True)
    key = models.CharField("出来事", max_length=80, blank=True)
    digest_at = models.DateTimeField("まとめメールの予定", null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "通知"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "reminder", "user"],
                name="notice_once_per_reminder",
                condition=Q(reminder__isnull=False),
            ),
            # One notice per move and person, however the move's code is retried.
            models.UniqueConstraint(
                fields=["municipality", "user", "key"],
                name="notice_once_per_move",
                condition=~Q(key=""),
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                name="notice_unread",
                condition=Q(read_at__isnull=True),
            ),
            # The centre's groups of one person.
            models.Index(fields=["user", "group_kind", "group_id"], name="notice_group"),
            # The daily digest step: what waits for a digest, by due time.
            models.Index(
                fields=["digest_at"],
                name="notice_digest_due",
                condition=Q(digest_at__isnull=False, mail__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Recount(models.Model):
    """A calendar change (a closure added or removed) that every kind's open deadlines must be
    recounted for. Written in the admin's transaction; the worker (or the next sweep, should the
    broker be down) does the recount and marks it done."""

    municipality = TenantKey(db_index=False)
    day = models.DateField("変更された日")
    created_at = models.DateTimeField("登録日時")
    done_at = models.DateTimeField("再計算日時", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "期限の再計算"
        indexes = [
            models.Index(
                fields=["created_at"], name="recount_pending", condition=Q(done_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}"


class Export(WorkerFile):
    """A file owed to one person (reminders/exports.py): a large CSV or workbook the worker
    renders after the request, for the scope of the person who asked, as it stands when the
    worker runs. The file is kept as the record of exactly what was handed out. Status, lease,
    attempts and the reason it failed: tsumugi/lib/worker_file.py.

    `kind` names a registered export kind (the domain app renders it); `params` are the kind's
    validated parameters as JSON (numbers, dates, ids: never personal data); `key` is their
    digest, so one person asking twice for the same thing while it is owed shares one row."""

    municipality = TenantKey(db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("種類", max_length=40)
    params = models.JSONField("条件", default=dict, blank=True)
    key = models.CharField("条件の鍵", max_length=64)
    file = models.FileField("ファイル", upload_to="exports/", blank=True)
    content_type = models.CharField("形式", max_length=100, blank=True)
    filename = models.CharField("ファイル名", max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = verbose_name_plural = "書き出し"
        constraints = [
            # One owed row per person and request: a double click, a reload of the link or two
            # tabs at once find the first one's row (it also serves the request's lookup).
            models.UniqueConstraint(
                fields=["municipality", "user", "kind", "key"],
                name="export_once_while_owed",
                condition=Q(status__in=["pending", "running"]),
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | (Q(finished_at__isnull=False) & ~Q(file="")),
                name="export_done_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id} {self.requested_at:%Y-%m-%d %H:%M}"
