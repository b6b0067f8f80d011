"""Recompute every person's match key (after upgrading jpnorm, whose table the key folds with,
or changing tsumugi/lib/names.py): keys made by two versions of the table would not match."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from cases.models import Person
from tsumugi.lib.names import match_key

BATCH = 2000


class Command(BaseCommand):
    help = "関係者の照合キー（氏名・ふりがな・生まれ年）を作り直します（jpnorm の更新後に実行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        changed = 0
        last = 0
        while True:
            rows = list(
                Person.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "name", "kana", "birth_year", "match_key")[:BATCH]
            )
            if not rows:
                break
            last = rows[-1][0]
            stale = [
                Person(pk=pk, match_key=fresh)
                for pk, name, kana, year, key in rows
                if (fresh := match_key(name, kana, year)) != key
            ]
            with transaction.atomic():
                Person.objects.bulk_update(stale, ["match_key"])
            changed += len(stale)
        self.stdout.write(f"照合キーを {changed} 件作り直しました。")
