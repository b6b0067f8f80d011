#!/bin/sh
# First start of the PostgreSQL container: the app's own role and database. The role is neither
# a superuser nor BYPASSRLS, so the row-level security policies hold for every request (a
# superuser skips them all); it owns its database, so `migrate` can create the tables and the
# trusted pg_trgm extension. The superuser (POSTGRES_USER) is for the operator only.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v password="$TSUMUGI_DB_PASSWORD" <<'SQL'
CREATE ROLE tsumugi LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'password';
CREATE DATABASE tsumugi OWNER tsumugi;
SQL
# LIKE may use the name search's index under row security (the file says why).
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname tsumugi \
    -f /etc/tsumugi/postgres-leakproof.sql
