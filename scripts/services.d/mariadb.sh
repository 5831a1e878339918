# shellcheck shell=bash disable=SC2034 # NAME_TIMEOUT etc. are read by scripts/services
# MariaDB (MySQL protocol) on 127.0.0.1:3306, from Debian's mariadb-server,
# started without systemd. Database `tracewrap`, user `tracewrap` (see
# internal/testenv/testenv.go); the user and grants are (re)applied by an
# init file on every start, so an old datadir is brought up to date too.

MARIADB_PORT=3306
MARIADB_DB=tracewrap
MARIADB_USER=tracewrap
MARIADB_PASSWORD=tw-mysql-S3cret
mariadb_TIMEOUT=90
mariadb_STOP_TIMEOUT=60

mariadb_install() {
	svc_apt_install mariadb-server mariadb-client
}

mariadb_dir() { printf '%s' "$STATE/mariadb"; }

mariadb_write_config() {
	local d
	d=$(mariadb_dir)
	cat >"$d/my.cnf" <<EOF
# Written by scripts/services.d/mariadb.sh on every start; edits are lost.
[mysqld]
datadir = $d/data
socket = $d/mysqld.sock
pid-file = $d/mysqld.pid
log-error = $d/log/error.log
init-file = $d/init.sql
port = $MARIADB_PORT
bind-address = 127.0.0.1
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
max_connections = 500
performance_schema = OFF
innodb_buffer_pool_size = 128M
innodb_log_file_size = 64M
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
skip-log-bin

[client]
socket = $d/mysqld.sock
default-character-set = utf8mb4
EOF
	# Runs on every start, before clients are served. KILL of one's own
	# connections needs no privilege; PROCESS shows every connection and
	# CONNECTION ADMIN allows KILL of any of them.
	cat >"$d/init.sql" <<EOF
CREATE DATABASE IF NOT EXISTS \`$MARIADB_DB\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$MARIADB_USER'@'%' IDENTIFIED BY '$MARIADB_PASSWORD';
CREATE USER IF NOT EXISTS '$MARIADB_USER'@'localhost' IDENTIFIED BY '$MARIADB_PASSWORD';
ALTER USER '$MARIADB_USER'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('$MARIADB_PASSWORD');
ALTER USER '$MARIADB_USER'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('$MARIADB_PASSWORD');
GRANT ALL PRIVILEGES ON \`$MARIADB_DB\`.* TO '$MARIADB_USER'@'%';
GRANT ALL PRIVILEGES ON \`$MARIADB_DB\`.* TO '$MARIADB_USER'@'localhost';
GRANT PROCESS, CONNECTION ADMIN ON *.* TO '$MARIADB_USER'@'%';
GRANT PROCESS, CONNECTION ADMIN ON *.* TO '$MARIADB_USER'@'localhost';
EOF
}

# mysqld refuses to run as root unless told to.
mariadb_user_args() {
	if ((EUID == 0)); then printf '%s\n' --user=root; fi
}

mariadb_start() {
	local d server installdb
	d=$(mariadb_dir)
	server=$(svc_find_bin mariadbd mysqld) || {
		echo "mariadbd not found"
		return 1
	}
	mariadb_write_config
	local user_args=()
	mapfile -t user_args < <(mariadb_user_args)

	# A datadir is initialised once; the marker says it completed.
	if [[ ! -e $d/data/.tracewrap-initialised ]]; then
		installdb=$(svc_find_bin mariadb-install-db mysql_install_db) || {
			echo "mariadb-install-db not found"
			return 1
		}
		find "$d/data" -mindepth 1 -delete
		"$installdb" --defaults-file="$d/my.cnf" "${user_args[@]}" \
			--auth-root-authentication-method=socket --skip-test-db \
			>>"$d/log/install-db.log" 2>&1
		touch "$d/data/.tracewrap-initialised"
	fi
	rm -f "$d/mysqld.sock" "$d/mysqld.sock.lock"
	svc_spawn mariadb "$d/log/mariadbd.log" "$server" --defaults-file="$d/my.cnf" "${user_args[@]}"
}

mariadb_ready() {
	command -v mariadb >/dev/null 2>&1 || return 1
	[[ $(MYSQL_PWD=$MARIADB_PASSWORD mariadb --no-defaults --protocol=TCP -h 127.0.0.1 \
		-P "$MARIADB_PORT" -u "$MARIADB_USER" --connect-timeout=2 -N -B \
		-e 'SELECT 1' "$MARIADB_DB" 2>/dev/null) == 1 ]]
}
