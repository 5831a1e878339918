"""An HTTP gateway instrumented with the OpenTelemetry Python SDK, W3C only.

It stands in front of a service (the example shop's web process in
integration_test/w3c_gateway_test.go) the way an OpenTelemetry-instrumented
proxy does: for each request a SERVER span (continuing an incoming W3C
context, if any, else a new root), a CLIENT span under it for the upstream
call, whose context goes upstream as traceparent and baggage — and nothing
else: no Jaeger header reaches the upstream, incoming ones are dropped. Its
spans go to an OTLP/HTTP endpoint (Jaeger v2's 4318) through the SDK's
BatchSpanProcessor; OTEL_BSP_SCHEDULE_DELAY tunes how soon.

    otel_gateway.py --upstream http://127.0.0.1:PORT --otlp http://127.0.0.1:4318

Prints {"http": PORT} when ready; answers every request with the upstream's
status, body and headers plus X-Gateway-Trace-Id (its trace id, 32 hex);
flushes its spans and exits when its standard input closes.
"""

import argparse
import json
import os
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

# Request headers not forwarded: hop-by-hop ones, and every propagation
# header, so the upstream sees the gateway's W3C context and nothing else.
DROP = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length",
    "traceparent", "tracestate", "baggage", "uber-trace-id", "b3",
    "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags",
}
PASS_BACK = {"content-type", "x-trace-id", "location"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--otlp", required=True, help="OTLP/HTTP base URL, e.g. http://127.0.0.1:4318")
    ap.add_argument("--service", default="w3c-gateway")
    args = ap.parse_args()

    propagate.set_global_textmap(
        CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
    )
    provider = TracerProvider(resource=Resource.create({"service.name": args.service}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=args.otlp.rstrip("/") + "/v1/traces", timeout=5))
    )
    tracer = provider.get_tracer("tracewrap-interop-gateway")
    upstream = args.upstream.rstrip("/")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def proxy(self):
            incoming = {k.lower(): v for k, v in self.headers.items()}
            parent = propagate.extract(incoming)
            method = self.command
            with tracer.start_as_current_span(
                "gateway " + method, context=parent, kind=SpanKind.SERVER,
                attributes={"http.request.method": method, "url.path": self.path.split("?")[0]},
            ) as server:
                with tracer.start_as_current_span(
                    "proxy " + method, kind=SpanKind.CLIENT,
                    attributes={"http.request.method": method, "server.address": upstream},
                ) as client:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in DROP}
                    propagate.inject(headers)  # the client span's context
                    n = int(self.headers.get("Content-Length") or 0)
                    body = self.rfile.read(n) if n else None
                    req = urllib.request.Request(upstream + self.path, data=body, headers=headers, method=method)
                    try:
                        res = urllib.request.urlopen(req, timeout=30)
                    except urllib.error.HTTPError as e:
                        res = e
                    except Exception as e:
                        client.set_status(Status(StatusCode.ERROR, str(e)))
                        server.set_status(Status(StatusCode.ERROR, str(e)))
                        return self.reply(502, {"Content-Type": "application/json"},
                                          json.dumps({"error": str(e)}).encode(), server)
                    with res:
                        raw = res.read()
                        status = res.status if hasattr(res, "status") else res.code
                        client.set_attribute("http.response.status_code", status)
                        back = {k: v for k, v in res.headers.items() if k.lower() in PASS_BACK}
                server.set_attribute("http.response.status_code", status)
                if status >= 500:
                    server.set_status(Status(StatusCode.ERROR))
                self.reply(status, back, raw, server)

        def reply(self, status, headers, raw, span):
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("X-Gateway-Trace-Id", format(span.get_span_context().trace_id, "032x"))
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_DELETE = proxy

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print(json.dumps({"http": httpd.server_address[1]}), flush=True)
    sys.stdin.read()  # until the test closes our stdin or goes away
    httpd.shutdown()
    provider.shutdown()  # flushes what the batch processor still holds
    os._exit(0)


if __name__ == "__main__":
    main()
