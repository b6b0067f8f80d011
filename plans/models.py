"""多機関協働: 支援決定, アセスメント, 支援プラン and its moves, evaluations, and the plans'
decisions at a 重層的支援会議.

Every move of a plan is a method that locks the row, checks the state it starts from, saves and
appends an immutable `PlanEvent` in the same transaction; an illegal move raises `PlanError`
with the reason in Japanese. Nothing is deleted: a re-plan is a new version, evaluations and
assessments are new rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from areas.models import Agency, Body, Membership, Role
from areas.scope import scope_of
from cases.models import Case
from meetings.models import AgendaItem, Meeting, due_at_for
from reminders import engine
from tenancy.fields import TenantKey
from tsumugi.lib.appendonly import AppendOnly, AppendOnlyQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    AnyUser = User | AnonymousUser


class PlanError(Exception):
    """An illegal move on a plan, assessment or 支援決定; the message is shown as is."""


def coordinates(user: AnyUser, case: Case) -> bool:
    """くらし連携支援室 (city-wide) and the coordinators of the case's district run 多機関協働."""
    return scope_of(user).covers_district(case.district_id)


def coordinator_membership(user: User, case: Case) -> Membership | None:
    """The coordinator membership `user` acts under for `case`: the coordination office's, or
    one whose agency serves the case's district."""
    rows = (
        Membership.objects.active()
        .filter(user=user, role=Role.COORDINATOR)
        .filter(Q(agency__is_coordination_office=True) | Q(agency__districts=case.district_id))
        .select_related("agency")
        .order_by("-agency__is_coordination_office", "id")
    )
    return rows.first()


def _coordinator_or_refuse(user: User, case: Case) -> Membership:
    membership = coordinator_membership(user, case) if coordinates(user, case) else None
    if membership is None:
        raise PlanError(
            "多機関協働の支援決定・プランの作成は、連携の調整役の機関または"
            "この地区のコーディネーターが行います。"
        )
    return membership


# --- 支援決定 ---------------------------------------------------------------------------------


class SupportDecisionQuerySet(AppendOnlyQuerySet["SupportDecision"]):
    pass


class SupportDecision(AppendOnly):
    """A coordinator takes a case into 多機関協働: when, by whom (under which agency), why."""

    refusal = PlanError
    change_refusal = "支援決定の記録は変更できません。"
    delete_refusal = "支援決定の記録は削除できません。"

    municipality = TenantKey(parent="case", db_index=False)
    case = models.ForeignKey(
        Case, verbose_name="相談", on_delete=models.PROTECT, related_name="support_decisions"
    )
    decided_at = models.DateTimeField("支援決定日時")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="決定者", on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        Agency, verbose_name="決定した機関", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField("支援決定の理由")

    objects = SupportDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = verbose_name_plural = "支援決定"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "case"], name="support_decision_once_per_case"
            ),
        ]
        indexes = [models.Index(fields=["decided_at"], name="support_decision_at")]

    def __str__(self) -> str:
        return f"{self.case} 支援決定"

    @classmethod
    def take(
        cls, case: Case, *, by: User, reason: str, now: datetime | None = None
    ) -> SupportDecision:
        now = now or timezone.now()
        membership = _coordinator_or_refuse(by, case)
        if not reason.strip():
            raise PlanError("支援決定の理由を書いてください。")
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            if locked.status != Case.Status.OPEN:
                raise PlanError("終結した相談は多機関協働の対象にできません。")
            if cls.objects.filter(case=case).exists():
                raise PlanError("この相談はすでに多機関協働の支援決定をしています。")
            return cls.objects.create(
                case=case, decided_at=now, decided_by=by, agency=membership.agency, reason=reason
            )


# --- アセスメント -------------------------------------------------------------------------------


class AssessmentGroup(models.Model):
    """A section of the national インテーク・アセスメントシート (data, editable in the admin)."""

    code = models.SlugField("コード", max_length=40, unique=True)
    name = models.CharField("区分", max_length=60, unique=True)
    order = models.PositiveSmallIntegerField("並び順", default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = verbose_name_plural = "アセスメントの区分"

    def __str__(self) -> str:
        return self.name


class AssessmentItem(models.Model):
    group = models.ForeignKey(
        AssessmentGroup, verbose_name="区分", on_delete=models.PROTECT, related_name="items"
    )
    code = models.SlugField("コード", max_length=40, unique=True)
    label = models.CharField("確認項目", max_length=120)
    order = models.PositiveSmallIntegerField("並び順", default=0)
    reported_to_nation = models.BooleanField("国への報告事項", default=False)
    is_active = models.BooleanField("使用する", default=True)

    class Meta:
        ordering = ["group__order", "order", "id"]
        verbose_name = verbose_name_plural = "アセスメントの確認項目"

    def __str__(self) -> str:
        return self.label


class AssessmentQuerySet(AppendOnlyQuerySet["Assessment"]):
    pass


class Assessment(AppendOnly):
    """One version of a case's アセスメント; a later assessment is a new version, never an edit."""

    refusal = PlanError
    change_refusal = "記録したアセスメントは変更できません。新しい版として記録してください。"
    delete_refusal = "アセスメントは削除できません。"

    municipality = TenantKey(parent="case", db_index=False)
    case = models.ForeignKey(
        Case, verbose_name="相談", on_delete=models.PROTECT, related_name="assessments"
    )
    version = models.PositiveSmallIntegerField("版")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="記録者", on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        Agency, verbose_name="機関", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("記録日時")

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["case", "-version"]
        verbose_name = verbose_name_plural = "アセスメント"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "case", "version"], name="assessment_version_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} アセスメント第{self.version}版"

    @classmethod
    def record(
        cls,
        case: Case,
        *,
        by: User,
        answers: dict[int, tuple[bool, str]],
        now: datetime | None = None,
    ) -> Assessment:
        """Save a new version: `answers` maps an item id to (checked, note)."""
        now = now or timezone.now()
        membership = _coordinator_or_refuse(by, case)
        items = set(AssessmentItem.objects.filter(is_active=True).values_list("pk", flat=True))
        unknown = set(answers) - items
        if unknown:
            raise PlanError("使われていない確認項目が含まれています。画面を開き直してください。")
        if not any(checked or note.strip() for checked, note in answers.values()):
            raise PlanError("確認項目を1つ以上選ぶか、所見を書いてください。")
        with transaction.atomic():
            # The case row lock serialises two coordinators saving at once: versions never clash.
            Case.objects.select_for_update().get(pk=case.pk)
            if not SupportDecision.objects.filter(case=case).exists():
                raise PlanError("アセスメントの前に、多機関協働の支援決定をしてください。")
            last = cls.objects.filter(case=case).aggregate(m=models.Max("version"))["m"] or 0
            assessment = cls.objects.create(
                case=case,
                version=last + 1,
                created_by=by,
                agency=membership.agency,
                created_at=now,
            )
            AssessmentAnswer.objects.bulk_create(
                AssessmentAnswer(assessment=assessment, item_id=pk, checked=c, note=n.strip())
                for pk, (c, n) in sorted(answers.items())
                if c or n.strip()
            )
        return assessment


class AssessmentAnswerQuerySet(AppendOnlyQuerySet["AssessmentAnswer"]):
    pass


class AssessmentAnswer(AppendOnly):
    refusal = PlanError
    change_refusal = Assessment.change_refusal
    delete_refusal = Assessment.delete_refusal

    municipality = TenantKey(parent="assessment", db_index=False)
    assessment = models.ForeignKey(
        Assessment, verbose_name="アセスメント", on_delete=models.PROTECT, related_name="answers"
    )
    item = models.ForeignKey(
        AssessmentItem, verbose_name="確認項目", on_delete=models.PROTECT, related_name="+"
    )
    checked = models.BooleanField("該当", default=False)
    note = models.TextField("所見", blank=True)

    objects = AssessmentAnswerQuerySet.as_manager()

    class Meta:
        ordering = ["item__group__order", "item__order", "id"]
        verbose_name = verbose_name_plural = "アセスメントの回答"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "assessment", "item"], name="assessment_answer_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.item}"


# --- 事業 ------------------------------------------------------------------------------------


class Project(models.TextChoices):
    """The five 事業 of 重層的支援体制整備事業 (社会福祉法第106条の4第2項). Each record counts
    towards one of them; insight/results.py says which record counts where."""

    CONSULTATION = "consultation", "包括的相談支援"
    MULTI_AGENCY = "multi_agency", "多機関協働"
    OUTREACH = "outreach", "アウトリーチ等を通じた継続的支援"
    PARTICIPATION = "participation", "参加支援"
    COMMUNITY = "community", "地域づくり"


# --- 支援プラン ---------------------------------------------------------------------------------


class Status(models.TextChoices):
    DRAFT = "draft", "作成中"
    SUBMITTED = "submitted", "会議に提出"
    APPROVED = "approved", "承認"
    ACTIVE = "active", "実施中"
    EVALUATED = "evaluated", "評価"
    REPLANNED = "replanned", "再プラン"
    CLOSED = "closed", "終結"
    SUSPENDED = "suspended", "中断"


LIVE_STATUSES = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.APPROVED,
    Status.ACTIVE,
    Status.EVALUATED,
)
# A case cannot close while its plan is being carried out (or approved and about to be).
BLOCKS_CASE_CLOSE = (Status.APPROVED, Status.ACTIVE)


# The review date's deadline kind in the reminder engine (plans/ladder.py holds its policy).
REVIEW_KIND = "plan_review"


class PlanQuerySet(models.QuerySet["Plan"]):
    def visible_to(self, user: AnyUser) -> PlanQuerySet:
        """The one choke point: plans of the cases this user may see at all."""
        return self.filter(case__in=Case.objects.visible_to(user).values("pk"))

    def listed_for(self, user: AnyUser) -> PlanQuerySet:
        """The plan lists: plans of my agencies' cases and of my districts (coordinators),
        a subset of visible_to by construction (Case.objects.listed_for)."""
        return self.filter(case__in=Case.objects.listed_for(user).values("pk"))

    def current(self) -> PlanQuerySet:
        return self.exclude(status=Status.REPLANNED)

    def due_for_review(self, now: datetime) -> PlanQuerySet:
        return self.filter(status=Status.ACTIVE, review_due_at__lte=now)


class Plan(models.Model):
    """支援プラン (社会福祉法第106条の4第2項第6号): one version; a re-plan is a new row."""

    Status = Status

    municipality = TenantKey(parent="case", db_index=False)
    case = models.ForeignKey(
        Case, verbose_name="相談", on_delete=models.PROTECT, related_name="plans"
    )
    version = models.PositiveSmallIntegerField("版", default=1)
    previous = models.OneToOneField(
        "self",
        verbose_name="前の版",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_version",
    )
    decision = models.ForeignKey(
        SupportDecision, verbose_name="支援決定", on_delete=models.PROTECT, related_name="plans"
    )
    assessment = models.ForeignKey(
        Assessment,
        verbose_name="もとにしたアセスメント",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
    )
    status = models.CharField("状態", max_length=20, choices=Status.choices, default=Status.DRAFT)
    wish = models.TextField("本人の思い", blank=True)
    period_start = models.DateField("支援期間（開始）", null=True, blank=True)
    period_end = models.DateField("支援期間（終了）", null=True, blank=True)
    review_date = models.DateField("次回の見直し日", null=True, blank=True)
    review_due_at = models.DateTimeField("見直し期限", null=True, blank=True, editable=False)
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="担当コーディネーター",
        on_delete=models.PROTECT,
        related_name="coordinated_plans",
    )
    coordinator_agency = models.ForeignKey(
        Agency,
        verbose_name="担当コーディネーターの機関",
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("作成日時")
    submitted_at = models.DateTimeField("提出日時", null=True, blank=True)
    approved_at = models.DateTimeField("承認日時", null=True, blank=True)
    approved_meeting = models.ForeignKey(
        Meeting,
        verbose_name="承認した会議",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approved_plans",
    )
    started_at = models.DateTimeField("実施開始日時", null=True, blank=True)
    evaluated_at = models.DateTimeField("評価日時", null=True, blank=True)
    ended_at = models.DateTimeField("終結・中断日時", null=True, blank=True)
    end_note = models.TextField("終結・中断の理由", blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "支援プラン"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "case", "version"], name="plan_version_once"
            ),
            models.UniqueConstraint(
                fields=["municipality", "case"],
                condition=Q(status__in=[s.value for s in LIVE_STATUSES]),
                name="plan_one_live_per_case",
                violation_error_message="この相談にはすでに進行中の支援プランがあります。",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(review_due_at__isnull=False),
                name="plan_active_has_review",
            ),
            models.CheckConstraint(
                condition=Q(approved_at__isnull=True) | Q(approved_meeting__isnull=False),
                name="plan_approved_at_a_meeting",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "review_due_at"], name="plan_status_review"),
        ]

    def __str__(self) -> str:
        return f"{self.case} 支援プラン第{self.version}版"

    @property
    def is_overdue(self) -> bool:
        return (
            self.status == Status.ACTIVE
            and self.review_due_at is not None
            and self.review_due_at <= timezone.now()
        )

    # --- creation ----------------------------------------------------------------------------

    @classmethod
    def start_draft(cls, case: Case, *, by: User, now: datetime | None = None) -> Plan:
        now = now or timezone.now()
        membership = _coordinator_or_refuse(by, case)
        with transaction.atomic():
            Case.objects.select_for_update().get(pk=case.pk)
            decision = SupportDecision.objects.filter(case=case).first()
            if decision is None:
                raise PlanError("支援プランの前に、多機関協働の支援決定をしてください。")
            if cls.objects.filter(case=case, status__in=LIVE_STATUSES).exists():
                raise PlanError("この相談にはすでに進行中の支援プランがあります。")
            if case.status != Case.Status.OPEN:
                raise PlanError("終結した相談にはプランを作れません。")
            last = cls.objects.filter(case=case).aggregate(m=models.Max("version"))["m"] or 0
            plan = cls.objects.create(
                case=case,
                version=last + 1,
                decision=decision,
                assessment=Assessment.objects.filter(case=case).order_by("-version").first(),
                coordinator=by,
                coordinator_agency=membership.agency,
                created_at=now,
            )
            plan._log(PlanEvent.Kind.CREATED, by, "", now, to=Status.DRAFT)
        return plan

    # --- moves -------------------------------------------------------------------------------

    def _log(
        self,
        kind: str,
        by: User | None,
        text: str,
        now: datetime,
        *,
        was: str = "",
        to: str = "",
        meeting: Meeting | None = None,
    ) -> None:
        PlanEvent.objects.create(
            plan=self,
            kind=kind,
            from_status=was,
            to_status=to,
            actor=by,
            at=now,
            text=text,
            meeting=meeting,
        )

    def _locked(self, allowed: Iterable[str], refusal: str) -> Plan:
        """Lock the row; refuse unless it is in one of `allowed` states (checked under the
        lock, so two people pressing the same button get one move and one refusal)."""
        locked = Plan.objects.select_for_update().get(pk=self.pk)
        if locked.status not in allowed:
            raise PlanError(f"{refusal}（現在の状態: {locked.get_status_display()}）")
        return locked

    def _move(
        self,
        *,
        by: User,
        allowed: Iterable[str],
        to: str,
        kind: str,
        refusal: str,
        now: datetime,
        text: str = "",
        meeting: Meeting | None = None,
        **updates: Any,
    ) -> None:
        locked = self._locked(allowed, refusal)
        Plan.objects.filter(pk=self.pk).update(status=to, **updates)
        self._log(kind, by, text, now, was=locked.status, to=to, meeting=meeting)
        self.refresh_from_db()

    def check_coordinator(self, by: User) -> None:
        _coordinator_or_refuse(by, self.case)

    def edit(self, *, by: User, values: dict[str, Any], now: datetime | None = None) -> None:
        now = now or timezone.now()
        self.check_coordinator(by)
        with transaction.atomic():
            self._locked([Status.DRAFT], "書き直せるのは作成中のプランだけです")
            Plan.objects.filter(pk=self.pk).update(**values)
            self._log(PlanEvent.Kind.EDITED, by, "", now)
        self.refresh_from_db()

    def add_goal(self, *, by: User, term: str, text: str, now: datetime | None = None) -> Goal:
        now = now or timezone.now()
        self.check_coordinator(by)
        if not text.strip():
            raise PlanError("目標を書いてください。")
        with transaction.atomic():
            self._locked([Status.DRAFT], "目標を加えられるのは作成中のプランだけです")
            order = (self.goals.aggregate(m=models.Max("order"))["m"] or 0) + 1
            goal = Goal.objects.create(plan=self, term=term, text=text.strip(), order=order)
            self._log(PlanEvent.Kind.EDITED, by, f"目標を追加: {goal.get_term_display()}", now)
        return goal

    def add_task(
        self,
        *,
        by: User,
        goal: Goal,
        agency: Agency,
        member: Membership | None,
        task: str,
        due_date: date | None,
        project: str = Project.MULTI_AGENCY,
        now: datetime | None = None,
    ) -> GoalTask:
        now = now or timezone.now()
        self.check_coordinator(by)
        if goal.plan_id != self.pk:
            raise PlanError("この目標はこのプランのものではありません。")
        if member is not None and member.agency_id != agency.pk:
            raise PlanError("担当者はその機関の職員から選んでください。")
        if not task.strip():
            raise PlanError("その機関が行うことを書いてください。")
        if project not in Project.values:
            raise PlanError("どの事業としての支援かを選んでください。")
        with transaction.atomic():
            self._locked([Status.DRAFT], "役割分担を加えられるのは作成中のプランだけです")
            row = GoalTask.objects.create(
                goal=goal,
                agency=agency,
                membership=member,
                task=task.strip(),
                due_date=due_date,
                project=project,
            )
            self._log(PlanEvent.Kind.EDITED, by, f"役割分担を追加: {agency.name}", now)
        return row

    def submit(self, *, by: User, now: datetime | None = None) -> None:
        now = now or timezone.now()
        self.check_coordinator(by)
        with transaction.atomic():
            locked = self._locked([Status.DRAFT], "会議に提出できるのは作成中のプランだけです")
            missing = []
            if not locked.wish.strip():
                missing.append("本人の思い")
            if not locked.period_start or not locked.period_end:
                missing.append("支援期間")
            if not locked.review_date:
                missing.append("次回の見直し日")
            terms = set(self.goals.values_list("term", flat=True))
            if Goal.Term.LONG not in terms:
                missing.append("長期目標")
            if Goal.Term.SHORT not in terms:
                missing.append("短期目標")
            if self.goals.filter(tasks__isnull=True).exists():
                missing.append("すべての目標の役割分担")
            if missing:
                raise PlanError("提出する前に書いてください: " + "、".join(missing))
            if (
                locked.period_start
                and locked.period_end
                and locked.period_end < locked.period_start
            ):
                raise PlanError("支援期間の終了が開始より前になっています。")
            Plan.objects.filter(pk=self.pk).update(status=Status.SUBMITTED, submitted_at=now)
            self._log(PlanEvent.Kind.SUBMITTED, by, "", now, was=locked.status, to=Status.SUBMITTED)
        self.refresh_from_db()

    def approve(self, *, by: User, meeting: Meeting, now: datetime | None = None) -> None:
        """適切性の協議 → 承認, only at a 重層的支援会議 whose agenda holds this plan."""
        now = now or timezone.now()
        if meeting.body.kind != Body.Kind.JUUSOU:
            raise PlanError("支援プランの承認は重層的支援会議でのみ行えます。")
        if not PlanAgendaItem.objects.filter(plan=self, item__meeting=meeting).exists():
            raise PlanError(
                "このプランはこの会議の議題にありません。議題に加えてから承認してください。"
            )
        with transaction.atomic():
            self._move(
                by=by,
                allowed=[Status.SUBMITTED],
                to=Status.APPROVED,
                kind=PlanEvent.Kind.APPROVED,
                refusal="承認できるのは会議に提出されたプランだけです",
                now=now,
                text=str(meeting),
                meeting=meeting,
                approved_at=now,
                approved_meeting=meeting,
            )

    def start(self, *, by: User, now: datetime | None = None) -> None:
        """実施開始: the review date becomes a deadline of the reminder engine."""
        now = now or timezone.now()
        self.check_coordinator(by)
        with transaction.atomic():
            locked = self._locked([Status.APPROVED], "実施を始められるのは承認されたプランだけです")
            assert locked.review_date is not None  # submit() requires it
            due = due_at_for(locked.review_date)
            self._move(
                by=by,
                allowed=[Status.APPROVED],
                to=Status.ACTIVE,
                kind=PlanEvent.Kind.STARTED,
                refusal="実施を始められるのは承認されたプランだけです",
                now=now,
                started_at=now,
                review_due_at=due,
            )
            engine.start(REVIEW_KIND, self.pk, due, self.municipality_id)

    def evaluate_goal(
        self, *, by: User, goal: Goal, result: str, comment: str, now: datetime | None = None
    ) -> GoalEvaluation:
        now = now or timezone.now()
        self.check_coordinator(by)
        if goal.plan_id != self.pk:
            raise PlanError("この目標はこのプランのものではありません。")
        if result not in GoalEvaluation.Result.values:
            raise PlanError("評価（達成・一部達成・未達成）を選んでください。")
        with transaction.atomic():
            self._locked([Status.ACTIVE], "目標を評価できるのは実施中のプランだけです")
            if GoalEvaluation.objects.filter(goal=goal).exists():
                raise PlanError("この目標はすでに評価しました。")
            evaluation = GoalEvaluation.objects.create(
                goal=goal, result=result, comment=comment.strip(), evaluated_by=by, evaluated_at=now
            )
            self._log(
                PlanEvent.Kind.GOAL_EVALUATED,
                by,
                f"{goal.get_term_display()}: {evaluation.get_result_display()}",
                now,
            )
        return evaluation

    def finish_evaluation(self, *, by: User, now: datetime | None = None) -> None:
        now = now or timezone.now()
        self.check_coordinator(by)
        with transaction.atomic():
            self._locked([Status.ACTIVE], "評価を確定できるのは実施中のプランだけです")
            if self.goals.filter(evaluation__isnull=True).exists():
                raise PlanError(
                    "まだ評価していない目標があります。すべての目標を評価してください。"
                )
            self._move(
                by=by,
                allowed=[Status.ACTIVE],
                to=Status.EVALUATED,
                kind=PlanEvent.Kind.EVALUATED,
                refusal="評価を確定できるのは実施中のプランだけです",
                now=now,
                evaluated_at=now,
            )
            engine.stop(REVIEW_KIND, self.pk)

    def replan(self, *, by: User, now: datetime | None = None) -> Plan:
        """再プラン: a new draft version that starts from this evaluated one."""
        now = now or timezone.now()
        membership = _coordinator_or_refuse(by, self.case)
        with transaction.atomic():
            self._move(
                by=by,
                allowed=[Status.EVALUATED],
                to=Status.REPLANNED,
                kind=PlanEvent.Kind.REPLANNED,
                refusal="再プランにできるのは評価を終えたプランだけです",
                now=now,
                text=f"第{self.version + 1}版を作成",
            )
            new = Plan.objects.create(
                case=self.case,
                version=self.version + 1,
                previous=self,
                decision=self.decision,
                assessment=Assessment.objects.filter(case=self.case_id)
                .order_by("-version")
                .first(),
                wish=self.wish,
                coordinator=by,
                coordinator_agency=membership.agency,
                created_at=now,
            )
            for goal in self.goals.prefetch_related("tasks"):
                copy = Goal.objects.create(
                    plan=new, term=goal.term, text=goal.text, order=goal.order, previous=goal
                )
                GoalTask.objects.bulk_create(
                    GoalTask(
                        goal=copy,
                        agency_id=t.agency_id,
                        membership_id=t.membership_id,
                        task=t.task,
                        project=t.project,
                    )
                    for t in goal.tasks.all()
                )
            new._log(
                PlanEvent.Kind.CREATED,
                by,
                f"第{self.version}版の評価から作成",
                now,
                to=Status.DRAFT,
            )
        return new

    def end(
        self,
        *,
        by: User,
        outcome: str,
        note: str,
        meeting: Meeting,
        now: datetime | None = None,
    ) -> None:
        """終結・中断の判断 of a 重層的支援会議."""
        now = now or timezone.now()
        if outcome not in (Status.CLOSED, Status.SUSPENDED):
            raise PlanError("終結か中断かを選んでください。")
        if not note.strip():
            raise PlanError("終結・中断の理由を書いてください。")
        if meeting.body.kind != Body.Kind.JUUSOU:
            raise PlanError("終結・中断の判断は重層的支援会議で行います。")
        if not PlanAgendaItem.objects.filter(plan=self, item__meeting=meeting).exists():
            raise PlanError("このプランはこの会議の議題にありません。")
        with transaction.atomic():
            self._move(
                by=by,
                allowed=[Status.APPROVED, Status.ACTIVE, Status.EVALUATED],
                to=outcome,
                kind=PlanEvent.Kind.ENDED,
                refusal="終結・中断できるのは承認後のプランだけです",
                now=now,
                text=note.strip(),
                meeting=meeting,
                ended_at=now,
                end_note=note.strip(),
            )
            engine.stop(REVIEW_KIND, self.pk)


class Goal(models.Model):
    class Term(models.TextChoices):
        LONG = "long", "長期目標"
        SHORT = "short", "短期目標"

    municipality = TenantKey(parent="plan", db_index=False)
    plan = models.ForeignKey(
        Plan, verbose_name="プラン", on_delete=models.PROTECT, related_name="goals"
    )
    term = models.CharField("目標の種類", max_length=10, choices=Term.choices)
    text = models.TextField("目標")
    order = models.PositiveSmallIntegerField("並び順", default=0)
    previous = models.ForeignKey(
        "self",
        verbose_name="前の版の目標",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["plan", "term", "order", "id"]
        verbose_name = verbose_name_plural = "目標"

    def __str__(self) -> str:
        return f"{self.get_term_display()}: {self.text[:30]}"


class GoalTask(models.Model):
    """役割分担: which agency (and, if named, which member) does what by when for a goal."""

    municipality = TenantKey(parent="goal", db_index=False)
    goal = models.ForeignKey(
        Goal, verbose_name="目標", on_delete=models.PROTECT, related_name="tasks"
    )
    agency = models.ForeignKey(
        Agency, verbose_name="機関", on_delete=models.PROTECT, related_name="plan_tasks"
    )
    membership = models.ForeignKey(
        Membership,
        verbose_name="担当者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_tasks",
    )
    task = models.TextField("行うこと")
    due_date = models.DateField("いつまでに", null=True, blank=True)
    # Which 事業 this support belongs to: a 就労体験 or 居場所 is 参加支援, a regular home visit
    # アウトリーチ; the 参加支援 and アウトリーチ 対象者数 count the cases with such a task.
    project = models.CharField(
        "事業", max_length=20, choices=Project.choices, default=Project.MULTI_AGENCY
    )

    class Meta:
        ordering = ["goal", "due_date", "id"]
        verbose_name = verbose_name_plural = "役割分担"

    def __str__(self) -> str:
        return f"{self.agency}: {self.task[:30]}"


class GoalEvaluationQuerySet(AppendOnlyQuerySet["GoalEvaluation"]):
    pass


class GoalEvaluation(AppendOnly):
    refusal = PlanError
    change_refusal = "評価は変更できません。"
    delete_refusal = "評価は削除できません。"

    class Result(models.TextChoices):
        ACHIEVED = "achieved", "達成"
        PARTLY = "partly", "一部達成"
        NOT_ACHIEVED = "not_achieved", "未達成"

    municipality = TenantKey(parent="goal", db_index=False)
    goal = models.OneToOneField(
        Goal, verbose_name="目標", on_delete=models.PROTECT, related_name="evaluation"
    )
    result = models.CharField("評価", max_length=20, choices=Result.choices)
    comment = models.TextField("コメント", blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="評価者", on_delete=models.PROTECT, related_name="+"
    )
    evaluated_at = models.DateTimeField("評価日時")

    objects = GoalEvaluationQuerySet.as_manager()

    class Meta:
        ordering = ["evaluated_at", "id"]
        verbose_name = verbose_name_plural = "目標の評価"

    def __str__(self) -> str:
        return f"{self.goal}: {self.get_result_display()}"


class PlanEventQuerySet(AppendOnlyQuerySet["PlanEvent"]):
    pass


class PlanEvent(AppendOnly):
    """One immutable line of a plan's history."""

    refusal = PlanError

    class Kind(models.TextChoices):
        CREATED = "created", "作成"
        EDITED = "edited", "作成中の修正"
        SUBMITTED = "submitted", "会議に提出"
        ON_AGENDA = "on_agenda", "議題に追加"
        DECISION = "decision", "会議の判断"
        APPROVED = "approved", "承認"
        STARTED = "started", "実施開始"
        GOAL_EVALUATED = "goal_evaluated", "目標の評価"
        EVALUATED = "evaluated", "評価の確定"
        REPLANNED = "replanned", "再プラン"
        ENDED = "ended", "終結・中断"
        REMINDER = "reminder", "見直しの督促"
        REVIEW_MOVED = "review_moved", "見直し期日の変更"

    municipality = TenantKey(parent="plan", db_index=False)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("種類", max_length=20, choices=Kind.choices)
    from_status = models.CharField("前の状態", max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField("後の状態", max_length=20, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("日時")
    text = models.TextField("内容", blank=True)
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PlanEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = verbose_name_plural = "プランの記録"
        indexes = [models.Index(fields=["plan", "at"], name="plan_event_plan_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


# --- 重層的支援会議 -----------------------------------------------------------------------------


class PlanAgendaItem(models.Model):
    """A plan on a 重層的支援会議's agenda: the meeting's own AgendaItem (a case item, so the
    packet and minutes show it) tied to the plan version being discussed."""

    municipality = TenantKey(parent="plan", db_index=False)
    item = models.OneToOneField(
        AgendaItem, verbose_name="議題", on_delete=models.PROTECT, related_name="plan_item"
    )
    plan = models.ForeignKey(
        Plan, verbose_name="プラン", on_delete=models.PROTECT, related_name="agenda_items"
    )

    class Meta:
        ordering = ["item__meeting__date", "id"]
        verbose_name = verbose_name_plural = "議題にしたプラン"

    def __str__(self) -> str:
        return f"{self.item.meeting}: {self.plan}"


class PlanDecisionQuerySet(AppendOnlyQuerySet["PlanDecision"]):
    pass


class PlanDecision(AppendOnly):
    """What the 重層的支援会議 decided about a plan item (the four functions in the guidance)."""

    refusal = PlanError
    change_refusal = "会議の判断の記録は変更できません。"
    delete_refusal = "会議の判断の記録は削除できません。"

    class Kind(models.TextChoices):
        APPROVAL = "approval", "適切性の協議（承認）"
        REVIEW = "review", "経過・成果の評価"
        END = "end", "終結・中断の判断"
        RESOURCES = "resources", "社会資源の把握・開発"

    municipality = TenantKey(parent="plan_item", db_index=False)
    plan_item = models.ForeignKey(
        PlanAgendaItem, verbose_name="議題", on_delete=models.PROTECT, related_name="decisions"
    )
    kind = models.CharField("判断の種類", max_length=20, choices=Kind.choices)
    outcome = models.CharField("終結・中断", max_length=20, choices=Status.choices, blank=True)
    note = models.TextField("内容", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="記録者", on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("日時")

    objects = PlanDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = verbose_name_plural = "会議の判断"

    def __str__(self) -> str:
        return f"{self.plan_item}: {self.get_kind_display()}"
