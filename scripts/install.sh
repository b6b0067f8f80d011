#!/usr/bin/env bash
# Create .venv with Python >= 3.12 and install tsumugi's dependencies (and, with --test, the test
# tools plus Chromium and poppler-utils from Debian for the browser and PDF tests).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

WITH_TEST=0
for arg in "$@"; do
    case "$arg" in
        --test) WITH_TEST=1 ;;
        *) echo "usage: scripts/install.sh [--test]" >&2; exit 2 ;;
    esac
done

install_system_packages() {
    local missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "The browser and PDF tests need these Debian packages: ${missing[*]}." >&2
        echo "Install them as root: sudo apt-get install -y ${missing[*]}" >&2
        case "${CI:-}" in
            1 | true | yes) exit 1 ;;  # CI must run every test
        esac
        echo "Continuing: the browser tests will be skipped." >&2
        return 0
    fi
    echo "==> Installing ${missing[*]} (Debian packages) for the browser and PDF tests"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# shellcheck source=scripts/python.sh
source "$ROOT/scripts/python.sh"

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c \
    'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    echo "==> Creating .venv with $("$TSUMUGI_PYTHON" --version) ($TSUMUGI_PYTHON)"
    rm -rf .venv
    if ! "$TSUMUGI_PYTHON" -m venv .venv; then
        # Debian's system Python ships venv/ensurepip in a separate package.
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "==> Installing python3-venv (Debian package) to create .venv"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
            rm -rf .venv
            "$TSUMUGI_PYTHON" -m venv .venv
        else
            echo "Could not create .venv: install your Python's venv module (Debian: python3-venv)." >&2
            exit 1
        fi
    fi
fi

# Install exactly what uv.lock pins (never a fresh resolution); again only when the lock (or the
# wanted extras) changed since the last install.
extras="main"
[ "$WITH_TEST" -eq 1 ] && extras="test"
stamp_file=".venv/.tsumugi-installed-$extras"
# (The stamp also names how the packages are installed, so a change of that reinstalls too.)
wanted="$({ cat pyproject.toml uv.lock; echo "compile-bytecode"; } | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$wanted" ]; then
    echo "==> Python packages are up to date ($extras)"
else
    echo "==> Installing Python packages from uv.lock ($extras)"
    # uv installs the whole stack in seconds; plain pip takes about half a minute.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.9"
    # --frozen: install the lock as it is, fail rather than re-resolve. --inexact: keep pip and
    # uv themselves (they are not in the lock) in .venv. --compile-bytecode: the packages' .pyc
    # are written once here; where PYTHONDONTWRITEBYTECODE is set (as in our Dockerfile) every
    # interpreter would otherwise compile Django and the rest from source at start: 6.5 s of CPU
    # instead of 2 for each test worker and each manage.py or gunicorn a test starts.
    sync=(.venv/bin/uv sync --frozen --inexact --compile-bytecode --python .venv/bin/python)
    if [ "$WITH_TEST" -eq 1 ]; then
        UV_PROJECT_ENVIRONMENT=.venv "${sync[@]}" --extra test
    else
        UV_PROJECT_ENVIRONMENT=.venv "${sync[@]}"
    fi
    echo "$wanted" >"$stamp_file"
fi

if [ "$WITH_TEST" -eq 1 ]; then
    install_system_packages
fi
