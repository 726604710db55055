"""A misbehaving Docker Engine API on loopback, for the connector's error paths.

usage: fake_engine.py MODE PORTFILE [CERT KEY]
MODE: old (API 1.12), malformed (broken JSON), reject (400 on versioned calls), truncated (cut body),
empty (a healthy engine with no containers and no images, for transport tests).
With CERT and KEY it serves TLS. Writes the port it listens on to PORTFILE, serves until killed.
"""
import http.server
import json
import ssl
import sys

mode, portfile = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body, length=None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(length if length is not None else len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/version":
            if mode == "old":
                return self.send(200, json.dumps({"Version": "1.0.0", "ApiVersion": "1.12"}))
            if mode == "malformed":
                return self.send(200, '{"Version": "24.0.7", "ApiVersion": ')
            if mode == "truncated":
                return self.send(200, '{"Version": "24.0.7"', length=4096)
            return self.send(200, json.dumps({"Version": "24.0.7", "ApiVersion": "1.43", "MinAPIVersion": "1.12"}))
        if mode == "empty":
            if self.path.endswith("/info"):
                return self.send(200, json.dumps({"Name": "fake-engine", "ServerVersion": "24.0.7",
                                                  "SecurityOptions": ["name=seccomp,profile=builtin"],
                                                  "LoggingDriver": "json-file", "CgroupVersion": "2"}))
            if "/containers/json" in self.path or self.path.endswith("/images/json"):
                return self.send(200, "[]")
        if mode == "reject":
            return self.send(400, json.dumps({"message": "client version 1.43 is too new. Maximum supported API version is 1.41"}))
        return self.send(404, json.dumps({"message": "page not found"}))


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(portfile, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
