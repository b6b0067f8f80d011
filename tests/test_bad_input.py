"""Input no page should answer with a 500, refused before any view (tsumugi/middleware.py).

- A NUL character in a query string, a form field or the path: PostgreSQL's text cannot hold
  one, so every filter that passed it to a query was a 500 there. Run on both databases.
- A body over DATA_UPLOAD_MAX_MEMORY_SIZE: the CSRF check parses the body before any view, so
  the refusal has to come first; tested with the CSRF check on and through a real gunicorn.
- An id no row can have (beyond 64 bits, or a digit such as "²" that int() refuses) in a filter
  or a path: nothing is found, as for any other id no row has.
- A username longer than django-axes' 255-character column at sign-in.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cases.models import Case, Person
from tests.cases.test_views import intake_data
from tests.conftest import PASSWORD, World
from tests.test_settings import PRODUCTION_ENV, clean_environment, secret_key

ROOT = Path(__file__).resolve().parent.parent
NUL_MESSAGE = "入力に使えない制御文字（NUL）が含まれていたため、受け付けませんでした"
TOO_BIG_MESSAGE = "送信された内容が大きすぎるため、受け付けませんでした（何も保存していません）"
OVER_LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1

# (who, page, query): every filter of the app that reads the query string.
FILTERS = [
    ("admin", "areas:membership_list", {"q": "山\x00田"}),
    ("admin", "areas:membership_list", {"agency": "1\x00"}),
    ("admin", "accounts:events", {"username": "alice\x00"}),
    ("admin", "areas:history", {"kind": "\x00"}),
    ("alice", "cases:list", {"q": "山田\x00"}),
    ("alice", "cases:search", {"q": "\x00", "name": "\x00"}),
    ("bob", "sheets:inbox", {"q": "\x00", "status": "\x00"}),
    ("bob", "sheets:outbox", {"q": "\x00"}),
    ("coordinator", "plans:list", {"status": "draft\x00"}),
    ("coordinator", "insight:figures", {"district": "\x00"}),
    ("alice", "meetings:list", {"q": "\x00"}),
    ("alice", "home", {"\x00": "x"}),
]


def sign_in(client: Client, world: World, who: str) -> None:
    client.force_login(getattr(world, who))


@pytest.mark.parametrize(("who", "page", "query"), FILTERS, ids=lambda v: str(v))
def test_a_nul_in_any_filter_is_refused_in_japanese(
    client: Client, world: World, who: str, page: str, query: dict[str, str]
) -> None:
    sign_in(client, world, who)
    response = client.get(reverse(page), query)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


# An id no row can have: 64 bits and one (SQLite's OverflowError), and a digit int() refuses.
BAD_IDS = [str(2**63), "²", "١٢"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_an_id_no_row_can_have_finds_nothing_instead_of_a_500(
    client: Client, world: World, bad: str
) -> None:
    client.force_login(world.admin)
    listed = client.get(reverse("areas:membership_list"), {"agency": bad})
    assert listed.status_code == 200
    client.force_login(world.coordinator)
    assert client.get(f"/insight/karte/{bad}/").status_code == 404


def test_a_nul_in_a_posted_form_saves_nothing(client: Client, world: World) -> None:
    client.force_login(world.alice)
    response = client.post(reverse("cases:new"), intake_data(world, summary="長男\x00の件"))
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()
    assert not Case.objects.exists() and not Person.objects.exists()


def test_a_nul_in_the_path_is_refused(client: Client, world: World) -> None:
    client.force_login(world.coordinator)
    response = client.get("/insight/karte/ku%00tsuki/")
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


def test_a_nul_in_the_username_at_sign_in_is_refused(client: Client, world: World) -> None:
    response = client.post(reverse("login"), {"username": "alice\x00", "password": PASSWORD})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_text_without_nul_is_searched_as_before(client: Client, world: World) -> None:
    client.force_login(world.admin)
    response = client.get(reverse("areas:membership_list"), {"q": "坂東\t"})
    assert response.status_code == 200
    assert "坂東" in response.content.decode()


@pytest.mark.parametrize("length", [151, 256, 10_000])
def test_a_very_long_username_at_sign_in_is_a_normal_error(
    client: Client, world: World, length: int
) -> None:
    response = client.post(reverse("login"), {"username": "u" * length, "password": "x"})
    assert response.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in response.content.decode()
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "u" * 150


def test_a_very_long_username_still_counts_towards_the_lockout(
    client: Client, world: World
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "u" * 300, "password": "x"})
    response = client.post(reverse("login"), {"username": "u" * 300, "password": "x"})
    assert response.status_code == 429


def test_a_very_long_username_at_the_admin_sign_in_is_a_normal_error(
    client: Client, world: World
) -> None:
    response = client.post(reverse("admin:login"), {"username": "u" * 300, "password": "x"})
    assert response.status_code == 200


def csrf_client(world: World) -> tuple[Client, str]:
    """A client that, like a browser in production, must send the CSRF token with each POST."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    client.get(reverse("cases:new"))
    return client, client.cookies["csrftoken"].value


def test_an_oversized_form_is_refused_in_japanese_with_the_csrf_check_on(world: World) -> None:
    client, token = csrf_client(world)
    huge = "あ" * (OVER_LIMIT // 3 + 1)
    data = intake_data(world, summary=huge) | {"csrfmiddlewaretoken": token}
    response = client.post(reverse("cases:new"), data)
    assert response.status_code == 413
    html = response.content.decode()
    assert TOO_BIG_MESSAGE in html
    assert f"{settings.TEXT_FIELD_MAX_CHARS:,}文字まで" in html
    assert not Case.objects.exists()


@pytest.mark.parametrize("page", ["cases:new", "sheets:inbox", "login", "logout"])
def test_any_oversized_body_is_refused_in_japanese_even_without_a_token(
    world: World, page: str
) -> None:
    client, _ = csrf_client(world)
    response = client.post(
        reverse(page), "x=" + "y" * OVER_LIMIT, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert TOO_BIG_MESSAGE in response.content.decode()


def test_the_csrf_check_still_refuses_a_small_post_without_a_token(world: World) -> None:
    client, _ = csrf_client(world)
    response = client.post(reverse("cases:new"), intake_data(world))
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_a_body_just_under_the_limit_reaches_the_form(world: World) -> None:
    client, token = csrf_client(world)
    summary = "x" * (settings.TEXT_FIELD_MAX_CHARS + 1)  # too long for the field, not the body
    data = intake_data(world, summary=summary) | {"csrfmiddlewaretoken": token}
    response = client.post(reverse("cases:new"), data)
    assert response.status_code == 400
    assert "長すぎます" in response.content.decode()


# --- through gunicorn ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# As the README's reverse proxy forwards a request made over HTTPS.
HTTPS = {"X-Forwarded-Proto": "https", "Content-Type": "application/x-www-form-urlencoded"}


def request(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request(method, path, body=body, headers=HTTPS)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """gunicorn with the production settings (DEBUG off, CSRF on, secure cookies behind an HTTPS
    proxy), on a private port, stopped however the tests end."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    env = clean_environment(
        tmp,
        **PRODUCTION_ENV
        | {
            "TSUMUGI_SECRET_KEY": secret_key(),
            "TSUMUGI_ALLOWED_HOSTS": "127.0.0.1",
            "TSUMUGI_CSRF_TRUSTED_ORIGINS": "https://127.0.0.1",
            "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "tests.gunicorn_settings",
        },
    )
    # No migrate: none of these requests reaches the database (an empty file proves it).
    port = free_port()
    log = (tmp / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "tsumugi.wsgi:application"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "30"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request(port, "GET", "/login/")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start: {(tmp / 'gunicorn.log').read_text()}")
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_gunicorn_refuses_an_oversized_body_with_the_japanese_page(gunicorn: int) -> None:
    body = b"username=alice&password=" + b"y" * OVER_LIMIT
    status, html = request(gunicorn, "POST", "/login/", body)
    assert status == 413
    assert TOO_BIG_MESSAGE in html


def test_gunicorn_still_checks_csrf_on_a_small_post(gunicorn: int) -> None:
    status, _ = request(gunicorn, "POST", "/login/", b"username=alice&password=x")
    assert status == 403


def test_gunicorn_refuses_a_nul_in_the_query_string(gunicorn: int) -> None:
    status, html = request(gunicorn, "GET", "/login/?next=%00")
    assert status == 400
    assert NUL_MESSAGE in html
