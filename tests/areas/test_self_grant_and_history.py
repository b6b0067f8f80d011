"""Admins cannot read cases by granting themselves access (issue 9, point 8): the roster page,
the CSV import and the Django admin all refuse a case-role membership (or a seat on a body) for
the acting admin, and every change to the roster data is in the change history with who, when,
before and after, readable on the roster management's 変更履歴 page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from areas.models import SELF_GRANT_REFUSAL, Membership, Role, RosterEntry
from tests.conftest import World, make_member, make_user
from tests.meetings.conftest import make_bodies

REFUSED = "自分自身に、相談を扱う役割"


def as_admin(client: Client, world: World) -> Client:
    client.force_login(world.admin)
    return client


def membership_data(world: World, user_pk: int, role: str = Role.STAFF) -> dict[str, object]:
    return {"user": user_pk, "agency": world.b.pk, "role": role, "position": "", "is_active": "on"}


def test_the_roster_page_refuses_a_case_role_for_oneself(client: Client, world: World) -> None:
    as_admin(client, world)
    before = Membership.objects.count()
    page = client.post("/roster/memberships/new/", membership_data(world, world.admin.pk))
    assert page.status_code == 200 and REFUSED in page.content.decode()
    assert Membership.objects.count() == before
    own = Membership.objects.get(user=world.admin)
    data = {**membership_data(world, world.admin.pk, Role.COORDINATOR), "agency": own.agency_id}
    page = client.post(f"/roster/memberships/{own.pk}/edit/", data)
    assert REFUSED in page.content.decode()
    own.refresh_from_db()
    assert own.role == Role.ADMIN
    # Another admin may do it, and the history says who.
    other = make_user("admin2", "管理", "花子")
    make_member(other, world.office, Role.ADMIN)
    client.force_login(other)
    done = client.post("/roster/memberships/new/", membership_data(world, world.admin.pk))
    assert done.status_code == 302
    assert Membership.objects.filter(user=world.admin, role=Role.STAFF).exists()


def test_an_admin_may_still_grant_others(client: Client, world: World) -> None:
    as_admin(client, world)
    carol = make_user("carol", "木村", "花")
    response = client.post("/roster/memberships/new/", membership_data(world, carol.pk))
    assert response.status_code == 302
    assert Membership.objects.filter(user=carol, agency=world.b).exists()


def test_the_csv_import_refuses_a_case_role_for_oneself(client: Client, world: World) -> None:
    as_admin(client, world)
    csv = ("ユーザー名,機関コード,役割\r\ncarol,houkatsu,職員\r\nadmin,houkatsu,職員\r\n").encode()
    response = client.post(
        "/roster/csv/memberships/import/",
        {"memberships-file": SimpleUploadedFile("m.csv", csv)},
    )
    assert response.status_code == 400
    assert f"3行目: {SELF_GRANT_REFUSAL}" in response.content.decode()
    assert not Membership.objects.filter(user__username__in=["carol", "admin"], agency=world.b)


def test_the_csv_import_is_in_the_history(client: Client, world: World) -> None:
    as_admin(client, world)
    csv = "ユーザー名,機関コード,役割,職種・立場\r\ncarol,houkatsu,職員,社会福祉士\r\n".encode()
    upload = {"memberships-file": SimpleUploadedFile("m.csv", csv)}
    assert client.post("/roster/csv/memberships/import/", upload).status_code == 302
    csv = "ユーザー名,機関コード,役割,職種・立場\r\ncarol,houkatsu,職員,主任\r\n".encode()
    upload = {"memberships-file": SimpleUploadedFile("m.csv", csv)}
    assert client.post("/roster/csv/memberships/import/", upload).status_code == 302
    carol = Membership.objects.get(user__username="carol")
    kinds = list(carol.history.order_by("history_date").values_list("history_type", flat=True))  # type: ignore[attr-defined]
    assert kinds == ["+", "~"]
    assert {h.history_user for h in carol.history.all()} == {world.admin}  # type: ignore[attr-defined]
    page = client.get("/roster/history/?kind=memberships").content.decode()
    assert "職種・立場: 社会福祉士 → 主任" in page


def test_the_django_admin_refuses_a_case_role_for_oneself(client: Client, world: World) -> None:
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    as_admin(client, world)
    before = Membership.objects.count()
    page = client.post(
        "/django-admin/areas/membership/add/",
        {"user": world.admin.pk, "agency": world.b.pk, "role": Role.STAFF, "is_active": "on"},
    )
    assert page.status_code == 200 and REFUSED in page.content.decode()
    assert Membership.objects.count() == before
    own = Membership.objects.get(user=world.admin)
    form = client.get("/django-admin/areas/rosterentry/add/").content.decode()
    assert f'value="{own.pk}"' not in form


def test_the_roster_does_not_offer_a_seat_to_oneself(client: Client, world: World) -> None:
    bodies = make_bodies(world)
    as_admin(client, world)
    own = Membership.objects.get(user=world.admin)
    page = client.post(f"/roster/bodies/{bodies.support.pk}/", {"membership": own.pk})
    assert page.status_code == 200
    assert not RosterEntry.objects.filter(membership=own).exists()


def test_the_history_page_shows_who_when_before_and_after(client: Client, world: World) -> None:
    bodies = make_bodies(world)
    as_admin(client, world)
    bob = Membership.objects.get(user=world.bob, agency=world.b)
    data = {**membership_data(world, world.bob.pk), "position": "保健師"}
    assert client.post(f"/roster/memberships/{bob.pk}/edit/", data).status_code == 302
    page = client.get("/roster/history/").content.decode()
    assert "管理 太郎" in page and "変更" in page and "職種・立場: 社会福祉士 → 保健師" in page
    entry = RosterEntry.objects.filter(body=bodies.support).first()
    assert entry is not None
    client.post(f"/roster/bodies/{bodies.support.pk}/entries/{entry.pk}/remove/")
    page = client.get("/roster/history/?kind=rosters").content.decode()
    assert "削除" in page and "高島市支援会議" in page


@pytest.mark.parametrize("changes", [1, 60])
def test_the_history_page_has_a_fixed_number_of_queries(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries, changes: int
) -> None:
    bob = Membership.objects.get(user=world.bob, agency=world.b)
    for n in range(changes):
        bob.position = f"立場{n}"
        bob.save()
    as_admin(client, world)
    # session, user, admin check (memberships), count, the page of records with their users,
    # the records just before them, the users and the agencies they name, the unread
    # notification count (base template), and the idle-timeout session save (savepoint,
    # UPDATE, release)
    with django_assert_num_queries(12):
        assert client.get("/roster/history/?kind=memberships").status_code == 200
