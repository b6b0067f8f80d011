"""The demo city gets one 朽木 case in each plan state, decided at its 重層的支援会議."""

from __future__ import annotations

import json

import time_machine

from areas.demo import load_city
from areas.management.commands.seed_demo import DEFAULT_FILE
from areas.models import Body
from plans import demo
from plans.models import Plan, Status
from reminders.engine import sweep
from reminders.models import Cursor
from sheets import demo as case_demo
from tests.plans.conftest import NOW


def test_the_demo_has_one_kutsuki_plan_in_each_state_and_loads_once(db: None) -> None:
    with time_machine.travel(NOW, tick=False):
        load_city(DEFAULT_FILE)
        tags = json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))["issue_tags"]
        case_demo.load_tags(tags)
        lines = demo.load(DEFAULT_FILE)
        assert "支援プラン8件" in lines[0]
        assert Body.objects.get(kind=Body.Kind.JUUSOU).name == "高島市重層的支援会議"
        assert set(Plan.objects.values_list("status", flat=True)) == set(Status.values)
        assert set(Plan.objects.values_list("case__district__code", flat=True)) == {"kutsuki"}
        # One 実施中 plan is a week past its review date: all three ladder steps are due.
        assert sweep(enqueue=False).by_kind["plan_review"] == 3
        assert not Cursor.objects.filter(kind="plan_review", remind_at__isnull=False).exists()
        count = Plan.objects.count()
        assert "追加しません" in demo.load(DEFAULT_FILE)[0]
        assert Plan.objects.count() == count == 9
