# Shared by scripts/serve.sh and scripts/test.sh (sourced, not run).
#
# Everything here is idempotent and quick when there is nothing to do, so both
# commands can be run again and again:
#   * Debian packages are installed only when missing, and only as root (or with sudo);
#   * the virtual environment .venv is reinstalled only when pyproject.toml changed;
#   * npm runs only when package-lock.json changed (scripts/install_assets.py).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, through sudo when that works
# (without asking for a password when nobody is there to type it).
can_be_root() {
    [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && { [ -t 0 ] || sudo -n true 2>/dev/null; }; }
}
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo DEBIAN_FRONTEND=noninteractive "$@"; fi
}

# install_debian_packages PACKAGE...: apt-get the given (missing) packages, or stop and say how.
install_debian_packages() {
    [ $# -gt 0 ] || return 0
    command -v apt-get >/dev/null \
        || die "missing system packages ($*) and no apt-get here; install their equivalents and run again"
    can_be_root || die "missing Debian packages: $*. Installing them needs root; as root run" \
        "\`apt-get update && apt-get install -y --no-install-recommends $*\`, then run this command again."
    say "installing Debian packages: $*"
    as_root apt-get update -q >/dev/null || die "apt-get update failed"
    as_root apt-get install -y -q --no-install-recommends "$@" >/dev/null \
        || die "apt-get install $* failed"
}

# Debian splits ensurepip (needed by `python3 -m venv`) into python3-venv.
python_packages_missing() {
    command -v "$PYTHON" >/dev/null || { echo python3 python3-venv; return; }
    "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || echo python3-venv
}

check_python_version() {
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "Python 3.11 or newer is needed ($PYTHON is $("$PYTHON" -V 2>&1)); set PYTHON=/path/to/python3.11"
}

npm_missing() {
    command -v npm >/dev/null || echo npm
}

# ensure_venv [EXTRAS]: .venv with the project installed (editable) with those extras.
# The stamp holds a hash of pyproject.toml and the extras; a venv installed with the
# test extras also serves the plain app.
ensure_venv() {
    local extras=${1:-}
    check_python_version
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        say "creating the virtual environment .venv"
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV" || die "could not create .venv (is python3-venv installed?)"
    fi
    local hash stamp="$VENV/.booking-manager-installed"
    hash=$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && grep -qx "$hash ${extras:-none}" "$stamp"; then
        return 0
    fi
    if [ -z "$extras" ] && [ -f "$stamp" ] && grep -q "^$hash " "$stamp"; then
        return 0
    fi
    say "installing Python packages into .venv (pip install -e '.${extras:+[$extras]}')"
    "$VENV/bin/python" -m pip install -q -e "$ROOT${extras:+[$extras]}" \
        || die "pip install failed (see above)"
    echo "$hash ${extras:-none}" >"$stamp"
}

ensure_assets() {
    "$VENV/bin/python" "$ROOT/scripts/install_assets.py" >/dev/null \
        || die "installing the front-end assets failed (see above)"
    # The guests' languages: webapp/translations/*/LC_MESSAGES/messages.po (committed)
    # compiled to the .mo files gettext reads (build output, git-ignored).
    "$VENV/bin/pybabel" --quiet compile -d "$ROOT/webapp/translations" \
        || die "compiling the translations failed (see above)"
}
