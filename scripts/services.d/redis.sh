# shellcheck shell=bash disable=SC2034 # NAME_TIMEOUT etc. are read by scripts/services
# Redis on 127.0.0.1:6379 from Debian's redis-server, no persistence. The
# default user stays passwordless; the ACL user `tracewrap` (see
# internal/testenv/testenv.go) exists for AUTH tests.

REDIS_PORT=6379
REDIS_ACL_USER=tracewrap
REDIS_ACL_PASSWORD=tw-redis-S3cret
redis_TIMEOUT=30

redis_install() {
	svc_apt_install redis-server redis-tools
}

# redis_conf PORT DIR: the settings shared by the single server and the
# cluster nodes.
redis_conf() {
	cat <<EOF
# Written by scripts/services on every start; edits are lost.
bind 127.0.0.1
port $1
dir $2
daemonize no
logfile ""
save ""
appendonly no
protected-mode yes
user default on nopass ~* &* +@all
user $REDIS_ACL_USER on >$REDIS_ACL_PASSWORD ~* &* +@all
EOF
}

# redis_raw PORT COMMAND: the reply to one inline command on 127.0.0.1:PORT,
# in plain bash (readiness must not depend on which redis-cli is installed,
# nor on whether ours is).
redis_raw() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%s\r\nQUIT\r\n" "$2" >&3
		tr -d "\r" <&3' _ "$1" "$2" 2>/dev/null
}

redis_start() {
	local d=$STATE/redis server
	server=$(svc_find_bin redis-server) || {
		echo "redis-server not found"
		return 1
	}
	redis_conf "$REDIS_PORT" "$d/data" >"$d/redis.conf"
	svc_spawn redis "$d/log/redis.log" "$server" "$d/redis.conf"
}

redis_ready() {
	[[ $(redis_raw "$REDIS_PORT" PING) == +PONG* ]]
}
