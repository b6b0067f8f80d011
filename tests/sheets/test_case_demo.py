"""The demo history: loaded by seed_demo, idempotent, and showing every failure mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from pytest_django.fixtures import Settings as DjangoSettings

import sheets.demo
from areas.models import Area
from cases.models import Basis, Case, Event, IssueTag, Person
from reminders.engine import sweep
from reminders.models import Cursor, Notification
from sheets.models import Sheet, Status

# A Friday afternoon in Tokyo; the history is written relative to it.
TODAY = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
# The full demo writes ~320 cases; a smaller history shows the same shape in a third of the time.
CASES = 120
# Determinism and idempotency do not need the whole shape.
SMALL = 40

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(settings: DjangoSettings, monkeypatch: pytest.MonkeyPatch) -> str:
    assert "sheets.demo.load" in settings.TSUMUGI_DEMO_LOADERS
    monkeypatch.setattr(sheets.demo, "CASES", CASES)
    out = StringIO()
    with time_machine.travel(TODAY, tick=False):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    figures = {
        "cases": Case.objects.count(),
        "people": Person.objects.count(),
        "tags": IssueTag.objects.count(),
        "events": Event.objects.count(),
        "sheets": Sheet.objects.count(),
    }
    for row in Sheet.objects.values("status").annotate(n=Count("id")):
        figures[row["status"]] = row["n"]
    return figures


def signature() -> list[tuple[object, ...]]:
    cases = list(
        Case.objects.order_by("number").values_list(
            "number", "status", "received_at", "district__code", "basis", "agency__code"
        )
    )
    sheets = list(
        Sheet.objects.order_by("number").values_list(
            "number", "status", "receiver_agency__code", "sent_at", "next_due_at", "is_anonymised"
        )
    )
    events = list(Event.objects.order_by("case__number", "at", "kind").values_list("kind", "at"))
    return [*cases, *sheets, *events]


def test_seed_demo_is_deterministic_and_idempotent(
    settings: DjangoSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "sheets.demo.load" in settings.TSUMUGI_DEMO_LOADERS
    monkeypatch.setattr(sheets.demo, "CASES", SMALL)
    with time_machine.travel(TODAY, tick=False):
        with transaction.atomic():
            call_command("seed_demo", stdout=StringIO())
            first = signature()
            transaction.set_rollback(True)
        assert not Case.objects.exists()
        out = StringIO()
        call_command("seed_demo", stdout=out)
    assert signature() == first  # same seed, same "now": the same history, row for row
    loaded = counts()
    assert loaded["cases"] >= SMALL
    assert "相談: " in out.getvalue() and "受理期限切れ" in out.getvalue()

    out = StringIO()
    with time_machine.travel(TODAY + timedelta(days=1), tick=False):
        call_command("seed_demo", stdout=out)
    assert counts() == loaded
    assert f"すでに {loaded['cases']} 件あるため" in out.getvalue()


def test_the_history_shows_every_failure_mode_across_18_months(seed: str) -> None:
    sheets = Sheet.objects.all()
    # レスポンスが無い: sent and not acknowledged after the deadline.
    assert sheets.filter(status=Status.SENT, ack_due_at__lt=TODAY).count() >= 2
    # 自然消滅: acknowledged, then no report until past the follow-up deadline.
    assert sheets.filter(status=Status.ACKNOWLEDGED, follow_up_due_at__lt=TODAY).count() >= 2
    # 抱え込み: open, two or more fields, no sheet, waiting more than a week.
    holding = (
        Case.objects.open()
        .filter(field_count__gte=2, received_at__lt=TODAY - timedelta(days=7))
        .exclude(Exists(Sheet.objects.filter(case=OuterRef("pk"))))
    )
    assert holding.count() >= 3
    # Every way a sheet ends, and every step of the chain.
    for status in Status:
        assert sheets.filter(status=status).exists(), status
    assert sheets.filter(parent__isnull=False).exists()
    assert sheets.filter(last_progress_at__isnull=False).exists()
    assert sheets.filter(urgency="urgent").exists()
    # Bases mixed; without one, only anonymised sheets.
    for basis in Basis:
        assert Case.objects.filter(basis=basis).exists(), basis
    assert sheets.filter(is_anonymised=True).exists()
    assert not sheets.filter(case__basis=Basis.NONE, is_anonymised=False).exists()
    # Closed cases never have an open sheet (no 丸投げ).
    assert Case.objects.filter(status=Case.Status.CLOSED).count() > 20
    assert not sheets.open().filter(case__status=Case.Status.CLOSED).exists()

    # ~18 months, six districts, nothing in the future.
    oldest = Case.objects.order_by("received_at").first()
    assert oldest is not None
    assert TODAY - oldest.received_at > timedelta(days=450)
    assert not Event.objects.filter(at__gt=TODAY).exists()
    districts = Area.objects.districts().filter(municipality__code="252123")  # 高島市
    assert districts.count() == 6
    for district in districts:
        assert Case.objects.filter(district=district).exists(), district.name
    assert set(Case.objects.values_list("fiscal_year", flat=True)) >= {2025, 2026}
    assert not Person.objects.filter(kana="").exists()

    # The demo receiver has overdue work (the reminders show at once) and something fresh.
    inbox = Sheet.objects.filter(receiver_agency__code="houkatsu-center")
    overdue = inbox.overdue(TODAY)
    assert overdue.filter(status=Status.SENT, sender_agency__code="kutsuki-branch").exists()
    assert overdue.filter(status=Status.ACKNOWLEDGED, assignee__username="houkatsu_staff").exists()
    assert inbox.open().filter(next_due_at__gt=TODAY).exists()
    houkatsu = inbox.values_list("pk", flat=True)
    assert Cursor.objects.filter(
        kind="sheet", subject_id__in=houkatsu, remind_at__lte=TODAY
    ).exists()
    # … and the reminder sweep really tells its people at once.
    sweep(TODAY, enqueue=False)
    told = Notification.objects.filter(user__username__in=["houkatsu_staff", "houkatsu_chief"])
    assert told.exists()

    # Issue tags grouped by field.
    fields = dict(IssueTag.objects.values_list("name", "field__name"))
    assert (fields["8050"], fields["ヤングケアラー"], fields["就労"]) == ("高齢", "子ども", "就労")
    for tag in [
        "ひきこもり",
        "生活困窮",
        "介護",
        "障がい",
        "子育て",
        "DV",
        "住まい",
        "健康",
        "孤立",
    ]:
        assert tag in fields


def test_a_city_file_without_issue_tags_gets_no_demo_cases() -> None:
    out = StringIO()
    call_command("seed_demo", "--file", "data/othercity.json", stdout=out)
    assert "課題タグ（issue_tags）がないため" in out.getvalue()
    assert not Case.objects.exists()
