#!/usr/bin/env bash
# Runs every test of the workspace (`cargo test`, arguments passed on), after making sure
# the programs the tests start exist: `redis-server` (each test binary runs private ones
# on free ports) and Chromium with its WebDriver, `chromedriver` (the browser test).
#
# Missing ones are installed with apt-get when it can (as root, or through sudo);
# otherwise the script stops at once with one message naming what to install. The browser
# test finds Chromium and chromedriver on PATH, or where CHROMIUM and CHROMEDRIVER point.
set -euo pipefail
cd "$(dirname "$0")"

has() { command -v "$1" >/dev/null 2>&1; }
for var in CHROMIUM CHROMEDRIVER; do
  if [ -n "${!var:-}" ] && [ ! -x "${!var}" ]; then
    echo "test.sh: $var=${!var} is not an executable file; point it at one, or unset it." >&2
    exit 1
  fi
done
has_chromium() {
  if [ -n "${CHROMIUM:-}" ]; then [ -x "$CHROMIUM" ]; return; fi
  has chromium || has chromium-browser || has google-chrome || has google-chrome-stable
}
has_chromedriver() {
  if [ -n "${CHROMEDRIVER:-}" ]; then [ -x "$CHROMEDRIVER" ]; return; fi
  has chromedriver
}

missing=()
has redis-server || missing+=(redis-server)
has_chromium || missing+=(chromium)
has_chromedriver || missing+=(chromium-driver)

if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  if has apt-get && { [ ${#sudo[@]} -eq 0 ] || sudo -n true 2>/dev/null; }; then
    echo "test.sh: installing ${missing[*]} (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    {
      echo "test.sh: the tests need programs this machine lacks: ${missing[*]}."
      echo "  Debian/Ubuntu: sudo apt-get install -y ${missing[*]}"
      echo "  Elsewhere: put redis-server, a Chromium (or Chrome) and a matching chromedriver"
      echo "  on PATH, or point CHROMIUM and CHROMEDRIVER at the browser and its driver."
    } >&2
    exit 1
  fi
fi

exec cargo test "$@"
