"""Settings come from the environment; production settings pass Django's deployment checks.

These tests start `manage.py` in a subprocess, because settings are read once at start-up.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "TSUMUGI_PRODUCTION": "1",
    "TSUMUGI_ALLOWED_HOSTS": "tsumugi.example.lg.jp",
    "TSUMUGI_CSRF_TRUSTED_ORIGINS": "https://tsumugi.example.lg.jp",
}


def secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(64))


def clean_environment(tmp_path: Path, **env: str) -> dict[str, str]:
    """This process's environment without any tsumugi variable, plus `env`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TSUMUGI_", "CELERY_", "DJANGO_")) and k != "DATABASE_URL"
    }
    return clean | {"TSUMUGI_VAR_DIR": str(tmp_path / "var"), "PYTHONWARNINGS": "ignore"} | env


def run_manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_environment(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_settings(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Import only tsumugi.settings in a fresh interpreter (no app loading: fast), run `code`."""
    return subprocess.run(
        [sys.executable, "-c", f"from tsumugi import settings\n{code}"],
        cwd=ROOT,
        env=clean_environment(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def production_settings(tmp_path: Path, **env: str) -> dict[str, object]:
    names = [
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_EXPIRE_AT_BROWSER_CLOSE",
        "SESSION_IDLE_TIMEOUT_SECONDS",
        "ALLOWED_HOSTS",
        "TSUMUGI_REQUIRE_TWO_FACTOR",
    ]
    code = f"import json; print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    result = read_settings(tmp_path, code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_under_production_settings(tmp_path: Path) -> None:
    result = run_manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION_ENV,
        TSUMUGI_SECRET_KEY=secret_key(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_about_development_settings(db: None) -> None:
    """The test above could pass by not checking at all: show that it does catch insecure ones.
    In-process (cheap): these are the development settings this test run uses. (`db`: the
    model checks ask SQLite whether it supports the JSON field of the passkey credentials.)"""
    with pytest.raises(SystemCheckError) as error:
        call_command("check", "--deploy", "--fail-level", "WARNING", stdout=StringIO())
    for warning in ["security.W004", "security.W008", "security.W012", "security.W016"]:
        assert warning in str(error.value)


def test_production_turns_on_secure_cookies_hsts_and_ssl_redirect(tmp_path: Path) -> None:
    values = production_settings(tmp_path, **PRODUCTION_ENV, TSUMUGI_SECRET_KEY=secret_key())
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert values["SESSION_IDLE_TIMEOUT_SECONDS"] == 1800
    assert values["ALLOWED_HOSTS"] == ["tsumugi.example.lg.jp"]
    assert values["TSUMUGI_REQUIRE_TWO_FACTOR"] is True  # so check --deploy above runs with it


def test_with_no_environment_the_app_runs_embedded(tmp_path: Path) -> None:
    code = (
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL, settings.DEBUG)"
    )
    result = read_settings(tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://", "True"]
    assert (tmp_path / "var" / "broker" / "queue").is_dir()


def test_database_url_switches_to_postgresql(tmp_path: Path) -> None:
    code = "d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'])"
    result = read_settings(tmp_path, code, DATABASE_URL="postgres://tsumugi:pw@db:5432/tsumugi")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "tsumugi", "db"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TSUMUGI_ACK_BUSINESS_DAYS", "abc", "TSUMUGI_ACK_BUSINESS_DAYS must be an integer"),
        ("TSUMUGI_ACK_BUSINESS_DAYS", "0", "TSUMUGI_ACK_BUSINESS_DAYS must be at least 1"),
        ("TSUMUGI_DEBUG", "maybe", "TSUMUGI_DEBUG must be true or false"),
        ("TSUMUGI_BUSINESS_DAY_ENDS", "5pm", "TSUMUGI_BUSINESS_DAY_ENDS must be a time"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL must start with postgres://"),
        ("CELERY_BROKER_URL", "amqp://guest@rabbit//", "CELERY_BROKER_URL must be"),
        ("TSUMUGI_TRUSTED_PROXIES", "10.0.0.5,proxy", "TSUMUGI_TRUSTED_PROXIES must be IP"),
    ],
)
def test_a_bad_value_stops_the_app_at_start_up_with_a_clear_message(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    result = run_manage(tmp_path, "check", **{name: value})
    assert result.returncode != 0
    assert message in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run_manage(tmp_path, "check", **PRODUCTION_ENV)
    assert result.returncode != 0
    assert "TSUMUGI_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "weak",
    ["short-key-123", "a" * 60, "django-insecure-" + "x1y2z3w4v5" * 5],
)
def test_production_refuses_a_weak_secret_key(tmp_path: Path, weak: str) -> None:
    result = read_settings(tmp_path, "print('started')", **PRODUCTION_ENV, TSUMUGI_SECRET_KEY=weak)
    assert result.returncode != 0
    assert "TSUMUGI_SECRET_KEY is too weak" in result.stderr


# --- single sign-on (accounts/oidc.py) -------------------------------------------------------

OIDC_ENV = {
    "TSUMUGI_OIDC_ISSUER": "https://idp.example.lg.jp/realms/city",
    "TSUMUGI_OIDC_CLIENT_ID": "tsumugi",
    "TSUMUGI_OIDC_CLIENT_SECRET": "s3cret-from-the-provider",
    "TSUMUGI_OIDC_AUTHORIZATION_ENDPOINT": "https://idp.example.lg.jp/realms/city/auth",
    "TSUMUGI_OIDC_TOKEN_ENDPOINT": "https://idp.example.lg.jp/realms/city/token",
    "TSUMUGI_OIDC_USERINFO_ENDPOINT": "https://idp.example.lg.jp/realms/city/userinfo",
    "TSUMUGI_OIDC_JWKS_ENDPOINT": "https://idp.example.lg.jp/realms/city/certs",
}


def test_check_deploy_is_clean_with_two_factor_and_single_sign_on_on(tmp_path: Path) -> None:
    result = run_manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION_ENV,
        **OIDC_ENV,
        TSUMUGI_REQUIRE_TWO_FACTOR="1",
        TSUMUGI_SECRET_KEY=secret_key(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_single_sign_on_is_off_unless_an_issuer_is_set(tmp_path: Path) -> None:
    code = "print(settings.TSUMUGI_OIDC_ENABLED, settings.OIDC_OP_TOKEN_ENDPOINT)"
    assert read_settings(tmp_path, code).stdout.split() == ["False"]
    on = read_settings(tmp_path, code, **OIDC_ENV)
    assert on.stdout.split() == ["True", OIDC_ENV["TSUMUGI_OIDC_TOKEN_ENDPOINT"]], on.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"TSUMUGI_OIDC_ISSUER": "https://idp.example.lg.jp"},
            "TSUMUGI_OIDC_ISSUER is set: also set TSUMUGI_OIDC_CLIENT_ID, TSUMUGI_OIDC_CLIENT_SE",
        ),
        (OIDC_ENV | {"TSUMUGI_OIDC_ISSUER": "idp.example.lg.jp"}, "TSUMUGI_OIDC_ISSUER must be"),
        (OIDC_ENV | {"TSUMUGI_OIDC_SIGN_ALGO": "HS256"}, "TSUMUGI_OIDC_SIGN_ALGO must be one of"),
        (OIDC_ENV | {"TSUMUGI_OIDC_MATCH": "name"}, "TSUMUGI_OIDC_MATCH must be one of"),
        (OIDC_ENV | {"TSUMUGI_OIDC_SCOPES": "email"}, "TSUMUGI_OIDC_SCOPES must include openid"),
        (OIDC_ENV | {"TSUMUGI_OIDC_TRUST_PROVIDER_MFA": "sure"}, "must be true or false"),
        (
            PRODUCTION_ENV | OIDC_ENV | {"TSUMUGI_OIDC_TOKEN_ENDPOINT": "http://idp/token"},
            "TSUMUGI_OIDC_TOKEN_ENDPOINT must be an https:// URL",
        ),
    ],
)
def test_a_bad_single_sign_on_value_stops_the_app(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = read_settings(tmp_path, "print('started')", **env, TSUMUGI_SECRET_KEY=secret_key())
    assert result.returncode != 0
    assert message in result.stderr
    assert "ImproperlyConfigured" in result.stderr
