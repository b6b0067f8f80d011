"""Meetings of a body: the agenda (議題), who attends with which role, distribution, minutes
(議事録) with immutable approved revisions, action items (宿題) and the packet print log.

Every move is a method that checks the state it starts from and appends an immutable
`MeetingEvent`, so "what changed after the agenda went out" is always on record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from areas.calendar import business_calendar
from areas.models import Agency, Area, Body, Membership, RosterEntry, display_name
from areas.scope import scope_of
from cases.models import Basis, Case
from cases.privacy import agency_viewer, allows, facts_of
from reminders import engine
from sheets.models import Sheet
from tenancy.fields import TenantKey, TenantManyToManyField
from tsumugi.lib.appendonly import AppendOnly, AppendOnlyQuerySet
from tsumugi.lib.dates import format_date, format_time
from tsumugi.lib.worker_file import WorkerFile

from . import notify

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    AnyUser = User | AnonymousUser


Day = date  # `date` is also a field name inside Meeting


class MeetingError(Exception):
    """An illegal move on a meeting; the message is shown to the user as is."""


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def visible_to(self, user: AnyUser) -> MeetingQuerySet:
        """The one choke point. Attendees, the body's roster and coordinators of the body's
        district (or the whole city) see a meeting; a 支援会議 only its registered members,
        because 社会福祉法第106条の6 binds exactly them to confidentiality."""
        if not user.is_authenticated:
            return self.none()
        scope = scope_of(user)
        on_roster = Exists(
            RosterEntry.objects.filter(body=OuterRef("body"), membership__user=user).filter(
                membership__is_active=True
            )
        )
        attends = Exists(
            Attendance.objects.filter(meeting=OuterRef("pk"), membership__user=user).filter(
                membership__is_active=True
            )
        )
        coordinates = Q(body__area_id__in=scope.coordinator_district_ids)
        if scope.city_wide:
            coordinates = Q(pk__isnull=False)
        open_body = ~Q(body__kind=Body.Kind.SUPPORT) & (attends | coordinates)
        return self.filter(on_roster | open_body)


def bodies_managed_by(user: AnyUser) -> models.QuerySet[Body]:
    """Bodies whose meetings this user may create: a coordinator's district bodies, or every
    body for a city-wide coordinator; a 支援会議 only when they are on its roster too."""
    scope = scope_of(user)
    if not user.is_authenticated or not (scope.city_wide or scope.coordinator_district_ids):
        return Body.objects.none()
    bodies = Body.objects.select_related("area")
    if not scope.city_wide:
        bodies = bodies.filter(area_id__in=scope.coordinator_district_ids)
    on_roster = Exists(
        RosterEntry.objects.filter(
            body=OuterRef("pk"), membership__user=user, membership__is_active=True
        )
    )
    return bodies.filter(~Q(kind=Body.Kind.SUPPORT) | on_roster)


def consent_refusal(case: Case, body: Body) -> str | None:
    """Why `case` may not go on `body`'s agenda, or None. A 重層的支援会議 binds nobody to
    confidentiality (unlike the 支援会議), so only a case whose 本人同意 covers every agency on
    its roster may be discussed there. Outside a 支援会議 a case without any basis is shown
    de-identified, with only the 共有用の概要 the counter wrote: it must exist first."""
    if not body.is_confidential and case.basis == Basis.NONE and not case.shared_summary.strip():
        return (
            f"相談 {case.number} には共有の同意がなく、「共有用の概要」もまだありません。"
            "受付機関が相談の修正画面で共有用の概要（氏名などを書かない概要）を書いてから"
            "議題にしてください。"
        )
    if body.kind != Body.Kind.JUUSOU:
        return None
    if case.basis != Basis.CONSENT:
        return (
            f"相談 {case.number} は本人同意による共有ではないため、重層的支援会議の議題にできません"
            "（支援会議で扱うか、本人の同意を得てください）。"
        )
    agencies = Agency.objects.filter(
        memberships__roster_entries__body=body, memberships__is_active=True
    ).distinct()
    # The one rule over the case's Consent records (read once): every roster agency must be
    # named by an in-force 本人同意 (or be the receiving agency).
    facts = facts_of(case)
    now = timezone.now()
    missing = [a.name for a in agencies if not allows(facts, agency_viewer(a.pk, now))]
    if missing:
        return (
            f"相談 {case.number} の本人同意は、重層的支援会議の構成機関（{'、'.join(missing)}）を"
            "含んでいないため、議題にできません。同意の範囲を確認してください。"
        )
    return None


class Meeting(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "準備中"
        DISTRIBUTED = "distributed", "議題配布済み"
        HELD = "held", "開催済み（議事録承認）"

    municipality = TenantKey(parent="body", db_index=False)
    body = models.ForeignKey(
        Body, verbose_name="会議体", on_delete=models.PROTECT, related_name="meetings"
    )
    title = models.CharField("回・名称", max_length=100, blank=True, help_text="第3回など")
    date = models.DateField("開催日")
    start_time = models.TimeField("開始時刻")
    place = models.CharField("場所", max_length=100)
    chair = models.ForeignKey(
        Membership,
        verbose_name="司会",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField("状態", max_length=20, choices=Status.choices, default=Status.DRAFT)
    distributed_at = models.DateTimeField("議題配布日時", null=True, blank=True)
    agenda_version = models.PositiveIntegerField("議題の版", default=0)
    agenda_changed_since_distribution = models.BooleanField(default=False, editable=False)
    minutes_approved_at = models.DateTimeField("議事録承認日時", null=True, blank=True)
    minutes_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="議事録承認者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作成者",
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("作成日時", default=timezone.now)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-start_time", "-id"]
        verbose_name = verbose_name_plural = "会議"
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(distributed_at__isnull=False),
                name="meeting_distributed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(minutes_approved_at__isnull=False),
                name="meeting_held_has_approved_minutes",
            ),
        ]
        indexes = [models.Index(fields=["body", "date"], name="meeting_body_date")]

    def __str__(self) -> str:
        return f"{self.body.name} {self.date_label}"

    @property
    def date_label(self) -> str:
        return f"{format_date(self.date)}{format_time(self.start_time)}"

    @property
    def district(self) -> Area | None:
        """The district a くらし連携会議 covers; None for city-wide bodies (whole city)."""
        area = self.body.area
        return area if area.layer == Area.Layer.DISTRICT else None

    @property
    def agenda_frozen(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def minutes_approved(self) -> bool:
        return self.minutes_approved_at is not None

    def distribute_by(self) -> Day:
        """The day the agenda should go out: the seed's "send the topic beforehand", as
        MEETING_DISTRIBUTE_BUSINESS_DAYS business days before the meeting (default 5)."""
        return business_calendar().business_days_before(
            self.date, settings.MEETING_DISTRIBUTE_BUSINESS_DAYS
        )

    def starts_at(self) -> datetime:
        from tsumugi.lib.dates import TOKYO

        return datetime.combine(self.date, self.start_time, tzinfo=TOKYO)

    # --- who ---------------------------------------------------------------------------------

    def can_manage(self, user: User) -> bool:
        """Coordinators of the body's area build the agenda and write the minutes; so do the
        meeting's 司会 and 記録 (the seed: give people roles)."""
        scope = scope_of(user)
        if (
            self.body.is_confidential
            and not self.body.roster.filter(
                membership__user=user, membership__is_active=True
            ).exists()
        ):
            return False
        if scope.city_wide or self.body.area_id in scope.coordinator_district_ids:
            return True
        return self.attendances.filter(
            membership__user=user,
            membership__is_active=True,
            role__in=[Attendance.Role.CHAIR, Attendance.Role.RECORDER],
        ).exists()

    def roster_memberships(self) -> models.QuerySet[Membership]:
        return Membership.objects.active().filter(roster_entries__body=self.body)

    def needed_members(self) -> models.QuerySet[Membership]:
        """Roster members whose agency an item needs, plus presenters and the chair: the
        union the seed asks for, not "everyone"."""
        agencies = Agency.objects.filter(needed_by__meeting=self)
        presenters = self.items.exclude(presenter=None).values("presenter")
        return (
            self.roster_memberships()
            .filter(Q(agency__in=agencies) | Q(pk__in=presenters) | Q(pk=self.chair_id))
            .select_related("user", "agency")
            .distinct()
        )

    def attending_agencies(self) -> list[Agency]:
        ids = set(self.attendances.values_list("membership__agency_id", flat=True))
        return list(Agency.objects.filter(pk__in=ids))

    def attendee_users(self) -> list[User]:
        seen: dict[int, User] = {}
        active = self.attendances.filter(
            membership__is_active=True, membership__user__is_active=True
        )
        for att in active.select_related("membership__user"):
            seen.setdefault(att.membership.user_id, att.membership.user)
        return list(seen.values())

    # --- agenda ------------------------------------------------------------------------------

    def _log(self, kind: str, by: User | None, text: str, now: datetime) -> None:
        MeetingEvent.objects.create(meeting=self, kind=kind, actor=by, at=now, text=text)

    def record_agenda_change(self, by: User, text: str, now: datetime | None = None) -> None:
        """Edits are refused once the agenda went out; when reopened, each one is logged so
        attendees can see what differs from what they received."""
        now = now or timezone.now()
        if self.agenda_frozen:
            raise MeetingError(
                "配布済みの議題は変更できません。変更するときは「議題を変更する」を押してください"
                "（変更は記録され、再配布が必要になります）。"
            )
        if self.minutes_approved:
            raise MeetingError("議事録が承認された会議の議題は変更できません。")
        if self.distributed_at is not None:
            self._log(MeetingEvent.Kind.AGENDA_CHANGED, by, text, now)
            Meeting.objects.filter(pk=self.pk).update(agenda_changed_since_distribution=True)
            self.agenda_changed_since_distribution = True

    def next_order(self) -> int:
        last = self.items.aggregate(m=models.Max("order"))["m"]
        return (last or 0) + 1

    def add_item(self, *, by: User, now: datetime | None = None, **fields: Any) -> AgendaItem:
        with transaction.atomic():
            item = AgendaItem(meeting=self, order=self.next_order(), **fields)
            case = item.case or (item.sheet.case if item.sheet is not None else None)
            if case is not None and (refusal := consent_refusal(case, self.body)):
                raise MeetingError(refusal)
            self.record_agenda_change(by, f"議題を追加: {item.title}", now)
            item.save()
            if item.case_id or item.sheet_id:
                item.needed_agencies.set(item.default_agencies())
        return item

    def move_item(self, item: AgendaItem, *, to: int, by: User, now: datetime | None = None) -> int:
        """Put `item` at position `to` (1 = first, clamped to the agenda) and number the agenda
        1…n again; returns the position it took. The meeting row is locked so two people
        reordering at once each renumber the order the other left, never a stale one."""
        with transaction.atomic():
            Meeting.objects.select_for_update().get(pk=self.pk)
            items = list(self.items.order_by("order", "id"))
            current = next(i for i, other in enumerate(items) if other.pk == item.pk)
            target = max(0, min(to - 1, len(items) - 1))
            if target == current:
                return target + 1
            text = f"議題の順番を変更: {item.title}（{target + 1}番目へ）"
            self.record_agenda_change(by, text, now)
            items.insert(target, items.pop(current))
            for number, each in enumerate(items, start=1):
                each.order = number
            AgendaItem.objects.bulk_update(items, ["order"])
        return target + 1

    def reopen_agenda(self, *, by: User, reason: str, now: datetime | None = None) -> None:
        now = now or timezone.now()
        if not reason.strip():
            raise MeetingError("議題を変更する理由を書いてください（出席者に伝わります）。")
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=self.pk)
            if locked.status != Meeting.Status.DISTRIBUTED:
                raise MeetingError("変更できるのは配布済みで、議事録承認前の会議だけです。")
            Meeting.objects.filter(pk=self.pk).update(status=Meeting.Status.DRAFT)
            self._log(MeetingEvent.Kind.REOPENED, by, reason, now)
        self.refresh_from_db()

    def distribute(self, *, by: User, now: datetime | None = None) -> int:
        """Send the agenda: one in-app notice and one e-mail per attendee (people with two
        roles still get one), then freeze the agenda. Returns how many people were told."""
        now = now or timezone.now()
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=self.pk)
            if locked.status != Meeting.Status.DRAFT:
                raise MeetingError("この議題はすでに配布されています。")
            if not locked.items.exists():
                raise MeetingError("議題が1件もありません。議題を追加してから配布してください。")
            users = locked.attendee_users()
            if not users:
                raise MeetingError("出席者がいません。出席者を決めてから配布してください。")
            version = locked.agenda_version + 1
            again = locked.distributed_at is not None
            Meeting.objects.filter(pk=self.pk).update(
                status=Meeting.Status.DISTRIBUTED,
                distributed_at=now,
                agenda_version=version,
                agenda_changed_since_distribution=False,
            )
            label = "再配布" if again else "配布"
            self._log(
                MeetingEvent.Kind.DISTRIBUTED, by, f"第{version}版を{label}（{len(users)}名）", now
            )
            self.refresh_from_db()
            notify.agenda_distributed(self, users, now=now, again=again)
        return len(users)

    def carried_actions(self) -> models.QuerySet[ActionItem]:
        """Open 宿題 of this body's earlier meetings: they stay on the agenda until done."""
        earlier = Q(item__meeting__date__lt=self.date) | Q(
            item__meeting__date=self.date, item__meeting__start_time__lt=self.start_time
        )
        return (
            ActionItem.objects.filter(item__meeting__body_id=self.body_id, done_at__isnull=True)
            .filter(earlier)
            .select_related("owner_user", "owner_agency", "item__meeting", "item__case")
            # The text is shown through the Masker, which reads the case's people.
            .prefetch_related("item__case__people")
            .order_by("due_at", "id")
        )

    # --- minutes -----------------------------------------------------------------------------

    def approve_minutes(self, *, by: User, now: datetime | None = None) -> MinutesRevision:
        now = now or timezone.now()
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=self.pk)
            if locked.minutes_approved_at is not None:
                raise MeetingError(
                    "議事録はすでに承認されています。訂正は「訂正」から行ってください。"
                )
            if locked.status == Meeting.Status.DRAFT and locked.distributed_at is None:
                raise MeetingError("議題を配布していない会議の議事録は承認できません。")
            revision = MinutesRevision.snapshot(
                locked,
                by=by,
                now=now,
                reason="承認",
                drafts={i.pk: (i.discussion, i.decisions) for i in locked.items.all()},
            )
            Meeting.objects.filter(pk=self.pk).update(
                status=Meeting.Status.HELD,
                minutes_approved_at=now,
                minutes_approved_by=by,
            )
            self._log(MeetingEvent.Kind.MINUTES_APPROVED, by, "議事録を承認", now)
        self.refresh_from_db()
        return revision

    def correct_minutes(
        self,
        *,
        by: User,
        reason: str,
        drafts: dict[int, tuple[str, str]],
        now: datetime | None = None,
    ) -> MinutesRevision:
        now = now or timezone.now()
        if not reason.strip():
            raise MeetingError("訂正の理由を書いてください。")
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=self.pk)
            if locked.minutes_approved_at is None:
                raise MeetingError("承認前の議事録は、そのまま書き直せます。")
            revision = MinutesRevision.snapshot(
                locked, by=by, now=now, reason=reason, drafts=drafts
            )
            self._log(
                MeetingEvent.Kind.MINUTES_CORRECTED, by, f"第{revision.number}版: {reason}", now
            )
        return revision

    def latest_revision(self) -> MinutesRevision | None:
        return self.revisions.order_by("-number").first()


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        CASE = "case", "相談"
        SHEET = "sheet", "つむぎあいシート"
        THEME = "theme", "テーマ"

    class Support(models.TextChoices):
        CONSULTATION = "consultation", "相談支援"
        PARTICIPATION = "participation", "参加支援"
        COMMUNITY = "community", "地域支援"

    municipality = TenantKey(parent="meeting", db_index=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField("種類", max_length=10, choices=Kind.choices)
    case = models.ForeignKey(
        Case,
        verbose_name="相談",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agenda_items",
    )
    sheet = models.ForeignKey(
        Sheet,
        verbose_name="シート",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agenda_items",
    )
    theme = models.CharField("テーマ", max_length=200, blank=True)
    reason = models.CharField("提案の理由", max_length=100, blank=True)
    support = models.CharField(
        "支援の種類", max_length=20, choices=Support.choices, default=Support.CONSULTATION
    )
    presenter = models.ForeignKey(
        Membership,
        verbose_name="報告者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    minutes = models.PositiveSmallIntegerField("時間（分）", default=10)
    needed_agencies = TenantManyToManyField(
        Agency,
        verbose_name="必要な機関",
        blank=True,
        related_name="needed_by",
        through="NeededAgency",
    )
    order = models.PositiveSmallIntegerField("順番", default=0)
    # The minutes draft; once approved, MinutesRevision rows are the record.
    discussion = models.TextField("協議内容", blank=True)
    decisions = models.TextField("決定事項", blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = verbose_name_plural = "議題"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="case", case__isnull=False, sheet__isnull=True)
                | Q(kind="sheet", sheet__isnull=False, case__isnull=False)
                | Q(kind="theme", case__isnull=True, sheet__isnull=True) & ~Q(theme=""),
                name="agenda_item_kind_target",
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=240), name="agenda_item_time_box"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        if self.kind == self.Kind.THEME:
            return self.theme
        if self.kind == self.Kind.SHEET and self.sheet is not None:
            return f"シート {self.sheet.number}（{self.sheet.get_status_display()}）"
        return f"相談 {self.case.number if self.case else ''}"

    def default_agencies(self) -> list[Agency]:
        if self.sheet is not None:
            return [a for a in (self.sheet.sender_agency, self.sheet.receiver_agency) if a]
        if self.case is not None:
            ids = {self.case.agency_id} | set(
                self.case.sheets.open().values_list("receiver_agency_id", flat=True)
            )
            return list(Agency.objects.filter(pk__in=ids))
        return []


class NeededAgency(models.Model):
    """One agency an agenda item needs (AgendaItem.needed_agencies); table and columns are
    those of Django's own join table."""

    municipality = TenantKey(parent="agendaitem", db_index=False)
    agendaitem = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "meetings_agendaitem_needed_agencies"
        verbose_name = verbose_name_plural = "議題に必要な機関"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "agendaitem", "agency"], name="needed_agency_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agendaitem}: {self.agency}"


class Attendance(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", "司会"
        RECORDER = "recorder", "記録"
        REPORTER = "reporter", "報告"
        PARTICIPANT = "participant", "参加"

    municipality = TenantKey(parent="meeting", db_index=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    membership = models.ForeignKey(
        Membership, verbose_name="出席者", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField("役割", max_length=20, choices=Role.choices, default=Role.PARTICIPANT)

    class Meta:
        # 司会, 記録, 報告, then everyone else: the order a cover page lists them in.
        ordering = [
            models.Case(
                models.When(role="chair", then=0),
                models.When(role="recorder", then=1),
                models.When(role="reporter", then=2),
                default=3,
            ),
            "membership__agency__name",
            "id",
        ]
        verbose_name = verbose_name_plural = "出席者"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "meeting", "membership"],
                name="attendance_once",
                violation_error_message="この方はすでに出席者です。",
            ),
        ]

    def __str__(self) -> str:
        return f"{display_name(self.membership.user)}（{self.get_role_display()}）"


class MeetingEventQuerySet(AppendOnlyQuerySet["MeetingEvent"]):
    pass


class MeetingEvent(AppendOnly):
    refusal = MeetingError

    """One immutable line of a meeting's history."""

    class Kind(models.TextChoices):
        CREATED = "created", "作成"
        DISTRIBUTED = "distributed", "議題の配布"
        REOPENED = "reopened", "配布後の議題変更の開始"
        AGENDA_CHANGED = "agenda_changed", "配布後の議題変更"
        MINUTES_APPROVED = "minutes_approved", "議事録の承認"
        MINUTES_CORRECTED = "minutes_corrected", "議事録の訂正"
        ACTION_DONE = "action_done", "宿題の完了"
        REMINDER = "reminder", "宿題の督促"
        DEADLINE_MOVED = "deadline_moved", "宿題の期日の変更"

    municipality = TenantKey(parent="meeting", db_index=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("種類", max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("日時")
    text = models.TextField("内容", blank=True)

    objects = MeetingEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = verbose_name_plural = "会議の記録"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class MinutesRevisionQuerySet(AppendOnlyQuerySet["MinutesRevision"]):
    pass


class MinutesEntryQuerySet(AppendOnlyQuerySet["MinutesEntry"]):
    pass


class MinutesRevision(AppendOnly):
    """An approved version of the minutes: never edited, corrections add a new number."""

    refusal = MeetingError
    change_refusal = "承認済みの議事録は変更できません。訂正は新しい版として記録します。"
    delete_refusal = "承認済みの議事録は削除できません。"

    municipality = TenantKey(parent="meeting", db_index=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveSmallIntegerField("版")
    reason = models.CharField("理由", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("日時")

    objects = MinutesRevisionQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "number"]
        verbose_name = verbose_name_plural = "議事録の版"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "meeting", "number"], name="minutes_revision_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} 第{self.number}版"

    @classmethod
    def snapshot(
        cls,
        meeting: Meeting,
        *,
        by: User,
        now: datetime,
        reason: str,
        drafts: dict[int, tuple[str, str]],
    ) -> MinutesRevision:
        number = (meeting.revisions.aggregate(m=models.Max("number"))["m"] or 0) + 1
        revision = cls.objects.create(
            meeting=meeting, number=number, reason=reason, created_by=by, created_at=now
        )
        MinutesEntry.objects.bulk_create(
            MinutesEntry(revision=revision, item_id=pk, discussion=d, decisions=dec)
            for pk, (d, dec) in drafts.items()
        )
        return revision


class MinutesEntry(AppendOnly):
    refusal = MeetingError
    change_refusal = "承認済みの議事録は変更できません。"
    delete_refusal = "承認済みの議事録は削除できません。"

    municipality = TenantKey(parent="revision", db_index=False)
    revision = models.ForeignKey(MinutesRevision, on_delete=models.PROTECT, related_name="entries")
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="+")
    discussion = models.TextField("協議内容", blank=True)
    decisions = models.TextField("決定事項", blank=True)

    objects = MinutesEntryQuerySet.as_manager()

    class Meta:
        ordering = ["revision", "item__order", "id"]
        verbose_name = verbose_name_plural = "議事録の記載"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "revision", "item"], name="minutes_entry_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.revision} #{self.item_id}"


# 宿題's deadline kind in the reminder engine (meetings/ladder.py holds its policy).
ACTION_KIND = "action_item"


class ActionItemQuerySet(models.QuerySet["ActionItem"]):
    def open(self) -> ActionItemQuerySet:
        return self.filter(done_at__isnull=True)


def due_at_for(day: date) -> datetime:
    """A 宿題 is due at the end of its business day in Tokyo (the next one if closed)."""
    calendar = business_calendar()
    return calendar.end_of_day(calendar.business_day_on_or_after(day))


class ActionItem(models.Model):
    """宿題: tracked and reminded like a sheet until its owner marks it done."""

    municipality = TenantKey(parent="item", db_index=False)
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="actions")
    text = models.CharField("内容", max_length=300)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="担当者",
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    owner_agency = models.ForeignKey(
        Agency, verbose_name="担当機関", on_delete=models.PROTECT, related_name="action_items"
    )
    due_date = models.DateField("期日")
    due_at = models.DateTimeField("期限")
    done_at = models.DateTimeField("完了日時", null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = verbose_name_plural = "宿題"
        indexes = [
            models.Index(fields=["owner_user", "done_at"], name="action_owner"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.done_at is None and self.due_at <= (now or timezone.now())

    @classmethod
    def assign(
        cls,
        *,
        item: AgendaItem,
        text: str,
        owner: Membership,
        due_date: date,
        by: User,
        now: datetime | None = None,
    ) -> ActionItem:
        now = now or timezone.now()
        if item.meeting.minutes_approved:
            raise MeetingError("承認済みの議事録には宿題を追加できません。")
        if not owner.is_active:
            raise MeetingError("担当者の所属が無効です。")
        due = due_at_for(due_date)
        with transaction.atomic():
            action = cls.objects.create(
                item=item,
                text=text,
                owner_user=owner.user,
                owner_agency=owner.agency,
                due_date=due_date,
                due_at=due,
                created_by=by,
                created_at=now,
            )
            engine.start(ACTION_KIND, action.pk, due, action.municipality_id)
        return action

    def mark_done(self, *, by: User, now: datetime | None = None) -> None:
        now = now or timezone.now()
        with transaction.atomic():
            changed = ActionItem.objects.filter(pk=self.pk, done_at__isnull=True).update(
                done_at=now, done_by=by
            )
            if not changed:
                raise MeetingError("この宿題はすでに完了しています。")
            engine.stop(ACTION_KIND, self.pk)
            self.item.meeting._log(
                MeetingEvent.Kind.ACTION_DONE, by, f"宿題の完了: {self.text}", now
            )
        self.refresh_from_db()


class Packet(WorkerFile):
    """A meeting packet owed or produced (meetings/packet_worker.py): one per meeting, agenda
    version, minutes revision and day, shared by everyone who asks for it (what a packet shows
    depends on the meeting, never on the viewer). The file is kept as the record of exactly what
    was printed. Status, lease and attempts: tsumugi/lib/worker_file.py."""

    municipality = TenantKey(parent="meeting", db_index=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="packets")
    agenda_version = models.PositiveIntegerField("議題の版")
    revision = models.PositiveIntegerField("議事録の版", default=0)
    day = models.DateField("作成日")
    # What the rule lets the packet print of each case on the agenda, as a digest: a consent
    # recorded or withdrawn the same day makes a new packet instead of serving the old file.
    audience = models.CharField("印刷範囲の鍵", max_length=64, blank=True, default="")
    file = models.FileField("ファイル", upload_to="packets/", blank=True)
    # What the file printed de-identified, from the decision that rendered it (for PacketPrint).
    masked_cases = models.TextField("伏せて印刷した相談", blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = verbose_name_plural = "会議資料PDF"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "meeting", "agenda_version", "revision", "day", "audience"],
                name="packet_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} 第{self.agenda_version}版 {self.day}"


class PacketPrintQuerySet(AppendOnlyQuerySet["PacketPrint"]):
    pass


class PacketPrint(AppendOnly):
    """Audit: who printed which meeting's packet, when, from where."""

    refusal = MeetingError
    change_refusal = "印刷記録は変更できません。"
    delete_refusal = "印刷記録は削除できません。"

    municipality = TenantKey(parent="meeting", db_index=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="prints")
    # The file printed (NULL: printed before packets were kept).
    packet = models.ForeignKey(
        Packet, null=True, blank=True, on_delete=models.PROTECT, related_name="prints"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # What the PDF actually printed, from the decision that rendered it (meetings/packet.py).
    masked = models.BooleanField("伏せて印刷した相談あり")
    masked_cases = models.TextField("伏せて印刷した相談", blank=True)
    at = models.DateTimeField("日時", default=timezone.now)
    ip = models.GenericIPAddressField("IPアドレス", null=True, blank=True)

    objects = PacketPrintQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "資料の印刷記録"
        constraints = [
            # One print record per person and file, however often the file is fetched.
            models.UniqueConstraint(
                fields=["municipality", "packet", "user"],
                name="packet_print_once",
                condition=models.Q(packet__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} {self.user} {self.at:%Y-%m-%d %H:%M}"


class ConfidentialityPledgeQuerySet(AppendOnlyQuerySet["ConfidentialityPledge"]):
    pass


class ConfidentialityPledge(AppendOnly):
    """守秘義務の確認: who confirmed which version of the statement (meetings/confidentiality.py),
    when and from where. Kept as written, like the print log."""

    refusal = MeetingError
    change_refusal = "守秘義務の確認の記録は変更できません。"
    delete_refusal = "守秘義務の確認の記録は削除できません。"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.CharField("版", max_length=20)
    at = models.DateTimeField("確認した日時", default=timezone.now)
    ip = models.GenericIPAddressField("IPアドレス", null=True, blank=True)

    objects = ConfidentialityPledgeQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "守秘義務の確認"
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="one_pledge_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user} 第{self.version}版 {self.at:%Y-%m-%d %H:%M}"
