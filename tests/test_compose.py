"""docker-compose.yml cannot be started here (no Docker engine), so it is checked by reading it:
the services exist, every variable it sets is one settings.py reads, the commands name real code.
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ["web", "worker", "beat"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def variables_read_by_settings() -> set[str]:
    source = (ROOT / "tsumugi" / "settings.py").read_text(encoding="utf-8")
    pattern = r"""(?:env_\w+|os\.environ\.get|os\.getenv)\(\s*["']([A-Z0-9_]+)["']"""
    return set(re.findall(pattern, source))


def command_words(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if words[:2] == ["sh", "-c"]:
        words = shlex.split(words[2].replace("&&", " && "))
    return words


def test_it_defines_the_production_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"postgres", "redis", "backup", *APP_SERVICES}


def test_web_worker_and_beat_run_one_image_built_from_the_dockerfile(
    compose: dict[str, Any],
) -> None:
    images = {compose["services"][name]["image"] for name in APP_SERVICES}
    assert images == {"tsumugi:latest"}
    for name in APP_SERVICES:
        assert compose["services"][name]["build"] == "."
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.startswith("# ") and "FROM python:3.12-slim" in dockerfile
    assert "libpango" in dockerfile  # WeasyPrint needs Pango at run time


def test_every_variable_it_sets_is_one_the_settings_read(compose: dict[str, Any]) -> None:
    read = variables_read_by_settings()
    assert {"TSUMUGI_PRODUCTION", "TSUMUGI_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= read
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        ours = {k for k in environment if k.startswith(("TSUMUGI_", "CELERY_", "DATABASE_"))}
        assert ours, name
        assert ours <= read, f"{name} sets variables settings.py never reads: {ours - read}"
        assert environment["TSUMUGI_PRODUCTION"] == "1"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")


def test_secrets_come_from_the_environment_never_from_the_file(compose: dict[str, Any]) -> None:
    environment = compose["services"]["web"]["environment"]
    assert environment["TSUMUGI_SECRET_KEY"].startswith("${TSUMUGI_SECRET_KEY:?")
    assert "${POSTGRES_PASSWORD" in environment["DATABASE_URL"]
    postgres = compose["services"]["postgres"]["environment"]
    assert postgres["TSUMUGI_DB_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_SUPERUSER_PASSWORD:?")


def test_the_app_connects_as_a_role_row_security_binds(compose: dict[str, Any]) -> None:
    """The app's role (tsumugi) is created by the init script as NOSUPERUSER NOBYPASSRLS; the
    superuser (postgres) is the container's, used by the backup only."""
    assert compose["services"]["web"]["environment"]["DATABASE_URL"].startswith(
        "postgres://tsumugi:"
    )
    postgres = compose["services"]["postgres"]
    assert postgres["environment"]["POSTGRES_USER"] == "postgres"
    assert (
        "./deploy/postgres-init.sh:/docker-entrypoint-initdb.d/10-tsumugi.sh:ro"
        in postgres["volumes"]
    )
    script = (ROOT / "deploy" / "postgres-init.sh").read_text(encoding="utf-8")
    assert "NOSUPERUSER NOBYPASSRLS" in script
    assert "CREATE DATABASE tsumugi OWNER tsumugi" in script


def test_web_migrates_collects_static_and_serves_the_wsgi_app(compose: dict[str, Any]) -> None:
    words = command_words(compose["services"]["web"])
    commands = get_commands()
    for index, word in enumerate(words):
        if word == "manage.py":
            assert words[index + 1] in commands
    assert "migrate" in words
    assert "collectstatic" in words
    target = words[words.index("gunicorn") + 1]
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute or "application"))


@pytest.mark.parametrize(("service", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_the_celery_app(
    compose: dict[str, Any], service: str, subcommand: str
) -> None:
    words = command_words(compose["services"][service])
    assert words[0] == "celery"
    app_module = importlib.import_module(words[words.index("-A") + 1] + ".celery")
    assert app_module.app.main == "tsumugi"
    assert subcommand in words


def test_app_services_wait_for_healthy_postgres_and_redis(compose: dict[str, Any]) -> None:
    for name in ["postgres", "redis"]:
        assert "healthcheck" in compose["services"][name]
    for name in APP_SERVICES:
        depends = compose["services"][name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def test_the_image_does_not_copy_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for path in [".venv", "var", ".git", ".env"]:
        assert path in ignored


def test_a_backup_service_dumps_the_database_nightly_into_a_volume(compose: dict[str, Any]) -> None:
    backup = compose["services"]["backup"]
    assert backup["image"] == compose["services"]["postgres"]["image"]  # pg_dump matches
    assert backup["command"] == ["bash", "/usr/local/bin/tsumugi-backup"]
    assert "./scripts/backup.sh:/usr/local/bin/tsumugi-backup:ro" in backup["volumes"]
    assert "backups:/backups" in backup["volumes"]
    assert "backups" in compose["volumes"]
    env = backup["environment"]
    assert (env["PGHOST"], env["PGDATABASE"], env["TSUMUGI_BACKUP_DIR"]) == (
        "postgres",
        "tsumugi",
        "/backups",
    )
    assert env["PGUSER"] == "postgres"  # every municipality's rows: row security binds the app
    assert env["PGPASSWORD"].startswith("${POSTGRES_SUPERUSER_PASSWORD:?")
    assert env["TSUMUGI_BACKUP_KEEP_DAYS"] == "${TSUMUGI_BACKUP_KEEP_DAYS:-14}"
    assert backup["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_image_installs_exactly_what_the_lock_pins() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY pyproject.toml uv.lock ./" in dockerfile
    assert "uv export --frozen" in dockerfile
    assert "pip install --require-hashes --no-deps" in dockerfile
    install = (ROOT / "scripts" / "install.sh").read_text(encoding="utf-8")
    assert "uv sync --frozen" in install
    assert "uv lock --check" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
