"""A Python gRPC service wired the way OpenTracing users wire one today.

jaeger-client (Python) as the tracer, configured through jaeger_client.Config
with 128-bit trace ids, and grpcio-opentracing's interceptors on the server
(grpcext.intercept_server) and on the channel (grpcext.intercept_channel).
Those interceptors carry the context as HTTP-header-style metadata:
uber-trace-id and uberctx-<key> with URL-escaped baggage values.

Spans go to an in-memory reporter: the test reads what the peer saw from its
answers, and nothing is sent over the network.

Started by interop/main_test.go; prints one JSON line on stdout when ready:
    {"http": PORT, "grpc": PORT}
and exits when its standard input closes (the test process went away).

Server side:  /interop.Echo/Seen (gRPC), Struct in, Struct {"json": report} out
Client side:  POST /call {"target": host:port, "sampled": bool,
                          "baggage": {k: v}} on the HTTP port: a root span
              with the baggage, then /interop.Echo/Seen on target through the
              client interceptor (whose client span is the child of the root);
              answers {"sent": ..., "answer": ...}.

A report: {"trace_id": 32 hex, "span_id": the server span, "parent_id": its
parent (the caller's span), "sampled", "baggage": {k: v}, "headers": the
tracing metadata as received}.
"""

import json
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler

import grpc

import peerserve
from google.protobuf import struct_pb2
from grpc_opentracing import (
    ActiveSpanSource,
    open_tracing_client_interceptor,
    open_tracing_server_interceptor,
)
from grpc_opentracing.grpcext import intercept_channel, intercept_server
from jaeger_client import Config
from jaeger_client.constants import SAMPLED_FLAG
from jaeger_client.reporter import InMemoryReporter
from jaeger_client.sampler import ConstSampler

SERVICE = "interop-jaeger-peer"


def tracer(sampled):
    cfg = Config(
        config={
            "sampler": {"type": "const", "param": 1 if sampled else 0},
            "generate_128bit_trace_id": True,
            "logging": False,
        },
        service_name=SERVICE,
        validate=True,
    )
    # create_tracer is what initialize_tracer calls, minus the UDP reporter.
    return cfg.create_tracer(reporter=InMemoryReporter(), sampler=ConstSampler(sampled))


SAMPLED = tracer(True)
UNSAMPLED = tracer(False)

METHOD = "/interop.Echo/Seen"


def is_tracing_key(k):
    return k == "uber-trace-id" or k.startswith("uberctx-") or k == "jaeger-debug-id"


def report(span, metadata):
    sc = span.context
    return {
        "trace_id": format(sc.trace_id, "032x"),
        "span_id": format(sc.span_id, "016x"),
        "parent_id": format(sc.parent_id, "016x") if sc.parent_id else "",
        "sampled": bool(sc.flags & SAMPLED_FLAG),
        "baggage": dict(sc.baggage or {}),
        "headers": {k: v for k, v in metadata if is_tracing_key(k)},
    }


def grpc_seen(request, ctx):
    # grpcio-opentracing's server interceptor made the span from the
    # incoming metadata; its servicer context hands it to the handler.
    out = struct_pb2.Struct()
    out.update({"json": json.dumps(report(ctx.get_active_span(), ctx.invocation_metadata()))})
    return out


class CurrentSpan(ActiveSpanSource):
    """The active span of the calling thread, for the client interceptor."""

    def __init__(self):
        self.local = threading.local()

    def get_active_span(self):
        return getattr(self.local, "span", None)


CURRENT = CurrentSpan()


def remember_client_span(span, rpc_info):
    # The client interceptor's span decorator: its span is what the server
    # must see as its parent.
    CURRENT.local.client_span = span


def stubs(target):
    """A channel per tracer, both intercepted like a user's channel."""
    out = {}
    for sampled, tr in ((True, SAMPLED), (False, UNSAMPLED)):
        interceptor = open_tracing_client_interceptor(
            tr, active_span_source=CURRENT, span_decorator=remember_client_span
        )
        ch = intercept_channel(grpc.insecure_channel(target), interceptor)
        out[sampled] = (
            ch,
            ch.unary_unary(
                METHOD,
                request_serializer=struct_pb2.Struct.SerializeToString,
                response_deserializer=struct_pb2.Struct.FromString,
            ),
        )
    return out


def call(req):
    sampled = bool(req.get("sampled", True))
    tr = SAMPLED if sampled else UNSAMPLED
    root = tr.start_span("interop root")
    for k, v in (req.get("baggage") or {}).items():
        root.set_baggage_item(k, v)
    chans = stubs(req["target"])
    CURRENT.local.span, CURRENT.local.client_span = root, None
    try:
        out = chans[sampled][1](struct_pb2.Struct(), timeout=10)
        client = CURRENT.local.client_span
        if client is None:
            raise RuntimeError("the client interceptor made no span")
        sc = client.context
        return {
            "sent": {
                "trace_id": format(sc.trace_id, "032x"),
                "span_id": format(sc.span_id, "016x"),
                "sampled": bool(sc.flags & SAMPLED_FLAG),
                "baggage": dict(sc.baggage or {}),
            },
            "answer": json.loads(out.fields["json"].string_value),
        }
    finally:
        CURRENT.local.span = None
        root.finish()
        for ch, _ in chans.values():
            ch.close()


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

    def do_POST(self):
        if self.path != "/call":
            return self.answer(404, {"error": "no such path " + self.path})
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        try:
            self.answer(200, call(body))
        except Exception as e:  # the test shows it
            self.answer(500, {"error": "%s: %s" % (type(e).__name__, e)})


def main():
    server = intercept_server(
        grpc.server(futures.ThreadPoolExecutor(max_workers=4)),
        open_tracing_server_interceptor(SAMPLED),
    )
    peerserve.serve(server, grpc_seen, HTTPHandler)


if __name__ == "__main__":
    main()
