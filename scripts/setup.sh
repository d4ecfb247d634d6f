#!/usr/bin/env bash
# Sets up a fresh Debian machine for sdtext: pnpm 12, the workspace's packages, and Debian's
# chromium for the browser tests (when run as root and it is missing). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Runs an apt command again while apt's own lock is what stops it (every 5 s, for 10 minutes); any
# other failure ends setup at once with apt's message.
apt_busy_retry() {
  local log
  log=$(mktemp)
  for _ in $(seq 1 120); do
    if "$@" 2>"$log"; then rm -f "$log"; return 0; fi
    if ! grep -q 'Could not get lock' "$log"; then cat "$log" >&2; rm -f "$log"; return 1; fi
    echo "setup: another apt or dpkg holds its lock; waiting for it ($(grep -o 'held by process [0-9]* ([^)]*)' "$log" | head -1))" >&2
    sleep 5
  done
  cat "$log" >&2
  rm -f "$log"
  echo "setup: apt stayed locked for 10 minutes; stop the other apt (see the process above) and run setup again" >&2
  return 1
}

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version | cut -d. -f1)" != "12" ]; then
  echo "setup: installing pnpm 12"
  npm install -g pnpm@12.21.0
fi

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian chromium (browser tests)"
    # Another apt (unattended-upgrades, a second setup) may hold the dpkg lock: wait for it, up to
    # 10 minutes, rather than fail at once. DPkg::Lock::Timeout covers install; update takes the
    # lists lock, which only a retry waits for.
    apt_busy_retry apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt_busy_retry apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is missing; the browser tests need it: sudo apt-get install -y chromium" >&2
  fi
fi

echo "setup: installing the workspace"
pnpm install --frozen-lockfile
