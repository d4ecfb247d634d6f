#!/usr/bin/env bash
# Sets up a fresh Debian machine for sdtext: pnpm 12, the workspace's packages, and Debian's
# chromium for the browser tests (when run as root and it is missing). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/apt-busy-retry.sh
. "scripts/lib/apt-busy-retry.sh"

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
