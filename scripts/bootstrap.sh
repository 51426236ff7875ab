#!/usr/bin/env bash
# Prepare this machine for `make run` or `make test`: system packages, the venv, our dependencies.
#
#   scripts/bootstrap.sh venv   the venv only
#   scripts/bootstrap.sh run    + redis-server
#   scripts/bootstrap.sh test   + redis-server, a PostgreSQL server (pg_ctl) for the fixtures,
#                               and Chromium (+ a font) for the browser tests in tests/browser
#
# As root, missing Debian packages are installed with apt-get; otherwise we name them and stop.
set -euo pipefail

cd "$(dirname "$0")/.."
mode="${1:-venv}"
case "$mode" in venv|run|test) ;; *) echo "usage: $0 venv|run|test" >&2; exit 64 ;; esac

VENV=.venv
STAMP="$VENV/.campotech-deps.sha256"

say() { echo "bootstrap: $*" >&2; }

# A Python we support (pyproject: >=3.11,<3.13), preferring 3.11.
find_python() {
    local candidate
    for candidate in python3.11 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 13)))' 2>/dev/null
        then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

find_pg_ctl() {
    local bindir candidate
    if command -v pg_config >/dev/null 2>&1; then
        bindir="$(pg_config --bindir 2>/dev/null || true)"
        if [ -n "$bindir" ] && [ -x "$bindir/pg_ctl" ]; then echo "$bindir/pg_ctl"; return 0; fi
    fi
    for candidate in /usr/lib/postgresql/*/bin/pg_ctl; do
        if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
    done
    command -v pg_ctl 2>/dev/null
}

venv_works() { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; }

apt_updated=""
apt_update_once() {
    if [ -z "$apt_updated" ]; then
        say "apt-get update"
        apt-get update -qq
        apt_updated=1
    fi
}

# Missing packages are gathered first, so a non-root user gets one message naming all of them.
missing=()

python_bin="$(find_python || true)"
if ! venv_works; then
    if [ -z "$python_bin" ]; then
        missing+=(python3 python3-venv)
    elif ! "$python_bin" -c 'import ensurepip, venv' 2>/dev/null; then
        # Debian splits venv/ensurepip out of the interpreter package.
        missing+=("python$("$python_bin" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv")
    fi
fi

if [ "$mode" != venv ] && ! command -v redis-server >/dev/null 2>&1; then
    missing+=(redis-server)
fi

# Voice transcripts are fixed toward the trade's words only where the heard word is not Spanish:
# the Spanish word list tells (nlu/extract/spoken.py).
if [ "$mode" != venv ] && [ ! -f /usr/share/dict/spanish ]; then
    missing+=(wspanish)
fi

# The fake AFIP server checks WSAA's signed requests with `openssl cms -verify`.
if [ "$mode" = test ] && ! command -v openssl >/dev/null 2>&1; then
    missing+=(openssl)
fi

# Playwright drives Debian's Chromium (it cannot download its own browser here); without these
# fonts the screenshots show boxes for letters and for the emoji our pages use.
if [ "$mode" = test ]; then
    [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
    [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
    [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
fi

need_postgres=""
if [ "$mode" = test ] && [ -z "$(find_pg_ctl || true)" ]; then
    need_postgres=1
fi

if [ ${#missing[@]} -gt 0 ] || [ -n "$need_postgres" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        [ -n "$need_postgres" ] && missing+=(postgresql-15)
        say "missing system packages: ${missing[*]}"
        say "install them (e.g. 'sudo apt-get install -y ${missing[*]}') and run this again"
        exit 1
    fi
    apt_update_once
    if [ -n "$need_postgres" ]; then
        # PostgreSQL 15 is what production runs; take the distribution's default if it has no 15.
        if apt-cache show postgresql-15 >/dev/null 2>&1; then
            missing+=(postgresql-15)
        else
            missing+=(postgresql)
        fi
    fi
    say "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    python_bin="$(find_python || true)"
fi

if ! venv_works; then
    if [ -z "$python_bin" ]; then
        say "no Python 3.11 or 3.12 found (install python3.11)"
        exit 1
    fi
    say "creating $VENV with $python_bin"
    rm -rf "$VENV"
    "$python_bin" -m venv "$VENV"
fi

# Reinstall only when the lock file or pyproject.toml changed since the last successful install.
# requirements.lock pins every package (what CI tested); the project itself adds none.
wanted="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$wanted" ]; then
    say "installing Python dependencies (pip install -r requirements.lock, then -e . --no-deps)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.lock
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
    echo "$wanted" >"$STAMP"
fi

if [ "$mode" = test ] && [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    # The fixtures run PostgreSQL as `postgres` when we are root (initdb refuses root).
    say "user 'postgres' is missing: install postgresql-15 (it creates the user)"
    exit 1
fi

# The learned intent model, trained from the committed corpus (nlu/data/) once per corpus
# change; the app would train it on first use otherwise, which costs the first burst ~20 s.
if [ "$mode" != venv ]; then
    MODE="$mode" "$VENV/bin/python" - <<'PY' || exit 1
import os

from nlu.intent import corpus
from nlu.intent.model import build, held_out_model, held_out_path, model_path
fingerprint = corpus.fingerprint()
# The tests also score the model trained without the held-out families: trained beside the
# app's on a second core, so that test only loads it.
tests = os.environ["MODE"] == "test"
if not model_path(fingerprint).exists():
    print("bootstrap: training the intent model" + " (and the held-out figures' one)" * tests,
          flush=True)
    build(with_held_out=tests)
elif tests and not held_out_path(fingerprint).exists():
    print("bootstrap: training the held-out figures' intent model", flush=True)
    held_out_model()
PY
fi
