#!/usr/bin/env bash
# Nightly pg_dump of the tsumugi database (the `backup` service of docker-compose.yml).
#   scripts/backup.sh          run forever: one dump a day at TSUMUGI_BACKUP_AT (HH:MM, local time)
#   scripts/backup.sh once     one dump now (also what the restore test runs)
# Reads the libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; writes custom-format
# dumps (pg_restore reads them) into TSUMUGI_BACKUP_DIR and deletes those older than
# TSUMUGI_BACKUP_KEEP_DAYS days.
set -euo pipefail

BACKUP_DIR="${TSUMUGI_BACKUP_DIR:-/backups}"
KEEP_DAYS="${TSUMUGI_BACKUP_KEEP_DAYS:-14}"
AT="${TSUMUGI_BACKUP_AT:-02:30}"

case "$KEEP_DAYS" in
    0) echo "TSUMUGI_BACKUP_KEEP_DAYS must be at least 1" >&2; exit 2 ;;
    '' | *[!0-9]*) echo "TSUMUGI_BACKUP_KEEP_DAYS must be a number of days, got '$KEEP_DAYS'" >&2; exit 2 ;;
esac
if ! [[ "$AT" =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]]; then
    echo "TSUMUGI_BACKUP_AT must be a time like 02:30, got '$AT'" >&2
    exit 2
fi

dump_once() {
    mkdir -p "$BACKUP_DIR"
    local name tmp
    name="${PGDATABASE:-tsumugi}-$(date +%Y%m%d-%H%M%S).dump"
    tmp="$BACKUP_DIR/.$name.partial"
    # Written under a temporary name first: a half-written dump never looks like a backup.
    # --enable-row-security: run as a role that row-level security binds, pg_dump would refuse
    # the tables otherwise; outside a request the policies show every municipality's rows.
    pg_dump --format=custom --no-owner --enable-row-security --file="$tmp"
    mv "$tmp" "$BACKUP_DIR/$name"
    find "$BACKUP_DIR" -maxdepth 1 -name '*.dump' -type f -mtime "+$((KEEP_DAYS - 1))" -delete
    echo "backup written: $BACKUP_DIR/$name"
}

if [ "${1:-}" = "once" ]; then
    dump_once
    exit 0
fi

while true; do
    now=$(date +%s)
    next=$(date -d "today $AT" +%s)
    [ "$next" -le "$now" ] && next=$(date -d "tomorrow $AT" +%s)
    sleep $((next - now))
    dump_once || echo "backup FAILED at $(date)" >&2
done
