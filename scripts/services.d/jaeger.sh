# shellcheck shell=bash disable=SC2034 # NAME_TIMEOUT etc. are read by scripts/services
# Jaeger all-in-one (memory storage), built from the Go module pinned in
# tools/jaeger (its own module, so Jaeger's dependencies stay out of the
# library's go.mod). The binary is rebuilt only when tools/jaeger or the Go
# version changes; the Go build cache makes a rebuild quick.
#   agent (compact thrift)  127.0.0.1:6831/udp
#   collector HTTP          127.0.0.1:14268  (/api/traces)
#   query HTTP              127.0.0.1:16686  (/api/traces/{id}; no UI assets)

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
	local bin=$JAEGER_BIN_DIR/jaeger-all-in-one stamp
	stamp=$(jaeger_stamp)
	if [[ -x $bin ]] && svc_stamp_ok "$bin.stamp" "$stamp"; then
		echo "jaeger: $bin is up to date"
		return 0
	fi
	echo "jaeger: building $bin (go $(go env GOVERSION))"
	mkdir -p "$JAEGER_BIN_DIR"
	(
		cd "$ROOT/tools/jaeger" || exit
		GOWORK=off GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false -o "$bin.tmp" \
			github.com/jaegertracing/jaeger/cmd/all-in-one
	)
	mv -f "$bin.tmp" "$bin"
	printf '%s\n' "$stamp" >"$bin.stamp"
}

jaeger_start() {
	local d=$STATE/jaeger
	SPAN_STORAGE_TYPE=memory svc_spawn jaeger "$d/log/jaeger.log" \
		"$JAEGER_BIN_DIR/jaeger-all-in-one" \
		--memory.max-traces=100000 \
		--processor.jaeger-compact.server-host-port=127.0.0.1:6831 \
		--processor.jaeger-binary.server-host-port=127.0.0.1:6832 \
		--processor.zipkin-compact.server-host-port=127.0.0.1:5775 \
		--http-server.host-port=127.0.0.1:5778 \
		--collector.http-server.host-port=127.0.0.1:14268 \
		--collector.grpc-server.host-port=127.0.0.1:14250 \
		--collector.otlp.grpc.host-port=127.0.0.1:4317 \
		--collector.otlp.http.host-port=127.0.0.1:4318 \
		--query.http-server.host-port=127.0.0.1:16686 \
		--query.grpc-server.host-port=127.0.0.1:16685 \
		--admin.http.host-port=127.0.0.1:14269
}

jaeger_ready() {
	svc_http_ok http://127.0.0.1:16686/api/services
}
