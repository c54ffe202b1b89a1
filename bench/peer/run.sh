#!/usr/bin/env bash
# The peer comparison of issue 19 (bench/README.md, "Peer comparison (issue 19)"): django-helpdesk
# 2.6.1 on Django 5.2 / DRF, patched (bench/peer/project/peerbench/patch.py), 100,000 tickets in
# PostgreSQL, its tickets API under gunicorn (one worker process), 50 tickets a page, wrk at 32
# connections, 3 rounds of 8 s. Everything it downloads or makes stays in var/ (gitignored).
#
#   bench/peer/run.sh                      # set up what is missing, then measure
#   bench/peer/run.sh --runs 5 --threads 4 # extra arguments go to python -m bench.peer.measure
#   PEER_RESET=1 bench/peer/run.sh         # generate the tickets again
#   PEER_SETUP_ONLY=1 bench/peer/run.sh    # set up, check one request, do not load
#
# Needs: python3 (>= 3.10) with venv, PostgreSQL (PEER_DB_HOST/PORT/USER, default
# 127.0.0.1:5432 postgres, a role that may create a database), wrk, and the product's .venv
# (for the load harness, bench/load.py).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$REPO/var/peer-venv"
SITE="$REPO/var/peer"
PYTHON="${PYTHON:-python3}"
export PEER_DB_HOST="${PEER_DB_HOST:-127.0.0.1}" PEER_DB_PORT="${PEER_DB_PORT:-5432}"
export PEER_DB_USER="${PEER_DB_USER:-postgres}" PEER_DB_NAME="${PEER_DB_NAME:-helpdesk_peer}"
step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "1/6 virtualenv $VENV with the pinned peer"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install --disable-pip-version-check -r "$REPO/bench/peer/requirements.txt"
"$VENV/bin/python" -c 'from importlib.metadata import version as v
print(*(f"{p} {v(p)}" for p in ("django-helpdesk", "Django", "djangorestframework")), sep=", ")'

step "2/6 Django project $SITE (copied from bench/peer/project)"
mkdir -p "$SITE"
cp -R "$REPO/bench/peer/project/." "$SITE/"
cd "$SITE"

step "3/6 database $PEER_DB_NAME"
"$VENV/bin/python" - <<'PY'
import os
import psycopg
with psycopg.connect(host=os.environ["PEER_DB_HOST"], port=os.environ["PEER_DB_PORT"],
                     user=os.environ["PEER_DB_USER"], dbname="postgres", autocommit=True) as c:
    name = os.environ["PEER_DB_NAME"]
    if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        print(f"{name} exists")
    else:
        c.execute(f'CREATE DATABASE "{name}"')
        print(f"{name} created")
PY
"$VENV/bin/python" manage.py migrate --no-input | grep -v '^  Applying' | tail -3

step "4/6 tickets (COPY, a line per 10,000)"
"$VENV/bin/python" manage.py peer_generate ${PEER_RESET:+--reset}

step "5/6 one request in process: the page, its statements (the patch is on)"
"$VENV/bin/python" manage.py peer_check

if [ -n "${PEER_SETUP_ONLY:-}" ]; then exit 0; fi
step "6/6 load: gunicorn + wrk (about 45 s with the defaults); uptime before:"
uptime
cd "$REPO"
.venv/bin/python -m bench.peer.measure "$@"
uptime
