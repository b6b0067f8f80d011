"""Demo consultations for the hand-off loop: about 18 months of history ending now.

`seed_demo` calls `load(path)` after the city is loaded (setting TSUMUGI_DEMO_LOADERS). It
- loads the issue tags of the data file's `issue_tags` section (matched by code), then
- writes the history once: when any case exists it adds nothing, so running twice changes
  nothing and a real database never gets demo cases mixed in.

The structure is fixed by a seeded random generator; the dates are relative to the moment of
loading so the demo looks current: old sheets have ended, recent ones are open, and a few show
each failure mode of the seed — sheets nobody acknowledged (レスポンスが無い), acknowledged sheets
that went silent (自然消滅), multi-field cases kept without a sheet (抱え込み), redirects and
withdrawals, and cases without a legal basis whose sheets are anonymised. The demo receiving
agency (地域包括支援センター) always has overdue sheets, so reminders appear at once.

Every move goes through the real model methods with `now=` set in the past, so the events,
deadlines and cursors are exactly what the application itself would have written.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db.models import F, Max
from django.utils import timezone

from areas.calendar import business_calendar
from areas.models import Agency, Area, Body, Field, Membership, Role
from cases.intake import PersonData, open_case
from cases.models import Basis, Case, Channel, Event, IssueTag
from reminders.models import Mail, Notification
from tsumugi.lib.dates import TOKYO, BusinessCalendar, local_date

from .models import Handover, Outcome, Phrase, PhraseUse, Sheet, Status, Urgency

SEED = 20250601
CASES = 320
HISTORY_DAYS = 540
# The demo's receiving agency and the counter that sends to it (codes of data/takashima.json);
# another city's file falls back to its busiest receiver and first counter.
DEMO_RECEIVER = "houkatsu-center"
DEMO_SENDER = "kutsuki-branch"


# 定型文 of the demo agencies (codes of data/takashima.json), by use: agency text, no one's data.
DEMO_PHRASES: dict[str, dict[str, list[str]]] = {
    "kutsuki-branch": {
        PhraseUse.REQUEST: [
            "ご本人の了解を得て、自宅への訪問と状況の確認をお願いします。",
            "介護保険の申請について、ご家族への説明をお願いします。",
            "支所では見守り訪問を続けます。専門の立場からの助言をお願いします。",
        ],
    },
    "houkatsu-center": {
        PhraseUse.REQUEST: ["生活の立て直しについて、相談にのっていただけますか。"],
        PhraseUse.PROGRESS: [
            "自宅を訪問し、ご本人と面談しました。",
            "ご家族と電話で話し、次の訪問日を決めました。",
            "ケアマネジャーと情報を共有しました。",
        ],
        PhraseUse.CLOSE: [
            "介護サービスの利用が始まり、担当ケアマネジャーに引き継ぎました。",
            "ご本人の希望により、支援を終えました。",
        ],
    },
    "yorozu": {
        PhraseUse.PROGRESS: [
            "家計の状況を一緒に整理しました。",
            "住まいの確保について、次回の面談で話し合います。",
        ],
        PhraseUse.CLOSE: ["就労が決まり、定期の相談を終えました。"],
    },
}


def load_phrases() -> list[str]:
    """The demo 定型文, once (matched by agency, use and text)."""
    agencies = {a.code: a for a in Agency.objects.filter(code__in=DEMO_PHRASES)}
    made = 0
    for code, uses in DEMO_PHRASES.items():
        if code not in agencies:
            continue
        for use, texts in uses.items():
            for order, text in enumerate(texts):
                _, created = Phrase.objects.get_or_create(
                    agency=agencies[code], use=use, text=text, defaults={"order": order}
                )
                made += created
    return [f"定型文: {made} 件を追加しました。"] if made else []


def load(path: Path, cases: int | None = None) -> list[str]:
    return load_history(path, cases) + load_phrases()


def load_history(path: Path, cases: int | None = None) -> list[str]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    tags = load_tags(data.get("issue_tags", []))
    if not tags:
        return ["相談: データファイルに課題タグ（issue_tags）がないため、デモの相談は作りません。"]
    existing = Case.objects.count()
    if existing:
        return [f"相談: すでに {existing} 件あるため、デモの相談は追加しません。"]
    city = DemoCity.from_database(tags)
    if city is None:
        return ["相談: 受付（counter）と職員のいる機関がないため、デモの相談は作りません。"]
    History(city, random.Random(SEED), timezone.now(), cases or CASES).write()
    settle_notices(timezone.now())
    return summary_lines(timezone.now())


def settle_notices(now: datetime) -> None:
    """The history's moves wrote their notices as they happened: what was mailed then went out
    then (the demo's worker does not send 18 months of mail at start), and what is more than a
    week old was read. The last week's notices stay unread, so every demo user finds them."""
    Mail.objects.filter(sent_at__isnull=True, created_at__lt=now - timedelta(hours=1)).update(
        sent_at=F("created_at")
    )
    week_ago = now - timedelta(days=7)
    Notification.objects.filter(read_at__isnull=True, created_at__lt=week_ago).update(
        read_at=F("created_at")
    )


def load_tags(rows: Sequence[dict[str, str]]) -> dict[str, IssueTag]:
    fields = {f.code: f for f in Field.objects.all()}
    tags = {}
    for order, row in enumerate(rows):
        if row["field"] not in fields:
            continue
        tags[row["code"]], _ = IssueTag.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"], "field": fields[row["field"]], "order": order},
        )
    return tags


def summary_lines(now: datetime) -> list[str]:
    sheets = Sheet.objects.all()
    by_status = {s.label: sheets.filter(status=s).count() for s in Status}
    return [
        f"相談: {Case.objects.count()} 件（うち対応中 {Case.objects.open().count()} 件）、"
        f"シート {sheets.count()} 件（"
        + "、".join(f"{label} {n}" for label, n in by_status.items())
        + "）",
        f"  受理期限切れ {sheets.filter(status=Status.SENT, ack_due_at__lt=now).count()} 件、"
        f"経過報告期限切れ "
        f"{sheets.filter(status=Status.ACKNOWLEDGED, follow_up_due_at__lt=now).count()} 件、"
        f"匿名シート {sheets.filter(is_anonymised=True).count()} 件",
    ]


# --- the city as the demo needs it ---------------------------------------------------------------


@dataclass
class Desk:
    agency: Agency
    user: User
    districts: list[Area]


@dataclass
class Receiver:
    agency: Agency
    field_ids: frozenset[int]
    staff: list[User]
    supervisors: list[User]


@dataclass
class DemoCity:
    tags: dict[str, IssueTag]
    desks: list[Desk]
    receivers: list[Receiver]
    outcomes: list[Outcome]
    demo_desk: Desk
    demo_receiver: Receiver

    @classmethod
    def from_database(cls, tags: dict[str, IssueTag]) -> DemoCity | None:
        all_districts = list(Area.objects.districts())
        members = Membership.objects.active().select_related("agency", "user")
        desks: list[Desk] = []
        staff: dict[int, Receiver] = {}
        for m in members.order_by("agency__code", "user__username", "role"):
            if m.role == Role.COUNTER:
                served = list(m.agency.districts.all()) or all_districts
                desks.append(Desk(m.agency, m.user, served))
            elif m.role in (Role.STAFF, Role.SUPERVISOR):
                receiver = staff.setdefault(
                    m.agency_id,
                    Receiver(
                        m.agency, frozenset(m.agency.fields.values_list("id", flat=True)), [], []
                    ),
                )
                (receiver.staff if m.role == Role.STAFF else receiver.supervisors).append(m.user)
        receivers = [r for r in staff.values() if r.field_ids]
        if not desks or not receivers or not all_districts:
            return None
        demo_desk = next((d for d in desks if d.agency.code == DEMO_SENDER), desks[0])
        demo_receiver = next(
            (r for r in receivers if r.agency.code == DEMO_RECEIVER),
            max(receivers, key=lambda r: len(r.staff) + len(r.supervisors)),
        )
        return cls(
            tags,
            desks,
            receivers,
            list(Outcome.objects.filter(is_active=True)),
            demo_desk,
            demo_receiver,
        )

    def receivers_for(self, tags: Sequence[IssueTag], sender: Agency) -> list[Receiver]:
        fields = {t.field_id for t in tags}
        return [r for r in self.receivers if r.field_ids & fields and r.agency != sender]


# --- what residents bring to the counter ----------------------------------------------------------

SURNAMES = [
    ("山田", "やまだ"),
    ("佐藤", "さとう"),
    ("鈴木", "すずき"),
    ("田中", "たなか"),
    ("中村", "なかむら"),
    ("小林", "こばやし"),
    ("加藤", "かとう"),
    ("吉田", "よしだ"),
    ("山本", "やまもと"),
    ("松本", "まつもと"),
    ("井上", "いのうえ"),
    ("木村", "きむら"),
    ("清水", "しみず"),
    ("森", "もり"),
    ("池田", "いけだ"),
    ("橋本", "はしもと"),
    ("石川", "いしかわ"),
    ("前田", "まえだ"),
    ("藤井", "ふじい"),
    ("岡田", "おかだ"),
]
OLD_WOMEN = [("花子", "はなこ"), ("幸子", "さちこ"), ("和子", "かずこ"), ("節子", "せつこ")]
OLD_MEN = [("茂", "しげる"), ("博", "ひろし"), ("勇", "いさむ"), ("清", "きよし")]
ADULT_MEN = [("一郎", "いちろう"), ("健一", "けんいち"), ("誠", "まこと"), ("剛", "つよし")]
ADULT_WOMEN = [("直美", "なおみ"), ("恵子", "けいこ"), ("由美", "ゆみ"), ("真理", "まり")]
CHILDREN = [("翔太", "しょうた"), ("美咲", "みさき"), ("陽菜", "ひな"), ("蓮", "れん")]

# (relation, given-name pool, age range); the first member is the primary person.
Household = list[tuple[str, list[tuple[str, str]], tuple[int, int]]]


@dataclass(frozen=True)
class Scenario:
    tags: tuple[str, ...]
    summary: str
    household: Household
    channels: tuple[str, ...] = (Channel.WINDOW, Channel.PHONE)
    weight: int = 1


SCENARIOS = [
    Scenario(
        ("8050", "hikikomori", "kaigo"),
        "80代の母と50代の長男の二人暮らし。長男は10年ほど外出しておらず、母の介護も"
        "難しくなってきた。",
        [("本人", OLD_WOMEN, (80, 89)), ("長男", ADULT_MEN, (50, 59))],
        (Channel.WINDOW, Channel.MINSEI, Channel.VISIT),
        3,
    ),
    Scenario(
        ("young-carer", "kenko"),
        "中学生の長女が、病気の母の通院の付き添いと弟の世話をしていて、学校を休みがち。",
        [("母", ADULT_WOMEN, (38, 47)), ("長女", CHILDREN, (13, 15)), ("長男", CHILDREN, (8, 11))],
        (Channel.AGENCY, Channel.PHONE),
        2,
    ),
    Scenario(
        ("konkyu", "shuro"),
        "勤め先の廃業で収入がなくなり、家賃と公共料金を滞納している。",
        [("本人", ADULT_MEN, (35, 59))],
        (Channel.WINDOW, Channel.PHONE),
        3,
    ),
    Scenario(
        ("kaigo", "koritsu"),
        "一人暮らし。民生委員から、最近外で姿を見かけないと連絡があった。",
        [("本人", OLD_WOMEN, (75, 92))],
        (Channel.MINSEI, Channel.VISIT),
        3,
    ),
    Scenario(
        ("dv", "kosodate", "sumai"),
        "夫からの暴力があり、子ども2人と家を出たいと相談。身を寄せる先がない。",
        [("本人", ADULT_WOMEN, (28, 42)), ("長男", CHILDREN, (4, 9)), ("長女", CHILDREN, (1, 5))],
        (Channel.PHONE, Channel.WINDOW),
        1,
    ),
    Scenario(
        ("shogai", "shuro"),
        "障がい者手帳を持っている。働きたいが、続けられる仕事が見つからない。",
        [("本人", ADULT_MEN, (20, 45))],
        (Channel.WINDOW,),
        2,
    ),
    Scenario(
        ("kenko", "koritsu"),
        "糖尿病の治療を中断している。近所付き合いがなく、食事も偏っている。",
        [("本人", OLD_MEN, (65, 80))],
        (Channel.OUTREACH, Channel.VISIT),
        2,
    ),
    Scenario(
        ("kosodate",),
        "0歳児を育てている。夜泣きで眠れず、相談できる人が近くにいない。",
        [("本人", ADULT_WOMEN, (22, 36)), ("長女", CHILDREN, (0, 0))],
        (Channel.WINDOW, Channel.PHONE),
        2,
    ),
    Scenario(
        ("sumai", "konkyu"),
        "家の老朽化がひどく雨漏りがするが、修理の費用が出せない。",
        [("本人", OLD_MEN, (70, 85)), ("妻", OLD_WOMEN, (68, 83))],
        (Channel.WINDOW,),
        2,
    ),
    Scenario(
        ("ninchisho", "kaigo", "saimu"),
        "物忘れが増え、同じ商品を何度も買っている。通帳の管理ができず、借金もあるらしい。",
        [("本人", OLD_MEN, (78, 90))],
        (Channel.AGENCY, Channel.MINSEI),
        2,
    ),
    Scenario(
        ("futoko", "kosodate"),
        "中学2年の長男が半年ほど登校していない。母は仕事と家事で余裕がない。",
        [("母", ADULT_WOMEN, (38, 50)), ("長男", CHILDREN, (13, 14))],
        (Channel.AGENCY, Channel.WINDOW),
        2,
    ),
    Scenario(
        ("hikikomori",),
        "30代の長男が自室から出てこない。両親は高齢になってきた。",
        [("父", OLD_MEN, (62, 72)), ("長男", ADULT_MEN, (30, 39))],
        (Channel.PHONE,),
        1,
    ),
]

REQUESTS = [
    "訪問して、本人の状況の確認と、利用できる制度の説明をお願いします。",
    "専門の立場から、支援の方針について助言をお願いします。",
    "本人と面談のうえ、サービスの利用につないでください。",
]
CONTINUING = [
    "支所で月1回の訪問と、民生委員との情報共有を続けます。",
    "窓口での相談を続け、手続きの同行をします。",
    "家族からの電話相談を受け続けます。",
]
REPORTS = [
    "本人宅を訪問し、状況を確認しました。次回は2週間後に訪問します。",
    "本人と電話で話しました。体調は落ち着いています。",
    "関係機関で打合せを行い、役割分担を確認しました。",
    "申請書類の準備を手伝いました。来週提出の予定です。",
    "家族と面談しました。本人の受け入れについて話し合いを続けます。",
]
ROLES = [
    "当センター：訪問と制度の申請支援。支所：見守りと家族との連絡。",
    "当方：面談と計画づくり。送付元：本人への声かけ。",
    "当方：サービス調整。送付元：生活面の相談の継続。",
]
WITHDRAW_REASONS = [
    "本人から、今は支援を望まないと連絡があったため。",
    "世帯が市外へ転居したため。",
    "当方の窓口での相談で解決したため。",
]
CLOSE_NOTES = {
    "support": "継続的な支援に移行しました。",
    "resolved": "当面の課題は解決しました。",
    "connected": "より適した機関につなぎました。",
    "declined": "本人が支援を望まなかったため終了します。",
    "unreachable": "何度か連絡しましたがつながりませんでした。",
    "died_moved": "転出のため終了します。",
}
OUTCOME_WEIGHTS = {
    "support": 8,
    "resolved": 4,
    "connected": 3,
    "declined": 2,
    "unreachable": 2,
    "died_moved": 1,
}


# --- the history --------------------------------------------------------------------------------

Move = Callable[[datetime], object]


@dataclass
class History:
    city: DemoCity
    rng: random.Random
    now: datetime
    cases: int = CASES
    calendar: BusinessCalendar = field(default_factory=business_calendar)

    def write(self) -> None:
        for n in range(self.cases):
            # Older consultations are fewer: the system was taken up gradually.
            days_ago = int(HISTORY_DAYS * (1 - self.rng.random() ** 0.7)) + 1
            self.consultation(self.business_moment(self.now - timedelta(days=days_ago)), n)
        self.demo_receiver_queue()

    # time -----------------------------------------------------------------------------------

    def at_work(self, day: date) -> datetime:
        hour, minute = self.rng.randint(9, 16), self.rng.choice((0, 10, 20, 30, 40, 50))
        return datetime.combine(day, time(hour, minute), tzinfo=TOKYO).astimezone(UTC)

    def business_moment(self, moment: datetime) -> datetime:
        return self.at_work(self.calendar.business_day_on_or_after(local_date(moment)))

    def after(self, moment: datetime, business_days: int) -> datetime:
        later = self.at_work(self.calendar.add_business_days(local_date(moment), business_days))
        return max(later, moment + timedelta(minutes=20))

    def days_before_now(self, business_days: int) -> datetime:
        """Office hours of the n-th business day before today (0: today, or the last business
        day when today is closed)."""
        day = local_date(self.now)
        while not self.calendar.is_business_day(day):
            day -= timedelta(days=1)
        for _ in range(business_days):
            day -= timedelta(days=1)
            while not self.calendar.is_business_day(day):
                day -= timedelta(days=1)
        return self.at_work(day)

    def in_past(self, moment: datetime) -> bool:
        return moment < self.now - timedelta(minutes=5)

    # one consultation ------------------------------------------------------------------------

    def consultation(self, received: datetime, n: int) -> None:
        rng = self.rng
        scenario = rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0]
        desk = rng.choice(self.city.desks)
        tags = [self.city.tags[c] for c in scenario.tags if c in self.city.tags]
        candidates = self.city.receivers_for(tags, desk.agency)
        fields = {t.field_id for t in tags}
        age = (self.now - received).days
        holding = len(fields) >= 2 and 10 <= age <= 150 and rng.random() < 0.12
        count = 0 if holding or not candidates else rng.choices([0, 1, 2], [1, 6, 3])[0]
        if len(fields) >= 2 and not holding:
            count = max(count, 1 if candidates else 0)
        planned = rng.sample(candidates, min(count, len(candidates)))
        basis = rng.choices(
            [Basis.CONSENT, Basis.SUPPORT_MEETING, Basis.EMERGENCY, Basis.NONE], [11, 2, 1, 6]
        )[0]
        consent = [r.agency for r in planned if rng.random() < 0.85]
        case = open_case(
            agency=desk.agency,
            by=desk.user,
            district=rng.choice(desk.districts),
            channel=rng.choice(scenario.channels),
            summary=scenario.summary,
            basis=basis,
            tags=tags,
            people=self.household(scenario, received.year),
            consent_agencies=consent if basis == Basis.CONSENT else [],
            consent_scope="生活の状況と支援の経過" if basis == Basis.CONSENT else "",
            support_body=Body.objects.filter(kind=Body.Kind.SUPPORT).first(),
            shared_summary=scenario.summary,
            received_at=received,
            now=received,
        )
        sheets = []
        moment = received
        for receiver in planned:
            moment = self.after(moment, rng.choice((0, 0, 1, 2, 3)))
            if not self.in_past(moment):
                break
            sheets.append(self.sheet_life(case, desk, receiver, moment))
        if not holding:
            self.maybe_close(case, desk, received, sheets)
        self.settle_activity(case)

    def household(self, scenario: Scenario, year: int) -> list[PersonData]:
        surname, surname_kana = self.rng.choice(SURNAMES)
        people = []
        for i, (relation, names, (low, high)) in enumerate(scenario.household):
            given, given_kana = self.rng.choice(names)
            people.append(
                PersonData(
                    name=f"{surname} {given}",
                    kana=f"{surname_kana} {given_kana}",
                    birth_year=year - self.rng.randint(low, high),
                    relation=relation,
                    is_primary=i == 0,
                )
            )
        return people

    # one sheet ------------------------------------------------------------------------------

    def issue(
        self,
        case: Case,
        desk: Desk,
        receiver: Receiver,
        at: datetime,
        urgency: str = Urgency.NORMAL,
    ) -> Sheet:
        return Sheet.issue(
            case=case,
            by=desk.user,
            sender_agency=desk.agency,
            receiver_agency=receiver.agency,
            request=self.rng.choice(REQUESTS),
            sender_continuing=self.rng.choice(CONTINUING),
            shared_info=case.shared_summary,
            urgency=urgency,
            now=at,
        )

    def sheet_life(self, case: Case, desk: Desk, receiver: Receiver, sent: datetime) -> Sheet:
        rng = self.rng
        urgent = rng.random() < 0.1
        sheet = self.issue(case, desk, receiver, sent, Urgency.URGENT if urgent else Urgency.NORMAL)
        fate = self.fate(sent, {"closed": 10, "redirected": 2, "withdrawn": 2})
        self.live(sheet, receiver, desk.user, fate, depth=0)
        return sheet

    def fate(self, sent: datetime, ending: dict[str, int]) -> str:
        """How a sheet sent at `sent` goes on; only recent sheets are still open or stuck,
        as in a city that has used the system for a while."""
        age = (self.now - sent).days
        fates = dict(ending)
        if age < 150:
            fates |= {"open": 5, "silent": 2}
        if age < 45:
            fates |= {"unanswered": 2}
        return self.rng.choices(list(fates), list(fates.values()))[0]

    def live(
        self, sheet: Sheet, receiver: Receiver, sender_user: User, fate: str, depth: int
    ) -> None:
        rng = self.rng
        moment = sheet.sent_at
        if fate == "unanswered":
            return
        if fate == "withdrawn":
            moment = self.after(moment, rng.randint(1, 8))
            if self.in_past(moment):
                sheet.withdraw(by=sender_user, reason=rng.choice(WITHDRAW_REASONS), now=moment)
            return
        if fate == "redirected" and depth == 0:
            self.redirect(sheet, receiver, moment)
            return
        # Mostly on time; one in five acknowledged late.
        late = rng.random() < 0.2
        moment = self.after(moment, rng.randint(3, 6) if late else rng.randint(0, 2))
        if not self.in_past(moment):
            return
        staff = receiver.staff or receiver.supervisors
        by = rng.choice(receiver.supervisors or staff)
        sheet.acknowledge(by=by, assignee=rng.choice(staff), roles=rng.choice(ROLES), now=moment)
        assignee = sheet.assignee
        assert assignee is not None
        if fate == "closed" or fate == "redirected":
            end = self.after(moment, rng.randint(8, 70))
            self.reports(sheet, assignee, moment, min(end, self.now))
            if self.in_past(end):
                name = rng.choices(list(OUTCOME_WEIGHTS), list(OUTCOME_WEIGHTS.values()))[0]
                chosen = next((o for o in self.city.outcomes if o.code == name), None)
                chosen = chosen or rng.choice(self.city.outcomes)
                sheet.close(
                    by=assignee,
                    outcome=chosen,
                    note=CLOSE_NOTES.get(chosen.code, "終了します。"),
                    now=end,
                )
        elif fate == "open":
            self.reports(sheet, assignee, moment, self.now)
        else:  # silent: a report or two, then nothing for well over the follow-up period
            self.reports(sheet, assignee, moment, self.days_before_now(rng.randint(12, 30)))

    def reports(self, sheet: Sheet, by: User, since: datetime, until: datetime) -> None:
        # At most 10 business days apart, so a sheet that keeps reporting is never overdue.
        moment = self.after(since, self.rng.randint(5, 10))
        while moment < until and self.in_past(moment):
            sheet.report_progress(by=by, text=self.rng.choice(REPORTS), now=moment)
            moment = self.after(moment, self.rng.randint(5, 10))

    def redirect(self, sheet: Sheet, receiver: Receiver, sent: datetime) -> None:
        rng = self.rng
        others = [
            r
            for r in self.city.receivers_for(list(sheet.case.tags.all()), sheet.sender_agency)
            if r.agency != receiver.agency
        ]
        moment = self.after(sent, rng.randint(0, 2))
        if not others or not self.in_past(moment):
            self.live(sheet, receiver, sheet.liaison, "closed", depth=1)
            return
        to = rng.choice(others)
        by = rng.choice(receiver.staff or receiver.supervisors)
        child = sheet.redirect(
            by=by,
            to=to.agency,
            reason=f"{to.agency.name}の支援がより適しているため。",
            # Written for the new receiver (never the parent's text copied).
            request=f"{to.agency.name}の分野での支援をお願いします。",
            now=moment,
        )
        self.live(child, to, by, self.fate(moment, {"closed": 10}), depth=1)

    # the case ---------------------------------------------------------------------------------

    def maybe_close(self, case: Case, desk: Desk, received: datetime, sheets: list[Sheet]) -> None:
        if Sheet.objects.filter(case=case).open().exists():
            return
        ended = Sheet.objects.filter(case=case).aggregate(last=Max("ended_at"))["last"]
        moment = self.after(ended or received, self.rng.randint(1, 10))
        if self.in_past(moment) and self.rng.random() < 0.8:
            note = (
                "支援が軌道に乗ったため終結します。" if sheets else "窓口での相談で解決しました。"
            )
            case.close(by=desk.user, note=note, now=moment)

    def settle_activity(self, case: Case) -> None:
        # Moves were written sheet by sheet, not in time order: keep the latest own activity.
        last = Event.objects.filter(case=case, agency=case.agency).aggregate(last=Max("at"))
        Case.objects.filter(pk=case.pk).update(last_activity_at=last["last"] or case.received_at)

    # guarantees for the demo --------------------------------------------------------------------

    def demo_receiver_queue(self) -> None:
        """Whatever the random history gave, the demo receiver has something overdue to answer
        and something fresh in its inbox, from the demo counter (朽木支所)."""
        city, rng = self.city, self.rng
        desk, receiver = city.demo_desk, city.demo_receiver
        scenario = SCENARIOS[0]
        tags = [city.tags[c] for c in scenario.tags if c in city.tags]
        district = desk.districts[0]

        def case_at(received: datetime, basis: str) -> Case:
            return open_case(
                agency=desk.agency,
                by=desk.user,
                district=district,
                channel=Channel.MINSEI,
                summary=scenario.summary,
                basis=basis,
                tags=tags,
                people=self.household(scenario, received.year),
                consent_agencies=[receiver.agency] if basis == Basis.CONSENT else [],
                consent_scope="生活の状況と介護の状況" if basis == Basis.CONSENT else "",
                shared_summary=scenario.summary,
                received_at=received,
                now=received,
            )

        # レスポンスが無い: sent six business days ago, never acknowledged.
        received = self.days_before_now(7)
        self.issue(case_at(received, Basis.CONSENT), desk, receiver, self.after(received, 1))
        # 至急 and unanswered for two business days, anonymised (no basis).
        received = self.days_before_now(3)
        self.issue(
            case_at(received, Basis.NONE), desk, receiver, self.after(received, 0), Urgency.URGENT
        )
        # 自然消滅: acknowledged, one report, then silence past the follow-up deadline.
        received = self.days_before_now(40)
        sheet = self.issue(
            case_at(received, Basis.CONSENT), desk, receiver, self.after(received, 1)
        )
        staff = receiver.staff or receiver.supervisors
        sheet.acknowledge(
            by=rng.choice(receiver.supervisors or staff),
            assignee=staff[0],
            roles=ROLES[0],
            now=self.after(sheet.sent_at, 1),
        )
        sheet.report_progress(by=staff[0], text=REPORTS[0], now=self.days_before_now(25))
        # A fresh one, sent this morning or at the last business day: in the inbox, not late.
        fresh = self.days_before_now(0)
        fresh = fresh if self.in_past(fresh) else self.days_before_now(1)
        self.issue(case_at(fresh, Basis.CONSENT), desk, receiver, fresh)
        # Outside tsumugi: handed to the district's 民生委員 by phone (no account there); the
        # counter recorded the 受理 heard back by phone and waits for a report.
        received = self.days_before_now(6)
        handed = self.after(received, 1)
        by_phone = Sheet.hand_over(
            case=case_at(received, Basis.CONSENT),
            by=desk.user,
            sender_agency=desk.agency,
            handover=Handover.PHONE,
            handed_at=handed,
            outside_receiver=f"{district.name}地区 民生委員",
            outside_contact="民生委員 木村様",
            request="週に一度の見守りの声かけをお願いします。",
            sender_continuing="支所で月1回の訪問と、介護の相談を続けます。",
            now=handed,
        )
        by_phone.record_acknowledgement(
            by=desk.user,
            way=Handover.PHONE,
            assignee="民生委員 木村様",
            roles="民生委員=週1回の見守り、支所=月1回の訪問",
            now=self.after(handed, 1),
        )
        # 抱え込み at the demo counter: two fields, no sheet, three weeks old.
        case_at(self.days_before_now(15), Basis.CONSENT)
