"""Debian's docker-registry (CNCF distribution) and a token service for it,
started on free loopback ports with their own config and data directory."""
import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """One docker-registry process; auth is None, "htpasswd" or "token"."""

    def __init__(self, workdir, auth=None, users=None, token=None,
                 tls=False):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data = self.dir / "data"
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        cfg = ["version: 0.1", "log:", "  level: warn",
               "  accesslog:", "    disabled: true",
               "storage:", "  filesystem:",
               f"    rootdirectory: {self.data}",
               "  delete:", "    enabled: true",
               "http:", f"  addr: 127.0.0.1:{self.port}"]
        self.ca = None
        if tls:
            key, self.ca = self.dir / "tls.key", self.dir / "tls.pem"
            subprocess.run(["openssl", "req", "-x509", "-newkey",
                            "rsa:2048", "-nodes", "-keyout", str(key),
                            "-out", str(self.ca), "-days", "1", "-subj",
                            "/CN=127.0.0.1", "-addext",
                            "subjectAltName=IP:127.0.0.1"],
                           check=True, capture_output=True)
            cfg += ["  tls:", f"    certificate: {self.ca}",
                    f"    key: {key}"]
        if auth == "htpasswd":
            pw = self.dir / "htpasswd"
            for i, (u, p) in enumerate(users.items()):
                subprocess.run(["htpasswd", "-B", "-b"] +
                               (["-c"] if i == 0 else []) +
                               [str(pw), u, p], check=True,
                               capture_output=True)
            cfg += ["auth:", "  htpasswd:", "    realm: stele-test",
                    f"    path: {pw}"]
        elif auth == "token":
            cfg += ["auth:", "  token:",
                    f"    realm: {token.realm}",
                    f"    service: {token.service}",
                    f"    issuer: {token.issuer}",
                    f"    rootcertbundle: {token.cert}"]
        (self.dir / "config.yml").write_text("\n".join(cfg) + "\n")
        self.log = open(self.dir / "registry.log", "w")
        self.proc = subprocess.Popen(
            [REGISTRY_BIN, "serve", str(self.dir / "config.yml")],
            stdout=self.log, stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("docker-registry exited: " +
                                   (self.dir / "registry.log").read_text())
            try:
                scheme = "https" if self.ca else "http"
                ctx = (ssl.create_default_context(cafile=str(self.ca))
                       if self.ca else None)
                urllib.request.urlopen(f"{scheme}://{self.host}/v2/",
                                       timeout=1, context=ctx)
                return
            except urllib.error.HTTPError:
                return  # 401: up, with auth
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry did not start")

    def blob_data(self, digest):
        """The file distribution keeps a blob's (or manifest's) bytes in."""
        h = digest[7:]
        return (self.data / "docker/registry/v2/blobs/sha256" / h[:2] / h
                / "data")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def _b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class TokenService:
    """The Docker token flow: Basic credentials in, a signed JWT out,
    granting what each requested scope asks for."""

    service = "stele-test-registry"
    issuer = "stele-test-issuer"

    def __init__(self, workdir, users):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.key = self.dir / "token.key"
        self.cert = self.dir / "token.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", str(self.key), "-out",
                        str(self.cert), "-days", "1", "-subj",
                        "/CN=stele-test-token"], check=True,
                       capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", str(self.cert),
                              "-outform", "DER"], check=True,
                             capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        self.users = users
        self.requests = []  # (user or None, [scopes])
        self.lock = threading.Lock()
        svc = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                svc._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.realm = f"http://127.0.0.1:{self.port}/token"
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def _user(self, req):
        h = req.headers.get("Authorization", "")
        if not h.startswith("Basic "):
            return None, False
        try:
            u, _, p = base64.b64decode(h[6:]).decode().partition(":")
        except Exception:
            return None, True
        return (u, True) if self.users.get(u) == p else (None, True)

    def _sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing = (_b64url(json.dumps(header).encode()) + "." +
                   _b64url(json.dumps(claims).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign",
                              str(self.key)], input=signing.encode(),
                             check=True, capture_output=True).stdout
        return signing + "." + _b64url(sig)

    def _handle(self, req):
        q = parse_qs(urlparse(req.path).query)
        scopes = q.get("scope", [])
        user, tried = self._user(req)
        with self.lock:
            self.requests.append((user, scopes))
        if user is None:
            req.send_response(401)
            req.end_headers()
            return
        access = []
        for s in scopes:
            for one in s.split(" "):
                kind, _, rest = one.partition(":")
                name, _, actions = rest.rpartition(":")
                access.append({"type": kind, "name": name,
                               "actions": actions.split(",")})
        now = int(time.time())
        tok = self._sign({"iss": self.issuer, "sub": user,
                          "aud": self.service, "exp": now + 300,
                          "nbf": now - 10, "iat": now,
                          "jti": uuid.uuid4().hex, "access": access})
        body = json.dumps({"token": tok, "expires_in": 300}).encode()
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
