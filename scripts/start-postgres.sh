#!/usr/bin/env bash
# Start the machine's PostgreSQL if it is down: the learning repository's tests run against a real
# server on 127.0.0.1:5432 as well as SQLite (THREADLINE_TEST_PG_URL overrides the server; set it to
# `skip` to test on SQLite only).
set -uo pipefail
[ "${THREADLINE_TEST_PG_URL:-}" = "skip" ] && exit 0
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql 2>/dev/null | head -n 1)
  if [ -n "$version" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
fi
for _ in $(seq 1 20); do
  pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && exit 0
  sleep 0.5
done
echo "PostgreSQL is not running on 127.0.0.1:5432 and could not be started (set THREADLINE_TEST_PG_URL)" >&2
exit 1
