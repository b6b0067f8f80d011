"""`manage.py seed_demo [--file data/othercity.json …]`: load demo data, idempotently.

With no --file it loads two municipalities into one database, 高島市 (data/takashima.json) and
みなと市 (data/othercity.json), each with its own demo users, and the operator who manages both
(and reads neither's cases). Each file's loaders run for that file's municipality
(`tenancy.rls.working_for`), so every row they write carries its key.

The command runs every loader named in the setting TSUMUGI_DEMO_LOADERS, in order, inside one
transaction. The default list is ["areas.demo.load_city"]; other apps append their own loader
(e.g. "sheets.demo.load", "meetings.demo.load") to that setting in tsumugi/settings.py once the
module exists — a missing module is a configuration error, never silently skipped.

A loader is a plain function `load(path: pathlib.Path) -> list[str]`: it receives the city data
file (so it may read its own section of it), must be idempotent (match by code/username with
update_or_create; running twice gives the same rows), and returns lines to print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.module_loading import import_string

from areas.demo import load_operator, municipality_of_file
from tenancy.rls import working_for

DEFAULT_FILE = Path(settings.BASE_DIR) / "data" / "takashima.json"
OTHER_FILE = Path(settings.BASE_DIR) / "data" / "othercity.json"
DEFAULT_FILES = [DEFAULT_FILE, OTHER_FILE]
DEFAULT_LOADERS = ["areas.demo.load_city"]


class Command(BaseCommand):
    help = "デモ用の市（区域・機関・会議体・デモ職員）を読み込みます。何度実行しても同じ結果です。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file",
            type=Path,
            action="append",
            dest="files",
            help="市町村のデータファイル（JSON）。複数指定できます。"
            "既定は data/takashima.json と data/othercity.json",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[Path] = options["files"] or DEFAULT_FILES
        for path in paths:
            if not path.is_file():
                raise CommandError(f"データファイルが見つかりません: {path}")
        loaders = getattr(settings, "TSUMUGI_DEMO_LOADERS", DEFAULT_LOADERS)
        with transaction.atomic():
            for path in paths:
                municipality = municipality_of_file(path)
                with working_for(municipality.pk):
                    for dotted in loaders:
                        for line in import_string(dotted)(path):
                            self.stdout.write(line)
            self.stdout.write(load_operator())
        self.stdout.write(self.style.SUCCESS("デモデータを読み込みました。"))
