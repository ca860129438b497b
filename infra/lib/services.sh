# Starting, checking and stopping our service processes. Sourced after common.sh and setup.sh.

# Replica k of a service (k = 1, 2, …): replica 1 is the service itself (port 8081…8086, pid and
# log files named after the service); replica k listens on the service's port + 10·(k−1) (ingest:
# 8081, 8091, 8101) and has its own pid and log file (ingest.2.pid, ingest.2.log). All replicas of
# a service share its database and consumer group.
replica_suffix() { [ "${1:-1}" -le 1 ] && echo "" || echo ".$1"; }
service_pid_file() { echo "$DMS_STATE/run/$1$(replica_suffix "${2:-1}").pid"; }
service_log_file() { echo "$DMS_STATE/logs/$1$(replica_suffix "${2:-1}").log"; }
service_port() { echo $(($(service_default_port "$1") + 10 * (${2:-1} - 1))); }
service_url() { echo "http://127.0.0.1:$(service_port "$1" "${2:-1}")"; }

# How many replicas of a service to run: DMS_REPLICAS_<SERVICE>, else DMS_REPLICAS, else 1.
service_replicas() {
  local var="DMS_REPLICAS_$(service_env_name "$1")" n
  n="${!var:-${DMS_REPLICAS:-1}}"
  [[ "$n" =~ ^[1-9]$ ]] || die "$var / DMS_REPLICAS must be a number of replicas from 1 to 9, not $n"
  echo "$n"
}

http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" 2>/dev/null || true; }

# Starts each replica whose process is not running; leaves running ones alone.
start_services() { # bin dir
  local bin="$1" svc pidf port k
  mkdir -p "$DMS_STATE/run" "$DMS_STATE/logs"
  for svc in "${DMS_SERVICES[@]}"; do
    for ((k = 1; k <= $(service_replicas "$svc"); k++)); do
      pidf=$(service_pid_file "$svc" "$k")
      if pid_alive "$pidf"; then continue; fi
      port=$(service_port "$svc" "$k")
      port_open "$port" && die "port $port ($svc, replica $k) is taken by a process that is not ours"
      log "starting $svc$( [ "$k" -gt 1 ] && echo " (replica $k, port $port)")"
      env "DMS_$(service_env_name "$svc")_PORT=$port" nohup "$bin/$svc" >>"$(service_log_file "$svc" "$k")" 2>&1 </dev/null &
      echo $! >"$pidf"
    done
  done
}

wait_services_ready() { # seconds
  local deadline=$((SECONDS + $1)) svc pending k
  while :; do
    pending=()
    for svc in "${DMS_SERVICES[@]}"; do
      for ((k = 1; k <= $(service_replicas "$svc"); k++)); do
        pid_alive "$(service_pid_file "$svc" "$k")" || {
          tail -n 20 "$(service_log_file "$svc" "$k")" >&2 || true
          die "$svc (replica $k) exited during start-up; its log: $(service_log_file "$svc" "$k")"
        }
        [ "$(http_status "$(service_url "$svc" "$k")/health/ready")" = 200 ] || pending+=("$svc#$k")
      done
    done
    [ ${#pending[@]} -eq 0 ] && return 0
    [ $SECONDS -lt $deadline ] || die "not ready within $1 s: ${pending[*]} (see .dms/logs/)"
    sleep 0.5
  done
}

load_demo_data() {
  local svc db pw file
  for svc in "${DMS_SERVICES[@]}"; do
    file="$DMS_ROOT/infra/demo/$svc.sql"
    [ -f "$file" ] || continue
    db=$(service_database "$svc"); pw="DMS_$(service_env_name "$svc")_DB_PASSWORD"
    PGPASSWORD="${!pw}" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$DMS_PG_PORT" -U "$db" -d "$db" \
      -f "$file" >/dev/null || die "loading demo data for $svc failed ($file)"
  done
}

# Signs a file's bytes as a connector does: DMS-Signature t=<now>,v1=<HMAC-SHA256(secret, "t.body")>.
connector_signature() { # secret, file
  python3 - "$1" "$2" <<'PY'
import hashlib, hmac, sys, time
t = str(int(time.time()))
body = open(sys.argv[2], "rb").read()
print("t=%s,v1=%s" % (t, hmac.new(sys.argv[1].encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()))
PY
}

# Posts the demo inquiries and a call through ingest, as the connectors would. Repeats are
# recognised by ingest (Message-ID, Idempotency-Key, provider id, event content), so running it
# again adds nothing.
load_demo_inbound() {
  local dir="$DMS_ROOT/infra/demo/inbound" ingest; ingest=$(service_url ingest)
  post_signed() { # path, secret, file, content type, [extra header]
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "$ingest$1" -H "Content-Type: $4" \
      -H "DMS-Signature: $(connector_signature "$2" "$3")" ${5:+-H "$5"} --data-binary "@$3") || true
    case "$code" in 200|202) ;; *) die "posting demo $(basename "$3") to ingest answered $code" ;; esac
  }
  post_signed /v1/forms/submissions "$DMS_INGEST_SECRET_FORMS" "$dir/form-lucia.json" application/json "Idempotency-Key: demo-form-lucia"
  post_signed /v1/forms/submissions "$DMS_INGEST_SECRET_FORMS" "$dir/form-joao.json" application/json "Idempotency-Key: demo-form-joao"
  post_signed /v1/mail/messages "$DMS_INGEST_SECRET_MAIL" "$dir/mail-oleg.eml" message/rfc822
  post_signed /v1/mail/messages "$DMS_INGEST_SECRET_MAIL" "$dir/mail-webform.eml" message/rfc822
  post_signed /v1/telephony/cdr "$DMS_INGEST_SECRET_PBX" "$dir/call-unknown.json" application/json
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "$ingest/v1/chat/webhook/$DMS_INGEST_CHAT_TOKEN" \
    -H 'Content-Type: application/json' --data-binary "@$dir/chat-offline.json") || true
  case "$code" in 200|202) ;; *) die "posting the demo chat message to ingest answered $code" ;; esac
}

print_table() {
  local svc
  printf '\n%-14s %-26s %s\n' SERVICE URL LOG
  local k
  for svc in "${DMS_SERVICES[@]}"; do
    for ((k = 1; k <= $(service_replicas "$svc"); k++)); do
      printf '%-14s %-26s %s\n' "$svc$(replica_suffix "$k" | tr . '#')" "$(service_url "$svc" "$k")" \
        "${DMS_STATE#"$DMS_ROOT"/}/logs/$svc$(replica_suffix "$k").log"
    done
  done
  printf '%-14s %-26s %s\n' postgres "127.0.0.1:$DMS_PG_PORT" "$DMS_PG_DIR/postgres.log"
  printf '%-14s %-26s %s\n' broker "127.0.0.1:$DMS_BROKER_PORT" ".dms/logs/broker.log"
  printf '\nConfiguration (tokens, secrets, database URLs): .dms/local.env — stop with infra/stop\n'
}

stop_pid_file() { # pid file, name
  local pidf="$1" pid deadline
  [ -f "$pidf" ] || return 0
  pid=$(cat "$pidf")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $2 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { log "$2 did not stop in 20 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$pidf"
}
