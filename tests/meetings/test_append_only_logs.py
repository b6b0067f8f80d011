"""The read log, the print log and the case timeline are kept as written: the ORM refuses to
change or delete them, the Django admin offers neither, and on PostgreSQL the database itself
refuses an UPDATE or DELETE sent as raw SQL (a trigger installed by `RefuseChanges`)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.test import Client

from cases.models import Access, CaseError, Event
from meetings.models import ConfidentialityPledge, MeetingError, PacketPrint
from tests.conftest import World, make_sheet
from tests.meetings.conftest import Bodies, make_meeting
from tsumugi.lib.dates import TOKYO

SENT = datetime(2026, 6, 1, 9, 0, tzinfo=TOKYO)


def three_rows(world: World, bodies: Bodies) -> tuple[Access, PacketPrint, Event]:
    sheet = make_sheet(world, now=SENT)
    access = Access.objects.create(case=sheet.case, user=world.bob, what="ケース")
    printed = PacketPrint.objects.create(
        meeting=make_meeting(world, bodies.kutsuki), user=world.bob, masked=True
    )
    ConfidentialityPledge.objects.create(user=world.bob, version="1")
    return access, printed, Event.objects.filter(case=sheet.case).earliest("at", "id")


@pytest.mark.parametrize(
    ("index", "error", "noun"),
    [(0, CaseError, "閲覧記録"), (1, MeetingError, "印刷記録"), (2, CaseError, "記録")],
)
def test_the_orm_refuses_to_change_or_delete_a_log_row(
    world: World, bodies: Bodies, index: int, error: type[Exception], noun: str
) -> None:
    row: Model = three_rows(world, bodies)[index]
    manager = type(row)._default_manager
    with pytest.raises(error, match=f"{noun}は変更できません"):
        row.save()
    with pytest.raises(error, match=f"{noun}は削除できません"):
        row.delete()
    with pytest.raises(error, match=f"{noun}は変更できません"):
        manager.filter(pk=row.pk).update(at=SENT)
    with pytest.raises(error, match=f"{noun}は変更できません"), transaction.atomic():
        manager.bulk_update([row], ["at"])
    with pytest.raises(error, match=f"{noun}は削除できません"):
        manager.all().delete()
    assert manager.filter(pk=row.pk).exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "table",
    ["cases_access", "meetings_packetprint", "cases_event", "meetings_confidentialitypledge"],
)
def test_postgresql_refuses_raw_update_and_delete(world: World, bodies: Bodies, table: str) -> None:
    three_rows(world, bodies)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        before = cursor.fetchone()[0]
        assert before >= 1
        for sql in (f"UPDATE {table} SET at = now()", f"DELETE FROM {table}"):
            with pytest.raises(DatabaseError, match="append-only table"), transaction.atomic():
                cursor.execute(sql)
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone()[0] == before


def test_the_admin_lists_the_read_log_and_offers_no_change_or_delete(
    client: Client, world: World, bodies: Bodies
) -> None:
    access, _, event = three_rows(world, bodies)
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    listing = client.get("/django-admin/cases/access/")
    assert listing.status_code == 200 and access.case.number in listing.content.decode()
    assert client.get("/django-admin/cases/access/add/").status_code == 403
    delete = client.post(f"/django-admin/cases/access/{access.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    change = client.post(f"/django-admin/cases/access/{access.pk}/change/", {"what": "x"})
    assert change.status_code == 403 or "x" not in Access.objects.values_list("what", flat=True)
    bulk = client.post(
        "/django-admin/cases/access/",
        {"action": "delete_selected", "_selected_action": [access.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert Access.objects.filter(pk=access.pk).exists()
    # The timeline is case content: it is not in the admin at all.
    assert client.get("/django-admin/cases/event/").status_code == 404
    assert Event.objects.filter(pk=event.pk).exists()
