# shellcheck shell=bash disable=SC2034 # NAME_TIMEOUT etc. are read by scripts/services
# Jaeger v2 (Jaeger 2.13.0 = Go module github.com/jaegertracing/jaeger
# v1.76.0, binary cmd/jaeger), memory storage, configured by
# scripts/jaeger/memory.yaml. Built from the module pinned in tools/jaeger
# (its own module, so Jaeger's dependencies stay out of the library's
# go.mod). The binary is rebuilt only when tools/jaeger or the Go version
# changes; the Go build cache makes a rebuild quick.
#   jaeger receiver, thrift_compact  127.0.0.1:6831/udp  (jaeger-client-go's agent protocol)
#   jaeger receiver, thrift_binary   127.0.0.1:6832/udp
#   jaeger receiver, thrift_http     127.0.0.1:14268     (collector endpoint /api/traces)
#   OTLP gRPC / HTTP                 127.0.0.1:4317, 127.0.0.1:4318
#   query HTTP                       127.0.0.1:16686     (/api/v3/traces/{id}, /api/traces/{id},
#                                                         /api/services; no UI assets)
#   query gRPC                       127.0.0.1:16685
# scripts/services.d/jaeger-es.sh is the same binary storing in Elasticsearch.

JAEGER_BIN_DIR=$STATE/bin
jaeger_TIMEOUT=60

jaeger_stamp() {
	{
		go version
		cat "$ROOT/tools/jaeger/go.mod" "$ROOT/tools/jaeger/go.sum" "$ROOT/tools/jaeger/tools.go"
	} | sha256sum | cut -d' ' -f1
}

jaeger_install() {
	command -v curl >/dev/null 2>&1 || svc_apt_install curl
	command -v go >/dev/null 2>&1 || {
		echo "jaeger: the Go toolchain (go) is needed to build Jaeger"
		return 1
	}
	local bin=$JAEGER_BIN_DIR/jaeger stamp
	stamp=$(jaeger_stamp)
	if [[ -x $bin ]] && svc_stamp_ok "$bin.stamp" "$stamp"; then
		echo "jaeger: $bin is up to date"
		return 0
	fi
	# The module's go.mod (v1.76.0) says go 1.24.6; an older go would try
	# to download a toolchain, so say so instead.
	local v
	v=$(go env GOVERSION)
	v=${v#go}
	if [[ $(printf '%s\n' 1.24.6 "$v" | sort -V | head -n1) != 1.24.6 ]]; then
		echo "jaeger: Go >= 1.24.6 is needed to build Jaeger v2 (found go$v)"
		return 1
	fi
	echo "jaeger: building $bin (go$v; the first build takes several minutes)"
	mkdir -p "$JAEGER_BIN_DIR"
	(
		cd "$ROOT/tools/jaeger" || exit
		GOWORK=off GOFLAGS=-mod=readonly GOTOOLCHAIN=local go build -trimpath -buildvcs=false -o "$bin.tmp" \
			github.com/jaegertracing/jaeger/cmd/jaeger
	)
	mv -f "$bin.tmp" "$bin"
	printf '%s\n' "$stamp" >"$bin.stamp"
}

# jaeger_spawn NAME CONFIG [VAR=VALUE...]: run the binary with a config file
# of scripts/jaeger and the given environment (the config's ${env:...}).
jaeger_spawn() {
	local name=$1 config=$2
	shift 2
	svc_spawn "$name" "$STATE/$name/log/jaeger.log" \
		env "$@" "$JAEGER_BIN_DIR/jaeger" --config "file:$ROOT/scripts/jaeger/$config"
}

jaeger_start() {
	jaeger_spawn jaeger memory.yaml JAEGER_LISTEN_HOST=127.0.0.1
}

jaeger_ready() {
	svc_http_ok http://127.0.0.1:16686/api/services
}
