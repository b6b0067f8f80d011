"""Demo 多機関協働: in 朽木, one consented case in each plan state (作成中, 会議に提出, 承認,
実施中 — one of them past its review date —, 評価, 再プラン, 終結, 中断), decided at the city's
重層的支援会議 (data/takashima.json, body kind "juusou").

`seed_demo` calls `load(path)` after the meetings (TSUMUGI_DEMO_LOADERS). It adds nothing when
the 重層的支援会議 already has meetings, so running it twice changes nothing; the texts and the
order are fixed, the dates count back from today like the other demo loaders.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from areas.models import Agency, Area, Body, Membership, Role
from cases.intake import PersonData, open_case
from cases.models import Basis, Channel, IssueTag
from meetings.models import Meeting

from . import council
from .models import (
    Assessment,
    AssessmentItem,
    Goal,
    GoalEvaluation,
    Plan,
    PlanDecision,
    Project,
    Status,
    SupportDecision,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DISTRICT = "kutsuki"
CASES: list[tuple[str, str, str, list[PersonData]]] = [
    (
        Status.DRAFT,
        "80代の母と50代の長男の世帯。長男は長く外出していない。",
        "母の世話を続けながら、少しずつ外に出たい",
        [
            PersonData("朽木 花江", "くつき はなえ", 1943, "母", True),
            PersonData("朽木 一夫", "くつき かずお", 1972, "長男"),
        ],
    ),
    (
        Status.SUBMITTED,
        "中学生が祖母の介護を担っている。学校を休みがち。",
        "学校に通いながら、祖母のことも心配せずに過ごしたい",
        [
            PersonData("市場 さくら", "いちば さくら", 2012, "本人", True),
            PersonData("市場 トメ", "いちば とめ", 1938, "祖母"),
        ],
    ),
    (
        Status.APPROVED,
        "失職後に家賃と税を滞納。持病の通院も途切れている。",
        "仕事を見つけて、今の家に住み続けたい",
        [PersonData("雲洞谷 誠", "うとうだに まこと", 1968, "本人", True)],
    ),
    (
        Status.ACTIVE,
        "ひとり暮らしの高齢男性。ごみの堆積があり、近所とも疎遠。",
        "家を片付けて、昔のように近所の人と話したい",
        [PersonData("岩瀬 茂", "いわせ しげる", 1946, "本人", True)],
    ),
    (
        Status.EVALUATED,
        "障がいのある30代の娘と70代の父。父の入院で生活が不安定に。",
        "父が退院しても、二人で暮らしたい",
        [
            PersonData("野尻 一郎", "のじり いちろう", 1953, "父", True),
            PersonData("野尻 美和", "のじり みわ", 1992, "長女"),
        ],
    ),
    (
        Status.REPLANNED,
        "ひとり親家庭。母が体調を崩し、子どもの登校が途切れがち。",
        "子どもが安心して学校に行けるようにしたい",
        [
            PersonData("麻生 由美", "あそう ゆみ", 1986, "本人", True),
            PersonData("麻生 蓮", "あそう れん", 2014, "長男"),
        ],
    ),
    (
        Status.CLOSED,
        "ひきこもり状態だった40代男性。就労体験を経て週3日の仕事に。",
        "自分のペースで働き続けたい",
        [PersonData("古川 健", "ふるかわ けん", 1982, "本人", True)],
    ),
    (
        Status.SUSPENDED,
        "生活困窮の相談。本人が市外の家族のもとへ転居した。",
        "家族の近くで暮らしたい",
        [PersonData("桑原 和子", "くわばら かずこ", 1959, "本人", True)],
    ),
]


def load(path: Path) -> list[str]:
    body = Body.objects.filter(kind=Body.Kind.JUUSOU).first()
    district = Area.objects.filter(code=DISTRICT).first()
    if body is None or district is None:
        return [
            "多機関協働: 重層的支援会議または朽木がデータにないため、デモのプランは作りません。"
        ]
    if body.meetings.exists():
        return [f"多機関協働: {body.name}にはすでに会議があるため、追加しません。"]
    coordinator = (
        Membership.objects.active()
        .filter(role=Role.COORDINATOR, agency__is_coordination_office=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    desk = (
        Membership.objects.active()
        .filter(role=Role.COUNTER, agency__districts=district)
        .select_related("user", "agency")
        .order_by("id")
        .first()
    )
    if coordinator is None or desk is None:
        return ["多機関協働: コーディネーターか朽木の受付がいないため、デモのプランは作りません。"]
    roster = list(
        Agency.objects.filter(memberships__roster_entries__body=body).distinct().order_by("id")
    )
    now = timezone.now()
    by = coordinator.user
    past = _meeting(body, by, timezone.localdate(now) - timedelta(days=35))
    upcoming = _meeting(body, by, timezone.localdate(now) + timedelta(days=14))
    tags = list(IssueTag.objects.filter(Q(code="8050") | Q(code="hikikomori")).order_by("id"))
    start = now - timedelta(days=60)
    made = []
    for i, (state, summary, wish, people) in enumerate(CASES):
        received = start + timedelta(days=i)
        case = open_case(
            agency=desk.agency,
            by=desk.user,
            district=district,
            channel=Channel.WINDOW,
            summary=summary,
            basis=Basis.CONSENT,
            tags=tags,
            people=people,
            consent_agencies=[a for a in roster if a.pk != desk.agency_id],
            consent_scope="生活の状況と支援の経過（重層的支援会議での共有を含む）",
            received_at=received,
            now=received,
        )
        moment = received + timedelta(days=1)
        SupportDecision.take(
            case, by=by, reason="複合的な課題があり、複数の機関で支えるため", now=moment
        )
        items = list(AssessmentItem.objects.filter(is_active=True).order_by("id")[:3])
        Assessment.record(case, by=by, answers={it.pk: (True, "") for it in items}, now=moment)
        plan = Plan.start_draft(case, by=by, now=moment)
        _fill(plan, by, wish, roster, timezone.localdate(now), overdue=i == 3)
        _walk(plan, Status(state), by, past, upcoming, moment)
        made.append(
            f"{case.number}（{Plan.objects.filter(case=case).order_by('-version')[0].get_status_display()}）"
        )
    return [f"多機関協働: 朽木の支援プラン{len(made)}件 — " + "、".join(made)]


def _meeting(body: Body, by: User, day: date) -> Meeting:
    return Meeting.objects.create(
        body=body,
        title="重層的支援会議",
        date=day,
        start_time=time(13, 30),
        place="高島市役所 3階 会議室",
        created_by=by,
    )


def _fill(
    plan: Plan, by: User, wish: str, roster: list[Agency], today: date, *, overdue: bool
) -> None:
    review = today - timedelta(days=7) if overdue else today + timedelta(days=60)
    plan.edit(
        by=by,
        values={
            "wish": wish,
            "period_start": today - timedelta(days=30),
            "period_end": today + timedelta(days=150),
            "review_date": review,
        },
    )
    helpers = roster or list(Agency.objects.active().order_by("id")[:1])
    long = plan.add_goal(by=by, term=Goal.Term.LONG, text="地域の中で安心して暮らし続ける")
    short = plan.add_goal(by=by, term=Goal.Term.SHORT, text="困りごとを相談できる相手とつながる")
    for goal, task, project in (
        (long, "月1回の訪問で暮らしの様子を確かめる", Project.OUTREACH),
        (short, "居場所や制度の利用を一緒に申し込む", Project.PARTICIPATION),
    ):
        agency = helpers[(goal.order - 1) % len(helpers)]
        plan.add_task(
            by=by,
            goal=goal,
            agency=agency,
            member=None,
            task=task,
            due_date=today + timedelta(days=45),
            project=project,
        )


def _walk(
    plan: Plan, state: Status, by: User, past: Meeting, upcoming: Meeting, moment: datetime
) -> None:
    order = [Status.SUBMITTED, Status.APPROVED, Status.ACTIVE, Status.EVALUATED]
    ends = {
        Status.REPLANNED: Status.EVALUATED,
        Status.CLOSED: Status.EVALUATED,
        Status.SUSPENDED: Status.ACTIVE,
    }
    target = ends.get(state, state)
    if target == Status.DRAFT:
        return
    steps = order[: order.index(target) + 1]
    plan.submit(by=by, now=moment)
    if target == Status.SUBMITTED:
        council.put_on_agenda(plan, meeting=upcoming, by=by, now=moment)
        return
    entry = council.put_on_agenda(plan, meeting=past, by=by, now=moment)
    council.record_decision(
        entry, kind=PlanDecision.Kind.APPROVAL, by=by, note="適切と判断", now=moment
    )
    if Status.ACTIVE in steps:
        plan.start(by=by, now=moment)
    if Status.EVALUATED in steps:
        results = [GoalEvaluation.Result.ACHIEVED, GoalEvaluation.Result.PARTLY]
        for goal, result in zip(plan.goals.order_by("term", "order"), results, strict=False):
            plan.evaluate_goal(
                by=by, goal=goal, result=result, comment="訪問を続けて様子を確認", now=moment
            )
        plan.finish_evaluation(by=by, now=moment)
    if state == Status.REPLANNED:
        plan.replan(by=by, now=moment)
    if state in (Status.CLOSED, Status.SUSPENDED):
        council.record_decision(
            entry,
            kind=PlanDecision.Kind.END,
            outcome=state,
            note="目標を達成したため" if state == Status.CLOSED else "市外へ転居したため",
            by=by,
            now=moment,
        )
