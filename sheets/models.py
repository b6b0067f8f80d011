"""The つむぎあいシート: one hand-off from one agency to another about one case.

Every move is a method here that locks the row, checks the state it starts from, saves, and
appends an immutable `cases.Event` in the same transaction. Deadlines are business days of the
office calendar; `next_due_at` is the earliest pending deadline (what people see), recomputed
by every move, which also starts or stops the sheet's reminder cursor (`reminders.engine`) in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length
from django.dispatch import Signal
from django.utils import timezone

from areas.calendar import business_calendar
from areas.models import CASE_ROLES, Agency, Area, Membership
from areas.scope import scope_of
from cases.models import Basis, Case, Event
from cases.privacy import anonymous_text_refusal, would_cover
from reminders import engine
from reminders.engine import reached_step
from reminders.models import Cursor
from tenancy import scope
from tenancy.fields import TenantKey
from tenancy.models import defaults_of
from tsumugi.lib.appendonly import AppendOnly, AppendOnlyQuerySet
from tsumugi.lib.dates import BusinessCalendar, format_datetime, local_date
from tsumugi.lib.worker_file import WorkerFile

from . import notices

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    AnyUser = User | AnonymousUser


# The sheet's deadline kind in the reminder engine (sheets/ladder.py holds its policy).
KIND = "sheet"


class SheetError(Exception):
    """An illegal move on a sheet; the message is shown to the user as is."""


# 転出: a resident moving away is handed to the new municipality outside tsumugi, because its
# own legal basis (and its own system) receives them; the sender records the hand-off as one by
# phone, FAX or in person (外部への引継ぎ), which keeps the sheet, its deadlines and its answers.
ACROSS_MUNICIPALITIES = (
    "ほかの市町村の機関へはシートを送れません（転出など）。電話・FAX・手渡しでの引継ぎ"
    "（システム外への引継ぎ）として記録してください。"
)


class Outcome(models.Model):
    """How a sheet ended (支援開始, 解決, 他機関へつないだ …): editable data."""

    municipality = TenantKey(db_index=False)
    code = models.SlugField("コード", max_length=40)
    name = models.CharField("結果", max_length=40)
    order = models.PositiveSmallIntegerField("並び順", default=0)
    is_active = models.BooleanField("有効", default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = verbose_name_plural = "終結の結果"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"],
                name="outcome_unique_code",
                violation_error_message="同じコードの結果がすでにあります。",
            ),
            models.UniqueConstraint(
                fields=["municipality", "name"],
                name="outcome_unique_name",
                violation_error_message="同じ名前の結果がすでにあります。",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# Every municipality starts with these (sheets/apps.py, when it is created) and edits its own.
DEFAULT_OUTCOMES = [
    ("support", "支援開始"),
    ("resolved", "解決"),
    ("connected", "他機関へつないだ"),
    ("declined", "本人辞退"),
    ("unreachable", "連絡不能"),
    ("died_moved", "死亡・転出"),
]


def add_default_outcomes(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not created or raw:
        return
    Outcome.objects.bulk_create(
        Outcome(municipality_id=instance.pk, code=code, name=name, order=order)
        for order, (code, name) in enumerate(DEFAULT_OUTCOMES)
    )


PHRASE_MAX_CHARS = 300


class PhraseUse(models.TextChoices):
    """Where a 定型文 is offered: the textarea of one form."""

    REQUEST = "request", "依頼事項"
    PROGRESS = "progress", "経過報告"
    CLOSE = "close", "終結の理由"


class Phrase(models.Model):
    """A 定型文 an agency keeps for its own writing (issue 10, point 7). Agency text, never
    resident data: no link to a case, and the form refuses what identifies anyone."""

    municipality = TenantKey(parent="agency", db_index=False)
    agency = models.ForeignKey(
        Agency, verbose_name="機関", on_delete=models.CASCADE, related_name="phrases"
    )
    use = models.CharField("使う欄", max_length=20, choices=PhraseUse.choices)
    text = models.CharField("定型文", max_length=PHRASE_MAX_CHARS)
    order = models.PositiveSmallIntegerField("並び順", default=0)

    class Meta:
        ordering = ["agency", "use", "order", "id"]
        verbose_name = verbose_name_plural = "定型文"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "agency", "use", "text"],
                name="phrase_unique_text",
                violation_error_message="同じ欄に同じ定型文がすでにあります。",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="phrase_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.get_use_display()}「{self.text[:20]}」"


class Urgency(models.TextChoices):
    NORMAL = "normal", "通常"
    URGENT = "urgent", "至急"


class Status(models.TextChoices):
    SENT = "sent", "受理待ち"
    ACKNOWLEDGED = "acknowledged", "対応中"
    REDIRECTED = "redirected", "転送済み"
    WITHDRAWN = "withdrawn", "取下げ"
    CLOSED = "closed", "終結"


class Handover(models.TextChoices):
    """How a sheet reached its receiver: through tsumugi, or outside it (a body or person with
    no account), in which case the sender records the receiver's answers itself."""

    SYSTEM = "system", "つむぎで送付"
    PHONE = "phone", "電話"
    FAX = "fax", "FAX"
    HAND = "hand", "手渡し"


OUTSIDE_HANDOVERS = (Handover.PHONE, Handover.FAX, Handover.HAND)


def by_way_of(handover: str) -> str:
    """ "電話で", "FAXで", "手渡しで" for the timeline."""
    return f"{Handover(handover).label}で"


class SheetQuerySet(models.QuerySet["Sheet"]):
    def visible_to(self, user: AnyUser) -> SheetQuerySet:
        """The one choke point: sheets to or from my agencies, the sheets further down the
        redirect chains of sheets my agencies sent (an earlier sender follows its hand-off to
        wherever it went), and for coordinators the sheets of their districts' cases.

        Opening a sheet is not seeing the person: the page shows the case through the rule's
        view for the viewer (cases/privacy.py), so following the chain widens nothing."""
        scope = scope_of(user)
        if not scope.agency_ids:
            return self.none()
        return self.filter(self.visibility(user))

    @staticmethod
    def visibility(user: AnyUser, *, case_id: int | None = None) -> Q:
        """visible_to's condition, for a query that marks rather than filters (the sheet page's
        links: which of the parent and children the viewer may open). With `case_id`, the
        condition for that case's sheets only: a redirect chain never leaves its case (a child
        is issued on its parent's case), so the walk down the chains may start from the case's
        own redirected sheets instead of every one my agencies ever redirected (668 of them on
        1,000,000 sheets: 3.6 ms, for a page that marks one or two links). For a sheet of any
        other case it can only say no: it never marks more than visible_to shows."""
        scope = scope_of(user)
        if not scope.agency_ids:
            return Q(pk__in=[])
        mine = (
            Q(sender_agency_id__in=scope.agency_ids)
            | Q(receiver_agency_id__in=scope.agency_ids)
            | Q(pk__in=below_redirects_of(scope.agency_ids, case_id=case_id))
        )
        if scope.coordinator_district_ids:
            # Only coordinators need the join to the case's district.
            mine |= Q(case__district_id__in=scope.coordinator_district_ids)
        return mine

    def open(self) -> SheetQuerySet:
        return self.filter(status__in=Sheet.OPEN_STATUSES)

    def inbox_of(self, agency_ids: Iterable[int]) -> SheetQuerySet:
        return self.filter(receiver_agency_id__in=list(agency_ids))

    def outbox_of(self, agency_ids: Iterable[int]) -> SheetQuerySet:
        return self.filter(sender_agency_id__in=list(agency_ids))

    def overdue(self, now: datetime) -> SheetQuerySet:
        return self.filter(next_due_at__lte=now)

    def with_reached_step(self) -> SheetQuerySet:
        """Annotate `cursor_step` (the reminder cursor's next step) in the same query."""
        step = Cursor.objects.filter(kind=KIND, subject_id=models.OuterRef("pk")).values("step")
        return self.annotate(cursor_step=models.Subquery(step[:1]))


def below_redirects_of(agency_ids: Collection[int], *, case_id: int | None = None) -> RawSQL:
    """The ids of every sheet below a sheet these agencies sent and that was redirected: the
    children, their children … (a recursive query; both SQLite and PostgreSQL have WITH
    RECURSIVE), and those redirected sheets themselves (the agencies sent them: visible to
    them anyway). It starts from the agencies' redirected sheets (the outbox index by sender and
    status) and walks down the parent index one probe per sheet: the recursion's step is always
    a nested loop, whereas a join of children to parents as its start let PostgreSQL merge-join
    the whole parent index (41,195 children read for 668 redirects: 400 ms on 1,000,000
    sheets), so its cost follows the redirects, not the table. With `case_id`, only the chains
    of that case (its sheets on the case index)."""
    ids = sorted(agency_ids)
    table = connection.ops.quote_name(Sheet._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    in_case = "" if case_id is None else "p.case_id = %s AND "
    sql = (
        f"WITH RECURSIVE below(id) AS ("
        f"SELECT p.id FROM {table} p WHERE {in_case}p.sender_agency_id IN ({marks}) "
        f"AND p.status = %s "
        f"UNION SELECT s.id FROM {table} s JOIN below b ON s.parent_id = b.id"
        f") SELECT id FROM below"
    )
    case = [] if case_id is None else [case_id]
    return RawSQL(sql, [*case, *ids, Status.REDIRECTED.value])


class CaseSheetLinks:
    """cases.models.SheetLinks: the sheet conditions the case rules need (visible_to's hand-offs,
    "no closing while a sheet is open"), provided by SheetsConfig.ready."""

    def to_or_from(self, agency_ids: Collection[int], *, named: bool = False) -> Exists:
        ids = sorted(agency_ids)
        sheets = Sheet.objects.filter(case=OuterRef("pk"))
        if named:
            sheets = sheets.filter(is_anonymised=False)
        return Exists(sheets.filter(Q(sender_agency_id__in=ids) | Q(receiver_agency_id__in=ids)))

    def any_open(self) -> Exists:
        return Exists(Sheet.objects.filter(case=OuterRef("pk")).open())

    def agencies_of(self, case_id: int) -> frozenset[int]:
        ends = Sheet.objects.filter(case_id=case_id).values_list(
            "sender_agency_id", "receiver_agency_id"
        )
        return frozenset(pk for pair in ends for pk in pair if pk is not None)


class Sheet(models.Model):
    OPEN_STATUSES = (Status.SENT, Status.ACKNOWLEDGED)

    # Unique through Meta.constraints (sheet_unique_number), not `unique=True`, which would add a
    # second, LIKE-pattern index that nothing uses: sheets are never searched by number prefix.
    municipality = TenantKey(parent="case", db_index=False)
    number = models.CharField("シート番号", max_length=30, editable=False)
    # case, sender_agency and receiver_agency have no FK index of their own: sheet_case,
    # sheet_out_status and sheet_in_status lead with them.
    case = models.ForeignKey(
        Case, verbose_name="相談", on_delete=models.PROTECT, related_name="sheets", db_index=False
    )
    # The case's district, kept on the sheet so that insight counts the open sheets by
    # district without joining each to its case (the failure modes' overdue or quiet sheets:
    # 41,000 probes of the case index on 1,000,000 sheets, 166,000 buffers). Set by _create
    # from the locked case; a case edit that moves the case moves its sheets in the same
    # transaction (sheets/summary.py case_changed). No index of its own: the insight index
    # sheet_insight_open carries it, and nothing looks sheets up by district alone.
    district = models.ForeignKey(
        Area,
        verbose_name="地区",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="転送元のシート",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sender_agency = models.ForeignKey(
        Agency,
        verbose_name="送付元機関",
        on_delete=models.PROTECT,
        related_name="sent_sheets",
        db_index=False,
    )
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="連携担当",
        on_delete=models.PROTECT,
        related_name="liaison_sheets",
    )
    # NULL only for a hand-off outside tsumugi to a body that is not in the agency list
    # (outside_receiver names it; constraint sheet_receiver_named).
    receiver_agency = models.ForeignKey(
        Agency,
        verbose_name="送付先機関",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="received_sheets",
        db_index=False,
    )
    handover = models.CharField(
        "引継ぎの方法", max_length=10, choices=Handover.choices, default=Handover.SYSTEM
    )
    # A hand-off outside tsumugi: the body (when not in the agency list) and the person it was
    # handed to, and from 受理 on who is in charge there. Staff contacts, never residents.
    outside_receiver = models.CharField("引継ぎ先（一覧にない機関）", max_length=100, blank=True)
    outside_contact = models.CharField("引き継いだ相手", max_length=100, blank=True)
    outside_assignee = models.CharField("先方の担当者", max_length=100, blank=True)
    status = models.CharField("状態", max_length=20, choices=Status.choices, default=Status.SENT)
    urgency = models.CharField(
        "緊急度", max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    request = models.TextField("依頼事項")
    sender_continuing = models.TextField(
        "当方の継続対応", help_text="送付元が引き続き行うこと（丸投げにしないために）"
    )
    shared_info = models.TextField("共有する情報", blank=True)
    basis = models.CharField("情報共有の根拠", max_length=20, choices=Basis.choices)
    is_anonymised = models.BooleanField(
        "匿名シート",
        default=False,
        help_text="同意がない、または同意の範囲外の機関へは、氏名などを伏せて送ります。",
    )

    sent_at = models.DateTimeField("送付日時")
    ack_due_at = models.DateTimeField("受理期限")
    acknowledged_at = models.DateTimeField("受理日時", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受理者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="担当者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_sheets",
    )
    roles = models.TextField("役割分担", blank=True)
    follow_up_due_at = models.DateTimeField("経過報告期限", null=True, blank=True)
    last_progress_at = models.DateTimeField("最終経過報告", null=True, blank=True)
    last_event_at = models.DateTimeField("最終記録日時")
    ended_at = models.DateTimeField("終了日時", null=True, blank=True)
    outcome = models.ForeignKey(
        Outcome,
        verbose_name="結果",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sheets",
    )
    end_note = models.TextField("終了の理由・メモ", blank=True)

    # What people see is ack_due_at / follow_up_due_at; the machine's cursors are these.
    next_due_at = models.DateTimeField("次の期限", null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = SheetQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = verbose_name_plural = "つむぎあいシート"
        constraints = [
            models.UniqueConstraint(fields=["municipality", "number"], name="sheet_unique_number"),
            models.CheckConstraint(
                condition=~Q(sender_agency=F("receiver_agency")),
                name="sheet_not_to_self",
                violation_error_message="送付先に自分の機関は選べません。",
            ),
            models.CheckConstraint(
                # `next_due_at IS NOT NULL` matters: in SQL, NULL = x is unknown and a CHECK
                # passes on unknown, so without it a sheet could wait with no deadline at all.
                condition=~Q(status="sent")
                | Q(next_due_at__isnull=False, next_due_at=F("ack_due_at")),
                name="sheet_sent_waits_for_ack",
            ),
            models.CheckConstraint(
                # Outside tsumugi the 担当者 is a name the sender writes down, not a user.
                condition=~Q(status="acknowledged")
                | Q(
                    Q(assignee__isnull=False) | (~Q(handover="system") & ~Q(outside_assignee="")),
                    acknowledged_at__isnull=False,
                    next_due_at__isnull=False,
                    next_due_at=F("follow_up_due_at"),
                ),
                name="sheet_acknowledged_has_assignee",
            ),
            models.CheckConstraint(
                condition=Q(receiver_agency__isnull=False)
                | (~Q(handover="system") & ~Q(outside_receiver="")),
                name="sheet_receiver_named",
                violation_error_message="引継ぎ先を選ぶか、書いてください。",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["sent", "acknowledged"])
                | Q(ended_at__isnull=False, next_due_at__isnull=True),
                name="sheet_ended_has_nothing_to_remind",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(outcome__isnull=False),
                name="sheet_closed_has_outcome",
            ),
        ]
        # What each index serves (PostgreSQL; SQLite ignores INCLUDE):
        indexes = [
            # the inbox, by due time (and the receiver FK's own lookups). These three carry the
            # municipality key (every query names it, TenantQuery), so the counts on every page
            # (the navigation's badge, the tabs) stay index-only: 8.6 → 1.7 ms for 100,000.
            models.Index(
                fields=["receiver_agency", "next_due_at"],
                name="sheet_inbox",
                condition=Q(next_due_at__isnull=False),
                include=["municipality"],
            ),
            # the inbox's "all sheets" tab by status, newest first; the receiver FK
            models.Index(
                fields=["receiver_agency", "status", "-sent_at"],
                name="sheet_in_status",
                include=["municipality"],
            ),
            # the outbox by status, newest first; the sender FK
            models.Index(
                fields=["sender_agency", "status", "-sent_at"],
                name="sheet_out_status",
                include=["municipality"],
            ),
            # a case's chain in order (case page, packet), "does this case have a (open, named)
            # sheet" (cases.models.SheetLinks), and insight's per-case probes (hand-off health)
            # as index-only scans; the case FK. One index where there were three.
            models.Index(
                fields=["case", "sent_at"],
                name="sheet_case",
                include=["id", "status", "next_due_at", "sender_agency", "receiver_agency"],
            ),
            # Sheets sent in a period: what insight counts from the sheets where the monthly
            # summaries cannot (a range that is not whole months, figures by agency; see
            # insight.figures.insight_sheet_summary_filter). Plain: the covering index it
            # replaces (sheet_insight_sent) served the scans the summaries now answer.
            models.Index(fields=["sent_at"], name="sheet_sent"),
            # Insight's failure modes and overdue counts read the open sheets (a partial
            # index: open sheets only), covering so they stay index-only on PostgreSQL; with
            # the municipality key, which every query names (TenantQuery): without it each of
            # 41,550 overdue sheets was read from the heap (1,000,000 sheets: 182 ms); with the
            # district, so counting them by district joins no case (the case is for 丸投げ's
            # open sheets of cases active since the cut-off).
            models.Index(
                fields=["next_due_at"],
                name="sheet_insight_open",
                include=[
                    "municipality",
                    "id",
                    "case",
                    "district",
                    "sender_agency",
                    "receiver_agency",
                    "status",
                    "ack_due_at",
                    "follow_up_due_at",
                    "last_event_at",
                    "assignee",
                    "sent_at",
                    "handover",
                    # あいまい's "no 担当者" is no assignee and no name outside tsumugi
                    "outside_assignee",
                ],
                condition=Q(next_due_at__isnull=False),
            ),
            # 丸投げ / あいまい look for near-empty text; these find the short ones directly. Not
            # partial: PostgreSQL estimates from an expression index's statistics only when the
            # index covers the whole table, and without them it would not pick these.
            models.Index(Length("sender_continuing"), name="sheet_insight_continuing_len"),
            # Unacknowledged sheets have empty roles too: lead with the status so the estimate
            # (and the scan) covers acknowledged sheets only.
            models.Index(F("status"), Length("roles"), name="sheet_insight_status_roles"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_outside(self) -> bool:
        """Handed over outside tsumugi: the sender records the receiver's answers."""
        return self.handover != Handover.SYSTEM

    @property
    def receiver_name(self) -> str:
        if self.receiver_agency_id is None:
            return self.outside_receiver
        # A page that writes only the agency's name reads it without the join
        # (sheets/views.py, shown_sheet: `receiver_agency_name`).
        named: str | None = getattr(self, "receiver_agency_name", None)
        if named is not None:
            return named
        assert self.receiver_agency is not None
        return self.receiver_agency.name

    @property
    def receiver_label(self) -> str:
        """The receiver with the person it was handed to: "高島市民病院（地域連携室 山本様）"."""
        contact = f"（{self.outside_contact}）" if self.outside_contact else ""
        return f"{self.receiver_name}{contact}"

    @property
    def reminder_step_reached(self) -> int:
        """From `with_reached_step()`'s annotation, else one query for the cursor."""
        step = getattr(self, "cursor_step", None)
        if step is None and not hasattr(self, "cursor_step"):
            cursor = engine.cursor_of(KIND, self.pk)
            step = cursor.step if cursor else 0
        return reached_step(step or 0)

    def earlier_liaisons(self) -> list[int]:
        """The 連携担当 of every sheet above this one in its redirect chain, nearest first (one
        query: a chain never leaves its case)."""
        if not self.parent_id:
            return []
        rows = {
            pk: (parent, liaison)
            for pk, parent, liaison in Sheet.objects.filter(case_id=self.case_id).values_list(
                "pk", "parent_id", "liaison_id"
            )
        }
        found: list[int] = []
        current = self.parent_id
        while current in rows and len(found) < len(rows):
            parent, liaison = rows[current]
            found.append(liaison)
            current = parent
        return found

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.next_due_at is not None and self.next_due_at <= (now or timezone.now())

    # --- issuing -------------------------------------------------------------------------------

    @classmethod
    def issue(
        cls,
        *,
        case: Case,
        by: User,
        sender_agency: Agency,
        receiver_agency: Agency,
        request: str,
        sender_continuing: str,
        shared_info: str = "",
        urgency: str = Urgency.NORMAL,
        parent: Sheet | None = None,
        now: datetime | None = None,
    ) -> Sheet:
        now = now or timezone.now()
        if sender_agency.pk not in scope_of(by).agency_ids:
            # Moves check who acts; issuing must too, or anyone could write as another agency.
            raise SheetError("送付元には、あなたが所属する機関を選んでください。")
        if receiver_agency.pk == sender_agency.pk:
            raise SheetError("送付先に自分の機関は選べません。")
        if receiver_agency.municipality_id != case.municipality_id:
            raise SheetError(ACROSS_MUNICIPALITIES)
        if not receiver_agency.is_active:
            raise SheetError(f"{receiver_agency.name}は現在受け付けていない機関です。")
        cls._require_texts(request, sender_continuing)
        with transaction.atomic():
            locked_case = Case.objects.select_for_update().get(pk=case.pk)
            if locked_case.status != Case.Status.OPEN:
                raise SheetError("終結した相談からはシートを出せません。")
            sheet = cls._create(
                locked_case,
                # From the rule for the RECEIVER (cases/privacy.py): who sends it, and what
                # they could see, changes nothing.
                anonymised=not would_cover(locked_case, receiver_agency, now),
                parent=parent,
                sender_agency=sender_agency,
                liaison=by,
                receiver_agency=receiver_agency,
                urgency=urgency,
                request=request,
                sender_continuing=sender_continuing,
                shared_info=shared_info,
                sent_at=now,
                last_event_at=now,
            )
            text = f"{sender_agency.name} → {receiver_agency.name}：{request}"
            event = sheet._log(Event.Kind.SHEET_SENT, by, sender_agency, now, text)
            notices.issued(sheet, event, by)
        return sheet

    @staticmethod
    def _require_texts(request: str, sender_continuing: str) -> None:
        if not sender_continuing.strip():
            raise SheetError("当方の継続対応を書いてください（丸投げにしないために）。")
        if not request.strip():
            raise SheetError("依頼事項を書いてください。")

    @classmethod
    def _create(cls, locked_case: Case, *, anonymised: bool, **fields: Any) -> Sheet:
        """A new sheet of a locked, open case, waiting for 受理 from `sent_at`; an anonymised
        one only with text written for readers without names."""
        no_summary = not locked_case.shared_summary.strip()
        if anonymised and locked_case.basis == Basis.NONE and no_summary:
            raise SheetError(
                "同意のない相談を匿名シートで送るには、先に受付機関が「共有用の概要」"
                "（氏名などを書かない概要）を書いてください。"
            )
        if anonymised:
            text = " ".join(
                fields.get(k, "") for k in ("request", "sender_continuing", "shared_info")
            )
            refusal = anonymous_text_refusal(locked_case, text)
            if refusal:
                raise SheetError(refusal)
        seq = cls.objects.filter(case=locked_case).count() + 1
        if not locked_case.has_sheets:
            # The case's first sheet: 抱え込み no longer applies (Case.has_sheets). Under the
            # case's row lock, taken by every caller, as the sequence number above is.
            Case.objects.filter(pk=locked_case.pk).update(has_sheets=True)
            locked_case.has_sheets = True
        ack_due = cls.ack_due_for(fields["receiver_agency"], fields["urgency"], fields["sent_at"])
        sheet = cls.objects.create(
            number=f"{locked_case.number}-{seq:02d}",
            case=locked_case,
            district_id=locked_case.district_id,
            basis=locked_case.basis,
            is_anonymised=anonymised,
            ack_due_at=ack_due,
            next_due_at=ack_due,
            **fields,
        )
        engine.start(KIND, sheet.pk, ack_due, sheet.municipality_id)
        sheet_counted.send(Sheet, sheet=sheet, before=None)
        return sheet

    @staticmethod
    def ack_due_for(
        receiver: Agency | None,
        urgency: str,
        now: datetime,
        calendar: BusinessCalendar | None = None,
    ) -> datetime:
        """`receiver` None: a body outside the agency list, on the city's defaults."""
        calendar = calendar or business_calendar()
        if urgency == Urgency.URGENT:
            days = 1
        else:
            days = (
                receiver.ack_days()
                if receiver
                else defaults_of(scope.current_id()).ack_business_days
            )
        return calendar.end_of_day(calendar.add_business_days(local_date(now), days))

    @staticmethod
    def follow_up_due_for(
        receiver: Agency | None, now: datetime, calendar: BusinessCalendar | None = None
    ) -> datetime:
        days = (
            receiver.follow_up_days()
            if receiver
            else defaults_of(scope.current_id()).follow_up_business_days
        )
        return (calendar or business_calendar()).due_after(now, days)

    def pending_deadline(self, calendar: BusinessCalendar) -> datetime | None:
        """The deadline this sheet waits for, computed afresh from the calendar."""
        if self.status == Status.SENT:
            return self.ack_due_for(self.receiver_agency, self.urgency, self.sent_at, calendar)
        if self.status == Status.ACKNOWLEDGED:
            started = self.last_progress_at or self.acknowledged_at
            assert started is not None
            return self.follow_up_due_for(self.receiver_agency, started, calendar)
        return None

    # --- moves ---------------------------------------------------------------------------------

    def _lock(self, allowed: Iterable[str], refusal: str) -> Sheet:
        # The case first, as issuing and a case edit do: an edit that moves the case to another
        # district rewrites its sheets' rows (Sheet.district) while it holds the case, and a move
        # that held its sheet and then waited for the case (Case.touch) would deadlock with it.
        # NO KEY: the lock a row that points at the case takes for its key check (the timeline
        # entry, a sheet handed over by 人事異動 holding its sheets) does not wait for this one.
        list(Case.objects.select_for_update(no_key=True).filter(pk=self.case_id).values_list("pk"))
        locked = Sheet.objects.select_for_update().get(pk=self.pk)
        if locked.status not in allowed:
            raise SheetError(f"{refusal}（現在の状態: {locked.get_status_display()}）")
        return locked

    def _require_receiver(self, user: User) -> None:
        if self.receiver_agency_id not in scope_of(user).agency_ids:
            raise SheetError("この操作は送付先機関の職員だけが行えます。")

    def _require_sender(self, user: User) -> None:
        if self.sender_agency_id not in scope_of(user).agency_ids:
            raise SheetError("取下げは送付元機関の職員だけが行えます。")

    def _log(
        self,
        kind: str,
        by: User | None,
        agency: Agency | None,
        now: datetime,
        text: str,
    ) -> Event:
        if agency is not None and agency.pk == self.case.agency_id:
            # Only the owning counter's own moves count as activity on the case (丸投げ metric).
            self.case.touch(now)
        return Event.objects.create(
            municipality_id=self.municipality_id,
            case_id=self.case_id,
            sheet=self,
            kind=kind,
            actor=by,
            agency=agency,
            at=now,
            text=text,
        )

    def _save_move(self, locked: Sheet, now: datetime, **changes: Any) -> None:
        before = counted_state(locked)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.last_event_at = now
        locked.version += 1
        locked.save()
        if counted_state(locked) != before:
            sheet_counted.send(Sheet, sheet=locked, before=before)
        self.refresh_from_db()

    def _save_new_follow_up(self, locked: Sheet, now: datetime, **changes: Any) -> None:
        """A new follow-up deadline: what people see and the reminder ladder restart together."""
        due = self.follow_up_due_for(locked.receiver_agency, now)
        self._save_move(
            locked,
            now,
            follow_up_due_at=due,
            next_due_at=due,
            **changes,
        )
        engine.start(KIND, locked.pk, due, locked.municipality_id)

    def _save_end(
        self, locked: Sheet, now: datetime, status: str, note: str, **changes: Any
    ) -> None:
        """An end: nothing is left to remind, so the deadline and the cursor are cleared."""
        self._save_move(
            locked,
            now,
            status=status,
            ended_at=now,
            end_note=note,
            next_due_at=None,
            **changes,
        )
        engine.stop(KIND, locked.pk)

    def acknowledge(
        self,
        *,
        by: User,
        assignee: User,
        roles: str,
        now: datetime | None = None,
    ) -> None:
        now = now or timezone.now()
        self._require_receiver(by)
        if self.receiver_agency_id not in scope_of(assignee).agency_ids:
            raise SheetError("担当者は送付先機関の職員から選んでください。")
        text = f"担当者: {notices.person_name(assignee)}\n役割分担: {roles}"
        with transaction.atomic():  # the notice is written with the move
            event = self._acknowledged(
                by, self.receiver_agency, now, text, roles, assignee=assignee
            )
            notices.acknowledged(self, event, by)

    def report_progress(self, *, by: User, text: str, now: datetime | None = None) -> bool:
        """Returns whether the follow-up deadline moved: it is counted from the day of the
        report, so a report on the day of the acknowledgement (or of the last report) leaves
        it where it was."""
        now = now or timezone.now()
        self._require_receiver(by)
        with transaction.atomic():  # the notice is written with the move
            event, moved = self._progressed(by, self.receiver_agency, now, text, text)
            notices.reported(self, event, by)
        return moved

    def reassign(self, *, by: User, assignee: User, now: datetime | None = None) -> None:
        """A new 担当者 within the receiving agency; the deadline stays, the new one is told."""
        now = now or timezone.now()
        self._require_receiver(by)
        if self.receiver_agency_id not in scope_of(assignee).agency_ids:
            raise SheetError("担当者は送付先機関の職員から選んでください。")
        with transaction.atomic():
            locked = self._lock(
                [Status.ACKNOWLEDGED], "担当者を変えられるのは対応中のシートだけです。"
            )
            if locked.assignee_id == assignee.pk:
                raise SheetError("その職員はすでにこのシートの担当者です。")
            previous = locked.assignee
            self._save_move(locked, now, assignee=assignee)
            before = notices.person_name(previous) if previous else "—"
            event = self._log(
                Event.Kind.NOTE,
                by,
                self.receiver_agency,
                now,
                f"担当者の変更: {before} → {notices.person_name(assignee)}",
            )
            notices.assigned(self, event, by)

    def close(self, *, by: User, outcome: Outcome, note: str, now: datetime | None = None) -> None:
        now = now or timezone.now()
        self._require_receiver(by)
        with transaction.atomic():  # the notice is written with the move
            event = self._closed(
                by, self.receiver_agency, now, outcome, note, f"{outcome.name}：{note}"
            )
            notices.closed(self, event, by)

    # The moves' bodies, shared with the answers recorded outside tsumugi (record_*).
    def _acknowledged(
        self, by: User, agency: Agency | None, now: datetime, text: str, roles: str, **who: Any
    ) -> Event:
        if not roles.strip():
            raise SheetError("役割分担を書いてください（誰が何をするかをはっきりさせるため）。")
        with transaction.atomic():
            locked = self._lock([Status.SENT], "受理できるのは受理待ちのシートだけです。")
            self._save_new_follow_up(
                locked,
                now,
                status=Status.ACKNOWLEDGED,
                acknowledged_at=now,
                acknowledged_by=by,
                roles=roles,
                **who,
            )
            return self._log(Event.Kind.ACKNOWLEDGED, by, agency, now, text)

    def _progressed(
        self, by: User, agency: Agency | None, now: datetime, report: str, text: str
    ) -> tuple[Event, bool]:
        """The report's event, and whether the follow-up deadline moved (it is counted from
        the day of the report: a report on the day of the last one leaves it where it was)."""
        if not report.strip():
            raise SheetError("経過報告の内容を書いてください。")
        with transaction.atomic():
            locked = self._lock([Status.ACKNOWLEDGED], "経過報告は受理したシートにだけ書けます。")
            before = locked.follow_up_due_at
            self._save_new_follow_up(locked, now, last_progress_at=now)
            event = self._log(Event.Kind.PROGRESS, by, agency, now, text)
        return event, self.follow_up_due_at != before

    def _closed(
        self, by: User, agency: Agency | None, now: datetime, outcome: Outcome, note: str, text: str
    ) -> Event:
        if not note.strip():
            raise SheetError("終結のメモを書いてください。")
        with transaction.atomic():
            locked = self._lock([Status.ACKNOWLEDGED], "終結できるのは受理したシートだけです。")
            self._save_end(locked, now, Status.CLOSED, note, outcome=outcome)
            return self._log(Event.Kind.CLOSED, by, agency, now, text)

    def redirect(
        self,
        *,
        by: User,
        to: Agency,
        reason: str,
        request: str = "",
        continuing: str = "",
        now: datetime | None = None,
    ) -> Sheet:
        """Forward to the right place instead of refusing: a child sheet with fresh deadlines.

        The child is the redirecting agency's own sheet: its request is what that agency asks
        of the new receiver (to an agency the basis names, the parent's request when it writes
        none), its 送付元の継続対応 what that agency keeps doing, and the reason stays the
        parent's end note (shown on the child as 転送の理由). To an agency the basis does not
        name, the redirecting agency writes request, reason and continuing without names, and
        the parent's text is never copied."""
        now = now or timezone.now()
        self._require_receiver(by)
        receiver = self.receiver_agency
        assert receiver is not None  # a receiver in tsumugi (checked just above)
        if not reason.strip():
            raise SheetError("転送の理由を書いてください。")
        if to.pk in (self.receiver_agency_id, self.sender_agency_id):
            raise SheetError("転送先には、送付元・送付先以外の機関を選んでください。")
        if not to.is_active:
            # Checked before the move: issue() would refuse it too, but only after this
            # object had been refreshed to the rolled-back "redirected" state.
            raise SheetError(f"{to.name}は現在受け付けていない機関です。")
        named = would_cover(self.case, to, now)
        if not named and not request.strip():
            raise SheetError(
                f"{to.name}へは氏名などを伏せた匿名シートになります。"
                "転送先への依頼事項を、氏名・ふりがな・生まれ年を書かずに書いてください。"
            )
        continuing = continuing.strip() or (
            f"{self.receiver_name}は、{to.name}が受理するまで連絡の窓口を続けます。"
        )
        if not named:
            # The reason is shown on the child too (転送の理由): it is read without names.
            refusal = anonymous_text_refusal(self.case, " ".join((request, reason, continuing)))
            if refusal:
                raise SheetError(refusal)
        with transaction.atomic():
            locked = self._lock(self.OPEN_STATUSES, "転送できるのは対応中のシートだけです。")
            self._save_end(locked, now, Status.REDIRECTED, reason)
            event = self._log(
                Event.Kind.REDIRECTED, by, self.receiver_agency, now, f"{to.name}へ：{reason}"
            )
            child = Sheet.issue(
                case=self.case,
                by=by,
                sender_agency=receiver,
                receiver_agency=to,
                request=(request.strip() or self.request) if named else request,
                sender_continuing=continuing,
                shared_info=self.shared_info if named else "",
                urgency=self.urgency,
                parent=self,
                now=now,
            )
            notices.redirected(self, child, event, by)
            return child

    def withdraw(self, *, by: User, reason: str, now: datetime | None = None) -> None:
        now = now or timezone.now()
        self._require_sender(by)
        if not reason.strip():
            raise SheetError("取下げの理由を書いてください。")
        with transaction.atomic():
            locked = self._lock(self.OPEN_STATUSES, "取下げできるのは対応中のシートだけです。")
            assignee_id = locked.assignee_id
            self._save_end(locked, now, Status.WITHDRAWN, reason)
            event = self._log(Event.Kind.WITHDRAWN, by, self.sender_agency, now, reason)
            notices.withdrawn(self, event, by, assignee_id)

    # --- outside tsumugi (電話・FAX・手渡し) -------------------------------------------------

    @classmethod
    def hand_over(
        cls,
        *,
        case: Case,
        by: User,
        sender_agency: Agency,
        handover: str,
        handed_at: datetime,
        request: str,
        sender_continuing: str,
        receiver_agency: Agency | None = None,
        outside_receiver: str = "",
        outside_contact: str = "",
        shared_info: str = "",
        urgency: str = Urgency.NORMAL,
        now: datetime | None = None,
    ) -> Sheet:
        """A hand-off to an agency with no account or a body not in the list, by phone, FAX or
        by hand, recorded by the sender (who then records the receiver's answers too).

        What may be handed over is the one rule's: a listed agency the basis names gets the
        named sheet; anyone else — every body outside the list, which no basis can name — gets
        the de-identified one (the printed sheet is what is handed over)."""
        now = now or timezone.now()
        if handover not in OUTSIDE_HANDOVERS:
            raise SheetError("引継ぎの方法（電話・FAX・手渡し）を選んでください。")
        if sender_agency.pk not in scope_of(by).agency_ids:
            raise SheetError("送付元には、あなたが所属する機関を選んでください。")
        if receiver_agency is None and not outside_receiver.strip():
            raise SheetError("引継ぎ先の機関を選ぶか、一覧にない引継ぎ先を書いてください。")
        if receiver_agency is not None:
            outside_receiver = ""
            if receiver_agency.pk == sender_agency.pk:
                raise SheetError("引継ぎ先に自分の機関は選べません。")
            has_accounts = Membership.objects.active().filter(
                agency=receiver_agency, role__in=CASE_ROLES
            )
            if has_accounts.exists():
                raise SheetError(
                    f"{receiver_agency.name}には職員のアカウントがあります。"
                    "つむぎでシートを送ってください。"
                )
        if handed_at > now:
            raise SheetError("引き継いだ日時に未来は指定できません。")
        if handed_at < case.received_at:
            raise SheetError("引き継いだ日時は相談の受付より後にしてください。")
        cls._require_texts(request, sender_continuing)
        # Printed on the 送付票 and shown to everyone who opens the sheet: staff, not residents.
        refusal = anonymous_text_refusal(case, f"{outside_receiver} {outside_contact}")
        if refusal:
            raise SheetError("引継ぎ先と相手には職員・機関の名前だけを書いてください。" + refusal)
        with transaction.atomic():
            locked_case = Case.objects.select_for_update().get(pk=case.pk)
            if locked_case.status != Case.Status.OPEN:
                raise SheetError("終結した相談からは引き継げません。")
            named = receiver_agency is not None and would_cover(locked_case, receiver_agency, now)
            sheet = cls._create(
                locked_case,
                anonymised=not named,
                sender_agency=sender_agency,
                liaison=by,
                receiver_agency=receiver_agency,
                handover=handover,
                outside_receiver=outside_receiver.strip(),
                outside_contact=outside_contact.strip(),
                urgency=urgency,
                request=request,
                sender_continuing=sender_continuing,
                shared_info=shared_info,
                sent_at=handed_at,
                last_event_at=now,
            )
            text = (
                f"{by_way_of(handover)}{sheet.receiver_label}へ引き継ぎ"
                f"（{format_datetime(handed_at)}）：{request}"
            )
            sheet._log(Event.Kind.SHEET_SENT, by, sender_agency, now, text)
        return sheet

    def _require_outside_sender(self, user: User) -> None:
        if not self.is_outside:
            raise SheetError("先方の返事を記録できるのは、つむぎの外へ引き継いだシートだけです。")
        if self.sender_agency_id not in scope_of(user).agency_ids:
            raise SheetError("先方の返事は送付元機関の職員が記録します。")

    def record_acknowledgement(
        self,
        *,
        by: User,
        way: str,
        assignee: str,
        roles: str,
        now: datetime | None = None,
    ) -> None:
        """先方が受理した (heard by phone, FAX or in person): who is in charge there."""
        now = now or timezone.now()
        self._require_outside_sender(by)
        if not assignee.strip():
            raise SheetError("先方の担当者を書いてください。")
        refusal = anonymous_text_refusal(self.case, assignee)
        if refusal:
            raise SheetError("先方の担当者には職員の名前だけを書いてください。" + refusal)
        text = (
            f"{by_way_of(way)}{self.receiver_name}から受理の連絡\n"
            f"先方の担当者: {assignee.strip()}\n役割分担: {roles}"
        )
        self._acknowledged(
            by, self.sender_agency, now, text, roles, outside_assignee=assignee.strip()
        )

    def record_progress(
        self, *, by: User, way: str, text: str, now: datetime | None = None
    ) -> None:
        now = now or timezone.now()
        self._require_outside_sender(by)
        line = f"{by_way_of(way)}{self.receiver_name}から経過の報告：{text}"
        self._progressed(by, self.sender_agency, now, text, line)

    def record_close(
        self, *, by: User, way: str, outcome: Outcome, note: str, now: datetime | None = None
    ) -> None:
        now = now or timezone.now()
        self._require_outside_sender(by)
        line = f"{by_way_of(way)}{self.receiver_name}から終結の連絡：{outcome.name}：{note}"
        self._closed(by, self.sender_agency, now, outcome, note, line)


# --- monthly summaries for insight (kept by sheets/summary.py) ----------------------------------

# A sheet was written (created: `before` None) or moved (`before`: counted_state of the row as it
# was). sheets/summary.py (connected in SheetsConfig.ready) moves the sheet's counts in the
# writer's transaction; the signal keeps this module free of an import of summary.py.
sheet_counted = Signal()


def counted_state(sheet: Sheet) -> dict[str, Any]:
    """The columns of a sheet that a move can change and the summaries count."""
    return {
        "status": sheet.status,
        "acknowledged_at": sheet.acknowledged_at,
        "ended_at": sheet.ended_at,
    }


class SheetMonth(models.Model):
    """Sheets sent per local (Asia/Tokyo) month × district of the case × receiving agency ×
    way of hand-over × status × acknowledged × redirected: what hand-off health, the indicators
    and the 地区カルテ count, in thousands of rows a year instead of a scan of every sheet.

    No sender column: with it the key is as fine as the sheets themselves (every pair of 60
    agencies × 6 districts × a month: on the benchmark, 91,735 rows for 99,957 sheets), so
    figures narrowed by agency (a supervisor's, the 機関 filter) count the sheets instead.
    Derived data: sheets/summary.py moves a sheet's count in the transaction of every write that
    changes what it counts."""

    municipality = TenantKey(parent="district", db_index=False)
    month = models.DateField()
    district = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    # receiver_agency_id, 0 for a body outside the agency list: a NULL would never meet the
    # unique key, and the increment relies on it (INSERT ... ON CONFLICT).
    receiver = models.PositiveIntegerField()
    handover = models.CharField(max_length=10, choices=Handover.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    acknowledged = models.BooleanField()
    redirected = models.BooleanField()  # a child of a redirected sheet (it has a parent)
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "municipality",
                    "month",
                    "district",
                    "receiver",
                    "handover",
                    "status",
                    "acknowledged",
                    "redirected",
                ],
                name="sheet_month_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.district_id}/{self.receiver}/{self.status}: {self.n}"


class SheetLagMonth(models.Model):
    """Sheets sent per month × district by business days from sending to 受理 (`ack`) or to
    終結 (`close`): the medians and 90th percentiles of hand-off health, from a few rows per
    month. Business days of the municipality's office calendar at the time of counting; a
    change to its closures recounts the days (sheets/summary.py)."""

    class Kind(models.TextChoices):
        ACK = "ack", "受理"
        CLOSE = "close", "終結"

    municipality = TenantKey(parent="district", db_index=False)
    month = models.DateField()
    district = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    days = models.PositiveIntegerField()
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "month", "district", "kind", "days"],
                name="sheet_lag_month_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.district_id}/{self.kind}/{self.days}: {self.n}"


class MultiAgencyCaseMonth(models.Model):
    """Cases received per month × district × receiving counter that involve fewer than two
    fields but whose sheets went to two or more agencies: with CaseMonth's multi-field cases,
    the indicators' 多機関協働の事例数, without a probe of every case's sheets."""

    municipality = TenantKey(parent="district", db_index=False)
    month = models.DateField()
    district = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "month", "district", "agency"],
                name="multi_agency_case_month_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.district_id}/{self.agency_id}: {self.n}"


class OpenSheetCount(models.Model):
    """Open sheets (受理待ち・対応中) per district of the case × sending agency: 丸投げ's "quiet
    case" half (insight/failures.py) counts the open sheets of every sender and district, which
    are nearly all of the 151,000 open sheets on 1,000,000 (joining each to its case: 280-500
    ms), as this row minus the few whose case or sheet moved recently. It holds no time: what
    depends on "now" is counted from the sheets. Kept like SheetMonth (sheets/summary.py)."""

    municipality = TenantKey(parent="district", db_index=False)
    district = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    sender = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "district", "sender"], name="open_sheet_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.sender_id}: {self.n}"


# --- the sheet on paper (sheets/printout.py) ---------------------------------------------------


class SheetPrintout(WorkerFile):
    """One sheet as an A4 PDF, made by the worker (sheets/printout.py): one file per sheet,
    version, day and what the rule lets the receiver see (`audience`, a digest), shared by
    everyone who prints it. The file is kept as the record of exactly what was printed."""

    municipality = TenantKey(parent="sheet", db_index=False)
    sheet = models.ForeignKey(Sheet, on_delete=models.PROTECT, related_name="printouts")
    version = models.PositiveIntegerField("シートの版")
    day = models.DateField("作成日")
    audience = models.CharField("印刷範囲の鍵", max_length=64)
    file = models.FileField("ファイル", upload_to="sheets/", blank=True)
    # From the decision that rendered it: the receiver's view was de-identified.
    masked = models.BooleanField("伏せて印刷", default=False)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = verbose_name_plural = "印刷用シート"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "sheet", "version", "day", "audience"],
                name="sheet_printout_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet} 第{self.version}版 {self.day}"


class SheetPrintQuerySet(AppendOnlyQuerySet["SheetPrint"]):
    pass


class SheetPrint(AppendOnly):
    """Audit: who printed (downloaded) which sheet's file, when, from where."""

    refusal = SheetError
    change_refusal = "印刷記録は変更できません。"
    delete_refusal = "印刷記録は削除できません。"

    municipality = TenantKey(parent="sheet", db_index=False)
    sheet = models.ForeignKey(Sheet, on_delete=models.PROTECT, related_name="prints")
    printout = models.ForeignKey(SheetPrintout, on_delete=models.PROTECT, related_name="prints")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    masked = models.BooleanField("伏せて印刷")
    at = models.DateTimeField("日時", default=timezone.now)
    ip = models.GenericIPAddressField("IPアドレス", null=True, blank=True)

    objects = SheetPrintQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "シートの印刷記録"
        constraints = [
            # One print record per person and file, however often the file is fetched.
            models.UniqueConstraint(
                fields=["municipality", "printout", "user"], name="sheet_print_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet} {self.user} {self.at:%Y-%m-%d %H:%M}"
