#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer where PGHOST/PGPORT/PGUSER and REDIS_URL say, then write
# .local/services.env with the values in use. Used by `make run` and `make test`.
#
# For each service: use a server that already answers; else start what is installed (a Debian
# PostgreSQL cluster on that port, or an existing private cluster under .local/); else install it
# with apt-get; and when PostgreSQL still does not let PGUSER in as a passwordless superuser, run
# a private cluster under .local/pg (trust auth, max_connections=300, no fsync). Redis that does not
# answer gets a private redis-server on its port with its data under .local/redis.
#
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres),
# REDIS_URL (redis://127.0.0.1:6379/0), NEED_CHROMIUM=1 (also install Debian's chromium),
# NEED_CC=1 (also install gcc, which `go test -race` needs), CHROMIUM_PATH (a browser to use).
#
# Usage: services.sh [start|stop|clean]   (stop: stop the private servers; clean: stop and remove .local)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL=$ROOT/.local

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }
die() { printf 'services.sh: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# as_root CMD...: run CMD as root (directly, or through sudo).
as_root() {
  if is_root; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run '$*' (not root and sudo is not installed)"; fi
}

APT_UPDATED=0
# apt_install WHY PKG...: install Debian packages quietly; returns non-zero on failure.
apt_install() {
  local why=$1; shift
  command -v apt-get >/dev/null 2>&1 || { warn "services.sh: $why: apt-get not found; install $* yourself"; return 1; }
  if ! is_root && ! command -v sudo >/dev/null 2>&1; then
    warn "services.sh: $why: need root or sudo to run apt-get install $*"; return 1
  fi
  mkdir -p "$LOCAL"
  say "installing $* with apt-get ($why)..."
  if [ "$APT_UPDATED" = 0 ]; then
    if ! as_root apt-get update -qq >"$LOCAL/apt.log" 2>&1 9>&-; then
      tail -20 "$LOCAL/apt.log" >&2; warn "services.sh: apt-get update failed (log $LOCAL/apt.log)"; return 1
    fi
    APT_UPDATED=1
  fi
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$LOCAL/apt.log" 2>&1 9>&-; then
    tail -20 "$LOCAL/apt.log" >&2; warn "services.sh: apt-get install $* failed (log $LOCAL/apt.log)"; return 1
  fi
}

is_local_host() {
  case $1 in 127.0.0.1|localhost|::1|"[::1]"|/*) return 0 ;; *) return 1 ;; esac
}

# ---------------------------------------------------------------- Redis URL
parse_redis_url() {
  local rest=${REDIS_URL#*://}
  rest=${rest%%\?*}
  rest=${rest%%/*}
  rest=${rest##*@}
  if [[ $rest == \[* ]]; then
    REDIS_HOST=${rest%%]*}; REDIS_HOST=${REDIS_HOST#[}
    if [[ $rest == *]:* ]]; then REDIS_PORT=${rest##*]:}; else REDIS_PORT=6379; fi
  elif [[ $rest == *:* ]]; then
    REDIS_HOST=${rest%%:*}; REDIS_PORT=${rest##*:}
  else
    REDIS_HOST=$rest; REDIS_PORT=6379
  fi
  [ -n "$REDIS_HOST" ] || REDIS_HOST=127.0.0.1
  [[ $REDIS_PORT =~ ^[0-9]+$ ]] || die "cannot parse a port from REDIS_URL=$REDIS_URL"
}

# ---------------------------------------------------------------- PostgreSQL helpers
PG_ERR=
PG_MAXCONN=
pg_ok() {
  local out
  if ! out=$(PGCONNECT_TIMEOUT=5 psql -X -w -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -At \
      -c "select rolsuper from pg_roles where rolname = current_user" -c "show max_connections" 2>&1); then
    PG_ERR=$(printf '%s' "$out" | head -3); return 1
  fi
  if [ "$(printf '%s\n' "$out" | sed -n 1p)" != t ]; then
    PG_ERR="role $PGUSER is not a superuser"; return 1
  fi
  PG_MAXCONN=$(printf '%s\n' "$out" | sed -n 2p)
}

# pg_present: something PostgreSQL answers (accepting or starting) on PGHOST:PGPORT.
pg_present() {
  local rc=0
  PGCONNECT_TIMEOUT=5 pg_isready -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]
}

pg_wait() {
  local i
  for i in $(seq 1 60); do
    PGCONNECT_TIMEOUT=2 pg_isready -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}

pg_bindir() { # newest /usr/lib/postgresql/*/bin with a server, or the one of version $1
  local d
  if [ -n "${1:-}" ]; then
    d=/usr/lib/postgresql/$1/bin
    [ -x "$d/postgres" ] && { printf '%s\n' "$d"; return 0; }
    return 1
  fi
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | while read -r x; do [ -x "$x/postgres" ] && echo "$x"; done | tail -1)
  if [ -z "$d" ] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    d=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
  fi
  [ -n "$d" ] && printf '%s\n' "$d"
}

debian_cluster_on_port() { # prints "VERSION NAME STATUS" of a Debian cluster on PGPORT
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  pg_lsclusters -h 2>/dev/null | awk -v p="$PGPORT" '$3 == p { print $1, $2, $4; exit }'
}

# Private cluster layout. When running as root the cluster belongs to the OS user postgres; if that
# user cannot reach the repository (e.g. it lives under /root), the files live in /var/tmp and
# .local/pg and .local/pg.log are symlinks there.
PG_OWNER=
as_pg_owner() {
  if [ -n "$PG_OWNER" ]; then
    if command -v runuser >/dev/null 2>&1; then (cd / && runuser -u "$PG_OWNER" -- "$@")
    else (cd / && su "$PG_OWNER" -s /bin/sh -c '"$0" "$@"' -- "$@"); fi
  else "$@"; fi
}

pg_private_layout() {
  PGBASE=$LOCAL
  if is_root; then
    PG_OWNER=postgres
    if [ -L "$LOCAL/pg" ]; then
      PGBASE=$(dirname "$(readlink "$LOCAL/pg")")
    elif [ ! -d "$LOCAL/pg" ] && ! as_pg_owner test -x "$LOCAL"; then
      PGBASE=/var/tmp/mottagning-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)
    fi
  fi
  PGDATA_DIR=$PGBASE/pg
  PGLOG=$PGBASE/pg.log
  PGSOCK=$PGBASE/pgsock
  case $PGHOST in /*) PGSOCK=$PGHOST ;; esac
  if [ $(( ${#PGSOCK} + 20 )) -gt 100 ]; then   # unix socket paths are limited to ~107 bytes
    PGSOCK=/tmp/mottagning-pgsock-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)
  fi
}

pg_private_running_port() { # port of the running private cluster, if any
  local pidfile=$PGDATA_DIR/postmaster.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(sed -n 1p "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && sed -n 4p "$pidfile"
  return 0
}

pg_private_start() {
  local bindir created=0 running opts
  if is_root && ! id -u postgres >/dev/null 2>&1; then   # initdb and postgres refuse to run as root
    useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh postgres \
      || die "cannot create the OS user postgres for the private cluster"
  fi
  pg_private_layout
  mkdir -p "$LOCAL"
  if [ -f "$PGDATA_DIR/PG_VERSION" ]; then
    bindir=$(pg_bindir "$(cat "$PGDATA_DIR/PG_VERSION")") \
      || die "the private cluster $LOCAL/pg is PostgreSQL $(cat "$PGDATA_DIR/PG_VERSION") but that server is not installed; run 'make clean'"
  else
    bindir=$(pg_bindir) || die "no PostgreSQL server binaries found under /usr/lib/postgresql"
    rm -rf "$PGDATA_DIR"
    mkdir -p "$PGBASE" "$PGDATA_DIR"
    chmod 700 "$PGDATA_DIR"
    if [ "$PGBASE" != "$LOCAL" ]; then
      chmod 700 "$PGBASE"
      ln -sfn "$PGDATA_DIR" "$LOCAL/pg"
      ln -sfn "$PGLOG" "$LOCAL/pg.log"
    fi
    if [ -n "$PG_OWNER" ]; then
      chown -R "$PG_OWNER": "$PGDATA_DIR"
      [ "$PGBASE" = "$LOCAL" ] || chown "$PG_OWNER": "$PGBASE"
    fi
    if ! as_pg_owner "$bindir/initdb" -D "$PGDATA_DIR" --auth=trust -U "$PGUSER" --encoding=UTF8 --locale=C.UTF-8 >"$LOCAL/initdb.log" 2>&1; then
      rm -rf "${PGDATA_DIR:?}"/*   # C.UTF-8 missing on older systems: fall back to C
      if ! as_pg_owner "$bindir/initdb" -D "$PGDATA_DIR" --auth=trust -U "$PGUSER" --encoding=UTF8 --locale=C >>"$LOCAL/initdb.log" 2>&1; then
        tail -20 "$LOCAL/initdb.log" >&2
        die "initdb of the private cluster $LOCAL/pg failed (log $LOCAL/initdb.log)"
      fi
    fi
    created=1
  fi
  running=$(pg_private_running_port)
  if [ -n "$running" ]; then
    [ "$running" = "$PGPORT" ] && return 0
    die "the private cluster $LOCAL/pg is already running on port $running, not $PGPORT; use PGPORT=$running or stop it with 'bash scripts/services.sh stop'"
  fi
  mkdir -p "$PGSOCK"
  touch "$PGLOG"
  [ -z "$PG_OWNER" ] || chown "$PG_OWNER": "$PGSOCK" "$PGLOG"
  opts="-p $PGPORT -k $PGSOCK -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
  if ! as_pg_owner "$bindir/pg_ctl" -D "$PGDATA_DIR" -o "$opts" -l "$PGLOG" -w -t 60 start >/dev/null 2>&1 9>&-; then
    tail -20 "$PGLOG" >&2
    die "could not start the private PostgreSQL cluster $LOCAL/pg on port $PGPORT (log $LOCAL/pg.log)"
  fi
  pg_wait || die "the private PostgreSQL cluster on port $PGPORT does not answer (log $LOCAL/pg.log)"
  pg_ok || die "the private PostgreSQL cluster on port $PGPORT does not let $PGUSER in: $PG_ERR"
  if [ "$created" = 1 ]; then
    say "postgresql: created and started a private cluster in .local/pg on $PGHOST:$PGPORT (user $PGUSER)"
  else
    say "postgresql: started the private cluster in .local/pg on $PGHOST:$PGPORT (user $PGUSER)"
  fi
}

pg_private_stop() {
  pg_private_layout
  [ -f "$PGDATA_DIR/PG_VERSION" ] || return 0
  [ -n "$(pg_private_running_port)" ] || return 0
  local bindir
  bindir=$(pg_bindir "$(cat "$PGDATA_DIR/PG_VERSION")") || { warn "services.sh: cannot find pg_ctl to stop $LOCAL/pg"; return 0; }
  as_pg_owner "$bindir/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 \
    && say "postgresql: stopped the private cluster in .local/pg" \
    || warn "services.sh: could not stop the private cluster in $LOCAL/pg"
}

ensure_pg() {
  local installed=${PG_INSTALLED:-0} started= cl ver name status
  if pg_ok; then
    say "postgresql: using the server already running on $PGHOST:$PGPORT (user $PGUSER)"
    if [ -n "$PG_MAXCONN" ] && [ "$PG_MAXCONN" -lt 200 ]; then
      warn "postgresql: note: it allows only max_connections=$PG_MAXCONN; the tests open up to ~100 at once"
    fi
    return 0
  fi
  is_local_host "$PGHOST" \
    || die "PostgreSQL at $PGHOST:$PGPORT does not let $PGUSER in as a superuser without a password: $PG_ERR (not starting one: PGHOST is not this machine)"
  if ! pg_present; then
    # 1. a private cluster from an earlier run
    if [ -f "$LOCAL/pg/PG_VERSION" ]; then pg_private_start; return 0; fi
    # 2. the installed server (install it first when missing)
    if [ -z "$(pg_bindir || true)" ]; then
      apt_install "PostgreSQL is not installed" postgresql postgresql-client || die "could not install PostgreSQL"
      installed=1
    fi
    if [ "$installed" = 1 ] && pg_present && pg_ok; then
      say "postgresql: installed Debian's postgresql and using it on $PGHOST:$PGPORT (user $PGUSER)"; return 0
    fi
    cl=$(debian_cluster_on_port)
    if [ -n "$cl" ]; then
      read -r ver name status <<<"$cl"
      if [ "$status" = down ]; then
        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >/dev/null 2>&1 9>&- \
          || warn "postgresql: could not start the Debian cluster $ver/$name"
        started="$ver $name"
        pg_wait || true
      fi
      if pg_ok; then
        say "postgresql: started the Debian cluster $ver/$name on $PGHOST:$PGPORT (user $PGUSER)"; return 0
      fi
      # It does not let PGUSER in without a password (Debian uses scram over TCP): stop it again
      # if this run started or installed it, so that a private cluster can take the port.
      if [ -n "$started" ]; then
        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" stop >/dev/null 2>&1 || true
      elif [ "$installed" = 1 ]; then   # apt started it (systemd): stop it the way it was started
        as_root pg_ctlcluster "$ver" "$name" stop >/dev/null 2>&1 || true
      fi
      if [ "$installed" = 1 ] && [ -f "/etc/postgresql/$ver/$name/start.conf" ]; then
        # keep the cluster we just installed from taking the port again at boot
        echo manual | as_root tee "/etc/postgresql/$ver/$name/start.conf" >/dev/null || true
      fi
      if [ -n "$started" ] || [ "$installed" = 1 ]; then
        say "postgresql: the Debian cluster $ver/$name needs a password for $PGUSER over TCP; stopped it to run a private one"
      fi
    fi
  fi
  if pg_present; then
    die "a PostgreSQL server runs on $PGHOST:$PGPORT but $PGUSER cannot log in as a superuser without a password ($PG_ERR).
Run on another port, e.g. 'PGPORT=55432 make test' (a private server is started there), or give $PGUSER trust access from $PGHOST."
  fi
  # 3. a private cluster under .local/pg
  pg_private_start
}

# ---------------------------------------------------------------- Redis helpers
redis_ok() { [ "$(timeout 5 redis-cli -u "$REDIS_URL" ping 2>/dev/null)" = PONG ]; }

redis_private_pid() {
  local pidfile=$LOCAL/redis/redis.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
  return 0
}

ensure_redis() {
  local i pid
  parse_redis_url
  if redis_ok; then
    say "redis: using the server already running on $REDIS_HOST:$REDIS_PORT"; return 0
  fi
  is_local_host "$REDIS_HOST" || die "Redis at $REDIS_HOST:$REDIS_PORT does not answer (not starting one: the host is not this machine)"
  pid=$(redis_private_pid)
  if [ -n "$pid" ]; then
    die "the private redis-server (pid $pid, .local/redis) runs but does not answer at $REDIS_URL; stop it with 'bash scripts/services.sh stop'"
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install "Redis is not installed" redis-server redis-tools || die "could not install Redis"
    if redis_ok; then say "redis: installed Debian's redis-server and using it on $REDIS_HOST:$REDIS_PORT"; return 0; fi
  fi
  mkdir -p "$LOCAL/redis"
  if ! redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir "$LOCAL/redis" --logfile "$LOCAL/redis.log" --pidfile "$LOCAL/redis/redis.pid" >/dev/null 2>&1 9>&-; then
    tail -20 "$LOCAL/redis.log" >&2 2>/dev/null || true
    die "could not start redis-server on port $REDIS_PORT (log $LOCAL/redis.log)"
  fi
  for i in $(seq 1 40); do redis_ok && break; sleep 0.25; done
  if ! redis_ok; then
    tail -20 "$LOCAL/redis.log" >&2 2>/dev/null || true
    die "the private redis-server on port $REDIS_PORT does not answer (log $LOCAL/redis.log)"
  fi
  say "redis: started a private redis-server on $REDIS_HOST:$REDIS_PORT (data in .local/redis)"
}

redis_private_stop() {
  local pid i
  pid=$(redis_private_pid)
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  say "redis: stopped the private redis-server"
}

# ---------------------------------------------------------------- tools
ensure_clients() {
  local pkgs=()
  { command -v psql && command -v pg_isready; } >/dev/null 2>&1 || pkgs+=(postgresql-client)
  command -v redis-cli >/dev/null 2>&1 || pkgs+=(redis-tools)
  if [ "${NEED_CC:-}" = 1 ] && ! command -v gcc >/dev/null 2>&1; then pkgs+=(gcc libc6-dev); fi
  [ "${#pkgs[@]}" -eq 0 ] && return 0
  # Installing anyway: add the servers in the same apt run when they will be needed (nothing
  # listens on their local ports and they are not installed).
  parse_redis_url
  if is_local_host "$PGHOST" && [ -z "$(pg_bindir || true)" ] && [ ! -f "$LOCAL/pg/PG_VERSION" ] \
     && ! port_open "$PGHOST" "$PGPORT"; then
    pkgs+=(postgresql); PG_INSTALLED=1
  fi
  if is_local_host "$REDIS_HOST" && ! command -v redis-server >/dev/null 2>&1 && ! port_open "$REDIS_HOST" "$REDIS_PORT"; then
    pkgs+=(redis-server)
  fi
  apt_install "not installed yet" "${pkgs[@]}" || die "could not install ${pkgs[*]}"
}

port_open() { # something listens on TCP host:port
  case $1 in /*) [ -S "$1/.s.PGSQL.$2" ]; return ;; esac
  local h=${1#[}; h=${h%]}
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$h" "$2" 2>/dev/null
}

CHROMIUM=
ensure_chromium() {
  CHROMIUM=${CHROMIUM_PATH:-}
  if [ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ]; then return 0; fi
  CHROMIUM=$(command -v chromium 2>/dev/null || true)
  [ -n "$CHROMIUM" ] && return 0
  [ "${NEED_CHROMIUM:-}" = 1 ] || return 0
  apt_install "the browser tests need chromium" chromium fonts-liberation \
    || die "could not install Debian's chromium, which the browser tests need; install it (apt-get install chromium) or set CHROMIUM_PATH"
  CHROMIUM=$(command -v chromium 2>/dev/null || true)
  [ -n "$CHROMIUM" ] || die "chromium was installed but is not on PATH"
  say "chromium: installed $CHROMIUM"
}

# ---------------------------------------------------------------- main
cmd=${1:-start}
mkdir -p "$LOCAL"
# One run at a time per checkout. Servers started below must not inherit fd 9 (they would hold
# the lock for ever): every command that may start a daemon closes it (9>&-).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$LOCAL/.services.lock"
  flock -w 600 9 || die "another scripts/services.sh has held $LOCAL/.services.lock for 10 minutes"
fi

case $cmd in
  start)
    ensure_clients
    ensure_pg
    ensure_redis
    ensure_chromium
    {
      printf 'export PGHOST=%q PGPORT=%q PGUSER=%q REDIS_URL=%q\n' "$PGHOST" "$PGPORT" "$PGUSER" "$REDIS_URL"
      [ -z "$CHROMIUM" ] || printf 'export CHROMIUM_PATH=%q\n' "$CHROMIUM"
    } >"$LOCAL/services.env.tmp"
    mv "$LOCAL/services.env.tmp" "$LOCAL/services.env"
    sed 's/^export /services: /' "$LOCAL/services.env"
    ;;
  stop)
    pg_private_stop
    redis_private_stop
    ;;
  clean)
    pg_private_stop
    redis_private_stop
    if [ -L "$LOCAL/pg" ]; then
      ext=$(dirname "$(readlink "$LOCAL/pg")")
      case $ext in /var/tmp/mottagning-*) rm -rf "$ext" ;; esac
    fi
    exec 9>&-
    rm -rf "$LOCAL"
    ;;
  *) die "usage: services.sh [start|stop|clean]" ;;
esac
