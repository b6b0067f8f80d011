"""First sign-in in a real browser: an invitation link → the user's own password → enrolling an
authenticator (TOTP, QR code drawn by the server) → signing in again with a code; a recovery code
works once."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as DjangoSettings
from pytest_django.live_server_helper import LiveServer

from accounts.tokens import invitation_link
from areas.models import Role
from tests.conftest import World, make_member

User = get_user_model()
NEW_PASSWORD = "my-own-pass-phrase-2026"


@pytest.fixture(autouse=True)
def two_factor_on(settings: DjangoSettings) -> None:
    settings.TSUMUGI_REQUIRE_TWO_FACTOR = True


def sign_in(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("ユーザー名").fill("newcomer")
    page.get_by_label("パスワード").fill(NEW_PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("確認コード").fill(code)
    page.get_by_role("button", name="確認する").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()


def test_invitation_password_totp_and_a_recovery_code(
    page: Page, live_server: LiveServer, world: World
) -> None:
    newcomer = User.objects.create(
        username="newcomer", email="new@example.jp", password=make_password(None)
    )
    make_member(newcomer, world.b, Role.STAFF)

    page.goto(live_server.url + invitation_link(newcomer))
    expect(page.get_by_text("newcomer")).to_be_visible()
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="パスワードを設定する").click()
    expect(page.get_by_text("パスワードを設定しました")).to_be_visible()

    sign_in(page, live_server)
    expect(page.get_by_role("heading", name="二要素認証の登録")).to_be_visible()
    qr = page.get_by_test_id("totp-qr")
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    assert page.evaluate("document.querySelector('[data-testid=totp-qr]').naturalWidth") > 0
    totp = pyotp.TOTP(page.get_by_test_id("totp-secret").inner_text())
    page.get_by_label("確認コード（6桁）").fill(totp.now())
    page.get_by_role("button", name="登録する").click()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="保管しました。続ける").click()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    sign_out(page)

    # Signing in again: the password alone shows nothing but the code page.
    sign_in(page, live_server)
    expect(page.get_by_role("heading", name="確認コード")).to_be_visible()
    page.goto(f"{live_server.url}/sheets/inbox/")
    expect(page.get_by_role("heading", name="確認コード")).to_be_visible()
    enter_code(page, totp.at(time.time() + 30))  # a later step than the enrolment's code
    expect(page.get_by_role("heading", name="受信箱")).to_be_visible()
    sign_out(page)

    # A recovery code works once.
    sign_in(page, live_server)
    enter_code(page, codes[0])
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    sign_out(page)
    sign_in(page, live_server)
    enter_code(page, codes[0])
    expect(page.get_by_role("alert")).to_contain_text("確認コードが違います")
