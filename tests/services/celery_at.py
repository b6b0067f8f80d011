"""`celery` with its clock moved: `python -m tests.services.celery_at <ISO 8601> <celery args>`.

A worker is another process, so the test's time_machine cannot reach it; this starts the worker
(and its embedded beat) at the instant the test names, the clock ticking on from there, so a test
puts the worker inside or outside office hours explicitly instead of depending on the real hour.
"""

from __future__ import annotations

import sys
from datetime import datetime

import time_machine
from celery.__main__ import main


def run() -> None:
    start = datetime.fromisoformat(sys.argv.pop(1))
    sys.argv[0] = "celery"
    with time_machine.travel(start, tick=True):
        main()


if __name__ == "__main__":
    run()
