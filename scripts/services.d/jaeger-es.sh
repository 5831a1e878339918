# shellcheck shell=bash disable=SC2034 # NAME_TIMEOUT etc. are read by scripts/services
# Jaeger v2 with Elasticsearch storage, the production profile: the binary of
# scripts/services.d/jaeger.sh, configured by scripts/jaeger/elasticsearch.yaml,
# storing spans in the stack's Elasticsearch (127.0.0.1:9200, which must be
# up: `scripts/services up elasticsearch jaeger-es`) under the index prefix
# tracewrap-jaeger. Spans survive a restart of Jaeger.
#
# It runs next to the memory profile (`jaeger`), on ports of its own (the
# standard ones plus 10), so the tests and the demo keep using the memory
# profile on the standard ports:
#   thrift_compact 127.0.0.1:6841/udp, thrift_binary 6842/udp,
#   thrift_http 14278, OTLP 4327 (gRPC) and 4328 (HTTP),
#   query HTTP 16696, query gRPC 16695.
# Point a client at it with JAEGER_AGENT_PORT=6841 (or
# JAEGER_ENDPOINT=http://127.0.0.1:14278/api/traces), and the tests with
# TRACEWRAP_JAEGER_QUERY=127.0.0.1:16696 TRACEWRAP_JAEGER_AGENT=127.0.0.1:6841.
# Not in the default service list: `scripts/services up` without names does
# not start it.

jaeger_es_TIMEOUT=90
JAEGER_ES_URL=${JAEGER_ES_URL:-http://127.0.0.1:9200}

jaeger_es_install() {
	jaeger_install
}

jaeger_es_start() {
	if [[ $(svc_http_status "$JAEGER_ES_URL") != 200 ]]; then
		echo "jaeger-es: Elasticsearch does not answer at $JAEGER_ES_URL; start it first (scripts/services up elasticsearch)"
		return 1
	fi
	jaeger_spawn jaeger-es elasticsearch.yaml \
		JAEGER_LISTEN_HOST=127.0.0.1 \
		JAEGER_ES_URL="$JAEGER_ES_URL" \
		JAEGER_ES_INDEX_PREFIX=tracewrap-jaeger \
		JAEGER_COMPACT_PORT=6841 \
		JAEGER_BINARY_PORT=6842 \
		JAEGER_COLLECTOR_PORT=14278 \
		JAEGER_OTLP_GRPC_PORT=4327 \
		JAEGER_OTLP_HTTP_PORT=4328 \
		JAEGER_QUERY_HTTP_PORT=16696 \
		JAEGER_QUERY_GRPC_PORT=16695
}

jaeger_es_ready() {
	svc_http_ok http://127.0.0.1:16696/api/services
}
