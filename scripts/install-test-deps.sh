#!/usr/bin/env bash
# Ensures everything the test suite runs against is present on a Debian/Ubuntu machine:
# apt packages, a Redis on 127.0.0.1:6379, and unpacked Pure-FTPd / ProFTPD trees under
# .cache/ftp-servers/root (they conflict with vsftpd as installed packages, so they are only
# unpacked, never installed). Idempotent and quick when everything is already there.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="$REPO_DIR/.cache/ftp-servers"
DEB_DIR="$CACHE_DIR/debs"
ROOT_DIR="$CACHE_DIR/root"

APT_PACKAGES=(
  vsftpd litmus haproxy rclone cadaver lftp curl wrk openssl chromium
  # unzip and zipinfo: the folder-zip tests read the gateway's archives with Info-ZIP.
  unzip
  libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 iproute2
  # The Helm chart test's renderer (scripts/helm-render: Go text/template + sprig, as Helm renders;
  # no helm binary is packaged in Debian or npm).
  golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev
)
UNPACKED_PACKAGES=(pure-ftpd proftpd-core proftpd-mod-crypto)

declare -a SUMMARY=()
note() { SUMMARY+=("$(printf '%-22s %s' "$1" "$2")"); }
die() {
  echo "install-test-deps: $*" >&2
  exit 1
}

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

redis_answers() {
  # A bare TCP probe first, then a PING when redis-cli exists.
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null || true)" = "PONG" ]
  else
    (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null
  fi
}

# ---- apt packages ---------------------------------------------------------------------------
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PACKAGES[@]}"; do
    is_installed "$p" || missing+=("$p")
  done
else
  die "dpkg-query not found: this script needs a Debian/Ubuntu system. Install by hand: ${APT_PACKAGES[*]} redis-server, and unpack ${UNPACKED_PACKAGES[*]} into $ROOT_DIR"
fi

need_redis_pkg=0
if ! redis_answers && ! command -v redis-server >/dev/null 2>&1; then
  need_redis_pkg=1
  missing+=(redis-server)
fi

need_unpack=()
for p in "${UNPACKED_PACKAGES[@]}"; do
  [ -f "$ROOT_DIR/.unpacked-$p" ] || need_unpack+=("$p")
done

if [ ${#missing[@]} -gt 0 ] || [ ${#need_unpack[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    msg="must run as root to install missing test dependencies."
    [ ${#missing[@]} -gt 0 ] && msg+=" Missing apt packages: ${missing[*]}."
    [ ${#need_unpack[@]} -gt 0 ] && msg+=" Missing unpacked packages (apt-get download + dpkg -x into $ROOT_DIR): ${need_unpack[*]}."
    die "$msg"
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    die "apt-get not found. Install: ${missing[*]:-} ; unpack into $ROOT_DIR: ${need_unpack[*]:-}"
  fi
fi

updated=0
apt_update_once() {
  if [ "$updated" -eq 0 ]; then
    echo "install-test-deps: apt-get update" >&2
    apt-get update -qq
    updated=1
  fi
}

if [ ${#missing[@]} -gt 0 ]; then
  apt_update_once
  echo "install-test-deps: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for p in "${APT_PACKAGES[@]}"; do
  if is_installed "$p"; then
    if [[ " ${missing[*]:-} " == *" $p "* ]]; then note "$p" "installed now"; else note "$p" "present"; fi
  else
    die "package $p is still not installed after apt-get install"
  fi
done

# ---- Pure-FTPd / ProFTPD, unpacked only -------------------------------------------------------
if [ ${#need_unpack[@]} -gt 0 ]; then
  mkdir -p "$DEB_DIR" "$ROOT_DIR"
  for p in "${need_unpack[@]}"; do
    deb="$(ls "$DEB_DIR"/"${p}"_*.deb 2>/dev/null | head -n1 || true)"
    if [ -z "$deb" ]; then
      (cd "$DEB_DIR" && apt-get download -qq "$p" 2>/dev/null) || {
        apt_update_once
        (cd "$DEB_DIR" && apt-get download -qq "$p")
      }
      deb="$(ls "$DEB_DIR"/"${p}"_*.deb 2>/dev/null | head -n1 || true)"
      [ -n "$deb" ] || die "apt-get download $p produced no .deb in $DEB_DIR"
    fi
    dpkg -x "$deb" "$ROOT_DIR"
    touch "$ROOT_DIR/.unpacked-$p"
    note "$p" "unpacked now into $ROOT_DIR ($(basename "$deb"))"
  done
fi
for p in "${UNPACKED_PACKAGES[@]}"; do
  [[ " ${need_unpack[*]:-} " == *" $p "* ]] || note "$p" "present (unpacked in $ROOT_DIR)"
done
[ -x "$ROOT_DIR/usr/sbin/pure-ftpd" ] || die "pure-ftpd binary missing under $ROOT_DIR/usr/sbin"
[ -x "$ROOT_DIR/usr/sbin/proftpd" ] || die "proftpd binary missing under $ROOT_DIR/usr/sbin"
[ -f "$ROOT_DIR/usr/lib/proftpd/mod_tls.so" ] || die "mod_tls.so missing under $ROOT_DIR/usr/lib/proftpd"

# ---- Redis on 127.0.0.1:6379 ----------------------------------------------------------------------
if redis_answers; then
  note "redis" "answers on 127.0.0.1:6379"
else
  command -v redis-server >/dev/null 2>&1 || die "redis-server not found after install"
  redis-server --port 6379 --bind 127.0.0.1 --save '' --daemonize yes >/dev/null
  for _ in $(seq 1 50); do
    redis_answers && break
    sleep 0.1
  done
  redis_answers || die "redis-server started but nothing answers on 127.0.0.1:6379"
  note "redis" "started on 127.0.0.1:6379$([ "$need_redis_pkg" -eq 1 ] && echo ' (package installed now)')"
fi

for line in "${SUMMARY[@]}"; do
  echo "$line"
done
