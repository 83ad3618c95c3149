#!/usr/bin/env bash
# Install the Debian packages Threadline needs, only if any is missing (called by make).
# WeasyPrint (PDF reports) needs Pango and HarfBuzz and a font; the report tests turn PDF pages
# into PNG with pdftoppm (poppler-utils). Person linkage on Spark needs Java 17. The learning web
# app's browser tests drive Debian's chromium through Playwright (never a downloaded browser).
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils openjdk-17-jre-headless chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing system packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
