# shellcheck shell=bash
# Elasticsearch 7.17: one real node on 127.0.0.1:9200 (transport 9300), run from
# Maven Central jars by scripts/elasticsearch/Launcher.java. Sourced by
# scripts/services, which exports ROOT and STATE and creates
# $STATE/elasticsearch/{data,log}.
#
# Layout under $STATE/elasticsearch: lib/ (jars), classes/ (the launcher),
# config/ (log4j2.properties), data/, log/, tmp/, pids.
#
# Not available on this node: painless (Elasticsearch publishes no lang-painless
# jar to Maven Central), x-pack features, ingest-common processors, analysis plugins.

# shellcheck disable=SC2034 # read by scripts/services
elasticsearch_TIMEOUT=180

_es_dir() { printf '%s\n' "${STATE:?}/elasticsearch"; }

# Reinstalls when pom.xml or the launcher changes.
elasticsearch_install() {
	local src="$ROOT/scripts/elasticsearch"
	svc_cached "$(_es_dir)/classes/.stamp" "$src/pom.xml" "$src/Launcher.java" -- _es_build "$src" "$(_es_dir)"
}

# _es_build SRC DIR: the jars in DIR/lib, the launcher compiled in DIR/classes.
_es_build() {
	svc_need_tools "elasticsearch: needs java, javac (JDK 17) and mvn" java javac mvn &&
		svc_fresh_dir "$2/classes" &&
		svc_mvn_jars "$1/pom.xml" "$2/lib" &&
		javac -nowarn -d "$2/classes" -cp "$2/lib/*" "$1/Launcher.java"
}

elasticsearch_start() {
	local dir
	dir=$(_es_dir)
	mkdir -p "$dir/config" "$dir/data" "$dir/log" "$dir/tmp" "$dir/plugins" "$dir/modules"
	cp "$ROOT/scripts/elasticsearch/log4j2.properties" "$dir/config/"
	# JVM options follow the distribution's jvm.options for 7.17, with a small heap.
	setsid nohup java \
		-Xms512m -Xmx1g -XX:MaxDirectMemorySize=512m -Xss1m \
		-XX:+UseG1GC -XX:-OmitStackTraceInFastThrow \
		-Djava.io.tmpdir="$dir/tmp" -Djna.tmpdir="$dir/tmp" \
		-Dfile.encoding=UTF-8 -Djava.awt.headless=true -Djna.nosys=true \
		-Djava.locale.providers=SPI,COMPAT \
		-Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
		-Dio.netty.recycler.maxCapacityPerThread=0 -Dio.netty.allocator.numDirectArenas=0 \
		-Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false \
		-Des.networkaddress.cache.ttl=60 -Des.networkaddress.cache.negative.ttl=10 \
		-cp "$dir/classes:$dir/lib/*" Launcher \
		path.home="$dir" path.data="$dir/data" path.logs="$dir/log" \
		cluster.name=tracewrap node.name=tracewrap-es \
		discovery.type=single-node network.host=127.0.0.1 \
		http.port=9200 transport.port=9300 \
		cluster.routing.allocation.disk.threshold_enabled=false \
		action.destructive_requires_name=false \
		>"$dir/log/stdout.log" 2>&1 </dev/null &
	printf '%s\n' "$!" >"$dir/pids"
}

# Ready when the cluster answers health with yellow or green.
elasticsearch_ready() {
	local body
	body=$(curl -fsS -m 3 'http://127.0.0.1:9200/_cluster/health?wait_for_status=yellow&timeout=1s' 2>/dev/null) || return 1
	case "$body" in
	*'"status":"green"'* | *'"status":"yellow"'*) return 0 ;;
	esac
	return 1
}
