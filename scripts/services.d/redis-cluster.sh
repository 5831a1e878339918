# shellcheck shell=bash disable=SC2034 # NAME_TIMEOUT etc. are read by scripts/services
# Redis Cluster: three masters on 127.0.0.1:7001-7003, no replicas, no
# persistence. Every start wipes the nodes' state and creates the cluster
# anew, so down + up always gives a consistent, empty cluster.
# Uses redis_conf and redis_cmd from redis.sh.

REDIS_CLUSTER_PORTS=(7001 7002 7003)
redis_cluster_TIMEOUT=60

redis_cluster_install() {
	svc_apt_install redis-server redis-tools
}

redis_cluster_start() {
	local d=$STATE/redis-cluster server port nodes=()
	server=$(svc_find_bin redis-server) || {
		echo "redis-server not found"
		return 1
	}
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
		svc_spawn redis-cluster "$d/log/redis-$port.log" "$server" "$d/redis-$port.conf"
		nodes+=("127.0.0.1:$port")
	done
	for port in "${REDIS_CLUSTER_PORTS[@]}"; do
		svc_wait_for 30 redis_cluster_pong "$port" || {
			echo "node 127.0.0.1:$port does not answer PING"
			return 1
		}
	done
	timeout 60 redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes
}

redis_cluster_pong() { [[ $(redis_cmd "$1" PING) == PONG ]]; }

redis_cluster_ready() {
	local port
	for port in "${REDIS_CLUSTER_PORTS[@]}"; do
		redis_cmd "$port" CLUSTER INFO | grep -q '^cluster_state:ok' || return 1
	done
}
