# shellcheck shell=bash
# RocketMQ 4.9: a name server on 127.0.0.1:9876 and one broker on 127.0.0.1:10911
# (also 10909 for the VIP channel and 10912 for HA), run from Maven Central jars.
# Sourced by scripts/services, which exports ROOT and STATE and creates
# $STATE/rocketmq/{data,log}.
#
# Layout under $STATE/rocketmq (also ROCKETMQ_HOME and the JVMs' user.home):
# lib/ (jars), bin/ready (readiness probe), conf/ (generated), data/store/, log/, pids
# (name server first, then broker).

# shellcheck disable=SC2034 # read by scripts/services
rocketmq_TIMEOUT=120

_rmq_dir() { printf '%s\n' "${STATE:?}/rocketmq"; }

# Reinstalls when pom.xml or the readiness probe changes.
rocketmq_install() {
	local src="$ROOT/scripts/rocketmq"
	svc_cached "$(_rmq_dir)/bin/.stamp" "$src/pom.xml" "$src/ready.go" -- _rmq_build "$src" "$(_rmq_dir)"
}

# _rmq_build SRC DIR: the jars in DIR/lib, the readiness probe in DIR/bin.
_rmq_build() {
	svc_need_tools "rocketmq: needs java (JDK 17), mvn and go" java mvn go &&
		svc_fresh_dir "$2/bin" &&
		svc_mvn_jars "$1/pom.xml" "$2/lib" &&
		(cd "$ROOT" && go build -o "$2/bin/ready" ./scripts/rocketmq/ready.go)
}

# _rmq_java NAME HEAP MAIN ARGS...: start one detached JVM, append its pid to pids.
_rmq_java() {
	local dir name=$1 heap=$2
	shift 2
	dir=$(_rmq_dir)
	# --add-opens: the store unmaps files through DirectByteBuffer's cleaner (reflection).
	ROCKETMQ_HOME="$dir" setsid nohup java \
		"-Xms${heap%/*}" "-Xmx${heap#*/}" -XX:MaxDirectMemorySize=256m -XX:+UseG1GC \
		--add-opens=java.base/java.nio=ALL-UNNAMED \
		--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED \
		--add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
		-Duser.home="$dir" -Drocketmq.home.dir="$dir" -Djava.io.tmpdir="$dir/tmp" \
		-Drocketmq.logfile="$dir/log/$name.log" \
		-Drocketmq.client.logRoot="$dir/log" -Drocketmq.client.logUseSlf4j=true \
		-cp "$dir/lib/*" "$@" >"$dir/log/$name.out" 2>&1 </dev/null &
	printf '%s\n' "$!" >>"$dir/pids"
}

rocketmq_start() {
	local dir i
	dir=$(_rmq_dir)
	mkdir -p "$dir/conf" "$dir/data/store" "$dir/log" "$dir/tmp"
	cp "$ROOT/scripts/rocketmq/logback.xml" "$dir/conf/logback_namesrv.xml"
	cp "$ROOT/scripts/rocketmq/logback.xml" "$dir/conf/logback_broker.xml"
	cat >"$dir/conf/namesrv.conf" <<-EOF
		listenPort=9876
		rocketmqHome=$dir
		kvConfigPath=$dir/data/namesrv/kvConfig.json
		configStorePath=$dir/data/namesrv/namesrv.properties
	EOF
	cat >"$dir/conf/broker.conf" <<-EOF
		brokerClusterName=DefaultCluster
		brokerName=broker-a
		brokerId=0
		brokerRole=ASYNC_MASTER
		flushDiskType=ASYNC_FLUSH
		rocketmqHome=$dir
		namesrvAddr=127.0.0.1:9876
		brokerIP1=127.0.0.1
		brokerIP2=127.0.0.1
		listenPort=10911
		haListenPort=10912
		registerNameServerPeriod=10000
		autoCreateTopicEnable=true
		autoCreateSubscriptionGroup=true
		storePathRootDir=$dir/data/store
		storePathCommitLog=$dir/data/store/commitlog
		mappedFileSizeCommitLog=67108864
		mappedFileSizeConsumeQueue=300000
		diskMaxUsedSpaceRatio=95
		transactionTimeOut=3000
		transactionCheckInterval=3000
		transactionCheckMax=15
	EOF
	: >"$dir/pids"
	_rmq_java namesrv 64m/128m org.apache.rocketmq.namesrv.NamesrvStartup -c "$dir/conf/namesrv.conf"
	# The broker registers at start and then only every 10 s: start it once the name server listens.
	for ((i = 0; i < 60; i++)); do
		(exec 3<>/dev/tcp/127.0.0.1/9876) 2>/dev/null && break
		sleep 0.5
	done
	_rmq_java broker 256m/512m org.apache.rocketmq.broker.BrokerStartup \
		-n 127.0.0.1:9876 -c "$dir/conf/broker.conf"
}

# Ready when the name server lists the broker and the broker answers a request.
# The probe is built on first use too: a checkout that did not install RocketMQ
# itself must still recognise a broker another checkout started.
rocketmq_ready() {
	local probe
	probe="$(_rmq_dir)/bin/ready"
	if [ ! -x "$probe" ]; then
		mkdir -p "$(dirname "$probe")"
		(cd "$ROOT" && go build -o "$probe" ./scripts/rocketmq/ready.go) >/dev/null 2>&1 || return 1
	fi
	"$probe" -namesrv 127.0.0.1:9876 -broker 127.0.0.1:10911
}

# Broker first, so it unregisters from a live name server; then the name server.
rocketmq_stop() {
	local pid i pids
	[ -f "$(_rmq_dir)/pids" ] || return 0
	mapfile -t pids < <(tac "$(_rmq_dir)/pids")
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || continue
		for ((i = 0; i < 60; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	return 0
}
