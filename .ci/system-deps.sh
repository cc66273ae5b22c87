#!/bin/sh
# Installs the system programs Tollgate's gateway and tests run beside it:
# redis-server/redis-cli (the ledger's store), sipp (SIP test traffic) and
# PostgreSQL (the history store; tests and the demo run their own server).
# Debian packages; does nothing when they are already on PATH.
set -e
missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v redis-cli >/dev/null 2>&1 || missing="$missing redis-tools"
command -v sipp >/dev/null 2>&1 || missing="$missing sip-tester"
# promtool and prometheus: the alert-rule tests and the monitoring integration test.
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing="$missing prometheus"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
[ -z "$missing" ] && exit 0
echo "tollgate: installing Debian packages:$missing" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "tollgate: need root (or sudo) to install:$missing — install them and re-run" >&2; exit 1
  fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
