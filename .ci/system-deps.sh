#!/bin/sh
# Installs the system programs Tollgate's gateway and tests run beside it:
# redis-server/redis-cli (the ledger's store), sipp (SIP test traffic),
# PostgreSQL (the history store; tests and the demo run their own server),
# Kamailio with the modules its shipped config loads, and Chromium (portal browser tests).
# Debian packages; does nothing when they are already on PATH.
set -e
missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v redis-cli >/dev/null 2>&1 || missing="$missing redis-tools"
command -v sipp >/dev/null 2>&1 || missing="$missing sip-tester"
# redis-sentinel: the Redis high-availability tests (a master, a replica, three sentinels).
command -v redis-sentinel >/dev/null 2>&1 || missing="$missing redis-sentinel"
# promtool and prometheus: the alert-rule tests and the monitoring integration test.
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing="$missing prometheus"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
# Kamailio (the Kamailio SIP suite, the demo's SIP front): http_client is in -utils-, jansson in -extra-;
[ -x /usr/sbin/kamailio ] || command -v kamailio >/dev/null 2>&1 || missing="$missing kamailio"
ls /usr/lib/*/kamailio/modules/http_client.so >/dev/null 2>&1 || missing="$missing kamailio-utils-modules"
ls /usr/lib/*/kamailio/modules/jansson.so >/dev/null 2>&1 || missing="$missing kamailio-extra-modules"
# cnxcc: the credit-control module bench/kamailio-throughput.ts compares Tollgate with.
ls /usr/lib/*/kamailio/modules/cnxcc.so >/dev/null 2>&1 || missing="$missing kamailio-cnxcc-modules"
# Chromium: the portal's browser tests (driven by playwright-core through executablePath /usr/bin/chromium).
[ -x /usr/bin/chromium ] || missing="$missing chromium"
# A CJK font, so the Simplified Chinese pages Chromium draws (and the README's screenshots) show their characters.
ls /usr/share/fonts/truetype/wqy/wqy-microhei.ttc >/dev/null 2>&1 || missing="$missing fonts-wqy-microhei"
[ -z "$missing" ] && exit 0
echo "tollgate: installing Debian packages:$missing" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "tollgate: need root (or sudo) to install:$missing — install them and re-run" >&2; exit 1
  fi
fi
# Another apt (a boot-time upgrade, a second install) may hold dpkg's lock: wait for it rather than fail.
LOCK="-o DPkg::Lock::Timeout=600"
$SUDO apt-get $LOCK update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get $LOCK install -y -qq --no-install-recommends $missing >/dev/null
