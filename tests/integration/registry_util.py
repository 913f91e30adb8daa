"""A stele registry on loopback for integration tests: data dir, users,
start, stop, crash, and small HTTP helpers."""
import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import stele_bin

ROOT = Path(__file__).resolve().parents[2]
ADMIN = ("admin", "admin-password-1")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.data = self.tmp / "data"
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.proc = None
        self.config = None
        self.log = self.tmp / "server.log"
        self.add_user(*ADMIN, role="admin")

    def stele(self, *args, input=None, check=True):
        p = subprocess.run([stele_bin(), *map(str, args)], input=input,
                           capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"stele {args}: {p.stderr}")
        return p

    def add_user(self, name, password, role, robot=False):
        args = ["user", "add", name, "--role", role, "--data", self.data,
                "--password-stdin"]
        if robot:
            args.append("--robot")
        return self.stele(*args, input=password + "\n")

    def start(self, *extra):
        args = [stele_bin(), "serve", "--listen", self.host,
                "--data", self.data, *extra]
        if self.config:
            args += ["--config", self.config]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=open(self.log, "ab"), text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on"), line
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        return rc

    def crash(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    # --- HTTP -----------------------------------------------------------
    def token(self, scope, user=ADMIN):
        q = f"service=stele&scope={scope}"
        st, _, body = self.request("GET", f"/token?{q}", auth=user)
        assert st == 200, body
        return json.loads(body)["token"]

    def request(self, method, path, body=None, headers=None, auth=None,
                bearer=None):
        h = dict(headers or {})
        if auth:
            raw = f"{auth[0]}:{auth[1]}".encode()
            h["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        if bearer:
            h["Authorization"] = "Bearer " + bearer
        req = urllib.request.Request(self.url + path, data=body,
                                     method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


@pytest.fixture
def registry(tmp_path):
    reg = Registry(tmp_path)
    yield reg
    reg.stop()
