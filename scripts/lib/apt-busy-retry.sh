#!/usr/bin/env bash
# Sourced by scripts/setup.sh (and its test in tools/setup-script).

# Runs an apt command again while apt's own lock is what stops it (every 5 s, for 10 minutes); any
# other failure ends setup at once with apt's message. APT_RETRY_SECONDS changes the 5 s (tests).
apt_busy_retry() {
  local log
  log=$(mktemp)
  for _ in $(seq 1 120); do
    if "$@" 2>"$log"; then rm -f "$log"; return 0; fi
    if ! grep -q 'Could not get lock' "$log"; then cat "$log" >&2; rm -f "$log"; return 1; fi
    echo "setup: another apt or dpkg holds its lock; waiting for it ($(grep -o 'held by process [0-9]* ([^)]*)' "$log" | head -1))" >&2
    sleep "${APT_RETRY_SECONDS:-5}"
  done
  cat "$log" >&2
  rm -f "$log"
  echo "setup: apt stayed locked for 10 minutes; stop the other apt (see the process above) and run setup again" >&2
  return 1
}
