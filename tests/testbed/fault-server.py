#!/usr/bin/python3
"""An HTTP server that misbehaves on purpose, speaking just enough of the Prometheus HTTP API that a
`layerguard scan --prometheus http://127.0.0.1:PORT/<mode>` reaches it (TESTBED.md, faults). The first path
segment picks the fault:
  ok        every query answers an empty vector
  burstN    the first N requests under this prefix answer 503 (Retry-After: 0), the rest as ok
  err500    every request answers 500 with an HTML page
  cut       announces 5000 bytes of JSON, sends 100, closes the connection
  trickle   announces 100000 bytes, then sends one byte every 0.2 s
  huge      sends JSON-looking bytes without end (far more than any client accepts)
usage: fault-server.py PORT_FILE   (binds 127.0.0.1:0, writes the port to PORT_FILE, serves until killed)
"""
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK = b'{"status":"success","data":{"resultType":"vector","result":[]}}'
counters = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))

    def send(self, status, body, ctype="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        if self.command == "POST":
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
        mode = self.path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
        burst = re.fullmatch(r"burst(\d+)", mode)
        if burst:
            with lock:
                counters[mode] = counters.get(mode, 0) + 1
                n = counters[mode]
            if n <= int(burst.group(1)):
                return self.send(503, b'{"status":"error","errorType":"unavailable","error":"overloaded"}',
                                 extra=[("Retry-After", "0")])
            return self.send(200, OK)
        if mode == "ok":
            return self.send(200, OK)
        if mode == "err500":
            return self.send(500, b"<html><body>Internal Server Error</body></html>", "text/html")
        if mode == "cut":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(OK[:60] + b" " * 40)
            self.wfile.flush()
            self.close_connection = True
            return None
        if mode == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            self.close_connection = True
            return None
        if mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b'{"status":"success","data":' + b" " * (1 << 16)
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                pass
            self.close_connection = True
            return None
        return self.send(404, b"no such fault")

    do_GET = handle_any
    do_POST = handle_any


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
