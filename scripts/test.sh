#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then lint, type-check and test.
# Runs on SQLite and on a throwaway PostgreSQL cluster started from the Debian binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

have_postgres() { command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }
if ! have_postgres; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian packages..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL binaries (initdb) are missing: install the postgresql package" >&2
  fi
fi

# The peer tests (tests/peers) run a real Prometheus Alertmanager; Debian calls the binary prometheus-alertmanager.
have_alertmanager() { command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1; }
if ! have_alertmanager; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Alertmanager from Debian packages..."
    # Package lists are fresh if the PostgreSQL step just ran apt-get update; otherwise update once and retry.
    am_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager >/dev/null; }
    am_install 2>/dev/null || { apt-get update -qq && am_install; }
  else
    echo "Alertmanager is missing: install the prometheus-alertmanager package" >&2
  fi
fi

# The browser tests (tests/web/browser) drive Debian's chromium through Playwright, which never downloads one.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium from Debian packages..."
    chromium_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
    chromium_install 2>/dev/null || { apt-get update -qq && chromium_install; }
  else
    echo "chromium is missing: install the chromium package" >&2
  fi
fi

# The email tests make a throwaway TLS certificate with the openssl command.
if ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    ssl_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null; }
    ssl_install 2>/dev/null || { apt-get update -qq && ssl_install; }
  else
    echo "openssl is missing: install the openssl package" >&2
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
# pip resolves every requirement and rebuilds the editable install each time it runs (seconds of a CI
# run): it runs on a fresh venv and whenever pyproject.toml changed since the last install.
stamp=.venv/.installed-pyproject.sha256
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
  echo "$wanted" > "$stamp"
fi
echo "== ruff"; .venv/bin/ruff check src tests
echo "== mypy"; .venv/bin/mypy
# loadgroup: a module marked xdist_group (the peer tests) runs on one worker, its servers started once.
echo "== pytest"; .venv/bin/pytest -n 2 --dist loadgroup "$@"
