"""What the testbed's small HTTP servers share: a threading server (TLS optional) that never prints a traceback,
a quiet handler with a request log, a registry-style reply, the ready file the shell scripts wait for. Imported by the scripts beside it."""
import http.server
import os
import signal
import ssl
import sys
import threading


class Server(http.server.ThreadingHTTPServer):
    """Threading server; with an ssl context, each connection's handshake runs in its own thread."""
    daemon_threads = True

    def __init__(self, address, handler, context: ssl.SSLContext = None, timeout=30):
        self.context = context
        self.timeout_seconds = timeout
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        if self.context is None:
            return super().finish_request(request, client_address)
        request.settimeout(self.timeout_seconds)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


def registry_reply(handler, status, body: bytes, content_type="application/json", extra=()):
    """A reply as the distribution registry sends it (no body for HEAD)."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Docker-Distribution-API-Version", "registry/2.0")
    for k, v in extra:
        handler.send_header(k, v)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def write_ready_file(path, text):
    """Written whole (renamed into place), so a script polling for it never reads half of it."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


class LoggedHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 and silent on stderr; log_line() appends a line to the class's request log, if one is open."""
    protocol_version = "HTTP/1.1"
    log_file = None
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def log_line(self, text):
        if self.log_file:
            with self.lock:
                self.log_file.write(text + "\n")
                self.log_file.flush()

    @staticmethod
    def status_of(code):
        return int(code) if str(code).isdigit() else code


def serve(server, ready_file=None, ready_text=None, banner=None):
    """Serves until stopped: the ready file says the port (or ready_text) once the socket listens."""
    if ready_file:
        write_ready_file(ready_file, ready_text or f"{server.server_address[1]}\n")
    if banner:
        print(banner, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def run(main):
    """Runs a server script's main, leaving quietly on SIGTERM (how the testbed scripts stop it)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
