# What the tests need beyond node_modules: Chromium, the CJK fonts, Prometheus and a running
# PostgreSQL. Sourced by ./kop (test, e2e, bench); also runs alone: bash scripts/prereqs.sh [test|e2e|bench].
# As root it installs a missing package with apt-get and starts the local PostgreSQL cluster; then
# anything still missing stops the command, before it runs anything, with one message naming it.
# KOP_NO_INSTALL=1 never installs (as for a user who is not root).

kop_chromium_path() {
  echo "${KOP_CHROMIUM:-/usr/bin/chromium}"
}

# Looked up as gate.prometheus.test.ts does: KOP_PROMETHEUS, /usr/bin/prometheus, then PATH.
kop_prometheus_path() {
  if [ -n "${KOP_PROMETHEUS:-}" ]; then
    echo "$KOP_PROMETHEUS"
  elif [ -x /usr/bin/prometheus ]; then
    echo /usr/bin/prometheus
  else
    command -v prometheus || echo /usr/bin/prometheus
  fi
}

# host and port of the PostgreSQL the database tests use (./kop names it in test_env).
kop_pg_address() {
  local url rest
  url="${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:-postgresql://postgres@127.0.0.1:5432}"
  rest="${url#*://}"
  rest="${rest##*@}"
  rest="${rest%%/*}"
  rest="${rest%%\?*}"
  if [[ "$rest" == *:* ]]; then
    echo "${rest%%:*} ${rest##*:}"
  else
    echo "$rest 5432"
  fi
}

kop_pg_up() {
  local host port
  read -r host port <<<"$(kop_pg_address)"
  timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

kop_can_install() {
  [ "$(id -u)" -eq 0 ] && [ -z "${KOP_NO_INSTALL:-}" ] && command -v apt-get >/dev/null 2>&1
}

# Fills KOP_MISSING (what is missing, for people) and KOP_PACKAGES (the apt packages that bring it).
kop_check_prereqs() {
  KOP_MISSING=()
  KOP_PACKAGES=()
  local want path host port
  for want in "$@"; do
    case "$want" in
      chromium)
        path=$(kop_chromium_path)
        if [ ! -x "$path" ]; then
          if [ -n "${KOP_CHROMIUM:-}" ]; then
            KOP_MISSING+=("Chromium at $path, named by KOP_CHROMIUM: point KOP_CHROMIUM at a Chromium, or unset it and install the chromium package")
          else
            KOP_MISSING+=("Chromium at $path (package chromium)")
            KOP_PACKAGES+=(chromium)
          fi
        fi
        ;;
      fonts)
        # grep reads all of fc-list's output: with -q it could quit early and fail the pipe (pipefail).
        if ! fc-list 2>/dev/null | grep -i 'Noto Sans CJK' >/dev/null; then
          KOP_MISSING+=("the CJK fonts, for the Korean pages (fc-list lists no Noto Sans CJK; package fonts-noto-cjk)")
          KOP_PACKAGES+=(fonts-noto-cjk)
        fi
        ;;
      prometheus)
        path=$(kop_prometheus_path)
        if [ ! -x "$path" ]; then
          if [ -n "${KOP_PROMETHEUS:-}" ]; then
            KOP_MISSING+=("Prometheus at $path, named by KOP_PROMETHEUS: point KOP_PROMETHEUS at a prometheus binary, or unset it and install the prometheus package")
          else
            KOP_MISSING+=("Prometheus at $path (package prometheus)")
            KOP_PACKAGES+=(prometheus)
          fi
        fi
        ;;
      postgres)
        if ! kop_pg_up; then
          read -r host port <<<"$(kop_pg_address)"
          if ! kop_pg_local; then
            KOP_MISSING+=("PostgreSQL answering on $host:$port, named by BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING")
          elif ls -d /etc/postgresql/*/main >/dev/null 2>&1; then
            KOP_MISSING+=("PostgreSQL answering on $host:$port: the local cluster under /etc/postgresql does not (start it as root: pg_ctlcluster --skip-systemctl-redirect <version> main start; its log is under /var/log/postgresql)")
          else
            KOP_MISSING+=("PostgreSQL answering on $host:$port, user postgres with trust auth (package postgresql; or name another in BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING)")
          fi
        fi
        ;;
      *)
        echo "kop: unknown prerequisite $want" >&2
        return 2
        ;;
    esac
  done
}

kop_pg_local() {
  local host port
  read -r host port <<<"$(kop_pg_address)"
  case "$host" in 127.0.0.1 | localhost | '[::1]') return 0 ;; *) return 1 ;; esac
}

kop_start_postgres() {
  local dir started=''
  kop_pg_up && return 0
  kop_pg_local && command -v pg_ctlcluster >/dev/null 2>&1 || return 1
  echo "kop: PostgreSQL does not answer; starting the local cluster" >&2
  for dir in /etc/postgresql/*/main; do
    [ -d "$dir" ] || continue
    pg_ctlcluster --skip-systemctl-redirect "$(basename "$(dirname "$dir")")" main start >&2 &&
      started=yes
  done
  # A cluster that was already up or would not start will not answer by waiting.
  [ -n "$started" ] || return 1
  for _ in $(seq 1 30); do
    kop_pg_up && return 0
    sleep 1
  done
  return 1
}

# kop_prereqs chromium fonts prometheus postgres: brings what it can, then fails naming the rest.
kop_prereqs() {
  local tried=''
  kop_check_prereqs "$@" || return $?
  if [ ${#KOP_PACKAGES[@]} -gt 0 ] && kop_can_install; then
    tried="${KOP_PACKAGES[*]}"
    echo "kop: installing $tried" >&2
    apt-get update >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y "${KOP_PACKAGES[@]}" >&2 ||
      echo "kop: apt-get could not install ${KOP_PACKAGES[*]}" >&2
  fi
  if [[ " $* " == *" postgres "* ]]; then
    kop_start_postgres || true
  fi
  kop_check_prereqs "$@" || return $?
  [ ${#KOP_MISSING[@]} -eq 0 ] && return 0
  local message item
  message="kop: stopped before running anything: this machine lacks"
  for item in "${KOP_MISSING[@]}"; do
    message+=$'\n'"  - $item"
  done
  if [ ${#KOP_PACKAGES[@]} -gt 0 ]; then
    message+=$'\n'"Install them as root: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${KOP_PACKAGES[*]}"
    if [ -n "$tried" ]; then
      message+=$'\n'"(apt-get install -y $tried ran here and did not bring them: see its output above)"
    fi
  fi
  echo "$message" >&2
  return 1
}

# What each command needs.
kop_prereqs_for() {
  case "$1" in
    test) kop_prereqs chromium fonts prometheus postgres ;;
    e2e) kop_prereqs chromium ;;
    bench) kop_prereqs postgres ;;
    *)
      echo "usage: prereqs test | e2e | bench" >&2
      return 2
      ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  kop_prereqs_for "${1:-test}"
  exit $?
fi
