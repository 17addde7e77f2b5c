#!/usr/bin/env bash
# Set-up used by `make report` and `make test`: installs what is missing, nothing more.
#  1. Debian packages: python3-venv (if `python3 -m venv` cannot work), chromium (the PDF) and
#     fonts-dejavu-core (the charts' font).
#     This needs Debian/Ubuntu and root or sudo.
#  2. A virtual environment in .venv with the exact pins of requirements.txt, and the package `followup`
#     installed in it in editable mode (pyproject.toml).
# Re-running is cheap: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PYTHON=${PYTHON:-python3}
STAMP="$VENV/.requirements.sha256"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "setup: '$*' needs root; run as root or install sudo" >&2; exit 1
  fi
}

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: the Debian package(s) $* are missing and this is not a Debian/Ubuntu system; install them by hand" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

command -v "$PYTHON" >/dev/null 2>&1 || apt_install python3 python3-venv
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: the pinned packages need Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1)." >&2
  echo "       Use Debian 12 or newer, or point PYTHON=... at a newer Python." >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ] && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  apt_install python3-venv
fi
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || apt_install chromium
# The charts' text is drawn by the browser in DejaVu Sans (and the PDF's text needs a font at all).
if command -v dpkg >/dev/null 2>&1 && ! dpkg -s fonts-dejavu-core >/dev/null 2>&1; then apt_install fonts-dejavu-core; fi

want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
echo "setup: creating $VENV from requirements.txt (a minute or two the first time)"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
# (Some machines configure extra package folders that do not exist; pip warns once per package about them.)
quiet_pip() { "$VENV/bin/python" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
quiet_pip install --quiet --disable-pip-version-check --upgrade pip
# Playwright drives the system Chromium in the tests: it must never download a browser of its own.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 quiet_pip install --quiet --disable-pip-version-check -r requirements.txt
# The package `followup` itself, in editable mode (the code stays in followup/): built with the pinned
# setuptools, so no network is needed. (PYTHONWARNINGS hides setuptools' general note on editable installs.)
PYTHONWARNINGS="ignore:Editable installation" \
  quiet_pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
"$VENV/bin/python" -m pip check
echo "$want" > "$STAMP"
