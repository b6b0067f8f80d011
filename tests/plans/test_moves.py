"""Every plan move checks where it starts, appends an event, and refuses with a reason."""

from __future__ import annotations

import pytest

from areas.models import Body
from cases.models import Case, CaseError
from plans import council
from plans.models import (
    REVIEW_KIND,
    Assessment,
    AssessmentItem,
    Goal,
    GoalEvaluation,
    GoalTask,
    Plan,
    PlanDecision,
    PlanError,
    PlanEvent,
    Project,
    Status,
    SupportDecision,
)
from tests.conftest import World, make_case
from tests.meetings.conftest import make_meeting
from tests.plans.conftest import NOW, Council, draft, walk
from tests.reminders.reminder_support import cursor


def test_only_a_coordinator_takes_a_case_into_multi_agency_work(world: World) -> None:
    case = make_case(world)
    with pytest.raises(PlanError, match="コーディネーター"):
        SupportDecision.take(case, by=world.alice, reason="複合的な課題")
    decision = SupportDecision.take(case, by=world.coordinator, reason="複合的な課題", now=NOW)
    assert (decision.agency, decision.decided_by, decision.decided_at) == (
        world.office,
        world.coordinator,
        NOW,
    )
    with pytest.raises(PlanError, match="すでに"):
        SupportDecision.take(case, by=world.coordinator, reason="もう一度")
    with pytest.raises(PlanError, match="変更できません"):
        decision.save()


def test_assessments_are_versions_never_overwritten(world: World) -> None:
    case = make_case(world)
    SupportDecision.take(case, by=world.coordinator, reason="複合的な課題")
    first_item, second_item = AssessmentItem.objects.all()[:2]
    one = Assessment.record(case, by=world.coordinator, answers={first_item.pk: (True, "")})
    two = Assessment.record(case, by=world.coordinator, answers={second_item.pk: (True, "要確認")})
    assert (one.version, two.version) == (1, 2)
    assert list(one.answers.values_list("item_id", flat=True)) == [first_item.pk]
    assert list(two.answers.values_list("item_id", "note")) == [(second_item.pk, "要確認")]
    with pytest.raises(PlanError):
        one.answers.update(note="書き換え")
    with pytest.raises(PlanError, match="1つ以上"):
        Assessment.record(case, by=world.coordinator, answers={first_item.pk: (False, " ")})


def test_the_national_form_groups_are_loaded_as_data(world: World) -> None:
    groups = list(
        AssessmentItem.objects.values_list("group__name", flat=True).distinct().order_by()
    )
    assert set(groups) == {
        "世帯の状況",
        "健康・障がい",
        "経済・就労",
        "住まい",
        "社会参加・つながり",
        "本人の思い",
        "支援者の見立て",
    }
    assert AssessmentItem.objects.filter(reported_to_nation=True).exists()


def test_a_plan_is_submitted_only_when_complete(world: World) -> None:
    case = make_case(world)
    SupportDecision.take(case, by=world.coordinator, reason="複合的な課題")
    plan = Plan.start_draft(case, by=world.coordinator)
    with pytest.raises(PlanError, match="本人の思い、支援期間、次回の見直し日、長期目標、短期目標"):
        plan.submit(by=world.coordinator)
    assert plan.status == Status.DRAFT


def test_each_move_appends_an_event_with_both_states(world: World, juusou: Council) -> None:
    plan = walk(world, juusou, Status.ACTIVE)
    moves = list(plan.events.exclude(to_status="").values_list("kind", "from_status", "to_status"))
    assert moves == [
        ("created", "", "draft"),
        ("submitted", "draft", "submitted"),
        ("approved", "submitted", "approved"),
        ("started", "approved", "active"),
    ]
    with pytest.raises(PlanError):
        PlanEvent.objects.filter(plan=plan).delete()


@pytest.mark.parametrize(
    ("state", "move"),
    [
        (Status.DRAFT, "start"),
        (Status.DRAFT, "finish_evaluation"),
        (Status.SUBMITTED, "submit"),
        (Status.APPROVED, "replan"),
        (Status.ACTIVE, "replan"),
        (Status.EVALUATED, "start"),
        (Status.CLOSED, "start"),
    ],
)
def test_illegal_moves_are_refused_with_the_current_state(
    world: World, juusou: Council, state: str, move: str
) -> None:
    plan = walk(world, juusou, state)
    events = plan.events.count()
    with pytest.raises(PlanError, match=f"現在の状態: {Status(state).label}"):
        getattr(plan, move)(by=world.coordinator)
    plan.refresh_from_db()
    assert plan.status == state
    assert plan.events.count() == events


def test_approval_only_at_a_juusou_meeting_with_the_plan_on_its_agenda(
    world: World, juusou: Council
) -> None:
    plan = draft(world)
    plan.submit(by=world.coordinator)
    district_body = Body.objects.create(
        code="kurashi-kutsuki",
        name="朽木くらし連携会議",
        kind=Body.Kind.DISTRICT,
        area=world.kutsuki,
    )
    with pytest.raises(PlanError, match="重層的支援会議でのみ"):
        plan.approve(by=world.coordinator, meeting=make_meeting(world, district_body))
    with pytest.raises(PlanError, match="議題にありません"):
        plan.approve(by=world.coordinator, meeting=juusou.meeting)
    other = make_meeting(world, juusou.body)
    council.put_on_agenda(plan, meeting=other, by=world.coordinator)
    with pytest.raises(PlanError, match="議題にありません"):
        plan.approve(by=world.coordinator, meeting=juusou.meeting)
    plan.refresh_from_db()
    assert plan.status == Status.SUBMITTED
    plan.approve(by=world.coordinator, meeting=other)
    assert (plan.status, plan.approved_meeting) == (Status.APPROVED, other)


def test_a_case_with_a_plan_being_carried_out_cannot_close(world: World, juusou: Council) -> None:
    plan = walk(world, juusou, Status.ACTIVE)
    case = plan.case
    with pytest.raises(CaseError, match="実施中のため、相談を終結できません"):
        case.close(by=world.alice, note="解決")
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    ended = walk(world, juusou, Status.CLOSED)
    ended.case.close(by=world.alice, note="解決")
    assert ended.case.status == Case.Status.CLOSED


def test_replan_starts_from_the_evaluated_version(world: World, juusou: Council) -> None:
    plan = walk(world, juusou, Status.EVALUATED)
    new = plan.replan(by=world.coordinator)
    plan.refresh_from_db()
    assert (plan.status, new.status, new.version, new.previous) == (
        Status.REPLANNED,
        Status.DRAFT,
        2,
        plan,
    )
    assert new.wish == plan.wish
    assert [(g.term, g.text, g.previous_id) for g in new.goals.all()] == [
        (g.term, g.text, g.pk) for g in plan.goals.all()
    ]
    assert new.goals.filter(tasks__isnull=True).count() == 0
    assert not GoalEvaluation.objects.filter(goal__plan=new).exists()


def test_every_goal_is_evaluated_before_the_evaluation_closes(
    world: World, juusou: Council
) -> None:
    plan = walk(world, juusou, Status.ACTIVE)
    long, short = plan.goals.order_by("term")
    plan.evaluate_goal(by=world.coordinator, goal=long, result="achieved", comment="安定")
    with pytest.raises(PlanError, match="すでに評価"):
        plan.evaluate_goal(by=world.coordinator, goal=long, result="partly", comment="")
    with pytest.raises(PlanError, match="まだ評価していない目標"):
        plan.finish_evaluation(by=world.coordinator)
    plan.evaluate_goal(by=world.coordinator, goal=short, result="not_achieved", comment="申請中")
    plan.finish_evaluation(by=world.coordinator)
    assert plan.status == Status.EVALUATED
    assert cursor(plan.pk, REVIEW_KIND) == (None, 0)
    assert {g.term: g.evaluation.get_result_display() for g in plan.goals.all()} == {
        Goal.Term.LONG: "達成",
        Goal.Term.SHORT: "未達成",
    }


def test_the_end_decision_closes_or_suspends_the_plan(world: World, juusou: Council) -> None:
    suspended = walk(world, juusou, Status.SUSPENDED)
    assert cursor(suspended.pk, REVIEW_KIND) == (None, 0)
    assert (suspended.status, suspended.end_note) == (
        Status.SUSPENDED,
        "目標を達成した",
    )
    decision = PlanDecision.objects.get(plan_item__plan=suspended, kind=PlanDecision.Kind.END)
    assert decision.outcome == Status.SUSPENDED


def test_a_replan_keeps_the_project_each_task_counts_towards(world: World, juusou: Council) -> None:
    """参加支援 and アウトリーチ 対象者数 read GoalTask.project: a new version must not reset it."""
    plan = walk(world, juusou, Status.EVALUATED)
    GoalTask.objects.filter(goal__plan=plan).update(project=Project.PARTICIPATION)
    new = plan.replan(by=world.coordinator)
    assert set(GoalTask.objects.filter(goal__plan=new).values_list("project", flat=True)) == {
        Project.PARTICIPATION
    }
