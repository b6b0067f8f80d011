"""The password lifecycle: change, reset by a one-time link (no enumeration, rate-limited),
invitation, a forced change of an administrator-set password, deactivation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as DjangoSettings

from accounts.models import Account, SignInEvent
from tests.conftest import PASSWORD, World
from tsumugi.lib.appendonly import AppendOnlyError

User = get_user_model()
NEW_PASSWORD = "a-new-pass-phrase-2026"
Kind = SignInEvent.Kind


@pytest.fixture(autouse=True)
def eager_celery(django_capture_on_commit_callbacks: Any) -> Iterator[None]:
    """The mail task runs in-process, and each request's on_commit hooks run as it ends (the
    test's transaction never commits)."""
    from tsumugi.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    original = Client.request

    def request(self: Client, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return original(self, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "request", request)
        yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def link_in(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", str(message.body))
    assert match, message.body
    return match.group(1)


def signed_in(client: Client, username: str, password: str) -> bool:
    response = client.post("/login/", {"username": username, "password": password})
    return response.status_code == 302


def kinds() -> list[str]:
    return list(SignInEvent.objects.order_by("pk").values_list("kind", flat=True))


# --- change your own password ------------------------------------------------------------------


def test_a_user_changes_their_own_password(client: Client, world: World) -> None:
    signed_in(client, "bob", PASSWORD)
    url = reverse("accounts:password_change")
    page = client.get(url).content.decode()
    assert "パスワードの変更" in page
    refused = client.post(
        url, {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert refused.status_code == 200
    assert "元のパスワードが間違っています" in refused.content.decode()
    response = client.post(
        url,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    world.bob.refresh_from_db()
    assert world.bob.check_password(NEW_PASSWORD)
    assert client.get("/me/").status_code == 200  # still signed in on this browser
    assert Kind.PASSWORD_CHANGED in kinds()


# --- reset by e-mail ---------------------------------------------------------------------------


def request_reset(client: Client, email: str, ip: str = "192.0.2.10") -> int:
    url = reverse("accounts:password_reset")
    return client.post(url, {"email": email}, REMOTE_ADDR=ip).status_code


def test_reset_mails_a_known_address_and_answers_an_unknown_one_the_same(
    client: Client, world: World
) -> None:
    known = client.post(reverse("accounts:password_reset"), {"email": "bob@example.jp"})
    unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.jp"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert client.get(known["Location"]).content == client.get(unknown["Location"]).content
    assert [m.to for m in mail.outbox] == [["bob@example.jp"]]
    assert "パスワードの再設定" in mail.outbox[0].subject


def test_the_reset_link_works_once(client: Client, world: World) -> None:
    request_reset(client, "bob@example.jp")
    link = link_in(mail.outbox[0])
    form = client.get(link, follow=True)
    assert "新しいパスワード" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    world.bob.refresh_from_db()
    assert world.bob.check_password(NEW_PASSWORD)
    again = Client().get(link, follow=True).content.decode()
    assert "このリンクは使えません" in again
    assert kinds() == [Kind.PASSWORD_RESET_REQUESTED, Kind.PASSWORD_RESET]


def test_the_reset_link_expires(client: Client, world: World, settings: DjangoSettings) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        request_reset(client, "bob@example.jp")
        link = link_in(mail.outbox[0])
        traveller.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))
        page = Client().get(link, follow=True).content.decode()
    assert "このリンクは使えません" in page


def test_reset_requests_are_rate_limited_per_address_and_per_mailbox(
    client: Client, world: World, settings: DjangoSettings
) -> None:
    settings.TSUMUGI_RESET_PER_EMAIL = 2
    settings.TSUMUGI_RESET_PER_ADDRESS = 2
    assert request_reset(client, "bob@example.jp", ip="192.0.2.1") == 302
    assert request_reset(client, "bob@example.jp", ip="192.0.2.2") == 302
    assert request_reset(client, "bob@example.jp", ip="192.0.2.3") == 429  # bob's mailbox
    assert len(mail.outbox) == 2
    assert request_reset(client, "alice@example.jp", ip="192.0.2.1") == 302
    assert request_reset(client, "x@example.jp", ip="192.0.2.1") == 429  # this address
    # Refused the same way for a mailbox that has no account: nothing to learn from a 429.
    assert request_reset(client, "nobody@example.jp", ip="192.0.2.1") == 429


# --- invitations ---------------------------------------------------------------------------------


def test_an_imported_account_is_invited_and_sets_its_own_password(
    client: Client, world: World
) -> None:
    newcomer = User.objects.create(
        username="newcomer", email="new@example.jp", password=make_password(None)
    )
    client.force_login(world.admin)
    page = client.get(reverse("accounts:invitations")).content.decode()
    assert "newcomer" in page
    assert "bob" not in page  # has a password already
    client.post(reverse("accounts:invite"), {"user": [newcomer.pk, world.bob.pk]})
    assert [m.to for m in mail.outbox] == [["new@example.jp"]]
    link = link_in(mail.outbox[0])
    invitee = Client()
    form = invitee.get(link, follow=True)
    assert "newcomer" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    invitee.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert signed_in(invitee, "newcomer", NEW_PASSWORD)
    assert "使えません" in Client().get(link, follow=True).content.decode()  # once only
    event = SignInEvent.objects.get(kind=Kind.INVITED)
    assert (event.user, event.by) == (newcomer, world.admin)


def test_only_an_admin_reaches_invitations_and_the_record(client: Client, world: World) -> None:
    client.force_login(world.bob)
    for name in ["accounts:invitations", "accounts:events"]:
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("accounts:invite"), {"user": [world.charlie.pk]}).status_code == 403


# --- an administrator's password is changed at first sign-in ---------------------------------


def test_a_password_set_by_an_admin_must_be_changed_first(client: Client, world: World) -> None:
    superuser = User.objects.create_superuser("root", "root@example.jp", PASSWORD)
    admin_client = Client()
    admin_client.force_login(superuser)
    url = reverse("admin:auth_user_password_change", args=[world.bob.pk])
    response = admin_client.post(
        url, {"password1": "temporary-pass-2026", "password2": "temporary-pass-2026"}
    )
    assert response.status_code == 302
    assert Account.objects.get(user=world.bob).must_change_password

    assert signed_in(client, "bob", "temporary-pass-2026")
    # Middleware checks the session only (no query per request): a fresh login sets it.
    session = client.session
    assert client.get("/me/")["Location"] == reverse("accounts:password_change")
    assert client.get("/cases/")["Location"] == reverse("accounts:password_change")
    assert session is not None
    client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "temporary-pass-2026",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert client.get("/me/").status_code == 200
    assert not Account.objects.get(user=world.bob).must_change_password


# --- deactivation --------------------------------------------------------------------------------


def test_deactivating_a_user_ends_their_session_at_once(client: Client, world: World) -> None:
    assert signed_in(client, "bob", PASSWORD)
    assert client.get("/me/").status_code == 200
    world.bob.is_active = False
    world.bob.save()
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert Kind.DEACTIVATED in kinds()


# --- the record ------------------------------------------------------------------------------


def test_sign_ins_failures_and_sign_outs_are_on_the_record(client: Client, world: World) -> None:
    client.post("/login/", {"username": "bob", "password": "wrong"}, REMOTE_ADDR="192.0.2.44")
    client.post("/login/", {"username": "nosuch", "password": "x"}, REMOTE_ADDR="192.0.2.44")
    client.post("/login/", {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="192.0.2.44")
    client.post("/logout/", REMOTE_ADDR="192.0.2.44")
    rows = list(SignInEvent.objects.order_by("pk").values_list("kind", "username", "user", "ip"))
    bob = world.bob.pk
    assert rows == [
        (Kind.FAILED, "bob", bob, "192.0.2.44"),
        (Kind.FAILED, "nosuch", None, "192.0.2.44"),
        (Kind.SIGNED_IN, "bob", bob, "192.0.2.44"),
        (Kind.SIGNED_OUT, "bob", bob, "192.0.2.44"),
    ]


def test_a_lockout_is_on_the_record(client: Client, world: World) -> None:
    for attempt in range(5):
        client.post("/login/", {"username": "bob", "password": f"wrong-{attempt}"})
    assert SignInEvent.objects.filter(kind=Kind.LOCKED_OUT, user=world.bob).count() == 1


def test_the_record_is_append_only(world: World) -> None:
    event = SignInEvent.objects.create(kind=Kind.SIGNED_IN, user=world.bob, username="bob")
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        SignInEvent.objects.filter(pk=event.pk).update(username="x")
    with pytest.raises(AppendOnlyError):
        SignInEvent.objects.all().delete()


QUERIES_EVENTS = 9


@pytest.mark.parametrize("rows", [3, 120])
def test_admins_read_the_record_in_the_browser(
    client: Client, world: World, django_assert_num_queries: Any, rows: int
) -> None:
    # failed sign-ins under the names of this municipality's staff (a name nobody has is no
    # municipality's: it is not listed)
    for i in range(rows):
        name = ("bob", "charlie")[i % 2]
        SignInEvent.objects.create(kind=Kind.FAILED, username=name, ip="192.0.2.5")
    SignInEvent.objects.create(kind=Kind.FAILED, username="nobody-at-all", ip="192.0.2.5")
    client.force_login(world.admin)
    # session, user, memberships (scope), COUNT for the paginator, unread notifications
    # (navigation), the page of events (one JOIN for user and by), then the session's
    # last-seen time saved (savepoint, UPDATE, release).
    with django_assert_num_queries(QUERIES_EVENTS):
        page = client.get(reverse("accounts:events")).content.decode()
    # 100 rows a page; the newest is the admin's own sign-in (force_login).
    assert page.count("ログイン失敗") == min(rows, 99)
    assert "nobody-at-all" not in page
    filtered = client.get(reverse("accounts:events"), {"username": "charlie"}).content.decode()
    assert filtered.count("ログイン失敗") == rows // 2


@pytest.mark.postgres
def test_postgresql_refuses_raw_changes_to_the_record(world: World) -> None:
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    SignInEvent.objects.create(kind=Kind.SIGNED_IN, user=world.bob, username="bob")
    for sql in [
        "UPDATE accounts_signinevent SET username = 'x'",
        "DELETE FROM accounts_signinevent",
    ]:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
