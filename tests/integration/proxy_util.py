"""A misbehaving HTTP proxy on loopback, put between the storage
initializer and the registry: it forwards every request unchanged except
the GETs of one blob, whose response it can damage, cut short, lengthen or
slow down. It records what it was asked, so a test can prove that a
refusal happened before any download."""
import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer",
       "upgrade", "proxy-authorization", "proxy-authenticate"}


class Proxy:
    """mode: None (pass through), "flip" (one byte of the blob inverted),
    "cut" (the blob never gets past byte `cut_at`, whatever the Range),
    "halve" (each response carries half of what was asked, then the
    connection drops), "extra" (bytes appended beyond the blob), "slow"
    (`delay` seconds between chunks)."""

    def __init__(self, upstream, digest=None, mode=None, cut_at=0,
                 delay=0.0):
        self.upstream = upstream
        self.digest = digest
        self.mode = mode
        self.cut_at = cut_at
        self.delay = delay
        self.requests = []          # (method, path, range header)
        self.blob_bytes = 0         # bytes of the target blob sent
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                proxy.forward(self)

            do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def blob_gets(self, digest=None):
        d = digest or self.digest
        return [r for r in self.requests
                if r[0] == "GET" and r[1].endswith("/blobs/" + d)]

    # --- forwarding -----------------------------------------------------
    def forward(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n) if n else None
        with self.lock:
            self.requests.append((h.command, h.path,
                                  h.headers.get("Range")))
        headers = {k: v for k, v in h.headers.items()
                   if k.lower() not in HOP and k.lower() != "host"}
        conn = http.client.HTTPConnection(self.upstream, timeout=60)
        conn.request(h.command, h.path, body=body, headers=headers)
        resp = conn.getresponse()
        target = (self.digest and h.command == "GET" and
                  h.path.endswith("/blobs/" + self.digest) and
                  resp.status in (200, 206))
        try:
            if target and self.mode:
                self.damage(h, resp)
            else:
                self.relay(h, resp, resp.read())
        finally:
            conn.close()

    def send_head(self, h, resp, length):
        h.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                h.send_header(k, v)
        h.send_header("Content-Length", str(length))
        h.end_headers()

    def relay(self, h, resp, data):
        self.send_head(h, resp, len(data))
        if h.command != "HEAD":
            h.wfile.write(data)

    def start_offset(self, resp):
        cr = resp.getheader("Content-Range")
        if resp.status == 206 and cr:
            return int(cr.split()[1].split("-")[0])
        return 0

    def damage(self, h, resp):
        data = resp.read()
        start = self.start_offset(resp)
        if self.mode == "flip":
            i = len(data) // 2
            data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
            self.relay(h, resp, data)
        elif self.mode == "extra":
            self.relay(h, resp, data + b"\0" * 4096)
        elif self.mode == "cut":
            self.send_head(h, resp, len(data))
            keep = max(0, self.cut_at - start)
            h.wfile.write(data[:keep])
            h.close_connection = True
        elif self.mode == "halve":
            self.send_head(h, resp, len(data))
            h.wfile.write(data[:max(1, len(data) // 2)])
            h.close_connection = True
        elif self.mode == "slow":
            self.send_head(h, resp, len(data))
            for i in range(0, len(data), CHUNK):
                h.wfile.write(data[i:i + CHUNK])
                h.wfile.flush()
                with self.lock:
                    self.blob_bytes += len(data[i:i + CHUNK])
                time.sleep(self.delay)
