"""Backups that restore (PostgreSQL): demo data dumped by scripts/backup.sh — the script the
compose `backup` service runs — restored with the README's command into a new database, has the
same rows, and the app works on it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent
SETTINGS = {"DJANGO_SETTINGS_MODULE": "tsumugi.settings"}
TABLES = [
    "auth_user",
    "areas_agency",
    "areas_membership",
    "areas_area",
    "areas_body",
    "areas_rosterentry",
]

on_postgres = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="needs PostgreSQL (DATABASE_URL=postgres://...)",
)


def pg_env(database: str) -> dict[str, str]:
    url = urlsplit(os.environ["DATABASE_URL"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TSUMUGI_", "PG"))}
    return env | {
        "PGHOST": url.hostname or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": database,
    }


def run(args: list[str], env: dict[str, str], timeout: int = 180) -> str:
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def app_env(database: str, tmp_path: Path) -> dict[str, str]:
    url = urlsplit(os.environ["DATABASE_URL"])
    return pg_env(database) | {
        "DATABASE_URL": url._replace(path=f"/{database}").geturl(),
        "TSUMUGI_VAR_DIR": str(tmp_path / "var"),
        "PYTHONWARNINGS": "ignore",
    }


def counts(database: str) -> dict[str, int]:
    sql = " union all ".join(f"select '{t}', count(*) from {t}" for t in TABLES)
    out = run(["psql", "-At", "-F", " ", "-c", sql], pg_env(database))
    return {name: int(n) for name, n in (line.split() for line in out.splitlines())}


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    # Named after this run's own database, so parallel sessions never share one.
    base = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    names = (f"{base}_restore_src", f"{base}_restore_dst")
    admin = pg_env("postgres")
    for name in names:
        run(["dropdb", "--if-exists", name], admin)
    run(["createdb", names[0]], admin)
    yield names
    for name in names:
        run(["dropdb", "--if-exists", name], admin)


@pytest.mark.postgres
@on_postgres
def test_a_nightly_dump_of_the_demo_restores_into_a_new_database(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = databases
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput"], app_env(source, tmp_path))
    # seed_demo with the city's own loader only (areas, agencies, the demo staff and their
    # memberships, rosters): the 18 months of history would make this test take minutes.
    seed = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "settings.TSUMUGI_DEMO_LOADERS = ['areas.demo.load_city']\n"
        "call_command('seed_demo')\n"
    )
    run([sys.executable, "-c", seed], app_env(source, tmp_path) | SETTINGS, timeout=300)
    before = counts(source)
    assert before["auth_user"] > 5 and before["areas_membership"] > 5

    backups = tmp_path / "backups"
    env = pg_env(source) | {"TSUMUGI_BACKUP_DIR": str(backups), "TSUMUGI_BACKUP_KEEP_DAYS": "7"}
    run(["bash", "scripts/backup.sh", "once"], env)
    (dump,) = backups.glob("*.dump")

    # The README's restore command.
    run(["createdb", target], pg_env("postgres"))
    run(["pg_restore", "--no-owner", "--dbname", target, str(dump)], pg_env(target))
    assert counts(target) == before

    # A working app on the restored database: nothing to migrate, and a demo user signs in and
    # reads the consultation list.
    run([*manage, "migrate", "--check"], app_env(target, tmp_path))
    smoke = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client()\n"
        "r = c.post('/login/', {'username': 'kutsuki_counter', 'password': 'tsumugi-demo-2026'})\n"
        "assert r.status_code == 302, r.status_code\n"
        "r = c.get('/cases/')\n"
        "assert r.status_code == 200, r.status_code\n"
        "print('cases page', r.content.decode().count('相談'))\n"
    )
    out = run(
        [sys.executable, "-c", smoke],
        app_env(target, tmp_path) | SETTINGS | {"TSUMUGI_ALLOWED_HOSTS": "testserver"},
    )
    assert out.startswith("cases page ")
    assert int(out.split()[-1]) > 1


def test_old_dumps_are_deleted_after_the_kept_days(tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    old, recent = backups / "tsumugi-old.dump", backups / "tsumugi-recent.dump"
    for path, days in ((old, 8), (recent, 6)):
        path.write_bytes(b"x")
        when = time.time() - days * 86400
        os.utime(path, (when, when))
    # A fake pg_dump: this test is about the rotation, not PostgreSQL.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pg_dump").write_text(
        '#!/bin/sh\nfor a; do case "$a" in --file=*) : > "${a#--file=}";; esac; done\n'
    )
    (fake / "pg_dump").chmod(0o755)
    env = {
        "PATH": f"{fake}:/usr/bin:/bin",
        "TSUMUGI_BACKUP_DIR": str(backups),
        "TSUMUGI_BACKUP_KEEP_DAYS": "7",
        "PGDATABASE": "tsumugi",
    }
    run(["bash", "scripts/backup.sh", "once"], env)
    names = sorted(p.name for p in backups.glob("*.dump"))
    assert "tsumugi-old.dump" not in names
    assert "tsumugi-recent.dump" in names
    assert len(names) == 2
