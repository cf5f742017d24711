#!/usr/bin/env bash
# Creates the Python venv the `serve` integration tests use: real clients
# (routingpy, openrouteservice), the real Valhalla engine (pyvalhalla), and
# Selenium, which drives Debian's chromium through /usr/bin/chromedriver
# (package chromium-driver) for the what-if page test; Ray for the tile driver
# (python/childcircle_ray) tests.
# Idempotent: a venv that already has every pinned package is left alone.
# Usage: python/setup-test-venv.sh [VENV_DIR]   (default: target/serve-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-target/serve-venv}"
pins=(routingpy==1.3.0 openrouteservice==2.3.3 pyvalhalla==3.9.1 selenium==4.51.0 'ray[default]==2.60.0')
py="$venv/bin/python"
if [ -x "$py" ] && "$py" -c 'import routingpy, openrouteservice, valhalla, selenium, ray' 2>/dev/null; then
  exit 0
fi
# pyvalhalla needs Python >= 3.12.
if command -v python3.12 >/dev/null; then
  PYENV_VERSION="${PYENV_VERSION:-3.12.1}" python3.12 -m venv "$venv"
else
  python3 -c 'import sys; assert sys.version_info >= (3, 12), "python >= 3.12 needed for pyvalhalla"'
  python3 -m venv "$venv"
fi
"$py" -m pip install -q --disable-pip-version-check "${pins[@]}"
"$py" -c 'import routingpy, openrouteservice, valhalla, selenium, ray; print("serve test venv ready:", "'"$venv"'")'
