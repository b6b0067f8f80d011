"""The one world every test starts from (STYLE.md).

alice works at agency A (社会福祉課 くらし連携支援室's neighbour: 朽木支所), owns the case;
bob works at agency B (地域包括支援センター) and receives the sheet;
charlie works at agency C (働き暮らし応援センター) and must never see either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.http import HttpResponse
from django.test import Client
from django.urls import resolve, reverse
from pytest_django.fixtures import Settings as DjangoSettings

from areas.models import Agency, Area, Body, Field, Membership, Role
from tenancy.models import Municipality

User = get_user_model()
PASSWORD = "correct-horse-battery-staple"


def make_user(
    username: str, last_name: str = "", first_name: str = "", **extra: object
) -> AuthUser:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        last_name=last_name,
        first_name=first_name,
        email=f"{username}@example.jp",
        **extra,
    )
    return user


def make_member(
    user: AuthUser, agency: Agency, role: str = Role.STAFF, position: str = ""
) -> Membership:
    return Membership.objects.create(user=user, agency=agency, role=role, position=position)


@dataclass
class World:
    city: Area
    kutsuki: Area
    imazu: Area
    fields: dict[str, Field]
    office: Agency  # くらし連携支援室 (coordination office)
    a: Agency
    b: Agency
    c: Agency
    alice: AuthUser
    bob: AuthUser
    charlie: AuthUser
    bob_boss: AuthUser
    coordinator: AuthUser
    admin: AuthUser


@pytest.fixture
def world(db: None) -> World:
    Municipality.objects.create(code="252123", name="高島市")
    city = Area.objects.create(code="takashima", name="高島市", layer=Area.Layer.CITY)
    kutsuki = Area.objects.create(
        code="kutsuki",
        name="朽木",
        layer=Area.Layer.DISTRICT,
        parent=city,
        school_name="朽木中学校",
    )
    imazu = Area.objects.create(
        code="imazu", name="今津", layer=Area.Layer.DISTRICT, parent=city, school_name="今津中学校"
    )
    fields = {
        code: Field.objects.create(code=code, name=name, order=i)
        for i, (code, name) in enumerate(
            [
                ("elderly", "高齢"),
                ("disability", "障がい"),
                ("children", "子ども"),
                ("poverty", "生活困窮"),
                ("health", "健康・医療"),
            ]
        )
    }
    office = Agency.objects.create(
        code="kurashi",
        name="くらし連携支援室",
        kind=Agency.Kind.DEPARTMENT,
        is_coordination_office=True,
    )
    a = Agency.objects.create(code="kutsuki-branch", name="朽木支所", kind=Agency.Kind.BRANCH)
    a.districts.add(kutsuki)
    b = Agency.objects.create(
        code="houkatsu", name="地域包括支援センター", kind=Agency.Kind.OUTSIDE
    )
    b.districts.add(kutsuki, imazu)
    b.fields.add(fields["elderly"])
    c = Agency.objects.create(
        code="hataraki", name="働き暮らし応援センター", kind=Agency.Kind.OUTSIDE
    )
    c.districts.add(imazu)
    alice = make_user("alice", "安藤", "亜紀")
    bob = make_user("bob", "坂東", "勉")
    charlie = make_user("charlie", "千葉", "千尋")
    bob_boss = make_user("bob_boss", "馬場", "文雄")
    coordinator = make_user("coord", "小山", "恵")
    admin = make_user("admin", "管理", "太郎")
    make_member(alice, a, Role.COUNTER, "支所福祉窓口担当")
    make_member(bob, b, Role.STAFF, "社会福祉士")
    make_member(bob_boss, b, Role.SUPERVISOR, "センター長")
    make_member(charlie, c, Role.STAFF)
    make_member(coordinator, office, Role.COORDINATOR, "相談支援包括化推進員")
    make_member(admin, office, Role.ADMIN)
    return World(
        city,
        kutsuki,
        imazu,
        fields,
        office,
        a,
        b,
        c,
        alice,
        bob,
        charlie,
        bob_boss,
        coordinator,
        admin,
    )


# --- cases and sheets ------------------------------------------------------------------------

from datetime import datetime  # noqa: E402

from cases.intake import PersonData, open_case  # noqa: E402
from cases.models import Basis, Case, Channel, IssueTag  # noqa: E402
from sheets.models import Outcome, Sheet  # noqa: E402


def make_tags(world: World) -> dict[str, IssueTag]:
    spec = [
        ("8050", "8050", "elderly"),
        ("hikikomori", "ひきこもり", "disability"),
        ("kaigo", "介護", "elderly"),
        ("konkyu", "生活困窮", "poverty"),
        ("young-carer", "ヤングケアラー", "children"),
    ]
    return {
        code: IssueTag.objects.get_or_create(
            municipality_id=world.a.municipality_id,
            code=code,
            defaults={"name": name, "field": world.fields[field]},
        )[0]
        for code, name, field in spec
    }


def make_case(
    world: World,
    *,
    basis: str = Basis.CONSENT,
    tags: tuple[str, ...] = ("8050", "hikikomori"),
    district: Area | None = None,
    now: datetime | None = None,
    by: AuthUser | None = None,
    agency: Agency | None = None,
    shared_summary: str = "80代の母と50代の長男の世帯。長男は長く外出していない。",
    support_body: Body | None = None,
) -> Case:
    all_tags = make_tags(world)
    case = open_case(
        agency=agency or world.a,
        by=by or world.alice,
        district=district or world.kutsuki,
        channel=Channel.WINDOW,
        summary="80代の母と50代の長男。長男は10年ほど外出していない。",
        shared_summary=shared_summary,
        support_body=support_body,
        basis=basis,
        tags=[all_tags[t] for t in tags],
        people=[
            PersonData("山田 花子", "やまだ はなこ", 1944, "本人", True),
            PersonData("山田 一郎", "やまだ いちろう", 1972, "長男"),
        ],
        consent_agencies=[world.b] if basis == Basis.CONSENT else [],
        consent_scope="介護と生活の状況" if basis == Basis.CONSENT else "",
        now=now,
        received_at=now,
    )
    return case


def make_sheet(
    world: World,
    case: Case | None = None,
    *,
    now: datetime | None = None,
    receiver: Agency | None = None,
    urgency: str = "normal",
) -> Sheet:
    case = case or make_case(world, now=now)
    return Sheet.issue(
        case=case,
        by=world.alice,
        sender_agency=world.a,
        receiver_agency=receiver or world.b,
        request="母の介護保険の申請と、長男への声かけをお願いします。",
        sender_continuing="支所で月1回の訪問を続けます。",
        urgency=urgency,
        now=now,
    )


def outcome(code: str = "support") -> Outcome:
    return Outcome.objects.get(code=code)


def fetch_export(client: Client, url: str, data: dict[str, Any] | None = None) -> HttpResponse:
    """An export as the person who asks gets it (reminders/exports.py): the link records the
    request and sends them to its page, the worker renders it, the page offers the file, the
    file is fetched. Returns the file's response with its body read."""
    from reminders.exports import produce

    asked = client.get(url, data or {})
    assert asked.status_code == 302, (url, asked.status_code)
    match = resolve(asked["Location"])
    assert match.view_name == "exports:detail", asked["Location"]
    assert produce(match.kwargs["pk"]) is True
    offer = reverse("exports:file", args=[match.kwargs["pk"]])
    assert offer in client.get(asked["Location"]).content.decode()
    served = client.get(offer)
    assert served.status_code == 200
    body = HttpResponse(b"".join(served.streaming_content))  # type: ignore[attr-defined]
    for header, value in served.items():
        body[header] = value
    return body


@pytest.fixture(autouse=True)
def fast_password_hasher(settings: DjangoSettings) -> None:
    """PBKDF2 costs ~0.3 s per user; the world makes six. Tests only need a hash that checks."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings: DjangoSettings, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Files the worker keeps (meeting packets) go to a throw-away folder, not var/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def migration_rows_present(request: pytest.FixtureRequest) -> None:
    """A transactional test (live server, worker, races) ends with a flush, which also empties the
    rows data migrations made (sheet outcomes, assessment items). pytest-django runs such tests
    after the others, but one that slips in before a plain database test on the same xdist worker
    (CI saw it: tests/test_url_access.py found no AssessmentItem) would leave it without them.
    Plain database tests therefore reload the post-migration rows when they are missing (inside
    the test's own transaction, so nothing outlives it); normally this is one EXISTS query."""
    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    # A module's `pytestmark = pytest.mark.django_db` makes a database test without naming `db`
    # (tests/sheets/test_case_demo.py's seed_demo found no Outcome in a full run).
    if "db" not in names and marker is None:
        return
    if "transactional_db" in names or "live_server" in names:
        return
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return
    request.getfixturevalue("db")
    from django.db import connection

    from plans.models import AssessmentItem

    if AssessmentItem.objects.exists():
        return
    contents = getattr(connection, "_test_serialized_contents", "")
    if contents:
        connection.creation.deserialize_db_from_string(contents)


def signed_in(client: Client, user: AuthUser) -> None:
    """Sign in and make one request first, so that the requests a query-count test measures
    are the steady state: the idle-timeout stamp is written when the session has none or once
    a minute (tsumugi.middleware.last_seen_step), not on every request."""
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200


# --- counting queries ------------------------------------------------------------------------

import contextlib  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402

from django.db import connection as default_connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from tenancy import rls  # noqa: E402


def scope_statement(sql: str) -> bool:
    """On PostgreSQL each request sets its municipality for row security (tenancy/rls.py, one
    statement) and, inside a test's transaction, puts it back afterwards (one more): the same
    two for every request whatever the page does, so query counts leave them out and read the
    same on SQLite and PostgreSQL."""
    return rls.is_scope_statement(sql)


@pytest.fixture
def django_assert_num_queries() -> Callable[..., contextlib.AbstractContextManager[Any]]:
    """pytest-django's fixture of the same name, leaving out the scope statements."""

    @contextlib.contextmanager
    def assert_num_queries(
        num: int, connection: Any = None, info: str | None = None
    ) -> Iterator[CaptureQueriesContext]:
        with CaptureQueriesContext(connection or default_connection) as context:
            yield context
        done = [q["sql"] for q in context.captured_queries if not scope_statement(q["sql"])]
        if len(done) != num:
            listing = "\n".join(f"{i}. {sql}" for i, sql in enumerate(done, 1))
            extra = f"\n{info}" if info else ""
            pytest.fail(
                f"Expected to perform {num} queries but {len(done)} were done{extra}\n"
                f"Queries:\n========\n{listing}"
            )

    return assert_num_queries


@pytest.fixture(scope="session", autouse=True)
def no_connection_outlives_the_session(
    django_db_setup: None, django_db_blocker: Any
) -> Iterator[None]:
    """No session outlives the test database; pytest-django drops it after this.

    PostgreSQL refuses to drop a database in use ("is being accessed by other users", a
    PytestWarning at the end of one worker in most CI runs). What held it, found with a probe of
    pg_stat_activity after every test: one idle session, its last statement ROLLBACK, opened
    mid-run by a Django connection object that this thread's `connections` no longer holds
    (closing them all does not reach it; 2026-12-02). An idle session has nothing left to do:
    it is ended here. A session still busy (a worker or server a test started and never
    stopped) fails the run, with what it was doing."""
    yield
    from django.db import connection, connections

    with django_db_blocker.unblock():
        connections.close_all()
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, application_name, state, left(query, 80) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            left = cursor.fetchall()
            for pid, _name, state, _query in left:
                if state == "idle":
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        connections.close_all()
    busy = [row for row in left if row[2] != "idle"]
    if busy:
        pytest.fail(f"sessions still busy on the test database: {busy}", pytrace=False)
