#!/usr/bin/env bash
# Set up everything the kiosk and its tests need on a fresh Debian/Ubuntu machine:
# the Debian packages Qt, QtWebEngine, QtMultimedia, espeak-ng and CJK text need, then a
# virtual environment in .venv with the project installed. Safe to run again: it only
# installs what is missing. With --tests, also what only the test suite uses (faketime, nginx,
# PostgreSQL, Chromium); with --platform, what the central platform runs on (PostgreSQL, nginx).
set -euo pipefail
cd "$(dirname "$0")/.."
for_tests=0
for_platform=0
[ "${1:-}" = "--tests" ] && for_tests=1 && for_platform=1
[ "${1:-}" = "--platform" ] && for_platform=1

DEBIAN_PACKAGES=(
  python3-venv espeak-ng libespeak-ng1 fonts-noto-cjk fonts-noto-core
  libegl1 libgl1 libopengl0 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
  libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libx11-xcb1
  libnss3 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1 libxshmfence1 libgbm1
  libasound2 libpulse0 libsqlite3-0 libwayland-client0 libwayland-cursor0 libwayland-egl1
  libzinnia0 tegaki-zinnia-simplified-chinese
)
# The suite runs the kiosk's tests a second time under a faked clock (libfaketime).
((for_tests)) && DEBIAN_PACKAGES+=(faketime)
# The channel-serving tests start their own nginx (Debian's, as the current user, on a loopback
# port with packaging/nginx/kiosk-channel.conf); the system's nginx service stays off.
((for_tests)) && DEBIAN_PACKAGES+=(nginx)
# The central platform (kiosk_platform/): Debian's PostgreSQL server (the tests and
# ./scripts/run-platform start their own cluster as the postgres user; the system's service stays
# off), nginx in front of gunicorn, and npm to install the dashboard's charts (Apache ECharts).
((for_platform)) && DEBIAN_PACKAGES+=(postgresql nginx)
# npm: Debian's, unless the machine already has Node.js with its own npm (the two packages clash).
((for_platform)) && ! command -v npm >/dev/null 2>&1 && DEBIAN_PACKAGES+=(npm)
# The dashboard's tests drive Debian's Chromium through its chromedriver.
((for_tests)) && DEBIAN_PACKAGES+=(chromium chromium-driver)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Some names differ between releases (libasound2 became libasound2t64): install what exists.
  installable=()
  for pkg in "${missing[@]}"; do
    if apt-cache show "$pkg" >/dev/null 2>&1; then installable+=("$pkg");
    elif apt-cache show "${pkg}t64" >/dev/null 2>&1; then installable+=("${pkg}t64");
    else echo "setup: note: Debian package $pkg is not available here, skipping"; fi
  done
  # A daemon in the list (nginx) must not start at install: a policy-rc.d that denies every
  # start while apt runs (unless the machine already has one), and the unit disabled after.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod 755 "$policy" && own_policy=1
  fi
  status=0
  ((${#installable[@]})) && { $SUDO apt-get install -y -qq --no-install-recommends "${installable[@]}" >/dev/null || status=$?; }
  ((own_policy)) && $SUDO rm -f "$policy"
  ((status == 0)) || exit "$status"
  for daemon in nginx postgresql; do
    if [[ " ${installable[*]:-} " == *" $daemon "* ]]; then
      if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --quiet "$daemon.service" 2>/dev/null || true; fi
      if command -v update-rc.d >/dev/null 2>&1; then $SUDO update-rc.d "$daemon" disable >/dev/null 2>&1 || true; fi
    fi
  done
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1))" >&2; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test,platform]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# An editable install leaves our modules uncompiled, and this shell may forbid Python to write
# bytecode (PYTHONDONTWRITEBYTECODE): compile them as an installed kiosk has them (a quick
# no-op when nothing changed), so the kiosk does not compile itself at every start.
.venv/bin/python -m compileall -q kiosk_app content_sync kiosk_platform > /dev/null
# The dashboard's charts: Apache ECharts from the npm registry, at the version package-lock.json
# names, into kiosk_platform/frontend/node_modules (ignored by git; served locally, never a CDN).
if ((for_platform)); then
  lock=kiosk_platform/frontend/package-lock.json
  stamp_npm=kiosk_platform/frontend/node_modules/.installed-$(sha256sum "$lock" | cut -c1-16)
  if [ ! -f "$stamp_npm" ]; then
    echo "setup: installing the dashboard's charts (npm ci)"
    (cd kiosk_platform/frontend && npm ci --no-audit --no-fund --silent)
    touch "$stamp_npm"
  fi
fi
echo "setup: ready"
