"""Large exports are produced by the worker (issue 11, item 4): the link records what is owed,
the page shows progress (refreshing by itself, no JavaScript) and offers the file when it is
there; only the person who asked sees either; the file holds exactly the bytes the request used
to render; two asks at once make one file; a broker that is down loses nothing."""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse

from areas import csvio
from areas.calendar import business_calendar
from areas.models import Agency, Membership, Role
from areas.scope import scope_of
from insight.csvexport import csv_text
from insight.figures import Names, consultation_figures, figures_csv_rows, table_rows
from insight.forms import FiguresFilterForm
from insight.health import handoff_health, indicators
from insight.results import cycle_figures, result_sheet_rows, results
from insight.xlsx import xlsx_bytes
from reminders.exports import produce
from reminders.models import Export
from tests.conftest import World, fetch_export, make_case, make_sheet, signed_in
from tsumugi.lib import worker_file
from tsumugi.lib.dates import TOKYO

RECEIVED = datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO)
NOW = datetime(2026, 7, 1, 10, 0, tzinfo=TOKYO)


def ask(client: Client, name: str, data: dict[str, Any] | None = None) -> Export:
    response = client.get(reverse(name), data or {})
    assert response.status_code == 302
    export = Export.objects.latest("pk")
    assert response["Location"] == reverse("exports:detail", args=[export.pk])
    return export


def test_requested_progress_shown_produced_by_the_worker_served_to_the_asker_only(
    client: Client, world: World
) -> None:
    make_sheet(world, make_case(world, now=RECEIVED), now=RECEIVED)
    client.force_login(world.coordinator)
    export = ask(client, "insight:figures_csv", {"year": 2026})
    page = client.get(reverse("exports:detail", args=[export.pk]))
    html = page.content.decode()
    assert page["Cache-Control"] == "no-store"
    assert '<meta http-equiv="refresh"' in html and "作成を受け付けました" in html
    assert "作成する時点の件数" in html  # the page says whose scope and when
    assert reverse("exports:file", args=[export.pk]) not in html
    assert (export.status, export.user, export.kind) == (
        "pending",
        world.coordinator,
        "insight.figures_csv",
    )
    assert export.params == {  # validated: the year became its period
        "start": "2026-04-01",
        "end": "2027-03-31",
        "district": None,
        "agency": None,
    }
    assert not export.file
    assert client.get(reverse("exports:file", args=[export.pk])).status_code == 404  # not yet

    assert produce(export.pk) is True  # the worker
    assert produce(export.pk) is False  # a second copy of the task renders nothing
    page = client.get(reverse("exports:detail", args=[export.pk]))
    html = page.content.decode()
    assert '<meta http-equiv="refresh"' not in html and "できあがりました" in html
    assert reverse("exports:file", args=[export.pk]) in html
    served = client.get(reverse("exports:file", args=[export.pk]))
    body = b"".join(served.streaming_content)  # type: ignore[attr-defined]
    assert served["Content-Type"] == "text/csv; charset=utf-8"
    assert served["Cache-Control"] == "no-store"
    assert "filename*=UTF-8''%E7%9B%B8%E8%AB%87" in served["Content-Disposition"]  # 相談の集計
    export.refresh_from_db()
    assert export.status == "done" and export.size == len(body) and export.file.read() == body
    assert export.filename == "相談の集計_20260401-20270331.csv"

    # Someone else who sees insight too, and an outsider: neither page nor file exists for them.
    for other in (world.bob_boss, world.charlie, world.admin):
        client.force_login(other)
        assert client.get(reverse("exports:detail", args=[export.pk])).status_code == 404
        assert client.get(reverse("exports:file", args=[export.pk])).status_code == 404


def test_asking_again_while_owed_shares_the_row_and_after_it_is_done_makes_a_new_one(
    client: Client, world: World
) -> None:
    client.force_login(world.coordinator)
    first = ask(client, "insight:indicators_csv", {"year": 2026})
    assert ask(client, "insight:indicators_csv", {"year": 2026}) == first  # a double click
    other_year = ask(client, "insight:indicators_csv", {"year": 2025})
    assert other_year != first
    client.force_login(world.bob_boss)
    assert ask(client, "insight:indicators_csv", {"year": 2026}) != first  # their own scope
    assert produce(first.pk)
    client.force_login(world.coordinator)
    assert ask(client, "insight:indicators_csv", {"year": 2026}) != first  # figures of now


# --- the same bytes as the download rendered in the request --------------------------------
# The old views' bodies (before issue 11), with the encoding csv_response applied.


def old_figures(user: User, query: dict[str, Any]) -> tuple[bytes, str]:
    scope = scope_of(user)
    filters = FiguresFilterForm(query or None).filters()
    names = Names.load()
    figs = consultation_figures(scope, filters, names)
    health = handoff_health(scope, filters, business_calendar(), datetime.now(tz=TOKYO), names)
    period = filters.period
    rows = figures_csv_rows(figs, health, filters)
    name = f"相談の集計_{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    return ("\ufeff" + csv_text(rows)).encode("utf-8"), name


def old_indicators(user: User, query: dict[str, Any]) -> tuple[bytes, str]:
    year = int(query["year"])
    table = indicators(scope_of(user), year)
    body = ("\ufeff" + csv_text(table_rows(table))).encode("utf-8")
    return body, f"重層的支援体制整備事業_指標_{year}年度.csv"


def old_result_rows(user: User, year: int) -> list[list[object]]:
    scope = scope_of(user)
    now = datetime.now(tz=TOKYO)
    return result_sheet_rows(results(scope, year), cycle_figures(scope, year, now), now)


def old_results_csv(user: User, query: dict[str, Any]) -> tuple[bytes, str]:
    year = int(query["year"])
    body = ("\ufeff" + csv_text(old_result_rows(user, year))).encode("utf-8")
    return body, f"事業別実績_{year}年度.csv"


def old_results_xlsx(user: User, query: dict[str, Any]) -> tuple[bytes, str]:
    year = int(query["year"])
    return xlsx_bytes(f"{year}年度 事業別実績", old_result_rows(user, year)), (
        f"事業別実績_{year}年度.xlsx"
    )


def unzipped(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return {entry: book.read(entry) for entry in book.namelist()}


OLD: dict[str, Callable[[User, dict[str, Any]], tuple[bytes, str]]] = {
    "insight:figures_csv": old_figures,
    "insight:indicators_csv": old_indicators,
    "insight:results_csv": old_results_csv,
    "insight:results_xlsx": old_results_xlsx,
}


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("insight:figures_csv", {"year": 2026}),
        ("insight:figures_csv", {"start": "2026-05-01", "end": "2026-06-30", "district": "K"}),
        ("insight:indicators_csv", {"year": 2026}),
        ("insight:results_csv", {"year": 2026}),
        ("insight:results_xlsx", {"year": 2026}),
    ],
)
def test_the_file_holds_the_bytes_the_request_used_to_render(
    client: Client, world: World, name: str, query: dict[str, Any]
) -> None:
    # Text that must be guarded (an agency and a district named like formulas), a BOM to keep.
    evil = Agency.objects.create(code="evil", name='=HYPERLINK("http://x","y")', kind="outside")
    Membership.objects.create(user=world.charlie, agency=evil, role=Role.COUNTER)
    world.imazu.name = "+今津"
    world.imazu.save()
    make_case(world, agency=evil, by=world.charlie, now=RECEIVED)
    make_sheet(world, make_case(world, now=RECEIVED), now=RECEIVED)
    make_case(world, district=world.imazu, now=RECEIVED)
    if query.get("district") == "K":
        query = {**query, "district": world.kutsuki.pk}
    client.force_login(world.coordinator)
    with time_machine.travel(NOW, tick=False):
        served = fetch_export(client, reverse(name), query)
        old, filename = OLD[name](world.coordinator, query)
    if name.endswith("_xlsx"):
        # A workbook is a zip whose entries carry the temporary files' real modification times
        # (openpyxl's write-only mode), so two renders differ there even in one request: the
        # entries must be the same, byte for byte.
        assert unzipped(served.content) == unzipped(old)
    else:
        assert served.content == old
    export = Export.objects.get()
    assert export.filename == filename
    if name.endswith("_csv"):
        assert served.content.startswith(b"\xef\xbb\xbf")
        cells = [
            c for row in csv.reader(io.StringIO(served.content.decode("utf-8-sig"))) for c in row
        ]
        assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


@pytest.mark.parametrize("kind", ["agencies", "memberships"])
def test_the_roster_csv_holds_the_bytes_the_request_used_to_render(
    client: Client, world: World, kind: str
) -> None:
    Agency.objects.create(code="evil", name="=1+1", kind="outside")
    Membership.objects.filter(user=world.bob).update(position="=1+1")
    client.force_login(world.admin)
    served = fetch_export(client, reverse("areas:csv_export", args=[kind]))
    old = {"agencies": csvio.export_agencies, "memberships": csvio.export_memberships}[kind]()
    assert served.content == old and old.startswith(b"\xef\xbb\xbf") and b"'=1+1" in old
    assert (
        Export.objects.get().filename
        == {"agencies": "名簿_機関.csv", "memberships": "名簿_所属.csv"}[kind]
    )
    columns = {"agencies": csvio.AGENCY_COLUMNS, "memberships": csvio.MEMBERSHIP_COLUMNS}[kind]
    assert csvio.read_rows(csvio.decode(served.content), columns)  # the import reads it back


# --- scope: the asker's, when the worker runs ----------------------------------------------


def test_the_export_counts_what_the_asker_sees_when_the_worker_runs(
    client: Client, world: World
) -> None:
    make_case(world, now=RECEIVED)
    client.force_login(world.coordinator)
    export = ask(client, "insight:figures_csv", {"year": 2026})
    make_case(world, now=RECEIVED)  # recorded after the ask, before the worker ran
    assert produce(export.pk)
    export.refresh_from_db()
    rows = list(csv.reader(io.StringIO(export.file.read().decode("utf-8-sig"))))
    assert rows[1] == ["相談件数", "2"]


def test_an_asker_who_lost_the_right_meanwhile_gets_no_file(client: Client, world: World) -> None:
    client.force_login(world.bob_boss)
    export = ask(client, "insight:results_csv", {"year": 2026})
    Membership.objects.filter(user=world.bob_boss).update(is_active=False)
    assert produce(export.pk) is False
    export.refresh_from_db()
    assert (export.status, bool(export.file)) == ("failed", False)
    page = client.get(reverse("exports:detail", args=[export.pk])).content.decode()
    assert "作成できませんでした" in page and "分析を見る権限がなくなりました" in page
    assert '<meta http-equiv="refresh"' not in page
    assert client.get(reverse("exports:file", args=[export.pk])).status_code == 404


# --- exactly one rendering ------------------------------------------------------------------


def test_a_dead_workers_lease_expires_and_another_worker_renders_it(
    client: Client, world: World
) -> None:
    client.force_login(world.coordinator)
    export = ask(client, "insight:indicators_csv", {"year": 2026})
    start = datetime.now(tz=TOKYO)
    # A worker claimed it and died before writing the file.
    Export.objects.filter(pk=export.pk).update(
        status="running", claimed_until=start + worker_file.LEASE, attempts=1
    )
    assert produce(export.pk, now=start + timedelta(minutes=1)) is False  # the lease holds
    assert produce(export.pk, now=start + worker_file.LEASE + timedelta(seconds=1)) is True
    export.refresh_from_db()
    assert (export.status, export.attempts) == ("done", 2) and export.file


def test_a_worker_that_outlived_its_lease_does_not_finish_over_the_one_that_took_over(
    client: Client, world: World
) -> None:
    """The finish is compare-and-set on the lease this call holds (tsumugi/lib/worker_file.py,
    the same for packets and printed sheets): a slow worker whose lease ran out while another
    worker took the row over stores nothing, removes its own file and leaves the row to the
    other, whose lease still holds; that one's finish then makes the file."""
    client.force_login(world.coordinator)
    export = ask(client, "insight:indicators_csv", {"year": 2026})
    start = datetime.now(tz=TOKYO)
    later = start + worker_file.LEASE + timedelta(seconds=1)

    def slow_then_other_still_running(row: Export) -> tuple[bytes, str, dict[str, Any]]:
        # While this worker renders, its lease runs out and another worker claims the row (the
        # state its claim leaves: running, its own lease, a second attempt).
        Export.objects.filter(pk=row.pk).update(
            status="running", claimed_until=later + worker_file.LEASE, attempts=2
        )
        return b"older", f"export-{row.pk}-slow.csv", {}

    assert worker_file.produce(Export, export.pk, slow_then_other_still_running, start) is False
    export.refresh_from_db()
    assert (export.status, export.attempts, export.file.name) == ("running", 2, "")
    assert not export.file.storage.exists(f"exports/export-{export.pk}-slow.csv")
    # The other worker's own finish (its lease): the file is made once, from its render.
    Export.objects.filter(pk=export.pk).update(claimed_until=None, attempts=1)
    assert worker_file.produce(Export, export.pk, lambda r: (b"newer", "n.csv", {}), later)
    export.refresh_from_db()
    assert export.status == "done" and export.file.read() == b"newer"


def test_a_render_that_keeps_failing_fails_with_a_reason_after_the_last_attempt(
    client: Client, world: World
) -> None:
    client.force_login(world.coordinator)
    export = ask(client, "insight:indicators_csv", {"year": 2026})
    start = datetime.now(tz=TOKYO)

    def broken(row: Export) -> tuple[bytes, str, dict[str, Any]]:
        raise RuntimeError("the renderer fell over")

    for attempt in range(1, worker_file.MAX_ATTEMPTS + 1):
        now = start + attempt * (worker_file.LEASE + timedelta(seconds=1))
        with pytest.raises(RuntimeError):
            worker_file.produce(Export, export.pk, broken, now)
        export.refresh_from_db()
        last = attempt == worker_file.MAX_ATTEMPTS
        assert (export.status, export.attempts) == ("failed" if last else "pending", attempt)
    assert export.failure == worker_file.FAILED_REASON and export.finished_at is not None
    assert worker_file.produce(Export, export.pk, broken, now + worker_file.LEASE) is False
    page = client.get(reverse("exports:detail", args=[export.pk])).content.decode()
    assert "作成できませんでした" in page and worker_file.FAILED_REASON in page


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_produce_one_file(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two requests at once need PostgreSQL")
    make_sheet(world, make_case(world, now=RECEIVED), now=RECEIVED)
    barrier = threading.Barrier(2)
    locations: list[str] = []

    def request() -> None:
        try:
            client = Client()
            client.force_login(world.coordinator)
            barrier.wait(timeout=10)
            response = client.get(reverse("insight:figures_csv"), {"year": 2026})
            locations.append(response["Location"])
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]  # two tabs at once
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    export = Export.objects.get()  # one row owed
    assert locations == [reverse("exports:detail", args=[export.pk])] * 2
    results: list[bool] = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(produce(export.pk))
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert sorted(results) == [False, True]  # one rendering
    export.refresh_from_db()
    assert export.status == "done" and export.attempts == 1 and export.file
    assert Export.objects.count() == 1


def test_a_broker_down_loses_no_export(
    client: Client,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from reminders import tasks

    def broker_down(args: tuple[int], **kwargs: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.produce_export_task, "apply_async", broker_down)
    client.force_login(world.coordinator)
    with time_machine.travel(NOW), django_capture_on_commit_callbacks(execute=True) as handed:
        export = ask(client, "insight:indicators_csv", {"year": 2026})  # answered normally
    assert len(handed) == 1  # the hand-over was tried after commit, and failed
    export.refresh_from_db()
    assert export.status == "pending"

    # The broker is back: a look at the page after a while hands the export over again.
    sent: list[int] = []
    monkeypatch.setattr(
        tasks.produce_export_task, "apply_async", lambda args, **kw: sent.append(args[0])
    )
    url = reverse("exports:detail", args=[export.pk])
    with time_machine.travel(NOW + timedelta(seconds=5)):
        client.get(url)
    assert sent == []  # too early: the first hand-over may still be on its way
    with time_machine.travel(NOW + timedelta(minutes=1)):
        client.get(url)
    assert sent == [export.pk]
    assert produce(sent[0])
    with time_machine.travel(NOW + timedelta(minutes=2)):
        client.get(url)
    assert sent == [export.pk]  # done: nothing handed over again


def test_the_ask_itself_only_records_the_row(
    client: Client, world: World, django_assert_num_queries: Any
) -> None:
    for _ in range(30):
        make_case(world, now=RECEIVED)
    signed_in(client, world.coordinator)  # the steady state: no idle stamp to write
    # session, user; scope_of(): memberships, districts; the owed row looked up; savepoint,
    # INSERT, release
    with django_assert_num_queries(2 + 2 + 1 + 3):
        response = client.get(reverse("insight:figures_csv"), {"year": 2026})
    assert response["Location"] == reverse("exports:detail", args=[Export.objects.get().pk])
