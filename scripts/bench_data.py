"""Fill a dedicated PostgreSQL database with a city's worth of consultations for the benchmark.

60 agencies, 6 districts, 2,000 users, ~500,000 cases (people, tags, timeline) and 1,000,000
sheets, one agency receiving ~100,000 of them; one case with a 20-sheet redirect chain and 200
events (made through the real model methods). Everything big is generated inside PostgreSQL
(INSERT ... SELECT generate_series) with secondary indexes dropped and rebuilt afterwards, so the
whole fill takes a few minutes on 2 cores.

The data is written relative to a fixed moment, `NOW` (Thursday 2026-11-26 10:00 JST, a business
day), so runs are comparable: the bench freezes the clock there.

Phases (see scripts/bench.py):
- base state: nothing is due at NOW (every open sheet's reminder cursor is in the future, or its
  ladder is finished);
- `make_due()`: 100,000 open sheets get a deadline of the last few business days and a reminder
  cursor in the past; `restore()` puts them back and deletes what the sweep wrote.

Usage: .venv/bin/python scripts/bench_data.py [--reuse]
"""

# ruff: noqa: E501  (the SQL reads better unwrapped)
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tsumugi_bench"
DATA_VERSION = "9"

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 10:00 Asia/Tokyo, a Thursday
START = "2022-04-01 09:00+09"
N_AGENCIES = 60
N_USERS = 2000
N_CASES = int(os.environ.get("BENCH_CASES", "500000"))  # per municipality
# Municipalities on the deployment (issue 16): the first is filled, each further one is a copy
# of it under its own key, ids and user names (copy_municipality).
N_MUNICIPALITIES = int(os.environ.get("BENCH_MUNICIPALITIES", "1"))
N_DUE = N_CASES * N_MUNICIPALITIES // 5  # due sheets across all municipalities
MUNICIPALITY = 1  # the filled one: 高島市; the bench's users and agencies are its
SHAPE = f"{N_MUNICIPALITIES}x{N_CASES}"
OFFICE = 1  # 社会福祉課 くらし連携支援室 (city-wide coordination office)
BIG = 2  # 地域包括支援センター: receives ~100,000 sheets
CHAIN_AGENCY = 5  # a branch office (支所) that owns the 20-sheet chain case
BRANCHES = range(3, 9)  # agency i serves district area id i - 1
# Fraction (per mille) of sheets overridden to go to BIG; with "never two in a row" the
# effective share is p * (1 - p) ≈ 10 %.
BIG_PER_MILLE = 116

# Where the benchmark users sit: user id = agency + 60 * slot (slots 0 .. 32 exist everywhere).
SLOT_SUPERVISOR, SLOT_COORDINATOR, SLOT_COUNTER = 0, 1, 2


def user_id(agency: int, slot: int) -> int:
    return agency + N_AGENCIES * slot


DISTRICTS = [
    ("makino", "マキノ", "マキノ中学校"),
    ("imazu", "今津", "今津中学校"),
    ("kutsuki", "朽木", "朽木中学校"),
    ("adogawa", "安曇川", "安曇川中学校"),
    ("takashima-town", "高島", "高島中学校"),
    ("shin-asahi", "新旭", "湖西中学校"),
]
FIELDS = [
    ("elderly", "高齢"),
    ("disability", "障がい"),
    ("children", "子ども"),
    ("poverty", "生活困窮"),
    ("health", "健康・医療"),
    ("education", "教育"),
    ("community", "地域活動"),
    ("employment", "就労"),
    ("housing", "住まい"),
]
# (code, name, field index starting at 1)
TAGS = [
    ("8050", "8050", 1),
    ("young-carer", "ヤングケアラー", 3),
    ("hikikomori", "ひきこもり", 2),
    ("konkyu", "生活困窮", 4),
    ("kaigo", "介護", 1),
    ("shogai", "障がい", 2),
    ("kosodate", "子育て", 3),
    ("dv", "DV", 3),
    ("sumai", "住まい", 9),
    ("shuro", "就労", 8),
    ("kenko", "健康", 5),
    ("koritsu", "孤立", 7),
    ("futoko", "不登校", 6),
    ("ninchi", "認知症", 1),
]
DEPARTMENTS = [
    "長寿介護課",
    "障がい福祉課",
    "子ども家庭相談課",
    "健康推進課",
    "保険年金課",
    "生活福祉課",
    "住宅課",
    "商工振興課",
    "教育総務課",
    "学校教育課",
    "人権施策推進課",
    "税務課",
]
OUTSIDE = [
    "社会福祉協議会",
    "障がい者相談支援事業所",
    "居宅介護支援事業所",
    "ハローワーク",
    "民生委員児童委員協議会",
    "訪問看護ステーション",
    "地域活動支援センター",
    "子育て支援センター",
    "フードバンク",
    "NPO法人",
]
SURNAMES = [
    ("山田", "やまだ"),
    ("佐藤", "さとう"),
    ("鈴木", "すずき"),
    ("高橋", "たかはし"),
    ("田中", "たなか"),
    ("伊藤", "いとう"),
    ("渡辺", "わたなべ"),
    ("中村", "なかむら"),
    ("小林", "こばやし"),
    ("加藤", "かとう"),
    ("吉田", "よしだ"),
    ("山本", "やまもと"),
    ("松本", "まつもと"),
    ("井上", "いのうえ"),
    ("木村", "きむら"),
    ("林", "はやし"),
    ("清水", "しみず"),
    ("山崎", "やまざき"),
    ("森", "もり"),
    ("池田", "いけだ"),
    ("橋本", "はしもと"),
    ("阿部", "あべ"),
    ("石川", "いしかわ"),
    ("前田", "まえだ"),
    ("藤田", "ふじた"),
    ("小川", "おがわ"),
    ("岡田", "おかだ"),
    ("後藤", "ごとう"),
    ("長谷川", "はせがわ"),
    ("村上", "むらかみ"),
    ("近藤", "こんどう"),
    ("石井", "いしい"),
    ("坂本", "さかもと"),
    ("遠藤", "えんどう"),
    ("青木", "あおき"),
    ("藤井", "ふじい"),
    ("西村", "にしむら"),
    ("福田", "ふくだ"),
    ("太田", "おおた"),
    ("三浦", "みうら"),
    ("藤原", "ふじわら"),
    ("岡本", "おかもと"),
    ("松田", "まつだ"),
    ("中川", "なかがわ"),
    ("中野", "なかの"),
    ("原田", "はらだ"),
    ("小野", "おの"),
    ("田村", "たむら"),
    ("竹内", "たけうち"),
    ("金子", "かねこ"),
    ("和田", "わだ"),
    ("中山", "なかやま"),
    ("石田", "いしだ"),
    ("上田", "うえだ"),
    ("森田", "もりた"),
    ("柴田", "しばた"),
    ("酒井", "さかい"),
    ("工藤", "くどう"),
    ("横山", "よこやま"),
    ("宮崎", "みやざき"),
    ("宮本", "みやもと"),
    ("内田", "うちだ"),
    ("高木", "たかぎ"),
    ("安藤", "あんどう"),
    ("谷口", "たにぐち"),
    ("大野", "おおの"),
    ("丸山", "まるやま"),
    ("今井", "いまい"),
    ("河野", "こうの"),
    ("藤本", "ふじもと"),
    ("村田", "むらた"),
    ("武田", "たけだ"),
    ("上野", "うえの"),
    ("杉山", "すぎやま"),
    ("増田", "ますだ"),
    ("平野", "ひらの"),
    ("大塚", "おおつか"),
    ("千葉", "ちば"),
    ("久保", "くぼ"),
    ("松井", "まつい"),
]
GIVEN = [
    ("花子", "はなこ"),
    ("一郎", "いちろう"),
    ("太郎", "たろう"),
    ("次郎", "じろう"),
    ("和子", "かずこ"),
    ("幸子", "さちこ"),
    ("節子", "せつこ"),
    ("弘", "ひろし"),
    ("茂", "しげる"),
    ("清", "きよし"),
    ("博", "ひろし"),
    ("実", "みのる"),
    ("洋子", "ようこ"),
    ("恵子", "けいこ"),
    ("京子", "きょうこ"),
    ("誠", "まこと"),
    ("浩", "ひろし"),
    ("健一", "けんいち"),
    ("隆", "たかし"),
    ("修", "おさむ"),
    ("美智子", "みちこ"),
    ("由美子", "ゆみこ"),
    ("久美子", "くみこ"),
    ("直樹", "なおき"),
    ("大輔", "だいすけ"),
    ("健太", "けんた"),
    ("翔太", "しょうた"),
    ("拓也", "たくや"),
    ("陽菜", "ひな"),
    ("結衣", "ゆい"),
    ("美咲", "みさき"),
    ("葵", "あおい"),
    ("蓮", "れん"),
    ("大翔", "ひろと"),
    ("湊", "みなと"),
    ("さくら", "さくら"),
    ("千尋", "ちひろ"),
    ("真由美", "まゆみ"),
    ("敏子", "としこ"),
    ("正", "ただし"),
    ("勉", "つとむ"),
    ("進", "すすむ"),
    ("豊", "ゆたか"),
    ("明美", "あけみ"),
    ("裕子", "ゆうこ"),
    ("智子", "ともこ"),
    ("哲也", "てつや"),
    ("秀樹", "ひでき"),
    ("文雄", "ふみお"),
    ("亜紀", "あき"),
]
# The person the kana search looks for: one household, far rarer than the pooled names.
CHAIN_PEOPLE = [
    ("鷲見 貞治", "すみ さだはる", 1946, "本人"),
    ("鷲見 秋穂", "すみ あきほ", 1975, "長女"),
]


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


_lock_connection: Any = None


def hold_bench_lock(url: str) -> None:
    """One benchmark run at a time per database: a second run would restore the data under the
    first one's feet. A session advisory lock, held (on the `postgres` database, which a refill
    never drops) until this process exits."""
    import psycopg

    global _lock_connection
    if _lock_connection is not None:
        return
    parts = urlparse(url)
    key = int.from_bytes(parts.path.encode()[-8:].rjust(8, b"\0"), "big") & 0x7FFFFFFFFFFFFFFF
    conn = psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True)
    locked = conn.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()
    if not (locked and locked[0]):
        log(f"another benchmark run is using {parts.path.lstrip('/')}; waiting for it to finish")
        conn.execute("SELECT pg_advisory_lock(%s)", [key])
    _lock_connection = conn


def ensure_database(url: str, reuse: bool) -> bool:
    """Make sure the database exists; unless reusing a complete fill, drop and recreate it so a
    fill always starts from migrations on an empty database. Returns whether it is filled."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to fill {name!r}: the benchmark database name must contain 'bench'")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if exists and reuse:
        with psycopg.connect(url, autocommit=True) as conn:
            if is_filled(conn.cursor()):
                return True
    with psycopg.connect(admin, autocommit=True) as conn:
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"created database {name}")
    return False


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsumugi.settings")
    # Emails and tasks stay in this process: the bench measures the database side.
    os.environ.setdefault("TSUMUGI_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    os.environ.setdefault("TSUMUGI_VAR_DIR", "/tmp/tsumugi_bench_var")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def log(msg: str) -> None:
    print(f"[bench_data {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- helpers over the raw connection ------------------------------------------------------------


def run(cur: Any, sql: str, params: Any = (), label: str = "") -> None:
    t0 = time.perf_counter()
    cur.execute(sql, params if params is not None else ())
    if label:
        log(
            f"{label}: {cur.rowcount if cur.rowcount >= 0 else ''} rows, "
            f"{time.perf_counter() - t0:.1f} s"
        )


def app_tables(cur: Any) -> list[str]:
    cur.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename NOT LIKE 'django_migrations' AND tablename NOT LIKE 'bench_%%' "
        "AND tablename NOT IN ('django_content_type', 'auth_permission')",
        (),
    )
    return [r[0] for r in cur.fetchall()]


def secondary_indexes(cur: Any, tables: list[str]) -> list[tuple[str, str]]:
    """Indexes that back no constraint (not the pk, not a unique constraint)."""
    cur.execute(
        """
        SELECT ci.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid
        JOIN pg_class ct ON ct.oid = i.indrelid
        WHERE ct.relname = ANY(%s) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [tables],
    )
    return list(cur.fetchall())


def is_filled(cur: Any) -> bool:
    cur.execute("SELECT to_regclass('bench_meta')")
    if cur.fetchone()[0] is None:
        return False
    cur.execute("SELECT value FROM bench_meta WHERE key = 'version'")
    row = cur.fetchone()
    return bool(row and row[0] == f"{DATA_VERSION}:{SHAPE}")


def meta(cur: Any, key: str) -> str:
    cur.execute("SELECT value FROM bench_meta WHERE key = %s", [key])
    return cur.fetchone()[0]


# --- the fill -------------------------------------------------------------------------------------


def fill(cur: Any) -> None:
    from tsumugi.lib.text import search_key

    run(cur, "SET synchronous_commit = off")
    run(cur, "SET maintenance_work_mem = '1GB'")
    run(cur, "SET work_mem = '256MB'")
    run(cur, "SET max_parallel_maintenance_workers = 2")
    tables = app_tables(cur)
    indexes = secondary_indexes(cur, tables)
    for name, _ in indexes:
        run(cur, f'DROP INDEX "{name}"')
    # Foreign keys are triggers: skip them during the load (the data is consistent by
    # construction); CHECK constraints still apply, so every row passes the model's rules.
    run(cur, "SET session_replication_role = replica")
    # Every row of the fill belongs to 高島市: its key is the column default while the SQL
    # below runs (the model methods later in the fill find it as the only municipality).
    from tenancy.models import Municipality

    # Through the model: its own rows (the default outcomes) come with it.
    Municipality.objects.create(pk=MUNICIPALITY, code="252123", name="高島市")
    key_default(cur, MUNICIPALITY)

    # Reference data ---------------------------------------------------------------------------
    run(
        cur,
        'INSERT INTO areas_area (id, code, name, layer, parent_id, school_name, "order") '
        "VALUES (1, 'takashima', '高島市', 1, NULL, '', 0)",
    )
    for i, (code, name, school) in enumerate(DISTRICTS, start=2):
        run(
            cur,
            'INSERT INTO areas_area (id, code, name, layer, parent_id, school_name, "order") '
            "VALUES (%s, %s, %s, 2, 1, %s, %s)",
            [i, code, name, school, i],
        )
    for i, (code, name) in enumerate(FIELDS, start=1):
        run(
            cur,
            'INSERT INTO areas_field (id, code, name, "order") VALUES (%s, %s, %s, %s)',
            [i, code, name, i],
        )
    for i, (code, name, field) in enumerate(TAGS, start=1):
        run(
            cur,
            'INSERT INTO cases_issuetag (id, code, name, field_id, "order", is_active) '
            "VALUES (%s, %s, %s, %s, %s, true)",
            [i, code, name, field, i],
        )
    agencies = agency_rows()
    for a in agencies:
        run(
            cur,
            "INSERT INTO areas_agency (id, code, name, kind, is_coordination_office, "
            "is_active, email, phone, ack_business_days, follow_up_business_days, "
            "description, hours, on_duty) "
            "VALUES (%(id)s, %(code)s, %(name)s, %(kind)s, %(office)s, true, %(email)s, '', NULL, NULL, "
            "'', '', '')",
            a,
        )
        for d in a["districts"]:
            run(
                cur,
                "INSERT INTO areas_agency_districts (agency_id, area_id) VALUES (%s, %s)",
                [a["id"], d],
            )
        for f in a["fields"]:
            run(
                cur,
                "INSERT INTO areas_agency_fields (agency_id, field_id) VALUES (%s, %s)",
                [a["id"], f],
            )
    log("reference data done")

    # Users and memberships --------------------------------------------------------------------
    run(
        cur,
        """
        INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name,
                               last_name, email, is_staff, is_active, date_joined)
        SELECT u, '!', NULL, false, 'u' || lpad(u::text, 4, '0'),
               (%(given)s::text[])[1 + (u * 7) %% array_length(%(given)s::text[], 1)],
               (%(sur)s::text[])[1 + (u * 13) %% array_length(%(sur)s::text[], 1)],
               'u' || u || '@example.jp', false, true, %(start)s
        FROM generate_series(1, %(n)s) u
        """,
        {
            "given": [g for g, _ in GIVEN],
            "sur": [s for s, _ in SURNAMES],
            "start": START,
            "n": N_USERS,
        },
        "users",
    )
    run(
        cur,
        "INSERT INTO tenancy_belonging (user_id, municipality_id) SELECT id, %s FROM auth_user",
        [MUNICIPALITY],
        "belongings",
    )
    run(
        cur,
        """
        INSERT INTO areas_membership (user_id, agency_id, role, position, is_active)
        SELECT u, 1 + (u - 1) %% %(nag)s,
               CASE (u - 1) / %(nag)s
                 WHEN 0 THEN 'supervisor'
                 WHEN 1 THEN CASE WHEN 1 + (u - 1) %% %(nag)s <= 8 THEN 'coordinator' ELSE 'staff' END
                 ELSE CASE WHEN ((u - 1) / %(nag)s) %% 3 = 2 THEN 'counter' ELSE 'staff' END END,
               '', true
        FROM generate_series(1, %(n)s) u
        """,
        {"nag": N_AGENCIES, "n": N_USERS},
        "memberships",
    )

    # Case plan: agency, district, time, number of sheets, tags, basis ---------------------------
    tag_field = [f for _, _, f in TAGS]
    run(
        cur,
        """
        CREATE UNLOGGED TABLE bench_case_plan AS
        WITH base AS (
          SELECT i AS id,
                 (hashint4(i) & 2147483647) AS h,
                 (hashint4(i + 1000000000) & 2147483647) AS h2,
                 %(start)s::timestamptz
                   + (%(now)s::timestamptz - interval '1 hour' - %(start)s::timestamptz)
                     * ((i - 1)::float8 / %(n)s) AS t
          FROM generate_series(1, %(n)s) i
        ), t AS (
          SELECT id, h, h2, t,
                 1 + h %% %(nag)s AS a,
                 -- 0..4 sheets (mean 2); multi-field cases more often get sheets
                 (h2 / 7) %% 5 AS k,
                 ARRAY(SELECT DISTINCT 1 + (x.v %% %(ntags)s) FROM unnest(ARRAY[h,
                   CASE WHEN h2 %% 3 > 0 THEN h / 17 END,
                   CASE WHEN h2 %% 5 = 0 THEN h / 289 END]) x(v) WHERE x.v IS NOT NULL) AS tags,
                 CASE WHEN h2 %% 100 < 55 THEN 'consent' WHEN h2 %% 100 < 65 THEN 'support_meeting'
                      WHEN h2 %% 100 < 70 THEN 'emergency' ELSE 'none' END AS basis
          FROM base
        )
        SELECT id, t, a,
               CASE WHEN a BETWEEN 3 AND 8 THEN a - 1 ELSE 2 + (h / 3) %% 6 END AS d,
               k, tags, basis, h,
               (SELECT count(DISTINCT (%(tf)s::int[])[tg]) FROM unnest(tags) tg) AS fc,
               extract(year FROM (t AT TIME ZONE 'Asia/Tokyo') - interval '3 months')::int AS fy
        FROM t
        """,
        {
            "start": START,
            "now": NOW,
            "n": N_CASES,
            "nag": N_AGENCIES,
            "ntags": len(TAGS),
            "tf": tag_field,
        },
        "case plan",
    )
    run(cur, "ALTER TABLE bench_case_plan ADD PRIMARY KEY (id)")

    # Sheet plan ---------------------------------------------------------------------------------
    # Receivers: a "uniform" pick among the 59 agencies other than BIG and never the case's own
    # agency (distinct for each seq of a case), overridden to BIG for ~11.6 % of sheets but never
    # for two consecutive sheets, so a redirect's child never goes back to its sender.
    run(
        cur,
        """
        CREATE UNLOGGED TABLE bench_sheet_plan AS
        WITH s AS (
          SELECT c.id AS case_id, c.a, c.t AS received_at, c.basis, c.k, g.seq, c.h AS ch,
                 (hashint4(c.id * 8 + g.seq) & 2147483647) AS h
          FROM bench_case_plan c CROSS JOIN LATERAL generate_series(1, c.k) g(seq)
        ), u AS (
          SELECT *,
                 (CASE WHEN a <= 2 THEN 0 ELSE a - 2 END
                  + 1 + ((ch / 1000 + (seq - 1) * 13) %% 58)) %% 59 AS ui,
                 (h %% 1000 < %(bigpm)s AND a <> %(big)s) AS ovr_raw
          FROM s
        ), o AS (
          SELECT *, ovr_raw AND NOT coalesce(lag(ovr_raw) OVER w, false) AS ovr,
                 least(received_at + (seq - 1) * interval '1 day' + seq * interval '30 minutes',
                       %(now)s::timestamptz - (5 - seq) * interval '1 minute') AS sent_at
          FROM u WINDOW w AS (PARTITION BY case_id ORDER BY seq)
        ), r AS (
          SELECT *, CASE WHEN ovr THEN %(big)s WHEN ui = 0 THEN 1 ELSE ui + 2 END AS r,
                 -- status by age: the last 60 days are mostly open, older mostly ended,
                 -- with a tail of stale open sheets (the 自然消滅 the product is about)
                 CASE WHEN sent_at > %(now)s::timestamptz - interval '60 days' THEN
                        CASE WHEN (h / 7) %% 100 < 30 THEN 'sent' WHEN (h / 7) %% 100 < 85 THEN 'acknowledged'
                             WHEN (h / 7) %% 100 < 95 THEN 'closed' WHEN (h / 7) %% 100 < 98 THEN 'redirected'
                             ELSE 'withdrawn' END
                      ELSE
                        CASE WHEN (h / 7) %% 1000 < 5 THEN 'sent' WHEN (h / 7) %% 1000 < 125 THEN 'acknowledged'
                             WHEN (h / 7) %% 1000 < 880 THEN 'closed' WHEN (h / 7) %% 1000 < 950 THEN 'redirected'
                             ELSE 'withdrawn' END
                 END AS status_raw
          FROM o
        ), f AS (
          SELECT *,
                 CASE WHEN status_raw = 'redirected' AND seq = k THEN 'closed' ELSE status_raw END
                   AS status,
                 lag(status_raw = 'redirected' AND seq < k) OVER w AS child_of_prev,
                 lag(r) OVER w AS prev_r,
                 lead(sent_at) OVER w AS next_sent_at,
                 row_number() OVER (ORDER BY case_id, seq) AS id
          FROM r WINDOW w AS (PARTITION BY case_id ORDER BY seq)
        )
        SELECT id, case_id, seq, basis, status, urgency, sent_at, h, r,
               CASE WHEN child_of_prev THEN prev_r ELSE a END AS sender,
               CASE WHEN child_of_prev THEN id - 1 END AS parent_id,
               next_sent_at
        FROM (SELECT *, CASE WHEN h %% 20 = 0 THEN 'urgent' ELSE 'normal' END AS urgency FROM f) x
        """,
        {"now": NOW, "big": BIG, "bigpm": BIG_PER_MILLE},
        "sheet plan",
    )
    run(cur, "ALTER TABLE bench_sheet_plan ADD PRIMARY KEY (id)")

    # Times and deadlines. Deadlines are the end of the business day (17:15 JST) N days later,
    # shifted off weekends (holidays are ignored here: close enough for a benchmark).
    run(
        cur,
        """
        CREATE OR REPLACE FUNCTION pg_temp.due_after(ts timestamptz, days int) RETURNS timestamptz
        LANGUAGE sql IMMUTABLE AS $$
          SELECT ((d + CASE extract(isodow FROM d) WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END)
                  + time '17:15') AT TIME ZONE 'Asia/Tokyo'
          FROM (SELECT (ts AT TIME ZONE 'Asia/Tokyo')::date + days AS d) x
        $$
        """,
    )
    run(
        cur,
        """
        CREATE UNLOGGED TABLE bench_sheet_times AS
        SELECT p.id,
               pg_temp.due_after(p.sent_at, CASE WHEN p.urgency = 'urgent' THEN 1 ELSE 2 END) AS ack_due_at,
               CASE WHEN p.status IN ('acknowledged', 'closed')
                    THEN least(p.sent_at + ((p.h / 11) %% 72 + 1) * interval '1 hour',
                               %(now)s::timestamptz - interval '30 seconds') END AS acknowledged_at,
               p.status, p.sent_at, p.next_sent_at, p.h
        FROM bench_sheet_plan p
        """,
        {"now": NOW},
        "sheet times",
    )
    run(
        cur,
        """
        CREATE UNLOGGED TABLE bench_sheet_times2 AS
        SELECT t.*,
               CASE
                 -- open and followed up: the last progress report within the last 16 days
                 -- (most follow-up deadlines still ahead); 15 %% are stale (自然消滅)
                 WHEN t.status = 'acknowledged' AND (t.h / 13) %% 100 < 85
                   THEN greatest(t.acknowledged_at,
                                 least(%(now)s::timestamptz - ((t.h / 17) %% 16) * interval '1 day'
                                                            - ((t.h / 19) %% 480) * interval '1 minute',
                                       %(now)s::timestamptz - interval '20 seconds'))
                 WHEN t.acknowledged_at IS NOT NULL AND (t.h / 13) %% 10 < 6
                   THEN least(t.acknowledged_at + ((t.h / 17) %% 12 + 1) * interval '1 day',
                              %(now)s::timestamptz - interval '20 seconds') END AS last_progress_at
        FROM bench_sheet_times t
        """,
        {"now": NOW},
    )
    run(
        cur,
        """
        CREATE UNLOGGED TABLE bench_sheet_times3 AS
        SELECT t.*,
               CASE WHEN t.acknowledged_at IS NOT NULL
                    THEN pg_temp.due_after(coalesce(t.last_progress_at, t.acknowledged_at), 14) END
                 AS follow_up_due_at,
               CASE t.status
                 WHEN 'redirected' THEN t.next_sent_at
                 WHEN 'closed' THEN least(coalesce(t.last_progress_at, t.acknowledged_at)
                                          + ((t.h / 19) %% 90 + 1) * interval '1 day',
                                          %(now)s::timestamptz - interval '10 seconds')
                 WHEN 'withdrawn' THEN least(t.sent_at + ((t.h / 19) %% 5 + 1) * interval '1 day',
                                             %(now)s::timestamptz - interval '10 seconds')
               END AS ended_at
        FROM bench_sheet_times2 t
        """,
        {"now": NOW},
    )
    run(cur, "ALTER TABLE bench_sheet_times3 ADD PRIMARY KEY (id)")
    run(cur, "DROP TABLE bench_sheet_times, bench_sheet_times2")

    # Cases ----------------------------------------------------------------------------------------
    run(
        cur,
        """
        CREATE UNLOGGED TABLE bench_case_agg AS
        SELECT p.case_id,
               bool_or(p.status IN ('sent', 'acknowledged')) AS has_open,
               max(coalesce(t.ended_at, t.last_progress_at, t.acknowledged_at, t.sent_at)) AS last_at,
               max(p.sent_at) FILTER (WHERE p.parent_id IS NULL) AS last_sent
        FROM bench_sheet_plan p JOIN bench_sheet_times3 t ON t.id = p.id
        GROUP BY p.case_id
        """,
        None,
        "case aggregates",
    )
    run(cur, "ALTER TABLE bench_case_agg ADD PRIMARY KEY (case_id)")
    run(
        cur,
        """
        INSERT INTO cases_case (id, number, fiscal_year, serial, agency_id, received_at, channel,
          received_by_id, district_id, summary, shared_summary, basis, status, closed_at,
          closed_by_id, close_note, field_count, last_activity_at, version, created_at,
          has_sheets)
        SELECT c.id,
               c.fy || '-' || CASE WHEN c.serial < 100000 THEN lpad(c.serial::text, 5, '0')
                                   ELSE c.serial::text END,
               c.fy, c.serial, c.a, c.t,
               (ARRAY['window','window','window','phone','phone','visit','outreach','minsei',
                      'agency','other'])[1 + (c.h / 7) %% 10],
               c.a + %(nag)s * (2 + (c.h / 11) %% 30), c.d,
               (%(summaries)s::text[])[1 + (c.h / 13) %% array_length(%(summaries)s::text[], 1)],
               (%(summaries)s::text[])[1 + (c.h / 13) %% array_length(%(summaries)s::text[], 1)],
               c.basis,
               CASE WHEN c.closed THEN 'closed' ELSE 'open' END,
               CASE WHEN c.closed THEN c.closed_at END,
               CASE WHEN c.closed THEN c.a + %(nag)s * (2 + (c.h / 11) %% 30) END,
               CASE WHEN c.closed THEN '支援が一段落したため終結' ELSE '' END,
               c.fc,
               greatest(c.t, c.last_sent, CASE WHEN c.closed THEN c.closed_at END),
               1, c.t,
               c.k > 0  -- its sheets are bench_sheet_plan's 1..k, all inserted below
        FROM (
          SELECT p.*, row_number() OVER (PARTITION BY p.fy ORDER BY p.id) AS serial,
                 g.last_sent,
                 (p.t < %(now)s::timestamptz - interval '120 days' AND (p.h / 23) %% 10 < 8
                  AND NOT coalesce(g.has_open, false)) AS closed,
                 least(greatest(p.t + interval '45 days', g.last_at) + interval '3 days',
                       %(now)s::timestamptz - interval '5 seconds') AS closed_at
          FROM bench_case_plan p LEFT JOIN bench_case_agg g ON g.case_id = p.id
        ) c
        """,
        {"nag": N_AGENCIES, "now": NOW, "summaries": SUMMARIES},
        "cases",
    )
    run(
        cur,
        """
        INSERT INTO cases_casecounter (fiscal_year, last)
        SELECT fiscal_year, max(serial) FROM cases_case GROUP BY fiscal_year
        """,
    )
    run(
        cur,
        """
        INSERT INTO cases_case_tags (case_id, issuetag_id)
        SELECT p.id, tg FROM bench_case_plan p CROSS JOIN LATERAL unnest(p.tags) tg
        """,
        None,
        "case tags",
    )

    # People: households share a surname --------------------------------------------------------
    run(
        cur,
        """
        INSERT INTO cases_person (case_id, name, kana, birth_year, relation, is_primary, search_key,
                                  match_key)
        SELECT p.id,
               s.kanji[1 + p.h %% ns] || ' ' || g.kanji[1 + (p.h / 97 + n * 31) %% ng],
               s.kana[1 + p.h %% ns] || ' ' || g.kana[1 + (p.h / 97 + n * 31) %% ng],
               CASE n WHEN 1 THEN 1935 + (p.h / 5) %% 60 WHEN 2 THEN 1960 + (p.h / 7) %% 40
                      ELSE 1990 + (p.h / 11) %% 30 END,
               (ARRAY['本人', '長男', '母'])[n], n = 1,
               s.key[1 + p.h %% ns] || g.key[1 + (p.h / 97 + n * 31) %% ng]
               || '|' || s.kkey[1 + p.h %% ns] || g.kkey[1 + (p.h / 97 + n * 31) %% ng],
               ''
        FROM bench_case_plan p
        CROSS JOIN LATERAL generate_series(1, 1 + (p.h / 3) %% 3) n
        CROSS JOIN (SELECT %(sk)s::text[] AS kanji, %(sn)s::text[] AS kana, %(skey)s::text[] AS key,
                           %(skkey)s::text[] AS kkey, %(ns)s AS ns) s
        CROSS JOIN (SELECT %(gk)s::text[] AS kanji, %(gn)s::text[] AS kana, %(gkey)s::text[] AS key,
                           %(gkkey)s::text[] AS kkey, %(ng)s AS ng) g
        """,
        {
            "sk": [k for k, _ in SURNAMES],
            "sn": [n for _, n in SURNAMES],
            "skey": [search_key(k) for k, _ in SURNAMES],
            "skkey": [search_key(n) for _, n in SURNAMES],
            "ns": len(SURNAMES),
            "gk": [k for k, _ in GIVEN],
            "gn": [n for _, n in GIVEN],
            "gkey": [search_key(k) for k, _ in GIVEN],
            "gkkey": [search_key(n) for _, n in GIVEN],
            "ng": len(GIVEN),
        },
        "people",
    )
    # 名寄せ's key (tsumugi.lib.names.match_key folds width, kana and variants, then digests):
    # here a digest of name, kana and birth year, so the same person written the same way in
    # two consultations is a candidate, as in life.
    run(
        cur,
        "UPDATE cases_person SET match_key = md5(name || '|' || kana || '|' || birth_year) "
        "WHERE match_key = ''",
        label="people's match keys",
    )

    # Sheets ---------------------------------------------------------------------------------------
    run(
        cur,
        """
        INSERT INTO sheets_sheet (id, number, case_id, district_id, parent_id, sender_agency_id,
          liaison_id,
          receiver_agency_id, status, urgency, request, sender_continuing, shared_info, basis,
          is_anonymised, sent_at, ack_due_at, acknowledged_at, acknowledged_by_id, assignee_id,
          roles, follow_up_due_at, last_progress_at, last_event_at, ended_at, outcome_id,
          end_note, next_due_at, version, handover, outside_receiver, outside_contact,
          outside_assignee)
        SELECT p.id, c.number || '-' || lpad(p.seq::text, 2, '0'), p.case_id, c.district_id,
               p.parent_id,
               p.sender, p.sender + %(nag)s * (2 + (p.h / 29) %% 30), p.r, p.status, p.urgency,
               (%(requests)s::text[])[1 + (p.h / 31) %% array_length(%(requests)s::text[], 1)],
               CASE WHEN p.parent_id IS NOT NULL THEN '（転送）引き続き経過を共有します。'
                    ELSE (%(cont)s::text[])[1 + (p.h / 37) %% array_length(%(cont)s::text[], 1)] END,
               '世帯の状況と、これまでの支援の経過', p.basis,
               p.basis IN ('none', 'support_meeting'),
               p.sent_at, t.ack_due_at, t.acknowledged_at,
               CASE WHEN t.acknowledged_at IS NOT NULL THEN p.r + %(nag)s * (3 + (p.h / 41) %% 29) END,
               CASE WHEN t.acknowledged_at IS NOT NULL THEN p.r + %(nag)s * (3 + (p.h / 43) %% 29) END,
               CASE WHEN t.acknowledged_at IS NOT NULL
                    THEN '当センター：訪問と制度の申請支援。送付元：見守りと家族への連絡。' ELSE '' END,
               t.follow_up_due_at, t.last_progress_at,
               coalesce(t.ended_at, t.last_progress_at, t.acknowledged_at, p.sent_at),
               t.ended_at,
               CASE WHEN p.status = 'closed' THEN (SELECT min(id) FROM sheets_outcome) + (p.h / 47) %% 6 END,
               CASE p.status WHEN 'closed' THEN '支援につながったため終結'
                             WHEN 'redirected' THEN '担当分野が異なるため、より適した機関へ'
                             WHEN 'withdrawn' THEN '本人の意向により取下げ' ELSE '' END,
               nd.next_due_at,
               1 + (t.acknowledged_at IS NOT NULL)::int + (t.last_progress_at IS NOT NULL)::int
                 + (t.ended_at IS NOT NULL)::int,
               'system', '', '', ''
        FROM bench_sheet_plan p
        JOIN bench_sheet_times3 t ON t.id = p.id
        JOIN cases_case c ON c.id = p.case_id
        CROSS JOIN LATERAL (SELECT CASE p.status WHEN 'sent' THEN t.ack_due_at
                                                 WHEN 'acknowledged' THEN t.follow_up_due_at
                                   END AS next_due_at) nd
        """,
        {"nag": N_AGENCIES, "requests": REQUESTS, "cont": CONTINUING},
        "sheets",
    )
    run(
        cur,
        """
        INSERT INTO cases_consent (id, case_id, obtained_by_id, obtained_at, method,
          covers_identity, covers_household, covers_consultation, covers_health, note,
          withdrawal_note)
        SELECT c.id, c.id, c.received_by_id, c.received_at, 'oral', true, true, true, true,
               '生活と介護の状況、支援の経過', ''
        FROM cases_case c WHERE c.basis = 'consent'
        """,
        None,
        "consents",
    )
    run(
        cur,
        """
        INSERT INTO reminders_cursor (kind, subject_id, deadline, remind_at, step)
        SELECT 'sheet', s.id, s.next_due_at,
               -- at the deadline; for a deadline of the last few days the step still to come
               -- (step 3, in the future); a deadline long past has finished its ladder (4)
               CASE WHEN s.next_due_at > %(now)s::timestamptz THEN s.next_due_at
                    WHEN s.next_due_at > %(now)s::timestamptz - interval '4 days'
                      THEN s.next_due_at + interval '4 days' END,
               CASE WHEN s.next_due_at > %(now)s::timestamptz THEN 1
                    WHEN s.next_due_at > %(now)s::timestamptz - interval '4 days' THEN 3
                    WHEN s.next_due_at IS NOT NULL THEN 4 ELSE 0 END
        FROM sheets_sheet s
        """,
        {"now": NOW},
        "reminder cursors",
    )
    run(
        cur,
        """
        INSERT INTO cases_consent_agencies (consent_id, agency_id)
        SELECT DISTINCT s.case_id, s.receiver_agency_id
        FROM sheets_sheet s WHERE s.basis = 'consent'
        """,
        None,
        "consent agencies",
    )

    # Timeline -------------------------------------------------------------------------------------
    run(
        cur,
        """
        INSERT INTO cases_event (case_id, sheet_id, kind, actor_id, agency_id, at, text)
        SELECT id, NULL::bigint, 'case_opened', received_by_id, agency_id, received_at,
               CASE channel WHEN 'phone' THEN '電話で受付' WHEN 'visit' THEN '訪問で受付'
                            ELSE '窓口で受付' END
        FROM cases_case
        UNION ALL
        SELECT id, NULL::bigint, 'case_closed', closed_by_id, agency_id, closed_at, close_note
        FROM cases_case WHERE status = 'closed'
        """,
        None,
        "case events",
    )
    run(
        cur,
        """
        INSERT INTO cases_event (case_id, sheet_id, kind, actor_id, agency_id, at, text)
        SELECT s.case_id, s.id, 'sheet_sent', s.liaison_id, s.sender_agency_id, s.sent_at,
               sa.name || ' → ' || ra.name || '：' || s.request
        FROM sheets_sheet s JOIN areas_agency sa ON sa.id = s.sender_agency_id
        JOIN areas_agency ra ON ra.id = s.receiver_agency_id
        UNION ALL
        SELECT s.case_id, s.id, 'acknowledged', s.acknowledged_by_id, s.receiver_agency_id,
               s.acknowledged_at, '担当者: ' || u.last_name || ' ' || u.first_name || E'\n役割分担: ' || s.roles
        FROM sheets_sheet s JOIN auth_user u ON u.id = s.assignee_id
        WHERE s.acknowledged_at IS NOT NULL
        UNION ALL
        SELECT s.case_id, s.id, 'progress', s.assignee_id, s.receiver_agency_id,
               s.last_progress_at, '本人と面談。次回は2週間後に訪問予定。'
        FROM sheets_sheet s WHERE s.last_progress_at IS NOT NULL
        UNION ALL
        SELECT s.case_id, s.id, s.status,
               CASE WHEN s.status = 'withdrawn' THEN s.liaison_id ELSE coalesce(s.assignee_id, s.receiver_agency_id + %(nag)s * 3) END,
               CASE WHEN s.status = 'withdrawn' THEN s.sender_agency_id ELSE s.receiver_agency_id END,
               s.ended_at, s.end_note
        FROM sheets_sheet s WHERE s.ended_at IS NOT NULL
        """,
        {"nag": N_AGENCIES},
        "sheet events",
    )

    run(cur, "SET session_replication_role = origin")
    for name, definition in indexes:
        run(cur, definition, None, f"index {name}")
    run(cur, "DROP TABLE bench_case_plan, bench_sheet_plan, bench_sheet_times3, bench_case_agg")
    reset_sequences(cur)
    run(
        cur,
        "VACUUM (ANALYZE) cases_case, cases_person, cases_event, cases_case_tags, sheets_sheet",
        None,
        "vacuum analyze",
    )


def tenant_tables(cur: Any) -> list[str]:
    cur.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND column_name = 'municipality_id' AND table_name <> 'tenancy_belonging'",
        (),
    )
    return sorted(r[0] for r in cur.fetchall())


def key_default(cur: Any, municipality_id: int | None) -> None:
    """The municipality key of every tenant table defaults to `municipality_id` (None: no
    default, as the migrations leave it)."""
    action = (
        f"SET DEFAULT {int(municipality_id)}" if municipality_id is not None else "DROP DEFAULT"
    )
    for table in tenant_tables(cur):
        cur.execute(f'ALTER TABLE "{table}" ALTER COLUMN municipality_id {action}')


# Tables shared by every municipality (reference data and the framework's own): not copied.
SHARED_TABLES = {
    "tenancy_municipality",
    "areas_field",
    "plans_assessmentgroup",
    "plans_assessmentitem",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
    "django_migrations",
    "django_session",
    "django_site",
}
# Columns that hold another row's id without a foreign key: (table, column) -> how to find the
# table of the id (a fixed table, or the kind column's value).
GENERIC_IDS = {
    ("reminders_cursor", "subject_id"): "kind",
    ("reminders_reminder", "subject_id"): "kind",
    ("reminders_notification", "group_id"): "group_kind",
    ("cases_matchdismissal", "up_to"): "cases_person",
}
KIND_TABLES = {
    "sheet": "sheets_sheet",
    "action_item": "meetings_actionitem",
    "plan_review": "plans_plan",
}


def copy_municipality(cur: Any, number: int) -> None:
    """Municipality `number` gets a copy of 高島市's rows: every id moved past the largest in
    use, every reference moved with it, its own key and user names. Consistent by construction,
    so the foreign-key triggers stay off (as in the fill)."""
    from django.apps import apps
    from django.db import models as m

    code = ["252123", "999997", "999989", "999971"][number - 1]
    run(
        cur,
        "INSERT INTO tenancy_municipality (id, code, name, is_active) VALUES (%s, %s, %s, true)",
        [number, code, f"ベンチ市{number}"],
    )
    by_table = {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}
    cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", ())
    present = {r[0] for r in cur.fetchall()}
    copied = []
    for table in sorted(present - SHARED_TABLES):
        if table.startswith(("bench_", "axes_", "otp_", "django_otp")) or table not in by_table:
            continue
        cur.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE true)')
        if cur.fetchone()[0]:
            copied.append(table)
    offsets = {}
    for table in copied:
        pk = by_table[table]._meta.pk
        cur.execute(f'SELECT coalesce(max("{pk.column}"), 0) FROM "{table}"')
        offsets[table] = int(cur.fetchone()[0])
    run(cur, "SET session_replication_role = replica")
    for table in copied:
        model = by_table[table]
        history_of = getattr(model, "instance_type", None)
        columns, values = [], []
        for field in model._meta.local_concrete_fields:
            col = str(field.column)
            expr = f'"{col}"'
            target = None
            if field.primary_key:
                target = table
            elif isinstance(field, m.ForeignKey) and col != "municipality_id":
                target = field.related_model._meta.db_table
            elif history_of is not None and col == history_of._meta.pk.column:
                target = history_of._meta.db_table
            if col == "municipality_id":
                expr = str(number)
            elif (table, col) in GENERIC_IDS:
                how = GENERIC_IDS[(table, col)]
                if how in by_table:
                    expr = f'"{col}" + {offsets.get(how, 0)}'
                else:
                    cases = " ".join(
                        f"WHEN '{kind}' THEN \"{col}\" + {offsets.get(t, 0)}"
                        for kind, t in KIND_TABLES.items()
                    )
                    expr = f'CASE "{how}" {cases} ELSE "{col}" END'
            elif target is not None and target in offsets:
                expr = f'"{col}" + {offsets[target]}'
            elif table == "auth_user" and col == "username":
                expr = f"'m{number}-' || \"{col}\""
            columns.append(f'"{col}"')
            values.append(expr)
        run(
            cur,
            f'INSERT INTO "{table}" ({", ".join(columns)}) SELECT {", ".join(values)} FROM "{table}" '
            f'WHERE "{model._meta.pk.column}" <= %s',
            [offsets[table]],
            f"municipality {number}: {table}",
        )
    run(cur, "SET session_replication_role = origin")
    for (table, _), how in GENERIC_IDS.items():
        if table in copied and how not in by_table:
            cur.execute(f'SELECT DISTINCT "{how}" FROM "{table}"')
            unknown = {r[0] for r in cur.fetchall()} - set(KIND_TABLES) - {""}
            if unknown:
                sys.exit(f"{table}: ids of unknown kinds {unknown}; add them to KIND_TABLES")


def reset_sequences(cur: Any) -> None:
    cur.execute(
        """
        SELECT c.table_name, c.column_name
        FROM information_schema.columns c
        WHERE c.table_schema = 'public' AND (c.is_identity = 'YES' OR c.column_default LIKE 'nextval%%')
        """,
        (),
    )
    for table, column in cur.fetchall():
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', %s), "
            f'coalesce((SELECT max("{column}") FROM "{table}"), 0) + 1, false)',
            [column],
        )


def agency_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    all_districts = list(range(2, 8))

    def add(
        name: str, kind: str, districts: list[int], fields: list[int], office: bool = False
    ) -> None:
        i = len(rows) + 1
        rows.append(
            {
                "id": i,
                "code": f"ag-{i:02d}",
                "name": name,
                "kind": kind,
                "office": office,
                "email": f"ag{i:02d}@example.jp",
                "districts": districts,
                "fields": fields,
            }
        )

    add("社会福祉課 くらし連携支援室", "department", all_districts, [1, 2, 3, 4, 5, 9], office=True)
    add("地域包括支援センター", "outside", all_districts, [1, 5])
    for code, name, _ in DISTRICTS:
        add(f"{name}支所", "branch", [2 + [d[0] for d in DISTRICTS].index(code)], [])
    for j, name in enumerate(DEPARTMENTS):
        add(name, "department", all_districts, [1 + j % 9])
    n = 0
    while len(rows) < N_AGENCIES:
        base = OUTSIDE[n % len(OUTSIDE)]
        district = 2 + n % 6
        add(
            f"{base} {DISTRICTS[district - 2][1]}{n // len(OUTSIDE) + 1}",
            "outside",
            [district],
            [1 + n % 9],
        )
        n += 1
    assert [r["kind"] for r in rows[2:8]] == ["branch"] * 6
    return rows


SUMMARIES = [
    "80代の母と50代の長男の二人暮らし。長男は10年ほど外出していない。母の物忘れが増えている。",
    "中学生の長女が祖母の介護を担っており、欠席が続いている。",
    "失業後に家賃を滞納し、退去を求められている。就労の意欲はある。",
    "一人暮らしの高齢者。近所付き合いがなく、民生委員が心配している。",
    "障がいのある子の親が高齢になり、将来の生活の場に不安がある。",
    "配偶者からの暴言があり、子どもを連れて家を出たいと相談。",
    "ごみが片付けられず、近隣から苦情が出ている。本人は支援を望んでいない。",
    "ひとり親で収入が不安定。子どもの学用品の購入が難しい。",
]
REQUESTS = [
    "介護保険の申請と、家族への声かけをお願いします。",
    "学校と連携して、本人の状況の確認をお願いします。",
    "家計の相談と就労支援につないでください。",
    "住まいの確保について相談に乗ってください。",
    "見守りの体制づくりについてご助言ください。",
]
CONTINUING = [
    "支所で月1回の訪問を続けます。",
    "民生委員と連絡を取り合い、見守りを続けます。",
    "窓口で家計の相談を継続します。",
]


# --- the 20-sheet chain case, through the real model methods -------------------------------------


def make_chain_case() -> int:
    from datetime import timedelta

    from django.contrib.auth import get_user_model

    from areas.models import Agency, Area
    from cases.intake import PersonData, open_case
    from cases.models import Basis, Channel, IssueTag
    from sheets.models import Sheet

    User = get_user_model()
    agencies = {a.pk: a for a in Agency.objects.all()}
    owner = agencies[CHAIN_AGENCY]
    receivers = [a for a in range(9, 60) if a != CHAIN_AGENCY][:20]
    t = NOW - timedelta(days=300)
    counter = User.objects.get(pk=user_id(CHAIN_AGENCY, SLOT_COUNTER))
    case = open_case(
        agency=owner,
        by=counter,
        district=Area.objects.get(pk=CHAIN_AGENCY - 1),
        channel=Channel.MINSEI,
        summary="高齢の父と無職の長女。父の通院が途絶え、長女は就労経験がない。地域から孤立している。",
        basis=Basis.CONSENT,
        tags=list(IssueTag.objects.filter(pk__in=[1, 4, 10, 12])),
        people=[PersonData(n, k, y, r, i == 0) for i, (n, k, y, r) in enumerate(CHAIN_PEOPLE)],
        consent_agencies=[agencies[a] for a in receivers],
        consent_scope="生活全般",
        received_at=t,
        now=t,
    )
    sheet = Sheet.issue(
        case=case,
        by=counter,
        sender_agency=owner,
        receiver_agency=agencies[receivers[0]],
        request="通院の再開と、長女の就労に向けた相談をお願いします。",
        sender_continuing="支所で月2回の訪問を続けます。",
        now=t + timedelta(hours=1),
    )
    for step, nxt in enumerate(receivers[1:], start=1):
        by = User.objects.get(pk=user_id(sheet.receiver_agency_id or 0, 3))
        sheet = sheet.redirect(
            by=by,
            to=agencies[nxt],
            reason="担当分野が異なるため、より適した機関へ",
            request="担当分野の相談をお願いします。",
            now=t + timedelta(days=step * 3, hours=2),
        )
    assignee = User.objects.get(pk=user_id(sheet.receiver_agency_id or 0, 3))
    sheet.acknowledge(
        by=assignee,
        assignee=assignee,
        roles="通院同行と就労相談。支所は見守り。",
        now=t + timedelta(days=62),
    )
    from cases.models import Event

    n_events = Event.objects.filter(case=case).count()
    day = 63.0
    while n_events < 200:
        sheet.report_progress(
            by=assignee, text=f"経過報告 {n_events}: 面談を実施。", now=t + timedelta(days=day)
        )
        day += (299 - 63) / 165
        n_events += 1
    return case.pk


# --- 多機関協働: 支援決定, plans, goals, meetings (the 事業別実績 page) ----------------------------

# One case in MULTI_AGENCY_EVERY is taken into 多機関協働 (~5,000 of 500,000); the plans' states
# cycle through PLAN_STATES; a 重層的支援会議 meets monthly and each district's くらし連携会議 too.
MULTI_AGENCY_EVERY = 100
PLAN_STATES = ["draft", "submitted", "approved", "active", "active", "evaluated", "closed"]


def insert_select(
    cur: Any, table: str, values: dict[str, str], source: str, label: str, params: Any = ()
) -> None:
    """INSERT INTO table (...) SELECT ... FROM source, with the columns the table has today:
    a column of `values` the table lacks is left out (another migration may have moved it), and
    a NOT NULL column without a default that `values` does not name gets its type's zero (the
    model's own default for booleans, counters and blank text)."""
    cur.execute(
        "SELECT column_name, is_nullable, column_default, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s",
        [table],
    )
    columns = {name: (nullable, default, kind) for name, nullable, default, kind in cur.fetchall()}
    chosen = {k: v for k, v in values.items() if k in columns}
    zero = {"boolean": "false", "integer": "0", "smallint": "0", "bigint": "0"}
    for name, (nullable, default, kind) in columns.items():
        if name not in chosen and nullable == "NO" and default is None and name != "id":
            chosen[name] = zero.get(kind, "''")
    names = ", ".join(f'"{k}"' for k in chosen)
    run(
        cur,
        f"INSERT INTO {table} ({names}) SELECT {', '.join(chosen.values())} FROM {source}",
        params,
        label,
    )


def fill_multi_agency(cur: Any) -> None:
    coordinator = user_id(OFFICE, SLOT_COORDINATOR)
    run(cur, "SET session_replication_role = replica")
    insert_select(
        cur,
        "areas_body",
        {"code": "'juusou'", "name": "'高島市重層的支援会議'", "kind": "'juusou'", "area_id": "1"},
        "(SELECT 1) x",
        "重層的支援会議",
    )
    insert_select(
        cur,
        "areas_body",
        {
            "code": "a.code || '-kaigi'",
            "name": "a.name || 'くらし連携会議'",
            "kind": "'district'",
            "area_id": "a.id",
        },
        "areas_area a WHERE a.layer = 2",
        "くらし連携会議",
    )
    # Monthly meetings from April 2022; those before NOW are held (minutes approved).
    insert_select(
        cur,
        "meetings_meeting",
        {
            "body_id": "b.id",
            "title": "'第' || m.n || '回'",
            "date": "(date '2022-04-10' + (m.n - 1) * interval '1 month')::date",
            "start_time": "'14:00'",
            "place": "'市役所 会議室'",
            "status": "CASE WHEN date '2022-04-10' + (m.n - 1) * interval '1 month' < %(now)s THEN 'held' ELSE 'draft' END",
            "distributed_at": "CASE WHEN date '2022-04-10' + (m.n - 1) * interval '1 month' < %(now)s THEN (date '2022-04-10' + (m.n - 1) * interval '1 month') - interval '7 days' END",
            "minutes_approved_at": "CASE WHEN date '2022-04-10' + (m.n - 1) * interval '1 month' < %(now)s THEN (date '2022-04-10' + (m.n - 1) * interval '1 month') + interval '7 days' END",
            "created_by_id": str(coordinator),
            "created_at": "date '2022-04-01' + (m.n - 1) * interval '1 month'",
        },
        "areas_body b CROSS JOIN generate_series(1, 60) AS m(n)",
        "meetings",
        {"now": NOW},
    )
    # Three themes per くらし連携会議: 相談支援, 参加支援, 地域支援.
    insert_select(
        cur,
        "meetings_agendaitem",
        {
            "meeting_id": "m.id",
            "kind": "'theme'",
            "theme": "(ARRAY['見守りの空白','就労体験の受け入れ先','居場所づくり'])[k.k]",
            "support": "(ARRAY['consultation','participation','community'])[k.k]",
            "minutes": "20",
            "order": "k.k",
        },
        "meetings_meeting m JOIN areas_body b ON b.id = m.body_id AND b.kind = 'district' "
        "CROSS JOIN generate_series(1, 3) AS k(k)",
        "agenda themes",
    )
    cur.execute("SET session_replication_role = origin")
    # The cases picked, with their plan's state and the days from decision to approval.
    run(
        cur,
        f"""
        CREATE UNLOGGED TABLE bench_plan_plan AS
        SELECT c.id AS case_id, c.received_at + interval '20 days' AS decided_at,
               (%(states)s::text[])[1 + (c.id / {MULTI_AGENCY_EVERY}) %% {len(PLAN_STATES)}] AS state,
               14 + (c.id / {MULTI_AGENCY_EVERY}) %% 57 AS days_to_approval,
               row_number() OVER (ORDER BY c.id) AS n
        FROM cases_case c
        WHERE c.id %% {MULTI_AGENCY_EVERY} = 0 AND c.received_at < %(now)s::timestamptz - interval '120 days'
        """,
        {"states": PLAN_STATES, "now": NOW},
        "cases taken into 多機関協働",
    )
    run(cur, "SET session_replication_role = replica")
    insert_select(
        cur,
        "plans_supportdecision",
        {
            "case_id": "p.case_id",
            "decided_at": "p.decided_at",
            "decided_by_id": str(coordinator),
            "agency_id": str(OFFICE),
            "reason": "'複数の分野にわたり、関係機関の役割分担が必要'",
        },
        "bench_plan_plan p",
        "支援決定",
    )
    approved = "p.state NOT IN ('draft', 'submitted')"
    insert_select(
        cur,
        "plans_plan",
        {
            "case_id": "p.case_id",
            "version": "1",
            "decision_id": "d.id",
            "status": "p.state",
            "wish": "'今の家で暮らし続けたい'",
            "period_start": "(p.decided_at + interval '30 days')::date",
            "period_end": "(p.decided_at + interval '210 days')::date",
            "review_date": "(p.decided_at + interval '120 days')::date",
            "review_due_at": "CASE WHEN p.state = 'active' THEN p.decided_at + interval '120 days' END",
            "coordinator_id": str(coordinator),
            "coordinator_agency_id": str(OFFICE),
            "created_at": "p.decided_at + interval '7 days'",
            "submitted_at": "CASE WHEN p.state <> 'draft' THEN p.decided_at + interval '10 days' END",
            "approved_at": f"CASE WHEN {approved} THEN p.decided_at + p.days_to_approval * interval '1 day' END",
            "approved_meeting_id": f"CASE WHEN {approved} THEN (SELECT min(m.id) FROM meetings_meeting m JOIN areas_body b ON b.id = m.body_id AND b.kind = 'juusou') END",
            "started_at": "CASE WHEN p.state IN ('active', 'evaluated', 'closed') THEN p.decided_at + p.days_to_approval * interval '1 day' END",
            "evaluated_at": "CASE WHEN p.state IN ('evaluated', 'closed') THEN p.decided_at + interval '125 days' END",
            "ended_at": "CASE WHEN p.state = 'closed' THEN p.decided_at + interval '130 days' END",
            "end_note": "CASE WHEN p.state = 'closed' THEN '目標を達成した' ELSE '' END",
        },
        "bench_plan_plan p JOIN plans_supportdecision d ON d.case_id = p.case_id",
        "支援プラン",
    )
    insert_select(
        cur,
        "plans_goal",
        {
            "plan_id": "pl.id",
            "term": "t.term",
            "text": "CASE WHEN t.term = 'long' THEN '地域で安心して暮らす' ELSE '相談できる相手とつながる' END",
            "order": "1",
        },
        "plans_plan pl CROSS JOIN (VALUES ('long'), ('short')) AS t(term)",
        "goals",
    )
    insert_select(
        cur,
        "plans_goaltask",
        {
            "goal_id": "g.id",
            "agency_id": f"9 + g.id %% {N_AGENCIES - 9}",
            "task": "'月1回の訪問と、居場所の利用の手伝い'",
            "project": "(ARRAY['multi_agency','outreach','participation'])[1 + g.id %% 3]",
        },
        "plans_goal g",
        "役割分担",
    )
    insert_select(
        cur,
        "plans_goalevaluation",
        {
            "goal_id": "g.id",
            "result": "(ARRAY['achieved','partly','not_achieved'])[1 + g.id %% 3]",
            "comment": "''",
            "evaluated_by_id": str(coordinator),
            "evaluated_at": "pl.evaluated_at",
        },
        "plans_goal g JOIN plans_plan pl ON pl.id = g.plan_id WHERE pl.evaluated_at IS NOT NULL",
        "目標の評価",
    )
    run(cur, "SET session_replication_role = origin")
    run(cur, "DROP TABLE bench_plan_plan")
    reset_sequences(cur)
    run(
        cur,
        "ANALYZE areas_body, meetings_meeting, meetings_agendaitem, plans_supportdecision, "
        "plans_plan, plans_goal, plans_goaltask, plans_goalevaluation",
    )


# --- phases for the sweep -------------------------------------------------------------------------

# Due moments before NOW (Thu 2026-11-26 10:00 JST; Mon 11/23 is 勤労感謝の日):
# yesterday 17:15 (step 1 due), two business days ago (steps 1–2), four (all three).
DUE_MOMENTS = [
    ("2026-11-25 17:15+09", 70),
    ("2026-11-24 17:15+09", 20),
    ("2026-11-19 17:15+09", 10),
]


def prepare_due_backup(cur: Any, chain_case: int) -> None:
    """Choose the 100,000 open sheets the sweep benchmark makes due, and keep their state."""
    run(
        cur,
        """
        CREATE TABLE bench_due AS
        SELECT s.id, s.status, s.ack_due_at, s.follow_up_due_at, s.next_due_at,
               c.remind_at, c.step AS remind_step, s.last_event_at, s.version
        FROM sheets_sheet s JOIN reminders_cursor c ON c.kind = 'sheet' AND c.subject_id = s.id
        WHERE s.status IN ('sent', 'acknowledged') AND s.sent_at < %s::timestamptz - interval '30 days'
          AND s.case_id <> %s
        ORDER BY (hashint8(s.id * 3 + 1) & 2147483647) LIMIT %s
        """,
        [NOW, chain_case, N_DUE],
        "due backup",
    )
    run(cur, "ALTER TABLE bench_due ADD PRIMARY KEY (id)")


def make_due(cur: Any) -> int:
    """Phase 2: 100,000 open sheets whose deadline passed in the last few business days."""
    pieces = []
    lo = 0
    for moment, pct in DUE_MOMENTS:
        pieces.append(f"WHEN (d.id %% 100) < {lo + pct} THEN '{moment}'::timestamptz")
        lo += pct
    x = "CASE " + " ".join(pieces) + " END"
    run(
        cur,
        f"""
        UPDATE sheets_sheet s SET
          ack_due_at = CASE WHEN s.status = 'sent' THEN {x} ELSE s.ack_due_at END,
          follow_up_due_at = CASE WHEN s.status = 'acknowledged' THEN {x} ELSE s.follow_up_due_at END,
          next_due_at = {x}
        FROM bench_due d WHERE s.id = d.id
        """,
        None,
        "make due",
    )
    run(
        cur,
        f"""
        UPDATE reminders_cursor s SET deadline = {x}, remind_at = {x}, step = 1
        FROM bench_due d WHERE s.kind = 'sheet' AND s.subject_id = d.id
        """,
        None,
        "make due (cursors)",
    )
    run(cur, "ANALYZE sheets_sheet")
    run(cur, "ANALYZE reminders_cursor")
    return int(cur.rowcount if cur.rowcount > 0 else N_DUE)


# Tables computed from the cases and sheets (cases/summary.py, sheets/summary.py): restore()
# leaves them alone (it puts back deadlines and cursors only, which they do not count), and a
# reused fill made before they existed gets them counted once.
DERIVED = {
    "cases_casemonth",
    "cases_casefieldmonth",
    "cases_casetagmonth",
    "sheets_sheetmonth",
    "sheets_sheetlagmonth",
    "sheets_multiagencycasemonth",
    "sheets_opensheetcount",
}


def restore(cur: Any) -> None:
    """Back to the base state: the chosen sheets as they were, and nothing the sweep wrote."""
    run(cur, "SET session_replication_role = replica")
    run(
        cur,
        """
        UPDATE sheets_sheet s SET
          status = d.status, ack_due_at = d.ack_due_at, follow_up_due_at = d.follow_up_due_at,
          next_due_at = d.next_due_at, last_event_at = d.last_event_at, version = d.version
        FROM bench_due d WHERE s.id = d.id
          AND (s.next_due_at IS DISTINCT FROM d.next_due_at OR s.version <> d.version)
        """,
        None,
        "restore due sheets",
    )
    changed = ["sheets_sheet"] if cur.rowcount and cur.rowcount > 0 else []
    run(
        cur,
        """
        UPDATE reminders_cursor c SET
          deadline = d.next_due_at, remind_at = d.remind_at, step = d.remind_step
        FROM bench_due d WHERE c.kind = 'sheet' AND c.subject_id = d.id
          AND (c.remind_at IS DISTINCT FROM d.remind_at OR c.step <> d.remind_step
               OR c.deadline IS DISTINCT FROM d.next_due_at)
        """,
        None,
        "restore due cursors",
    )
    if cur.rowcount and cur.rowcount > 0:
        changed.append("reminders_cursor")
    cur.execute("SELECT key, value FROM bench_meta WHERE key LIKE 'maxid:%%'", ())
    recorded = {k.split(":", 1)[1]: int(v) for k, v in cur.fetchall()}
    for table in app_tables(cur):
        if table in DERIVED:
            continue  # counts of the cases, which the bench never changes
        if table in recorded:
            cur.execute(f'DELETE FROM "{table}" WHERE id > %s', [recorded[table]])
        elif has_id(cur, table):
            cur.execute(f'DELETE FROM "{table}"')
        if cur.rowcount and cur.rowcount > 0:
            log(f"removed {cur.rowcount} rows from {table}")
            changed.append(table)
    run(cur, "SET session_replication_role = origin")
    # Sequences are not wound back: reusing the ids (and unique keys) of rows that are dead but
    # not yet vacuumed made the next sweep several times slower.
    vacuum_dead(cur, changed)


def vacuum_dead(cur: Any, changed: list[str] | None = None) -> None:
    """The sweep phase rewrites 100,000 sheet rows (and restore does it again): without a vacuum
    the next page measurements read dead index entries and pages whose visibility bits are gone.
    Autovacuum would get there in production; the bench does not wait for it."""
    cur.execute(
        "SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'public' "
        "AND n_dead_tup > greatest(10000, n_live_tup / 100)",
        (),
    )
    # The statistics lag behind a DELETE that just happened: vacuum what we changed, too.
    tables = sorted({r[0] for r in cur.fetchall()} | set(changed or []))
    if tables:
        run(
            cur,
            "VACUUM (ANALYZE) " + ", ".join(f'"{t}"' for t in tables),
            (),
            "vacuum " + ", ".join(tables),
        )


def has_id(cur: Any, table: str) -> bool:
    cur.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = %s AND column_name = 'id'",
        [table],
    )
    return cur.fetchone() is not None


def record_meta(cur: Any, values: dict[str, str]) -> None:
    run(cur, "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
    for table in app_tables(cur):
        if has_id(cur, table):
            cur.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"')
            values[f"maxid:{table}"] = str(cur.fetchone()[0])
    for k, v in values.items():
        cur.execute(
            "INSERT INTO bench_meta (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [k, v],
        )


def ensure_data(reuse: bool) -> dict[str, Any]:
    """Create, migrate and (unless --reuse finds it there) fill the database. Returns facts."""
    url = database_url()
    hold_bench_lock(url)
    filled = ensure_database(url, reuse)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cur:
        # As production is provisioned: LIKE may use the name index under row security.
        cur.execute((ROOT / "deploy" / "postgres-leakproof.sql").read_text())
    fill_seconds: float | None = None
    with connection.cursor() as cur:
        if not filled:
            t0 = time.perf_counter()
            fill(cur)
            log("bulk fill done; the chain case through the model methods")
            chain = make_chain_case()
            log("多機関協働: 支援決定, plans, goals, meetings")
            fill_multi_agency(cur)
            # The cases and sheets went in with SQL, past the model methods that keep the
            # insight summaries: count them once, as the migrations that made the tables do.
            from cases.summary import rebuild
            from sheets.summary import rebuild as rebuild_sheets

            rebuild()
            key_default(cur, None)
            for number in range(2, N_MUNICIPALITIES + 1):
                copy_municipality(cur, number)
            if N_MUNICIPALITIES > 1:
                reset_sequences(cur)
                run(cur, "VACUUM (ANALYZE)", None, "vacuum analyze")
            # after the copies: SheetMonth.receiver is an agency id that is no foreign key, which
            # copy_municipality would not move
            rebuild_sheets()
            prepare_due_backup(cur, chain)
            run(cur, "ANALYZE")
            fill_seconds = time.perf_counter() - t0
            record_meta(
                cur,
                {
                    "version": f"{DATA_VERSION}:{SHAPE}",
                    "chain_case": str(chain),
                    "fill_seconds": f"{fill_seconds:.1f}",
                },
            )
            log(f"fill done in {fill_seconds:.1f} s")
        else:
            log("reusing the filled database")
            restore(cur)
            from cases.models import CaseMonth
            from cases.summary import rebuild
            from sheets.models import OpenSheetCount, SheetMonth
            from sheets.summary import rebuild as rebuild_sheets

            if not CaseMonth.objects.exists():
                log("counting the monthly case summaries")
                rebuild()
            if not SheetMonth.objects.exists() or not OpenSheetCount.objects.exists():
                t0 = time.perf_counter()
                rebuild_sheets()
                run(cur, "ANALYZE sheets_sheetmonth")
                run(cur, "ANALYZE sheets_sheetlagmonth")
                run(cur, "ANALYZE sheets_multiagencycasemonth")
                run(cur, "ANALYZE sheets_opensheetcount")
                log(f"counted the monthly sheet summaries: {time.perf_counter() - t0:.1f} s")
        facts = {
            "chain_case": int(meta(cur, "chain_case")),
            "fill_seconds": fill_seconds
            if fill_seconds is not None
            else float(meta(cur, "fill_seconds")),
            "reused": fill_seconds is None,
        }
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="skip the fill when the data is there")
    args = parser.parse_args()
    facts = ensure_data(args.reuse)
    print(
        f"fill_seconds: {facts['fill_seconds']:.1f}{' (earlier fill, reused)' if facts['reused'] else ''}"
    )
    print(f"chain_case_id: {facts['chain_case']}")


if __name__ == "__main__":
    main()
