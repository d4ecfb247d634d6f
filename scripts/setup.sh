#!/usr/bin/env bash
# Sets up a fresh Debian machine for sdtext: pnpm 12, the workspace's packages, and Debian's
# chromium for the browser tests (when run as root and it is missing). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version | cut -d. -f1)" != "12" ]; then
  echo "setup: installing pnpm 12"
  npm install -g pnpm@12.21.0
fi

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian chromium (browser tests)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is missing; the browser tests need it: sudo apt-get install -y chromium" >&2
  fi
fi

echo "setup: installing the workspace"
pnpm install --frozen-lockfile
