"""A second municipality beside the world's 高島市: みなと市, with its own district, agencies,
people, case and sheet. Its names are its own, so that a page of one city showing anything of
the other is found by a plain text search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User as AuthUser
from django.utils import timezone

from areas.models import Agency, Area, Role
from cases.intake import PersonData, open_case
from cases.models import Basis, Case, Channel, IssueTag
from sheets.models import Sheet
from tenancy import scope
from tenancy.models import Municipality
from tests.conftest import World, make_member, make_user

# What only the world's 高島市 has: none of it may reach a page of みなと市's users.
TAKASHIMA_MARKS = [
    "山田",
    "花子",
    "一郎",
    "やまだ",
    "はなこ",
    "朽木支所",
    "地域包括支援センター",
    "働き暮らし応援センター",
    "安藤 亜紀",
    "坂東 勉",
    "千葉 千尋",
    "馬場 文雄",
    "今津中学校",
]


def office_hours_after(days: int) -> list[datetime]:
    """Four weekday mornings (10:00 in Tokyo) from `days` days on: sweeps then send."""
    start = (timezone.now() + timedelta(days=days)).replace(hour=1, minute=0, second=0)
    found: list[datetime] = []
    day = start
    while len(found) < 4:
        if day.weekday() < 5:
            found.append(day)
        day += timedelta(days=5)
    return found


@dataclass
class City:
    municipality: Municipality
    city: Area
    district: Area
    office: Agency
    counter_agency: Agency
    receiver: Agency
    counter: AuthUser
    staff: AuthUser
    coordinator: AuthUser
    admin: AuthUser
    case: Case
    sheet: Sheet


@pytest.fixture
def minato(world: World) -> City:
    municipality = Municipality.objects.create(code="999997", name="みなと市")
    with scope.using(municipality.pk):
        city = Area.objects.create(code="takashima", name="みなと市", layer=Area.Layer.CITY)
        # The same codes as 高島市's: codes are unique per municipality.
        district = Area.objects.create(
            code="kutsuki", name="港北", layer=Area.Layer.DISTRICT, parent=city
        )
        office = Agency.objects.create(
            code="kurashi",
            name="みなと福祉総合相談室",
            kind=Agency.Kind.DEPARTMENT,
            is_coordination_office=True,
        )
        counter_agency = Agency.objects.create(
            code="kutsuki-branch", name="港北出張所", kind=Agency.Kind.BRANCH
        )
        counter_agency.districts.add(district)
        receiver = Agency.objects.create(
            code="houkatsu", name="みなと地域包括", kind=Agency.Kind.OUTSIDE
        )
        receiver.districts.add(district)
        counter = make_user("minato_counter", "港", "一")
        staff = make_user("minato_staff", "湊", "二")
        coordinator = make_user("minato_coord", "浦", "三")
        admin = make_user("minato_admin", "浜", "四")
        make_member(counter, counter_agency, Role.COUNTER)
        make_member(staff, receiver, Role.STAFF)
        make_member(coordinator, office, Role.COORDINATOR)
        make_member(admin, office, Role.ADMIN)
        field = world.fields["elderly"]
        receiver.fields.add(field)
        tag = IssueTag.objects.create(code="8050", name="港の8050", field=field)
        case = open_case(
            agency=counter_agency,
            by=counter,
            district=district,
            channel=Channel.WINDOW,
            summary="港の相談の概要。",
            shared_summary="港の共有用の概要。",
            support_body=None,
            basis=Basis.CONSENT,
            tags=[tag],
            people=[PersonData("港 太郎", "みなと たろう", 1950, "本人", True)],
            consent_agencies=[receiver],
            consent_scope="生活の状況",
        )
        sheet = Sheet.issue(
            case=case,
            by=counter,
            sender_agency=counter_agency,
            receiver_agency=receiver,
            request="港の依頼事項です。",
            sender_continuing="出張所でも見守ります。",
            urgency="normal",
        )
    return City(
        municipality,
        city,
        district,
        office,
        counter_agency,
        receiver,
        counter,
        staff,
        coordinator,
        admin,
        case,
        sheet,
    )
