"""Run the reminder sweep once (for cron), or every N seconds with --loop."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from reminders.engine import sweep
from reminders.outbox import send_pending


class Command(BaseCommand):
    help = "期限を過ぎた督促を送ります（Celery を使わない cron 運用でも使えます）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--inline-mail",
            action="store_true",
            help="メールをワーカーに渡さず、このプロセスで送ります（ワーカーがいない場合）。",
        )
        parser.add_argument("--loop", action="store_true", help="止めるまで繰り返します。")
        parser.add_argument("--interval", type=int, default=60, help="--loop の間隔（秒）")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            counts = sweep(enqueue=not options["inline_mail"])
            mailed = send_pending() if options["inline_mail"] else 0
            self.stdout.write(
                f"督促 {counts.sent} 件（通知 {counts.notifications} 件、"
                f"メール {counts.mails} 通）、"
                f"時間外のため次の開庁時刻へ {counts.deferred} 件、"
                f"メール再送の登録 {counts.mails_requeued} 件、"
                f"このプロセスで送ったメール {mailed} 通"
            )
            if not options["loop"]:
                return
            time.sleep(max(1, options["interval"]))
