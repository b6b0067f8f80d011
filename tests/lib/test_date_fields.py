"""Every date field of every form is the one Japanese date field, and years 1 and 9999 (which
used to reach deadline arithmetic, the packet PDF and insight and fail there with a 500) are
refused on every page with the same Japanese message, saving nothing."""

from __future__ import annotations

import importlib
import inspect
from datetime import date, time

import pytest
import time_machine
from django import forms
from django.test import Client
from django.urls import reverse

from areas.models import Closure
from cases.models import Case
from meetings.models import ActionItem, Attendance, Meeting
from reminders.models import Export
from tests.cases.test_views import intake_data
from tests.conftest import World, make_case, make_sheet
from tests.meetings.conftest import NOW, Bodies, attend, make_bodies, make_meeting, member
from tsumugi.lib.forms import JapaneseDateField, JapaneseDateTimeField, JapaneseTimeField

RANGE = "日付は1900年1月1日から2100年12月31日までの範囲で入力してください。"
FORM_MODULES = [
    "areas.forms",
    "cases.forms",
    "insight.forms",
    "meetings.forms",
    "plans.forms",
    "sheets.forms",
]
DJANGO_DATE_FIELDS = (forms.DateField, forms.DateTimeField, forms.TimeField)
OURS = (JapaneseDateField, JapaneseDateTimeField, JapaneseTimeField)


@pytest.fixture
def bodies(world: World) -> Bodies:
    return make_bodies(world)


def project_form_classes() -> list[type[forms.BaseForm]]:
    found = []
    for name in FORM_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:  # an app that moved (insight) is listed under its new name
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                found.append(cls)
    return found


def declared(cls: type[forms.BaseForm]) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = cls.base_fields  # type: ignore[attr-defined]
    return fields


def test_no_form_uses_djangos_own_date_fields() -> None:
    classes = project_form_classes()
    assert len(classes) > 20
    offenders = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in classes
        for name, field in declared(cls).items()
        if isinstance(field, DJANGO_DATE_FIELDS) or isinstance(field.widget, forms.DateInput)
    ]
    assert offenders == []
    ours = {
        f"{cls.__name__}.{name}"
        for cls in classes
        for name, field in declared(cls).items()
        if isinstance(field, OURS)
    }
    assert {
        "MeetingForm.date",
        "MeetingForm.start_time",
        "ActionItemForm.due_date",
        "ClosureForm.date",
        "FiguresFilterForm.start",
        "FiguresFilterForm.end",
    } <= ours


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31"])
def test_the_meeting_form_refuses_years_1_and_9999(
    client: Client, world: World, bodies: Bodies, typed: str
) -> None:
    client.force_login(world.coordinator)
    data = {"body": bodies.kutsuki.pk, "date": typed, "start_time": "14:00", "place": "朽木"}
    response = client.post(reverse("meetings:create"), data)
    assert response.status_code == 200
    assert RANGE in response.content.decode()
    assert not Meeting.objects.exists()
    meeting = make_meeting(world, bodies.kutsuki)
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data)
    assert response.status_code == 200 and RANGE in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.date == date(2026, 12, 9)


def test_the_meeting_form_reads_wareki_and_full_width_input(
    client: Client, world: World, bodies: Bodies
) -> None:
    client.force_login(world.coordinator)
    data = {"body": bodies.kutsuki.pk, "date": "令和８年１２月９日", "start_time": "１４：３０"}
    response = client.post(reverse("meetings:create"), data | {"place": "朽木"})
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert (meeting.date, meeting.start_time) == (date(2026, 12, 9), time(14, 30))
    edit = client.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    assert 'value="令和8年12月9日"' in edit and 'value="14:30"' in edit


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31"])
def test_action_items_refuse_years_1_and_9999(
    client: Client, world: World, bodies: Bodies, typed: str
) -> None:
    with time_machine.travel(NOW, tick=False):
        meeting = make_meeting(world, bodies.kutsuki)
        sheet = make_sheet(world)
        item = meeting.add_item(by=world.coordinator, kind="sheet", sheet=sheet, case=sheet.case)
    attend(meeting, world.coordinator, Attendance.Role.CHAIR)
    client.force_login(world.coordinator)
    p = f"a{item.pk}"
    response = client.post(
        reverse("meetings:action_add", args=[meeting.pk, item.pk]),
        {f"{p}-text": "訪問", f"{p}-owner": member(world.alice).pk, f"{p}-due_date": typed},
    )
    assert response.status_code == 200
    assert RANGE in response.content.decode()
    assert not ActionItem.objects.exists()
    ok = client.post(
        reverse("meetings:action_add", args=[meeting.pk, item.pk]),
        {f"{p}-text": "訪問", f"{p}-owner": member(world.alice).pk, f"{p}-due_date": "R8.12.11"},
    )
    assert ok.status_code == 302
    assert ActionItem.objects.get().due_date == date(2026, 12, 11)


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31"])
def test_closures_refuse_years_1_and_9999(client: Client, world: World, typed: str) -> None:
    client.force_login(world.admin)
    response = client.post("/roster/closures/new/", {"date": typed, "reason": "台風"})
    assert response.status_code == 200
    assert RANGE in response.content.decode()
    assert not Closure.objects.exists()
    assert client.post("/roster/closures/new/", {"date": "Ｒ８．９．１", "reason": "台風"})
    closure = Closure.objects.get()
    assert closure.date == date(2026, 9, 1)
    response = client.post(
        f"/roster/closures/{closure.pk}/edit/", {"date": typed, "reason": "台風"}
    )
    assert response.status_code == 200 and RANGE in response.content.decode()
    closure.refresh_from_db()
    assert closure.date == date(2026, 9, 1)


@pytest.mark.parametrize(
    ("start", "end"), [("0001-01-01", "0001-12-31"), ("9999-01-01", "9999-12-31")]
)
def test_insight_periods_refuse_years_1_and_9999(
    client: Client, world: World, start: str, end: str
) -> None:
    make_case(world)
    client.force_login(world.coordinator)
    query = {"start": start, "end": end}
    response = client.get(reverse("insight:figures"), query)
    assert response.status_code == 200
    assert RANGE in response.content.decode()
    # No export is asked with such a period: back to the page, which says why.
    refused = client.get(reverse("insight:figures_csv"), query, follow=True)
    assert RANGE in refused.content.decode()
    assert not Export.objects.exists()
    ok = client.get(reverse("insight:figures"), {"start": "R8.4.1", "end": "令和9年3月31日"})
    assert ok.status_code == 200 and RANGE not in ok.content.decode()


@pytest.mark.parametrize("typed", ["0001-01-01 10:00", "9999-12-31 10:00"])
def test_intake_and_edit_refuse_years_1_and_9999(client: Client, world: World, typed: str) -> None:
    client.force_login(world.alice)
    response = client.post(reverse("cases:new"), intake_data(world, received_at=typed))
    assert response.status_code == 400
    assert RANGE in response.content.decode()
    assert not Case.objects.exists()
    case = make_case(world)
    before = case.received_at
    response = client.get(reverse("cases:edit", args=[case.pk]))
    form = response.context["form"]
    data = {**form.initial, "received_at": typed}
    response = client.post(reverse("cases:edit", args=[case.pk]), data)
    assert response.status_code == 400
    assert RANGE in response.content.decode()
    case.refresh_from_db()
    assert case.received_at == before
    data["received_at"] = "令和8年11月26日 10:00"
    assert client.post(reverse("cases:edit", args=[case.pk]), data).status_code == 302
