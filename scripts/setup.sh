#!/usr/bin/env bash
# Idempotent set-up of a Virtual PBX platform on Debian 12/13, as root:
# Debian packages, the Python venv, a running MariaDB, the database and its user, the
# platform configuration (/etc/vpbx/vpbx.conf), the schema migrations, the voicemail prompts
# and `vpbx` on PATH (the venv's console script).
# Run by `make run` and `make test`; safe to run again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONF="${VPBX_CONFIG:-/etc/vpbx/vpbx.conf}"
DB_NAME="${VPBX_DB_NAME:-vpbx}"
DB_USER="${VPBX_DB_USER:-vpbx}"
PACKAGES=(kamailio kamailio-python3-modules kamailio-mysql-modules rtpengine-daemon sip-tester
          mariadb-client python3-venv ca-certificates procps iproute2
          chromium    # chromium: the web UI's browser tests (Playwright drives Debian's build)
          espeak-ng sox ffmpeg)   # system prompts from text; audio file conversion (WAV/MP3)
say() { printf '== %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root" >&2; exit 1; }

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# MariaDB: use the one that runs, else install and start one.
if ! mariadb-admin ping >/dev/null 2>&1 && ! mariadb-admin -h127.0.0.1 -uroot ping >/dev/null 2>&1; then
  if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
    say "installing mariadb-server"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mariadb-server
  fi
  say "starting MariaDB"
  /etc/init.d/mariadb start >/dev/null 2>&1 || \
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 0.5; done
  mariadb-admin ping >/dev/null 2>&1 || { echo "setup.sh: MariaDB did not start" >&2; exit 1; }
fi
sql_root() {
  mariadb -uroot "$@" 2>/dev/null || mariadb -h127.0.0.1 -uroot "$@"
}

# Python venv from Debian's interpreter: the one Kamailio's app_python3 embeds (the stack starts
# Kamailio with this venv's bin/ first on PATH, so the embedded interpreter starts in it too).
# The project is installed into it editable (the checkout is the code), with the test tools.
if [ ! -x "$ROOT/.venv/bin/python" ] || ! "$ROOT/.venv/bin/python" -c 'import sys; sys.exit(sys.base_prefix != "/usr")'; then
  say "creating the Python venv"
  rm -rf "$ROOT/.venv"
  /usr/bin/python3 -m venv "$ROOT/.venv"
fi
if ! cmp -s "$ROOT/pyproject.toml" "$ROOT/.venv/.pyproject.installed"; then
  say "installing the project and its Python packages"
  "$ROOT/.venv/bin/pip" install -q --disable-pip-version-check -e "$ROOT[test]"
  cp "$ROOT/pyproject.toml" "$ROOT/.venv/.pyproject.installed"
fi

# Platform configuration: made once, with a random database password.
if [ ! -f "$CONF" ]; then
  say "writing $CONF"
  password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  "$ROOT/.venv/bin/python" -c "
from vpbx.settings import platform as config
config.write('$CONF', db_name='$DB_NAME', db_user='$DB_USER', db_password='$password',
             run_dir='/run/vpbx', log_dir='/var/log/vpbx', data_dir='/var/lib/vpbx')"
fi
eval "$("$ROOT/.venv/bin/python" -c "
import shlex
from vpbx.settings import platform as config
c = config.load('$CONF')
print(f'DB_NAME={shlex.quote(c.db_name)} DB_USER={shlex.quote(c.db_user)} DB_PASSWORD={shlex.quote(c.db_password)}')")"

say "database $DB_NAME and user $DB_USER"
sql_root <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1';
-- throwaway databases of the test suite and the benchmark
GRANT ALL PRIVILEGES ON \`${DB_NAME}\_test\_%\`.* TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL

say "schema migrations"
VPBX_CONFIG="$CONF" "$ROOT/.venv/bin/python" -m vpbx.command.main migrate

# voicemail system prompts (FR/EN/DE) spoken by espeak-ng into <data_dir>/prompts: only the
# missing ones, so recorded prompts put in their place are kept
say "system prompts"
VPBX_CONFIG="$CONF" "$ROOT/.venv/bin/python" -m media.prompts

# Kamailio asks for a 4 MB UDP receive buffer (maxbuffer in kamailio.cfg: a burst waits for
# a worker instead of being dropped); the kernel grants at most net.core.rmem_max (Debian's
# default: 208 kB), and the overload control's threshold is at most a quarter of it
RMEM_WANTED=4194304
if [ "$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo 0)" -lt "$RMEM_WANTED" ]; then
  say "UDP receive buffers of up to 4 MB (net.core.rmem_max)"
  echo "net.core.rmem_max = $RMEM_WANTED" > /etc/sysctl.d/60-vpbx.conf
  sysctl -q -w net.core.rmem_max="$RMEM_WANTED" || \
    echo "setup.sh: net.core.rmem_max cannot be raised here (a container?):" \
         "Kamailio's receive buffer stays smaller" >&2
fi

# `vpbx` on PATH: the venv's console script (pip writes it; it never imports a module from the
# folder it is called in)
ln -sfn "$ROOT/.venv/bin/vpbx" /usr/local/bin/vpbx
say "set-up done (configuration: $CONF)"
