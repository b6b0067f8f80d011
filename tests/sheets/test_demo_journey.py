"""The README's demo journey (issue 10): 朽木支所 → 地域包括支援センター → よろず → ホップ, with the
Takashima city data, shows a notice at every step to the people the move concerns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from pytest_django.fixtures import Settings as DjangoSettings

from areas.models import CASE_ROLES, Agency, Field, Membership
from cases.intake import PersonData, open_case
from cases.models import Basis, Channel, IssueTag
from reminders.models import Notification
from sheets.models import Outcome, Sheet

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tue 10:00 JST


@pytest.fixture
def city(settings: DjangoSettings) -> None:
    settings.TSUMUGI_DEMO_LOADERS = ["areas.demo.load_city"]  # the city, not the history
    call_command("seed_demo", "--file", "data/takashima.json", stdout=StringIO())
    poverty = Field.objects.get(code="poverty")
    IssueTag.objects.get_or_create(code="konkyu", defaults={"name": "生活困窮", "field": poverty})


def user(name: str) -> User:
    return User.objects.get(username=name)


def heard(sheet: Sheet) -> list[str]:
    """Who heard the latest move on the sheet."""
    last = Notification.objects.filter(group_kind="sheet", group_id=sheet.pk).latest("id")
    return sorted(
        Notification.objects.filter(key=last.key).values_list("user__username", flat=True)
    )


def test_every_agency_that_can_receive_a_sheet_has_someone_to_receive_it(city: None) -> None:
    staffed = set(
        Membership.objects.active()
        .filter(role__in=CASE_ROLES)
        .values_list("agency__code", flat=True)
    )
    receivers = set(Agency.objects.active().values_list("code", flat=True))
    assert receivers - staffed == set()
    assert "hop" in staffed


def test_the_readme_journey_shows_a_notice_at_every_step(city: None) -> None:
    counter, houkatsu = user("kutsuki_counter"), user("houkatsu_staff")
    yorozu, hop = user("yorozu_staff"), user("hop_staff")
    branch = Agency.objects.get(code="kutsuki-branch")
    center = Agency.objects.get(code="houkatsu-center")
    case = open_case(
        agency=branch,
        by=counter,
        district=branch.districts.get(),
        channel=Channel.WINDOW,
        summary="50代の長男が失職し、家賃を滞納している。",
        shared_summary="50代の男性。失職し、家賃の滞納がある。",
        basis=Basis.CONSENT,
        tags=list(IssueTag.objects.filter(code="konkyu")),
        people=[PersonData("高島 健一", "たかしま けんいち", 1972, "本人", True)],
        consent_agencies=[center],
        consent_scope="生活の状況",
        now=NOW,
        received_at=NOW,
    )
    first = Sheet.issue(
        case=case,
        by=counter,
        sender_agency=branch,
        receiver_agency=center,
        request="生活の立て直しの相談をお願いします。",
        sender_continuing="支所で見守りを続けます。",
        now=NOW,
    )
    assert heard(first) == ["houkatsu_chief", "houkatsu_staff"]
    first.acknowledge(by=houkatsu, assignee=houkatsu, roles="包括: 生活状況の確認", now=NOW)
    assert heard(first) == ["kutsuki_counter"]
    later = NOW + timedelta(hours=1)
    second = first.redirect(
        by=houkatsu,
        to=Agency.objects.get(code="yorozu"),
        reason="生活困窮が中心のため",
        request="家計と住まいの相談をお願いします。",
        continuing="包括は見守りを続けます。",
        now=later,
    )
    assert heard(first) == ["kutsuki_counter"]
    assert heard(second) == ["yorozu_staff"]
    second.acknowledge(by=yorozu, assignee=yorozu, roles="よろず: 家計相談", now=later)
    assert heard(second) == ["houkatsu_staff"]
    third = second.redirect(
        by=yorozu,
        to=Agency.objects.get(code="hop"),
        reason="就労準備が先のため",
        request="就労準備の支援をお願いします。",
        continuing="よろずは家計相談を続けます。",
        now=later,
    )
    assert heard(second) == ["houkatsu_staff", "kutsuki_counter"]
    assert heard(third) == ["hop_staff"]
    third.acknowledge(by=hop, assignee=hop, roles="ホップ: 就労準備", now=later)
    assert heard(third) == ["yorozu_staff"]
    third.report_progress(by=hop, text="面談を始めました", now=later + timedelta(days=1))
    assert heard(third) == ["yorozu_staff"]
    third.close(
        by=hop,
        outcome=Outcome.objects.get(code="support"),
        note="就労準備支援を始めました",
        now=later + timedelta(days=2),
    )
    assert heard(third) == ["houkatsu_staff", "kutsuki_counter", "yorozu_staff"]
