# Sourced by scripts that need a throwaway MariaDB under /tmp (own port, stopped by PID).
# Provides: start_server DIR PORT [mariadbd args...], stop_server PID, free_port, run_sql DIR FILE.
# Every started PID is in THROWAWAY_PIDS; call cleanup_servers on exit.
THROWAWAY_PIDS=()

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_server() {
  local dir=$1 port=$2; shift 2
  mkdir -p "$dir"
  mariadb-install-db --no-defaults --datadir="$dir/data" --user=root --auth-root-authentication-method=normal \
    >"$dir/install.log" 2>&1
  mariadbd --no-defaults --datadir="$dir/data" --user=root --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/sock" --log-bin="$dir/data/bin" --binlog-format=ROW --binlog-row-metadata=FULL \
    --server-id=1 --pid-file="$dir/pid" --innodb-buffer-pool-size=64M "$@" >"$dir/err.log" 2>&1 &
  THROWAWAY_PIDS+=($!)
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    mariadb-admin --socket="$dir/sock" -uroot ping >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cat "$dir/err.log" >&2
  return 1
}

stop_server() {
  kill "$1" 2>/dev/null || true
  while kill -0 "$1" 2>/dev/null; do sleep 0.2; done
}

cleanup_servers() {
  for p in "${THROWAWAY_PIDS[@]:-}"; do [ -n "$p" ] && stop_server "$p"; done
}

run_sql() { mariadb --socket="$1/sock" -uroot < "$2"; }
