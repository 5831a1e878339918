"""An OpenTelemetry Python service, W3C propagators only, for the interop tests.

It uses the OpenTelemetry SDK the way a Python service does: a TracerProvider
with a parent-based sampler, and the global propagator set to W3C Trace
Context + W3C Baggage (what OTEL_PROPAGATORS=tracecontext,baggage gives). It
never sees a Jaeger header.

Started by interop/main_test.go; prints one JSON line on stdout when ready:
    {"http": PORT, "grpc": PORT}
and exits when its standard input closes (the test process went away).

Server side (a Go client calls these):
    GET  /seen                    HTTP, answers with the report below
    /interop.Echo/Seen            gRPC, Struct in, Struct {"json": report} out
Client side (the Go test drives it):
    POST /call {"kind": "http"|"grpc", "target": URL|host:port,
                "sampled": bool, "baggage": {k: v}}
        starts a root span (sampled or not) carrying the baggage, a client span
        under it, injects that into the request with the global propagator and
        calls target; answers {"sent": ..., "carrier": ..., "answer": ...}.

A report is what a server saw: {"trace_id": 32 hex, "span_id": its own server
span, "parent_id": the remote parent's span id ("" for none), "parent_sampled",
"sampled" (its own span's decision), "baggage": {k: v}, "headers": the
propagation headers as received}.
"""

import json
import urllib.request
from concurrent import futures
from http.server import BaseHTTPRequestHandler

import grpc

import peerserve
from google.protobuf import struct_pb2
from opentelemetry import baggage, context, propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

SERVICE = "interop-otel-peer"
PROPAGATION_KEYS = ("traceparent", "tracestate", "baggage")

propagate.set_global_textmap(
    CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
)
# Roots started by /call are sampled or not as the test asks; every other span
# follows its parent's decision (ParentBased).
SAMPLED = TracerProvider(sampler=ParentBased(ALWAYS_ON)).get_tracer(SERVICE)
UNSAMPLED = TracerProvider(sampler=ParentBased(ALWAYS_OFF)).get_tracer(SERVICE)


class ListGetter(Getter):
    """Reads a carrier that maps a lower-case key to a list of values."""

    def get(self, carrier, key):
        values = carrier.get(key.lower())
        return list(values) if values else None

    def keys(self, carrier):
        return list(carrier.keys())


def report(carrier, operation):
    """Extracts like an instrumented server and starts its server span."""
    ctx = propagate.extract(carrier, getter=ListGetter())
    parent = trace.get_current_span(ctx).get_span_context()
    span = SAMPLED.start_span(operation, context=ctx, kind=SpanKind.SERVER)
    try:
        sc = span.get_span_context()
        return {
            "trace_id": format(sc.trace_id, "032x"),
            "span_id": format(sc.span_id, "016x"),
            "parent_id": format(parent.span_id, "016x") if parent.is_valid else "",
            "parent_sampled": bool(parent.trace_flags.sampled) if parent.is_valid else None,
            "sampled": bool(sc.trace_flags.sampled),
            "baggage": {k: str(v) for k, v in baggage.get_all(ctx).items()},
            "headers": {k: v for k, v in carrier.items() if k in PROPAGATION_KEYS},
        }
    finally:
        span.end()


def call(req):
    """Client side: a root span with baggage, a client span, inject, call."""
    tracer = SAMPLED if req.get("sampled", True) else UNSAMPLED
    ctx = context.Context()  # a new root, whatever this process is doing
    for k, v in (req.get("baggage") or {}).items():
        ctx = baggage.set_baggage(k, v, ctx)
    root = tracer.start_span("interop root", context=ctx)
    client = tracer.start_span(
        "interop call", context=trace.set_span_in_context(root, ctx), kind=SpanKind.CLIENT
    )
    try:
        carrier = {}
        propagate.inject(carrier, context=trace.set_span_in_context(client, ctx))
        sc = client.get_span_context()
        sent = {
            "trace_id": format(sc.trace_id, "032x"),
            "span_id": format(sc.span_id, "016x"),
            "sampled": bool(sc.trace_flags.sampled),
            "baggage": dict(req.get("baggage") or {}),
        }
        if req["kind"] == "http":
            r = urllib.request.Request(req["target"], headers=carrier)
            with urllib.request.urlopen(r, timeout=10) as res:
                answer = json.loads(res.read())
        elif req["kind"] == "grpc":
            with grpc.insecure_channel(req["target"]) as ch:
                seen = ch.unary_unary(
                    "/interop.Echo/Seen",
                    request_serializer=struct_pb2.Struct.SerializeToString,
                    response_deserializer=struct_pb2.Struct.FromString,
                )
                out = seen(struct_pb2.Struct(), metadata=list(carrier.items()), timeout=10)
                answer = json.loads(out.fields["json"].string_value)
        else:
            raise ValueError("kind must be http or grpc, not %r" % req["kind"])
        return {"sent": sent, "carrier": carrier, "answer": answer}
    finally:
        client.end()
        root.end()


class HTTPHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, body):
        raw = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        if self.path.split("?")[0] != "/seen":
            return self.answer(404, {"error": "no such path " + self.path})
        carrier = {}
        for k in self.headers.keys():
            carrier.setdefault(k.lower(), self.headers.get_all(k))
        self.answer(200, report(carrier, "GET /seen"))

    def do_POST(self):
        if self.path != "/call":
            return self.answer(404, {"error": "no such path " + self.path})
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        try:
            self.answer(200, call(body))
        except Exception as e:  # the test shows it
            self.answer(500, {"error": "%s: %s" % (type(e).__name__, e)})


def grpc_seen(request, ctx):
    carrier = {}
    for k, v in ctx.invocation_metadata():
        carrier.setdefault(k.lower(), []).append(v)
    out = struct_pb2.Struct()
    out.update({"json": json.dumps(report(carrier, "/interop.Echo/Seen"))})
    return out


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    peerserve.serve(server, grpc_seen, HTTPHandler)


if __name__ == "__main__":
    main()
