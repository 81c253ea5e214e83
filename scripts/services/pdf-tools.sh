#!/usr/bin/env bash
# What the invoice PDF tests need from Debian: poppler-utils (pdftotext reads a rendered PDF
# back, pdftoppm turns its first page into a PNG) and a CJK font, which atrium-pdf loads from
# disk because typst's embedded fonts have no CJK glyphs (see pdf/src/fonts.rs).
#
#   pdf-tools.sh install      apt-get install poppler-utils and fonts-noto-cjk when missing
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"
TAG=pdf-tools

usage() {
  echo "usage: $0 install" >&2
  exit 2
}

have_poppler() { command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; }

# The directories pdf/src/fonts.rs searches for CJK faces; either Debian package will do.
have_cjk_font() {
  compgen -G '/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc' >/dev/null ||
    compgen -G '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc' >/dev/null
}

cmd_install() {
  local missing=()
  have_poppler || missing+=(poppler-utils)
  have_cjk_font || missing+=(fonts-noto-cjk)
  if ((${#missing[@]} > 0)); then
    apt_install "$TAG" "${missing[@]}"
  fi
  have_poppler || die "$TAG" "poppler-utils was installed but pdftotext/pdftoppm are not on PATH"
  have_cjk_font || die "$TAG" "fonts-noto-cjk was installed but no NotoSansCJK-*.ttc is in /usr/share/fonts/opentype/noto"
  log "$TAG" "using $(pdftotext -v 2>&1 | head -n 1) and the CJK fonts in /usr/share/fonts"
}

case "${1:-}" in
  install)
    shift
    [[ $# -eq 0 ]] || usage
    cmd_install
    ;;
  *) usage ;;
esac
