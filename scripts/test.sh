#!/usr/bin/env bash
# The project's test command (README.md, "Test it"; called by .ci/run).
#
# Always: installs the pinned test dependencies, runs ruff (lint and format) and pylint-odoo's
# mandatory checks, checks that each addon's README.rst is what its readme/ fragments
# give, and runs the pure-Python tests (tests/unit).
# When the Python that runs this script can import Odoo 19: starts a
# throwaway PostgreSQL cluster of its own, installs the three addons into a
# fresh database with the tests enabled (Odoo's own runner, so HttpCase gets
# its HTTP server, and Debian's Chromium, installed when missing, runs the
# browser tours; their screenshots land in .test-run/screenshots), serves
# that database on 127.0.0.1 for the end-to-end tests in tests/e2e, runs
# the scale-out scenario of tests/scaleout (two multi-process servers on
# that database and a streaming replica made with pg_basebackup), then
# uninstalls the addons to prove they leave cleanly. Last, the Integrations
# app is installed the way the Apps page's button does, in a database that
# has only `base`, and must open on its first-steps screen.
#
# Environment: PYTHON (default python3) picks the interpreter; KEEP_DB=1
# keeps the cluster's data directory for inspection.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
ADDONS="my_api,my_webhooks,my_oauth_provider,my_integrations"
TAGS="/my_api,/my_webhooks,/my_oauth_provider,/my_integrations"
LOGS="$ROOT/.test-run"
rm -rf "$LOGS" && mkdir -p "$LOGS"
cd "$ROOT"

declare -a SUMMARY=()
FAILED=0
TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0

note() { printf '\n==> %s\n' "$*"; }

record() {  # record PART PASSED FAILED SKIPPED
    SUMMARY+=("$(printf '%-12s %s passed, %s failed, %s skipped' "$1:" "$2" "$3" "$4")")
    TOTAL_PASSED=$((TOTAL_PASSED + $2))
    TOTAL_FAILED=$((TOTAL_FAILED + $3))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + $4))
    if [ "$3" -ne 0 ]; then FAILED=1; fi
}

run_pytest() {  # run_pytest PART DIR [pytest args...]; pytest's exit 5 (nothing collected) is no failure
    local part="$1" dir="$2"
    shift 2
    "$PY" -m pytest "$dir" -q -p no:cacheprovider --junitxml="$LOGS/$part.xml" "$@"
    local rc=$?
    local counts
    counts=$("$PY" scripts/junit_counts.py "$LOGS/$part.xml" 2>/dev/null || echo "0 0 0")
    # shellcheck disable=SC2086
    set -- $counts
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ] && [ "$2" -eq 0 ]; then
        record "$part" "$1" 1 "$3"  # pytest itself failed (collection error, crash): count it
    else
        record "$part" "$1" "$2" "$3"
    fi
}

check() {  # check NAME RC: a lint or health check, reported apart from test counts
    if [ "$2" -eq 0 ]; then SUMMARY+=("$(printf '%-12s ok' "$1:")"); else SUMMARY+=("$(printf '%-12s FAILED' "$1:")"); FAILED=1; fi
}

finish() {
    note "Summary"
    printf '%s\n' "${SUMMARY[@]}"
    echo "total: $TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
    exit "$FAILED"
}

# --------------------------------------------------------------- always
note "Installing the test dependencies (requirements-test.txt) into $PY"
if ! "$PY" -m pip install --quiet --disable-pip-version-check -r requirements-test.txt; then
    echo "pip could not install requirements-test.txt" >&2
    exit 2
fi

note "ruff"
"$PY" -m ruff check --no-cache .
check ruff $?

note "ruff format (the tree is formatted: ruff format . fixes it)"
"$PY" -m ruff format --no-cache --check .
check ruff-format $?

note "pylint-odoo (mandatory checks)"
"$PY" -m pylint --rcfile=.pylintrc-mandatory my_api my_webhooks my_oauth_provider my_integrations
check pylint-odoo $?

note "README.rst from readme/ (scripts/gen_addon_readme.py writes them)"
"$PY" scripts/gen_addon_readme.py --check
check readme $?

note "Pure-Python tests (tests/unit)"
run_pytest unit tests/unit

# ---------------------------------------------------------- Odoo suite
if ! ODOO_VERSION=$("$PY" -c 'import odoo.release as r; print(r.version_info[0])' 2>/dev/null); then
    SUMMARY+=("odoo suite: SKIPPED: no Odoo 19 found ($PY cannot import odoo); install Odoo 19 into that Python to run it")
    finish
fi
if [ "$ODOO_VERSION" != "19" ]; then
    SUMMARY+=("odoo suite: SKIPPED: no Odoo 19 found ($PY imports Odoo $ODOO_VERSION)")
    finish
fi

as_pg() {  # run a PostgreSQL binary as a non-root user
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
APT_UPDATED=0
apt_install() {  # apt_install PACKAGE...: from Debian's packages, one apt-get update per run
    if [ "$APT_UPDATED" -eq 0 ]; then $SUDO apt-get update -qq && APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ]; then
    note "Installing PostgreSQL from Debian's packages"
    apt_install postgresql
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$PGBIN" ]; then
        echo "PostgreSQL could not be installed" >&2
        check postgresql 1
        finish
    fi
fi

# The browser tours (HttpCase.start_tour) run on Chromium: Odoo looks for it
# on the PATH (chromium, google-chrome, ...), Debian names its package chromium.
if ! command -v chromium >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
    note "Installing Chromium from Debian's packages (for the browser tours)"
    if ! apt_install chromium; then
        echo "Chromium could not be installed: the browser tours will fail" >&2
        check chromium 1
    fi
fi
SCREENSHOTS="$LOGS/screenshots"
mkdir -p "$SCREENSHOTS"

RUN=$(mktemp -d /tmp/suite-test.XXXXXX)
PGDATA="$RUN/pg"
PGPORT=54329
DB="suite_test_$$"
SERVER_PID=""
APPS_PID=""
declare -a SCALE_PIDS=()
mkdir -p "$PGDATA" "$RUN/data"
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGDATA"; chmod 755 "$RUN"; fi

cleanup() {
    for pid in $SERVER_PID $APPS_PID "${SCALE_PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA/replica" -m immediate stop >/dev/null 2>&1
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA/data" -m immediate stop >/dev/null 2>&1
    cp "$PGDATA/postgresql.log" "$PGDATA/replica.log" "$LOGS/" 2>/dev/null
    if [ "${KEEP_DB:-0}" != "1" ]; then rm -rf "$RUN"; fi
}
trap cleanup EXIT

note "Starting a throwaway PostgreSQL ($PGBIN) in $PGDATA"
as_pg "$PGBIN/initdb" -D "$PGDATA/data" -A trust -U postgres >"$LOGS/initdb.log" 2>&1 \
    && as_pg "$PGBIN/pg_ctl" -D "$PGDATA/data" -l "$PGDATA/postgresql.log" -w start \
        -o "-p $PGPORT -k $PGDATA -c listen_addresses='' -c wal_level=replica -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
    && as_pg "$PGBIN/psql" -h "$PGDATA" -p "$PGPORT" -U postgres -qc "CREATE ROLE odoo LOGIN SUPERUSER" postgres
if [ $? -ne 0 ]; then
    cp "$PGDATA/postgresql.log" "$LOGS/" 2>/dev/null
    echo "PostgreSQL did not start; see $LOGS/initdb.log and $LOGS/postgresql.log" >&2
    check postgresql 1
    finish
fi

ODOO=("$PY" -m odoo)
DBARGS=(--db_host "$PGDATA" --db_port "$PGPORT" --db_user odoo --data-dir "$RUN/data" --addons-path "$ROOT")

note "Installing $ADDONS into a fresh database and running their Odoo tests"
"${ODOO[@]}" server "${DBARGS[@]}" -d "$DB" -i "$ADDONS" --test-enable \
    --test-tags "$TAGS" --stop-after-init --screenshots "$SCREENSHOTS" \
    --http-interface 127.0.0.1 --http-port "$("$PY" scripts/free_port.py)" \
    --log-level info --logfile "$LOGS/odoo-tests.log"
ODOO_RC=$?
O_TOTAL=""
REPORT=$(grep -E "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database" "$LOGS/odoo-tests.log" | tail -n 1)
if [ -n "$REPORT" ]; then
    read -r O_FAILED O_ERRORS O_TOTAL < <(echo "$REPORT" | sed -E 's/.* ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/')
    O_SKIPPED=$(grep -cE "odoo\.addons\.my_[a-z_]+\.tests.*: skipped " "$LOGS/odoo-tests.log")
    O_BAD=$((O_FAILED + O_ERRORS))
    if [ "$ODOO_RC" -ne 0 ] && [ "$O_BAD" -eq 0 ]; then O_BAD=1; fi
    record odoo $((O_TOTAL - O_BAD - O_SKIPPED)) "$O_BAD" "$O_SKIPPED"
else
    echo "Odoo did not report test results (exit $ODOO_RC); see $LOGS/odoo-tests.log" >&2
    tail -n 30 "$LOGS/odoo-tests.log" >&2
    check odoo 1
fi
if [ "$O_TOTAL" = "0" ]; then
    echo "Odoo ran no test of the suite's addons" >&2
    check odoo-tests-ran 1
fi
# The addons must install and run without a warning or error of their own.
grep -E " (WARNING|ERROR|CRITICAL) " "$LOGS/odoo-tests.log" | grep -E "my_api|my_webhooks|my_oauth_provider|my_integrations" >"$LOGS/odoo-warnings.log"
if [ -s "$LOGS/odoo-warnings.log" ]; then
    echo "The suite's addons logged warnings or errors:" >&2
    head -n 20 "$LOGS/odoo-warnings.log" >&2
    check odoo-log 1
else
    check odoo-log 0
fi

# From the Apps page, in a database that has only base: the app's Activate
# button (button_immediate_install) installs the suite, and its menu opens
# on the first steps. It runs in the background, beside the end-to-end and
# scale-out parts (its own database), and is waited for at the end; bounded.
apps_install() {
    timeout 600 "${ODOO[@]}" server "${DBARGS[@]}" -d "${DB}_apps" -i base \
            --stop-after-init --no-http --log-level warn --logfile "$LOGS/apps-install.log" \
        && timeout 900 "${ODOO[@]}" shell "${DBARGS[@]}" -d "${DB}_apps" --no-http --log-level warn \
            <scripts/apps_install_check.py >>"$LOGS/apps-install.log" 2>&1
}
note "Installing the Integrations app as the Apps page does, into a database with base only (in the background)"
apps_install &
APPS_PID=$!

note "End-to-end tests (tests/e2e) against a server on 127.0.0.1"
HTTP_PORT=$("$PY" scripts/free_port.py)
"${ODOO[@]}" server "${DBARGS[@]}" -d "$DB" --db-filter "^$DB\$" \
    --http-interface 127.0.0.1 --http-port "$HTTP_PORT" --workers 0 --max-cron-threads 1 \
    --log-level info --logfile "$LOGS/e2e-server.log" &
SERVER_PID=$!
E2E_URL="http://127.0.0.1:$HTTP_PORT"
if "$PY" scripts/wait_http.py "$E2E_URL/web/health" 90; then
    ODOO_URL="$E2E_URL" ODOO_DB="$DB" ODOO_LOGIN=admin ODOO_PASSWORD=admin \
        ODOO_SHELL="$PY -m odoo shell ${DBARGS[*]} -d $DB --no-http --log-level warn" \
        ODOO_DSN="host=$PGDATA port=$PGPORT user=odoo dbname=$DB" \
        run_pytest e2e tests/e2e
else
    echo "The Odoo server did not answer on $E2E_URL; see $LOGS/e2e-server.log" >&2
    check e2e-server 1
fi
kill "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""

# ------------------------------------------------------------ scale-out
# Two Odoo servers in multi-process mode on the same database, with a hot
# standby made by pg_basebackup as their read replica (README.md, "Running
# several servers"); tests/scaleout checks the shared guarantees across them.
note "Scale-out: two servers (workers 2, one cron worker each) on one PostgreSQL and a streaming replica"
REPLICA_PORT=$((PGPORT + 1))
if as_pg "$PGBIN/pg_basebackup" -h "$PGDATA" -p "$PGPORT" -U postgres -D "$PGDATA/replica" \
        -R -X stream -c fast >"$LOGS/basebackup.log" 2>&1 \
    && as_pg "$PGBIN/pg_ctl" -D "$PGDATA/replica" -l "$PGDATA/replica.log" -w start \
        -o "-p $REPLICA_PORT -k $PGDATA -c listen_addresses='' -c hot_standby=on -c hot_standby_feedback=on -c fsync=off" >/dev/null; then
    declare -a SCALE_URLS=()
    for name in a b; do
        port=$("$PY" scripts/free_port.py)
        "$PY" scripts/odoo_server.py "${DBARGS[@]}" -d "$DB" --db-filter "^$DB\$" \
            --db_replica_host "$PGDATA" --db_replica_port "$REPLICA_PORT" \
            --http-interface 127.0.0.1 --http-port "$port" --gevent-port "$("$PY" scripts/free_port.py)" \
            --workers 2 --max-cron-threads 1 --log-level info --logfile "$LOGS/scaleout-$name.log" &
        SCALE_PIDS+=($!)
        SCALE_URLS+=("http://127.0.0.1:$port")
    done
    if "$PY" scripts/wait_http.py "${SCALE_URLS[0]}/web/health" 90 \
            && "$PY" scripts/wait_http.py "${SCALE_URLS[1]}/web/health" 90; then
        PG_CTL_REPLICA="$PGBIN/pg_ctl -D $PGDATA/replica"
        if [ "$(id -u)" -eq 0 ]; then PG_CTL_REPLICA="runuser -u postgres -- $PG_CTL_REPLICA"; fi
        ODOO_URL_A="${SCALE_URLS[0]}" ODOO_URL_B="${SCALE_URLS[1]}" ODOO_DB="$DB" \
            ODOO_LOGIN=admin ODOO_PASSWORD=admin \
            ODOO_SHELL="$PY -m odoo shell ${DBARGS[*]} -d $DB --no-http --log-level warn" \
            ODOO_DSN="host=$PGDATA port=$PGPORT user=odoo dbname=$DB" \
            ODOO_REPLICA_DSN="host=$PGDATA port=$REPLICA_PORT user=odoo dbname=$DB" \
            ODOO_REPLICA_PG_CTL="$PG_CTL_REPLICA" \
            ODOO_LOG_A="$LOGS/scaleout-a.log" ODOO_LOG_B="$LOGS/scaleout-b.log" \
            run_pytest scaleout tests/scaleout -rP  # -rP: the figures each test prints
    else
        echo "The scale-out servers did not answer; see $LOGS/scaleout-*.log" >&2
        check scaleout-servers 1
    fi
    for pid in "${SCALE_PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    SCALE_PIDS=()
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA/replica" -m fast stop >/dev/null 2>&1
else
    echo "The replica could not be made; see $LOGS/basebackup.log and replica.log" >&2
    check replica 1
fi

note "Uninstalling $ADDONS"
if "${ODOO[@]}" shell "${DBARGS[@]}" -d "$DB" --no-http --log-level warn \
        <scripts/uninstall_check.py >"$LOGS/uninstall.log" 2>&1 \
        && grep -q "UNINSTALL OK" "$LOGS/uninstall.log"; then
    check uninstall 0
else
    echo "Uninstall failed; see $LOGS/uninstall.log" >&2
    tail -n 20 "$LOGS/uninstall.log" >&2
    check uninstall 1
fi

if [ -n "$APPS_PID" ]; then
    note "Waiting for the Apps-page install started after the Odoo tests"
    wait "$APPS_PID"
    APPS_RC=$?
    APPS_PID=""
    if [ "$APPS_RC" -eq 0 ] && grep -q "APPS INSTALL OK" "$LOGS/apps-install.log"; then
        check apps-install 0
    else
        echo "Installing from Apps failed; see $LOGS/apps-install.log" >&2
        tail -n 20 "$LOGS/apps-install.log" >&2
        check apps-install 1
    fi
fi

finish
