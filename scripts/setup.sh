#!/usr/bin/env bash
# Sets up a checkout on Debian 12: the system packages Rampart and its tests use, the npm
# dependencies (native ones built from source), the compiled JavaScript and the native
# scanner. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  nftables iproute2 openssh-server openssh-client sshpass rsyslog systemd-journal-remote
  fail2ban sshguard lynis ssh-audit sqlite3 procps psmisc netcat-openbsd curl
  chromium iputils-ping time python3-pyinotify util-linux passwd sudo python3 make g++ gcc pkg-config libpcre2-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then echo "setup: run as root to install: ${missing[*]}" >&2; exit 1; fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d (when present) keeps the installed daemons from starting on this host.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# `npm install` (not `npm ci`): npm 11 leaves biome's other-platform binaries out of the lock
# file and `npm ci` then refuses it; with the lock present the versions are the locked ones.
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm install --no-audit --no-fund
fi
npm run --silent build
# The native scanner (fail2ban's line pipeline in C with PCRE2-JIT); `filter test` falls back to
# the JavaScript engine without it. The sanitizer build is for the tests.
make -s -C native all asan
