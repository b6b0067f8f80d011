"""The security baseline of issue 2: CSP, login throttling, idle timeout, passwords, caching."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import (
    CommonPasswordValidator,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template import RequestContext, Template
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as DjangoSettings

from tests.conftest import PASSWORD, World

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse
from tsumugi import urls as tsumugi_urls


def post_login(client: Client, username: str, password: str) -> TestResponse:
    return client.post("/login/", {"username": username, "password": password})


# --- Content-Security-Policy -------------------------------------------------------------------


def test_every_page_sends_a_strict_content_security_policy(client: Client, db: None) -> None:
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["script-src"] == ["'self'"]  # a nonce is added only when a page uses one


def inline_script_view(request: HttpRequest) -> HttpResponse:
    template = '<script nonce="{{ csp_nonce }}">document.title = "x";</script>'
    return HttpResponse(Template(template).render(RequestContext(request)))


urlpatterns = [*tsumugi_urls.urlpatterns, path("test-inline-script/", inline_script_view)]


@pytest.mark.urls("tests.test_security")
def test_an_inline_script_carries_the_nonce_of_its_response(client: Client, db: None) -> None:
    nonces = []
    for _ in range(2):
        response = client.get("/test-inline-script/")
        match = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
        assert match is not None
        script_src = response["Content-Security-Policy"].split("script-src ")[1].split(";")[0]
        assert f"'nonce-{match.group(1)}'" in script_src
        assert f'<script nonce="{match.group(1)}">' in response.content.decode()
        nonces.append(match.group(1))
    assert nonces[0] != nonces[1]


def test_pages_load_no_script_or_style_from_another_host(client: Client, world: World) -> None:
    client.force_login(world.admin)
    for url in ["/login/", "/", "/me/"]:
        html = client.get(url).content.decode()
        assert not re.search(r"""(src|href)=["'](https?:)?//""", html), url


# --- login throttling (django-axes) ----------------------------------------------------------


def test_the_sixth_login_attempt_after_five_wrong_passwords_is_refused(
    client: Client, world: World
) -> None:
    for attempt in range(1, 5):
        response = post_login(client, "bob", f"wrong-password-{attempt}")
        assert response.status_code == 200, attempt
        assert "ユーザー名またはパスワードが正しくありません" in response.content.decode()
    # The fifth failure in a row locks the username + IP pair ...
    assert post_login(client, "bob", "wrong-password-5").status_code == 429
    # ... so the sixth attempt is refused, even with the right password.
    response = post_login(client, "bob", PASSWORD)
    assert response.status_code == 429
    assert "ログインを一時停止しました" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked out by bob's mistakes.
    assert post_login(client, "alice", PASSWORD).status_code == 302


def test_a_successful_login_resets_the_count_of_failures(client: Client, world: World) -> None:
    for attempt in range(4):
        assert post_login(client, "bob", f"wrong-{attempt}").status_code == 200
    assert post_login(client, "bob", PASSWORD).status_code == 302
    client.post("/logout/")
    for attempt in range(4):
        assert post_login(client, "bob", f"wrong-again-{attempt}").status_code == 200
    assert post_login(client, "bob", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off_time(client: Client, world: World) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for attempt in range(5):
            post_login(client, "bob", f"wrong-{attempt}")
        assert post_login(client, "bob", PASSWORD).status_code == 429
        traveller.shift(timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1))
        assert post_login(client, "bob", PASSWORD).status_code == 302


# --- sessions ------------------------------------------------------------------------------


def test_an_idle_session_expires_after_thirty_minutes(client: Client, world: World) -> None:
    assert settings.SESSION_IDLE_TIMEOUT_SECONDS == 30 * 60
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(world.alice)
        assert client.get("/me/").status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert client.get("/me/").status_code == 200  # activity restarts the clock
        traveller.shift(timedelta(minutes=29))
        assert client.get("/me/").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/me/")
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "一定時間操作がなかったため、ログアウトしました。" in page


def test_the_session_cookie_ends_with_the_browser(client: Client, world: World) -> None:
    response = post_login(client, "alice", PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == ""
    assert cookie["max-age"] == ""
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# --- passwords -----------------------------------------------------------------------------


def test_passwords_need_twelve_characters() -> None:
    with pytest.raises(ValidationError) as short:
        validate_password("kT9#vLq2wZ!")  # 11 characters
    assert "12 文字以上" in " ".join(short.value.messages)
    validate_password("kT9#vLq2wZ!x")


def test_common_passwords_are_refused_however_long() -> None:
    common_and_long = sorted(p for p in CommonPasswordValidator().passwords if len(p) >= 12)[0]
    with pytest.raises(ValidationError) as error:
        validate_password(common_and_long)
    assert "一般的すぎます" in " ".join(error.value.messages)


def test_a_password_like_the_users_own_details_is_refused(world: World) -> None:
    with pytest.raises(ValidationError):
        validate_password("alice@example.jp1", user=world.alice)


# --- caching -------------------------------------------------------------------------------


def test_signed_in_pages_are_never_stored_by_the_browser(client: Client, world: World) -> None:
    client.force_login(world.bob)
    for url in ["/", "/me/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store", url


def test_pages_may_not_be_framed_or_sniffed(client: Client, db: None) -> None:
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# --- templates stay within the policy ------------------------------------------------------

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def html_templates() -> list[Path]:
    # PDF sources are rendered by WeasyPrint, never by a browser, so the CSP does not apply there.
    return [
        p for p in TEMPLATES_DIR.rglob("*.html") if "pdf" not in p.relative_to(TEMPLATES_DIR).parts
    ]


def test_no_template_has_what_the_policy_would_block_in_the_browser() -> None:
    """style="…" attributes, inline handlers and scripts without the nonce are silently dropped
    by the browser under this CSP: the page would look or work differently than in the tests."""
    problems = []
    for template in html_templates():
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), start=1):
            where = f"{template.relative_to(TEMPLATES_DIR)}:{number}"
            if re.search(r"\sstyle\s*=", line):
                problems.append(f"{where}: style attribute (use a class in static/css)")
            if re.search(r"\son[a-z]+\s*=", line) or "javascript:" in line:
                problems.append(f"{where}: inline event handler")
            for tag in re.findall(r"<(?:script|style)\b[^>]*>", line):
                if "src=" not in tag and "nonce=" not in tag:
                    problems.append(f"{where}: inline {tag} without nonce")
    assert problems == []


def test_with_the_production_values_http_is_redirected_and_cookies_are_secure(
    settings: DjangoSettings, world: World
) -> None:
    """The values TSUMUGI_PRODUCTION=1 sets (test_settings.py proves that it sets them) at work."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    plain = client.get("/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/login/"
    page = client.get("/login/", secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.cookies["csrftoken"]["secure"] is True
    signed_in = client.post("/login/", {"username": "alice", "password": PASSWORD}, secure=True)
    assert signed_in.cookies[settings.SESSION_COOKIE_NAME]["secure"] is True


def test_the_idle_stamp_is_written_once_a_minute_and_the_page_promises_no_more(
    client: Client, world: World
) -> None:
    from tsumugi.middleware import LAST_SEEN_KEY

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(world.alice)
        client.get("/me/")
        first = client.session[LAST_SEEN_KEY]
        traveller.shift(timedelta(seconds=59))
        page = client.get("/me/").content.decode()
        assert client.session[LAST_SEEN_KEY] == first  # not rewritten within the minute
        # What the page counts down from: the 30 minutes less the minute the stamp may lag.
        assert f'data-idle-seconds="{30 * 60 - 60}"' in page
        traveller.shift(timedelta(seconds=1))
        client.get("/me/")
        assert client.session[LAST_SEEN_KEY] == first + 60
        # 「操作を続ける」 restarts the clock exactly, whatever the minute.
        traveller.shift(timedelta(seconds=10))
        assert client.post(reverse("accounts:keepalive")).json() == {"idle_seconds": 29 * 60}
        assert client.session[LAST_SEEN_KEY] == first + 70
