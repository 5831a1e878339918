"""What every interop peer does the same way: serve /interop.Echo/Seen over
gRPC (a generic handler with Struct messages, no code generation) and HTTP on
free loopback ports, print the ports as the one JSON ready line the Go side
waits for, and stop when the test closes stdin."""

import json
import os
import sys
import threading
from http.server import ThreadingHTTPServer

import grpc
from google.protobuf import struct_pb2


def serve(server, grpc_seen, http_handler):
    """Runs server (a grpc.Server, intercepted or not) and an HTTP server with
    http_handler until stdin ends, then exits the process."""
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "interop.Echo",
                {
                    "Seen": grpc.unary_unary_rpc_method_handler(
                        grpc_seen,
                        request_deserializer=struct_pb2.Struct.FromString,
                        response_serializer=struct_pb2.Struct.SerializeToString,
                    )
                },
            ),
        )
    )
    grpc_port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), http_handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print(json.dumps({"http": httpd.server_address[1], "grpc": grpc_port}), flush=True)
    sys.stdin.read()  # until the test closes our stdin or goes away
    httpd.shutdown()
    server.stop(grace=1).wait()
    os._exit(0)
