#!/usr/bin/env bash
# A streaming standby of the local PostgreSQL cluster "main" (port 5432) on STANDBY_PORT (5433),
# for tests/metrics/test_streaming_standby.py: Debian's cluster "<version>/standby", made by
# pg_basebackup -R, so it replays the primary's WAL as a production read replica does.
# Idempotent: a standby that is up, in recovery and streaming is left alone. Needs root.
set -euo pipefail

VERSION="$(ls /etc/postgresql)"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
STANDBY_PORT="${STANDBY_PORT:-5433}"
NAME=standby
BIN="/usr/lib/postgresql/$VERSION/bin"
DATA="/var/lib/postgresql/$VERSION/$NAME"
CONF="/etc/postgresql/$VERSION/$NAME"

primary() { psql -X -q -At -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -c "$1"; }
standby() { psql -X -q -At -h 127.0.0.1 -p "$STANDBY_PORT" -U postgres -d postgres -c "$1" 2>/dev/null; }
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }
exists() { pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" -v n="$NAME" '$1 == v && $2 == n' | grep -q .; }
streaming() {
  [ "$(standby 'SELECT pg_is_in_recovery()')" = t ] &&
    [ "$(standby 'SELECT status FROM pg_stat_wal_receiver')" = streaming ]
}

# The primary lets 127.0.0.1 connect for replication ("all" in pg_hba.conf does not cover it).
hba="$(primary 'SHOW hba_file')"
if ! grep -qE '^\s*host\s+replication\s+all\s+127\.0\.0\.1/32\s+trust\s*$' "$hba"; then
  echo 'host replication all 127.0.0.1/32 trust' >>"$hba"
  primary 'SELECT pg_reload_conf()' >/dev/null
fi

if exists && pg_isready -q -h 127.0.0.1 -p "$STANDBY_PORT" && streaming; then
  echo "standby: $VERSION/$NAME already streaming from port $PRIMARY_PORT on port $STANDBY_PORT"
  exit 0
fi

# The reload above takes effect a moment later: wait until a replication connection is let in.
for _ in $(seq 1 50); do
  psql -X -q "host=127.0.0.1 port=$PRIMARY_PORT user=postgres replication=true" \
    -c IDENTIFY_SYSTEM >/dev/null 2>&1 && break
  sleep 0.1
done

started=$SECONDS
if exists; then
  pg_dropcluster --stop "$VERSION" "$NAME"
fi
pg_createcluster "$VERSION" "$NAME" -p "$STANDBY_PORT" >/dev/null
# Loopback only, the primary's client authentication, and the settings a hot standby needs at
# least as high as the primary's (or it stops replaying). In the cluster's own files, which
# pg_dropcluster removes with it.
cp "$hba" "$CONF/pg_hba.conf"
{
  echo "# scripts/pg-standby.sh"
  echo "listen_addresses = '127.0.0.1'"
  for setting in max_connections max_worker_processes max_wal_senders \
    max_prepared_transactions max_locks_per_transaction; do
    echo "$setting = '$(primary "SHOW $setting")'"
  done
} >>"$CONF/postgresql.conf"
find "$DATA" -mindepth 1 -delete  # keep the directory: its parent is root's
as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DATA" \
  -R -X stream -c fast
pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$NAME" start

for _ in $(seq 1 600); do
  pg_isready -q -h 127.0.0.1 -p "$STANDBY_PORT" && streaming && break
  sleep 0.1
done
pg_isready -q -h 127.0.0.1 -p "$STANDBY_PORT" || { echo "standby: not accepting connections" >&2; exit 1; }
streaming || { echo "standby: not in recovery and streaming" >&2; exit 1; }
echo "standby: made $VERSION/$NAME on port $STANDBY_PORT by pg_basebackup from port $PRIMARY_PORT in $((SECONDS - started))s, streaming"
