#!/usr/bin/env python
"""Time the meeting packet PDF: 30 and 100 case items, each case with a chain of sheets.

Each size runs in its own process (so peak memory is that render's, not the previous one's),
in a throwaway test database, never the real one:
    .venv/bin/python scripts/bench_pdf.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tsumugi_meet \
        .venv/bin/python scripts/bench_pdf.py
Prints `name: value` lines. Target (issue 5): 30 items within 5 seconds.
"""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (30, 100)
NOW = datetime.fromisoformat("2026-11-27T10:00:00+09:00")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(items: int) -> object:
    from django.contrib.auth import get_user_model

    from areas.models import Agency, Area, Body, Field, Membership, Role, RosterEntry
    from cases.intake import PersonData, open_case
    from cases.models import Basis, Channel, IssueTag
    from meetings.models import AgendaItem, Attendance, Meeting
    from sheets.models import Sheet

    User = get_user_model()
    city = Area.objects.create(code="city", name="高島市", layer=Area.Layer.CITY)
    district = Area.objects.create(
        code="kutsuki", name="朽木", layer=Area.Layer.DISTRICT, parent=city
    )
    fields = [
        Field.objects.create(code=c, name=n, order=i)
        for i, (c, n) in enumerate(
            [("elderly", "高齢"), ("disability", "障がい"), ("poverty", "生活困窮")]
        )
    ]
    tags = [
        IssueTag.objects.create(code=f"t{i}", name=f"課題{i}", field=f)
        for i, f in enumerate(fields)
    ]
    office = Agency.objects.create(
        code="office", name="くらし連携支援室", kind="department", is_coordination_office=True
    )
    agencies = [
        Agency.objects.create(code=f"a{i}", name=f"機関{i}", kind="outside") for i in range(4)
    ]
    body = Body.objects.create(code="b", name="朽木くらし連携会議", kind="district", area=district)
    members = []
    for i, agency in enumerate([office, *agencies]):
        user = User.objects.create_user(f"u{i}", last_name=f"職員{i}", first_name="花子")
        role = Role.COORDINATOR if agency == office else Role.STAFF
        members.append(Membership.objects.create(user=user, agency=agency, role=role))
        RosterEntry.objects.create(body=body, membership=members[-1])
    coordinator = members[0].user
    meeting = Meeting.objects.create(
        body=body,
        date=date(2026, 12, 9),
        start_time=clock(14),
        place="朽木支所",
        chair=members[0],
        created_by=coordinator,
    )
    for m in members:
        Attendance.objects.create(meeting=meeting, membership=m)
    for n in range(items):
        sender, receiver, third = agencies[n % 4], agencies[(n + 1) % 4], agencies[(n + 2) % 4]
        sender_user = members[1 + n % 4].user
        receiver_user = members[1 + (n + 1) % 4].user
        when = NOW - timedelta(days=30 + n % 20)
        case = open_case(
            agency=sender,
            by=sender_user,
            district=district,
            channel=Channel.WINDOW,
            summary=f"80代の母と50代の長男。長男は10年ほど外出していない。事例{n}。" * 3,
            basis=Basis.CONSENT if n % 2 else Basis.NONE,
            tags=tags[: 1 + n % 3],
            people=[
                PersonData(f"山田 花子{n}", "やまだ はなこ", 1944, "本人", True),
                PersonData(f"山田 一郎{n}", "やまだ いちろう", 1972, "長男"),
            ],
            consent_agencies=[receiver] if n % 2 else [],
            now=when,
            received_at=when,
        )
        sheet = Sheet.issue(
            case=case,
            by=sender_user,
            sender_agency=sender,
            receiver_agency=receiver,
            request="介護保険の申請と長男への声かけ",
            sender_continuing="月1回の訪問を続けます。",
            now=when,
        )
        sheet.acknowledge(
            by=receiver_user, assignee=receiver_user, roles="訪問", now=when + timedelta(days=1)
        )
        sheet.redirect(
            by=receiver_user,
            to=third,
            reason="就労の相談が中心のため",
            request="就労の相談をお願いします。",
            now=when + timedelta(days=2),
        )
        meeting.add_item(by=coordinator, now=NOW, kind=AgendaItem.Kind.CASE, case=case, minutes=5)
    return meeting


def child(items: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsumugi.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases
    from pypdf import PdfReader

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        from meetings.packet import render_packet

        meeting = build(items)
        before = rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        pdf = render_packet(meeting, NOW)  # type: ignore[arg-type]
        cold, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = rss_mb()
        started = time.perf_counter()
        render_packet(meeting, NOW)  # type: ignore[arg-type]
        warm = time.perf_counter() - started
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        prefix = f"packet_{items}_items"
        print(f"{prefix}_database: {connection.vendor}")
        print(f"{prefix}_seconds: {cold:.2f}")
        # CPU time of this process: what the render costs when the machine is not shared.
        print(f"{prefix}_cpu_seconds: {cpu:.2f}")
        print(f"{prefix}_seconds_second_render: {warm:.2f}")
        print(f"{prefix}_load_average: {os.getloadavg()[0]:.1f}")
        print(f"{prefix}_pages: {pages}")
        print(f"{prefix}_pdf_kb: {len(pdf) / 1024:.0f}")
        print(f"{prefix}_rss_before_render_mb: {before:.0f}")
        print(f"{prefix}_peak_rss_mb: {max(peak, rss_mb()):.0f}")
        if items == 30:
            # Wall time depends on what else the machine runs (see the load average line).
            print(f"{prefix}_within_5_seconds_wall: {'yes' if cold <= 5 else 'NO'}")
            print(f"{prefix}_within_5_seconds_cpu: {'yes' if cpu <= 5 else 'NO'}")
    finally:
        teardown_databases(old, verbosity=0)


def main() -> int:
    status = 0
    for items in SIZES:
        done = subprocess.run([sys.executable, __file__, "--child", str(items)], check=False)
        status = status or done.returncode
    return status


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
    else:
        sys.exit(main())
