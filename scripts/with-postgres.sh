#!/usr/bin/env bash
# Run a command with PCRA_DATABASE_URL pointing at a PostgreSQL server:
# the one at $PCRA_TEST_POSTGRES_URL when it answers, else a throwaway cluster started from
# Debian's postgresql package in a temporary directory (trust authentication, loopback only),
# stopped and removed afterwards. Never skips: no PostgreSQL at all is an error.
set -euo pipefail
url="${PCRA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/pcra}"
if pg_isready -q -d "$url" 2>/dev/null; then
  echo "== PostgreSQL at $url"
  PCRA_DATABASE_URL="$url" exec "$@"
fi
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL is not reachable at $url and no server binaries are installed" >&2
  echo "(make install installs Debian's postgresql package)." >&2
  exit 1
fi
dir=$(mktemp -d /tmp/pcra-pg.XXXXXX)
port=${PCRA_TEST_POSTGRES_PORT:-55432}
as_postgres=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  as_postgres=(runuser -u postgres --)
fi
cleanup() {
  "${as_postgres[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${as_postgres[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 >/dev/null
"${as_postgres[@]}" "$bindir/pg_ctl" -D "$dir/data" -w -l "$dir/log" \
  -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off" start >/dev/null
echo "== PostgreSQL: throwaway cluster on 127.0.0.1:$port"
PCRA_DATABASE_URL="postgres://postgres@127.0.0.1:$port/pcra" "$@"
