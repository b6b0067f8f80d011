#!/usr/bin/env bash
# Install tsumugi, load the Takashima demo data and run it at http://127.0.0.1:8000 on SQLite,
# with a Celery worker (embedded beat, filesystem:// broker) that sends the reminders.
# No database or Redis server needed. Stop with Ctrl-C.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/install.sh"

PY=.venv/bin/python
# A demo is often tried in the evening or at a weekend: let the overdue demo sheets' reminders
# appear at once instead of at the next office opening (production keeps business hours).
export TSUMUGI_REMINDER_BUSINESS_HOURS_ONLY="${TSUMUGI_REMINDER_BUSINESS_HOURS_ONLY:-false}"
PORT="${TSUMUGI_DEMO_PORT:-8000}"
# The links in the mails (notices, reminders) point at the address this demo is served on.
export TSUMUGI_SITE_URL="${TSUMUGI_SITE_URL:-http://127.0.0.1:${PORT}}"
echo "==> Preparing the database (SQLite in var/)"
$PY manage.py migrate --noinput
echo "==> Loading the demo data"
$PY manage.py seed_demo

echo "==> Starting the reminder worker (Celery with embedded beat, no Redis needed)"
LOG_DIR="${TSUMUGI_VAR_DIR:-var}/log"
mkdir -p "$LOG_DIR"
.venv/bin/celery -A tsumugi worker -B --loglevel=info --concurrency=1 \
    >"$LOG_DIR/worker.log" 2>&1 &
WORKER_PID=$!

stop_all() {
    trap - EXIT INT TERM
    echo "==> Stopping tsumugi"
    for pid in ${SERVER_PID:-} "$WORKER_PID"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

echo
echo "tsumugi is running at http://127.0.0.1:${PORT}/"
echo "Sign in with one of the demo users printed above. Worker log: $LOG_DIR/worker.log"
echo "Press Ctrl-C to stop."
echo
# In the background so that a signal to this script is handled at once (bash defers traps while a
# foreground command runs); whichever of server and worker ends first stops the other.
$PY manage.py runserver --noreload "127.0.0.1:${PORT}" &
SERVER_PID=$!
wait -n "$SERVER_PID" "$WORKER_PID" || true
