#!/usr/bin/env bash
# Chromium from Debian's packages, for the browser app's end-to-end tests (Playwright drives
# /usr/bin/chromium; no test tool ever downloads a browser of its own).
#
#   chromium.sh install      apt-get install chromium when /usr/bin/chromium is missing
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
TAG=chromium

usage() {
  echo "usage: $0 install" >&2
  exit 2
}

have_chromium() { [[ -x /usr/bin/chromium ]]; }

cmd_install() {
  if ! have_chromium; then
    apt_install "$TAG" chromium
    have_chromium || die "$TAG" "chromium could not be installed: apt-get succeeded but /usr/bin/chromium is missing"
  fi
  log "$TAG" "using $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
}

case "${1:-}" in
  install)
    shift
    [[ $# -eq 0 ]] || usage
    cmd_install
    ;;
  *) usage ;;
esac
