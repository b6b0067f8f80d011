"""Every form of the app, fed what people and machines really send (hypothesis): never a 500,
and nothing half-saved — a refused submission (4xx, or an error message) changes no row.

The forms come from importing every app's `forms` module; a form class without a row in FORMS
fails `test_every_form_has_a_row`. Each row names the page that posts it, who posts, and
optionally a valid submission the random values are laid over (so a date of year 1 or 9999
reaches the model and the page after it, not only the field). The field names are the form's
own plus those its page renders (fields added in `__init__`, prefixes, formsets).

The budget is fixed and derandomized (same examples on every run, EXAMPLES per form), so the
test costs the same every time; its run time is printed.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib.messages import constants, get_messages
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cases.models import Person
from plans.models import Plan, Status
from tests.cases.test_views import intake_data
from tests.meetings.conftest import member
from tests.plans.conftest import draft
from tests.sheets.test_views import issue_data
from tests.test_url_access import Things, things  # noqa: F401 (the fixture)

EXAMPLES = 4
PROJECT_APPS = (
    "accounts",
    "areas",
    "cases",
    "sheets",
    "meetings",
    "plans",
    "insight",
    "reminders",
)
ERA_NAMES = ["明治", "大正", "昭和", "平成", "令和", "R", "H", "S"]

# --- what is sent -------------------------------------------------------------------------------

unicode_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
controls = st.sampled_from(
    ["\x00", "a\x00b", "\x01", "\x08", "\x1b[2J", "\x7f", "\u200b", "\u202e", "\ufeff", "\r\n"]
)
# Beyond 64 bits too: an id SQLite cannot hold matches nothing (tsumugi/lib/lookups.py).
numbers = st.one_of(
    st.integers(-(2**80), 2**80).map(str),
    st.sampled_from([str(2**63), str(-(2**63) - 1), str(2**64), "9" * 30]),
    st.sampled_from(["0", "-1", "1e309", "-0", "NaN", "Infinity", "９９９９９", "１", "²", "١٢"]),
    st.floats(allow_nan=True).map(str),
)
iso_dates = st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat)
datetimes = st.builds(
    lambda d, h, m: f"{d} {h}:{m:02d}", iso_dates, st.integers(-1, 25), st.integers(0, 61)
)
wareki = st.builds(
    lambda era, y, m, d: f"{era}{y}年{m}月{d}日",
    st.sampled_from(ERA_NAMES),
    st.one_of(st.integers(-1, 100).map(str), st.just("元")),
    st.integers(0, 13),
    st.integers(0, 32),
)
value = st.one_of(unicode_text, controls, numbers, iso_dates, datetimes, wareki)
values = st.one_of(value, st.lists(value, max_size=3))


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    url: Callable[[Things], str]
    who: str  # an attribute of the world, or "" for an anonymous visitor
    method: str = "post"
    page: Callable[[Things], str] | None = None  # where the form is shown, if not at `url`
    valid: Callable[[Things], dict[str, Any]] | None = None


def to(name: str, **kwargs: Callable[[Things], Any]) -> Callable[[Things], str]:
    return lambda t: reverse(name, kwargs={k: get(t) for k, get in kwargs.items()})


case = lambda t: t.case.pk  # noqa: E731
sheet = lambda t: t.sheet.pk  # noqa: E731
meeting = lambda t: t.meeting.pk  # noqa: E731
item = lambda t: t.item_pk  # noqa: E731
plan = lambda t: t.plan.pk  # noqa: E731


def draft_plan(t: Things) -> int:
    return Plan.objects.get(status=Status.DRAFT).pk  # the world's own plan is submitted


def goal(t: Things) -> int:
    first = Plan.objects.get(status=Status.DRAFT).goals.first()
    assert first is not None
    return first.pk


def outside_sheet(t: Things) -> int:
    """A sheet handed over by phone from the world's case (made once per test)."""
    from datetime import timedelta

    from sheets.models import Handover, Sheet

    found = Sheet.objects.filter(case=t.case).exclude(handover=Handover.SYSTEM).first()
    if found is None:
        found = Sheet.hand_over(
            case=t.case,
            by=t.world.alice,
            sender_agency=t.world.a,
            handover=Handover.PHONE,
            handed_at=t.case.received_at + timedelta(minutes=5),
            outside_receiver="朽木地区 民生委員",
            request="見守りをお願いします。",
            sender_continuing="訪問を続けます。",
        )
    return found.pk


def hand_over_data(world: Any) -> dict[str, Any]:
    return {
        "sender_agency": world.a.pk,
        "handover": "phone",
        "handed_at": "令和8年11月30日 10:30",
        "outside_receiver": "朽木地区 民生委員",
        "request": "見守りをお願いします。",
        "sender_continuing": "訪問を続けます。",
        "urgency": "normal",
    }


outside_page = to("sheets:detail", pk=outside_sheet)
meeting_page = to("meetings:detail", pk=meeting)
minutes_page = to("meetings:minutes", pk=meeting)
sheet_page = to("sheets:detail", pk=sheet)
case_page = to("cases:detail", pk=case)
draft_page = to("plans:detail", pk=draft_plan)


def first_person(t: Things) -> int:
    person = t.case.people.order_by("pk").first()
    assert person is not None
    return person.pk


def same_people(t: Things) -> list[Person]:
    """The world's first person and the same person in the second case (forms_world's draft)."""
    first = Person.objects.get(pk=first_person(t))
    return list(Person.objects.filter(match_key=first.match_key).order_by("pk"))


def same_person(t: Things) -> dict[str, Any]:
    return {"other": same_people(t)[-1].pk}


def a_group(t: Things) -> dict[str, Any]:
    people = same_people(t)
    return {"people": [p.pk for p in people], "person": people[0].pk, "note": "別人"}


resident_page = to("cases:resident", pk=first_person)
duplicates_page = to("cases:duplicates")


def a_meeting(t: Things) -> dict[str, Any]:
    body = t.bodies.kutsuki
    return {"body": body.pk, "title": "", "date": "2026-12-16", "start_time": "14:00"} | {
        "place": "朽木支所"
    }


def an_action(t: Things) -> dict[str, Any]:
    prefix = f"a{t.item_pk}"
    return {f"{prefix}-text": "訪問", f"{prefix}-due_date": "2026-12-20"}


def a_plan(t: Things) -> dict[str, Any]:
    return {"wish": "暮らし続けたい", "period_start": "2026-12-10", "period_end": "2027-06-30"}


def a_task(t: Things) -> dict[str, Any]:
    return {"agency": t.world.b.pk, "task": "訪問", "due_date": "2027-01-29"}


FORMS: dict[str, Row] = {
    "accounts.QueuedPasswordResetForm": Row(to("accounts:password_reset"), ""),
    "areas.AgencyForm": Row(to("areas:agency_create"), "admin"),
    "areas.AreaForm": Row(to("areas:area_create"), "admin"),
    "areas.MembershipForm": Row(to("areas:membership_create"), "admin"),
    "areas.BodyForm": Row(to("areas:body_create"), "admin"),
    "areas.RosterEntryForm": Row(
        to("areas:body_detail", pk=lambda t: t.bodies.kutsuki.pk), "admin"
    ),
    "areas.ClosureForm": Row(
        to("areas:closure_create"),
        "admin",
        valid=lambda t: {"date": "2027-01-04", "reason": "点検"},
    ),
    "areas.CsvUploadForm": Row(to("areas:csv_import", kind=lambda t: "agencies"), "admin"),
    # 人事異動 of the coordinator (くらし連携支援室, which the world's admin administers): the
    # office has no other coordinator, so even a valid choice is refused and must save nothing.
    "areas.HandOverForm": Row(
        to("areas:handover", pk=lambda t: member(t.world.coordinator).pk), "admin"
    ),
    "areas.HandOverCommitForm": Row(
        to("areas:handover_csv"), "admin", page=to("areas:handover_home")
    ),
    "cases.PersonForm": Row(to("cases:new"), "alice", valid=lambda t: intake_data(t.world)),
    "cases.CaseFieldsMixin": Row(to("cases:new"), "alice", valid=lambda t: intake_data(t.world)),
    "cases.ConsultationForm": Row(to("cases:new"), "alice", valid=lambda t: intake_data(t.world)),
    "cases.ConsentForm": Row(to("cases:consent_new", pk=case), "alice", page=case_page),
    "cases.WithdrawConsentForm": Row(
        to("cases:consent_withdraw", pk=case), "alice", page=case_page
    ),
    "cases.CaseEditForm": Row(to("cases:edit", pk=case), "alice"),
    "cases.CloseCaseForm": Row(to("cases:close", pk=case), "alice"),
    "cases.CaseFilterForm": Row(to("cases:list"), "alice", method="get"),
    "cases.SearchForm": Row(to("cases:search"), "alice", method="get"),
    "cases.LinkForm": Row(
        to("cases:resident_link", pk=first_person), "alice", page=resident_page, valid=same_person
    ),
    "cases.DuplicateConfirmForm": Row(
        to("cases:duplicates_confirm"), "coordinator", page=duplicates_page, valid=a_group
    ),
    "cases.DismissForm": Row(
        to("cases:duplicates_dismiss"), "coordinator", page=duplicates_page, valid=a_group
    ),
    "insight.YearForm": Row(to("insight:indicators"), "coordinator", method="get"),
    "insight.FiguresFilterForm": Row(to("insight:figures"), "coordinator", method="get"),
    "insight.TargetYearForm": Row(to("insight:targets"), "coordinator", method="get"),
    "insight.TargetsForm": Row(to("insight:targets"), "coordinator"),
    "meetings.MeetingForm": Row(to("meetings:create"), "coordinator", valid=a_meeting),
    "meetings.ItemAddForm": Row(
        to("meetings:item_add", pk=meeting), "coordinator", page=meeting_page
    ),
    "meetings.ItemForm": Row(to("meetings:item_edit", pk=meeting, item_pk=item), "coordinator"),
    "meetings.AttendanceForm": Row(
        to("meetings:attendance_add", pk=meeting), "coordinator", page=meeting_page
    ),
    "meetings.MinutesForm": Row(
        to("meetings:minutes_save", pk=meeting, item_pk=item), "coordinator", page=minutes_page
    ),
    "meetings.ActionItemForm": Row(
        to("meetings:action_add", pk=meeting, item_pk=item),
        "coordinator",
        page=minutes_page,
        valid=an_action,
    ),
    "meetings.ReasonForm": Row(to("meetings:reopen", pk=meeting), "coordinator", page=meeting_page),
    "meetings.CorrectionForm": Row(to("meetings:correct", pk=meeting), "coordinator"),
    "plans.SupportDecisionForm": Row(to("plans:decide", case_pk=case), "coordinator"),
    "plans.AssessmentForm": Row(to("plans:assessment_new", case_pk=case), "coordinator"),
    "plans.PlanForm": Row(
        to("plans:edit", pk=draft_plan), "coordinator", page=draft_page, valid=a_plan
    ),
    "plans.GoalForm": Row(to("plans:goal_add", pk=draft_plan), "coordinator", page=draft_page),
    "plans.TaskForm": Row(
        to("plans:task_add", pk=draft_plan, goal_pk=goal),
        "coordinator",
        page=draft_page,
        valid=a_task,
    ),
    "plans.EvaluationForm": Row(
        to("plans:goal_evaluate", pk=draft_plan, goal_pk=goal), "coordinator", page=draft_page
    ),
    "plans.AgendaForm": Row(to("plans:agenda_add", pk=plan), "coordinator", page=draft_page),
    "plans.DecisionForm": Row(
        to("plans:decision_add", pk=plan, item_pk=lambda t: t.plan_agenda_item.pk),
        "coordinator",
        page=to("plans:detail", pk=plan),
    ),
    "sheets.SheetIssueForm": Row(
        to("sheets:new", case_pk=case), "alice", valid=lambda t: issue_data(t.world, t.world.c)
    ),
    "sheets.AcknowledgeForm": Row(to("sheets:acknowledge", pk=sheet), "bob", page=sheet_page),
    "sheets.ProgressForm": Row(to("sheets:progress", pk=sheet), "bob", page=sheet_page),
    "sheets.CloseSheetForm": Row(to("sheets:close", pk=sheet), "bob"),
    "sheets.RedirectForm": Row(to("sheets:redirect", pk=sheet), "bob"),
    "sheets.WithdrawForm": Row(to("sheets:withdraw", pk=sheet), "alice", page=sheet_page),
    "sheets.PhraseForm": Row(
        to("sheets:phrase_new", agency_pk=lambda t: t.world.b.pk),
        "bob_boss",
        valid=lambda t: {"use": "progress", "text": "電話で様子を伺いました。"},
    ),
    "sheets.ReassignForm": Row(to("sheets:reassign", pk=sheet), "bob"),
    "reminders.PreferencesForm": Row(to("notifications:preferences"), "alice"),
    "sheets.HandOverForm": Row(
        to("sheets:hand_over", case_pk=case), "alice", valid=lambda t: hand_over_data(t.world)
    ),
    "sheets.OutsideAcknowledgeForm": Row(
        to("sheets:outside_acknowledge", pk=outside_sheet), "alice", page=outside_page
    ),
    "sheets.OutsideProgressForm": Row(
        to("sheets:outside_progress", pk=outside_sheet), "alice", page=outside_page
    ),
    "sheets.OutsideCloseForm": Row(to("sheets:outside_close", pk=outside_sheet), "alice"),
    "sheets.BoxFilterForm": Row(to("sheets:inbox"), "bob", method="get"),
    "sheets.OutboxFilterForm": Row(to("sheets:outbox"), "alice", method="get"),
}


def app_forms() -> Iterator[tuple[str, type[forms.BaseForm]]]:
    """Every form class defined in an app's forms module."""
    for config in apps.get_app_configs():
        if config.label not in PROJECT_APPS:
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                yield f"{config.label}.{name}", value


def test_every_form_has_a_row() -> None:
    found = dict(app_forms())
    missing = sorted(set(found) - set(FORMS))
    assert not missing, f"forms without a row in tests/test_forms_property.py FORMS: {missing}"
    assert not set(FORMS) - set(found), "rows for forms that no longer exist"


# --- the check ----------------------------------------------------------------------------------


# Reading is recorded (the audit of a re-rendered case page, a reset request): not a save.
RECORDS = ("cases.Access", "accounts.SignInEvent")


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for config in apps.get_app_configs()
        if config.label in PROJECT_APPS
        for model in config.get_models()
        if model._meta.label not in RECORDS
    }


NAME = re.compile(r'name="([^"]+)"')


def field_names(client: Client, form: type[forms.BaseForm], page: str) -> list[str]:
    shown = NAME.findall(client.get(page).content.decode())
    names = [*getattr(form, "base_fields", {}), *shown]
    return sorted({n for n in names if n not in ("csrfmiddlewaretoken", "next")})


def refused(response: Any) -> bool:
    if response.status_code >= 400:
        return True
    return any(m.level >= constants.ERROR for m in get_messages(response.wsgi_request))


@pytest.fixture
def forms_world(things: Things) -> Things:  # noqa: F811
    draft(things.world)  # a second case, its plan being written
    return things


def run_form(t: Things, name: str) -> None:
    row = FORMS[name]
    form = dict(app_forms())[name]
    client = Client()
    if row.who:
        client.force_login(getattr(t.world, row.who))
    url = row.url(t)
    names = field_names(client, form, row.page(t) if row.page else url)
    base = row.valid(t) if row.valid else {}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    # Every field at once an id no row can have (64 bits and one) and a digit int() refuses: a
    # view that looks a posted id up before its form cleans it answered 500 to both.
    @example(dict.fromkeys(names, str(2**63)))
    @example(dict.fromkeys(names, "²"))
    @given(st.fixed_dictionaries({}, optional=dict.fromkeys(names, values)))
    def submit(random: dict[str, Any]) -> None:
        data = base | random
        before = row_counts()
        response = getattr(client, row.method)(url, data)
        assert response.status_code < 500, (name, data)
        if refused(response):
            assert row_counts() == before, f"{name} refused {data!r} but saved rows"
        location = response.get("Location", "")
        if response.status_code == 302 and location.startswith("/") and row.who:
            # The page after a successful save must open too (a meeting of year 1 did not).
            assert client.get(location).status_code < 500, (name, data, location)

    submit()


def test_no_form_answers_500_or_half_saves(
    forms_world: Things, capsys: pytest.CaptureFixture[str]
) -> None:
    """One world for all forms (building it per form cost more than the examples)."""
    started = time.monotonic()
    failures = []
    for name in sorted(FORMS):
        try:
            run_form(forms_world, name)
        except Exception as error:
            failures.append(f"{name}: {error}")
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\nhypothesis forms: {len(FORMS)} forms x {EXAMPLES} examples, {elapsed:.1f} s")
    assert not failures, "\n\n".join(failures)
