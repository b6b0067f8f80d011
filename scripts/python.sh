# Sourced by the other scripts: sets TSUMUGI_PYTHON to an interpreter of Python 3.12 or newer.
# Django 6.1 needs >= 3.12; on some machines plain `python3` is older, so try several places.

tsumugi_find_python() {
    local candidate
    local candidates=(python3 python3.13 python3.12)
    local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
    for candidate in "$pyenv_root"/versions/3.1[23]*/bin/python; do
        candidates+=("$candidate")
    done
    # The system interpreter last (3.13 on Debian 13); the tests empty this list.
    local system_pythons
    read -r -a system_pythons <<<"${TSUMUGI_SYSTEM_PYTHONS-/usr/bin/python3 /usr/local/bin/python3}"
    candidates+=("${system_pythons[@]}")
    for candidate in "${candidates[@]}"; do
        if ! command -v "$candidate" >/dev/null 2>&1; then
            continue
        fi
        # Ask the interpreter itself: names and shims lie (a broken pyenv shim exits non-zero).
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' \
            >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if ! TSUMUGI_PYTHON="$(tsumugi_find_python)"; then
    echo "tsumugi needs Python 3.12 or newer, and none was found." >&2
    echo "Install it (e.g. 'apt-get install python3' on Debian 13, or 'pyenv install 3.12')." >&2
    exit 1
fi
export TSUMUGI_PYTHON
