"""Registry behaviour that the conformance suite does not cover: the
token flow, roles and grants, immutable versions, reserved environments,
pagination limits and the attacks that broke other registries. Every
test asserts the exact status."""
import base64
import hashlib
import json
import subprocess
import time

import pytest

from registry_util import ADMIN, registry  # noqa: F401

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def push_blob(reg, repo, data, tok):
    st, h, _ = reg.request("POST", f"/v2/{repo}/blobs/uploads/?digest="
                           f"{digest(data)}", body=data, bearer=tok,
                           headers={"Content-Type":
                                    "application/octet-stream"})
    assert st == 201, st
    return digest(data)


def image(reg, repo, tok, layer=b"layer-bytes", extra=None):
    cfg = b"{}"
    push_blob(reg, repo, cfg, tok)
    push_blob(reg, repo, layer, tok)
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": digest(cfg), "size": len(cfg)},
         "layers": [{"mediaType": "application/octet-stream",
                     "digest": digest(layer), "size": len(layer)}]}
    m.update(extra or {})
    return json.dumps(m).encode()


def put_manifest(reg, repo, ref, body, tok, ctype=OCI_MANIFEST):
    st, h, b = reg.request("PUT", f"/v2/{repo}/manifests/{ref}", body=body,
                           bearer=tok, headers={"Content-Type": ctype})
    return st, h, b


def rw(reg, repo, user=ADMIN):
    return reg.token(f"repository:{repo}:pull,push,delete", user=user)


# --- authentication -------------------------------------------------------

def test_v2_challenges_with_bearer_realm(registry):
    registry.start()
    st, h, _ = registry.request("GET", "/v2/")
    assert st == 401
    ch = h["WWW-Authenticate"]
    assert ch.startswith(f'Bearer realm="{registry.url}/token"')
    assert 'service="stele"' in ch


def test_protected_resource_challenge_names_scope(registry):
    registry.start()
    st, h, _ = registry.request("GET", "/v2/team/model/tags/list")
    assert st == 401
    assert 'scope="repository:team/model:pull"' in h["WWW-Authenticate"]


def test_token_endpoint_refuses_bad_password(registry):
    registry.start()
    st, _, _ = registry.request("GET", "/token?service=stele",
                                auth=("admin", "wrong-password"))
    assert st == 401
    st, _, _ = registry.request("GET", "/token?service=stele",
                                auth=("nobody", "wrong-password"))
    assert st == 401


def test_basic_auth_works_directly(registry):
    registry.start()
    st, _, _ = registry.request("GET", "/v2/", auth=ADMIN)
    assert st == 200


def test_user_agent_spoofing_grants_nothing(registry):
    registry.start()
    for ua in ("docker/24.0.0 go/go1.20", "stele-internal/1.0",
               "kube-probe/1.29"):
        st, _, _ = registry.request("GET", "/v2/", headers={
            "User-Agent": ua})
        assert st == 401


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def der_to_raw(der):
    # SEQUENCE { INTEGER r, INTEGER s } to 32-byte r || s
    assert der[0] == 0x30
    i = 2
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        v = der[i + 2:i + 2 + n].lstrip(b"\0")
        out += v.rjust(32, b"\0")
        i += 2 + n
    return out


def sign_jwt(key_pem, header, claims, tmp):
    signing = f"{b64u(json.dumps(header).encode())}." \
              f"{b64u(json.dumps(claims).encode())}"
    (tmp / "in").write_text(signing)
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_pem,
                          str(tmp / "in")], capture_output=True,
                         check=True).stdout
    return signing + "." + b64u(der_to_raw(der))


def claims(**over):
    now = int(time.time())
    c = {"iss": "stele", "sub": "admin", "aud": "stele", "exp": now + 300,
         "nbf": now, "iat": now, "access": [
             {"type": "repository", "name": "m/x",
              "actions": ["pull", "push"]}]}
    c.update(over)
    return c


def test_forged_tokens_are_refused(registry, tmp_path):
    registry.start()
    key = str(registry.data / "token-key.pem")
    hdr = {"alg": "ES256", "typ": "JWT"}
    good = sign_jwt(key, hdr, claims(), tmp_path)
    st, _, _ = registry.request("GET", "/v2/m/x/tags/list", bearer=good)
    assert st == 200
    # alg none, no signature
    none_hdr = b64u(json.dumps({"alg": "none"}).encode())
    none = none_hdr + "." + b64u(json.dumps(claims()).encode()) + "."
    assert registry.request("GET", "/v2/m/x/tags/list",
                            bearer=none)[0] == 401
    # HS256 "signed" with the public key
    hs = {"alg": "HS256", "typ": "JWT"}
    forged = good.split(".")
    forged[0] = b64u(json.dumps(hs).encode())
    assert registry.request("GET", "/v2/m/x/tags/list",
                            bearer=".".join(forged))[0] == 401
    # wrong audience, expired, foreign key, tampered claims
    bad_aud = sign_jwt(key, hdr, claims(aud="other"), tmp_path)
    assert registry.request("GET", "/v2/m/x/tags/list",
                            bearer=bad_aud)[0] == 401
    expired = sign_jwt(key, hdr, claims(exp=int(time.time()) - 10),
                       tmp_path)
    assert registry.request("GET", "/v2/m/x/tags/list",
                            bearer=expired)[0] == 401
    foreign = tmp_path / "foreign.pem"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey",
                    "-noout", "-out", str(foreign)], check=True)
    other = sign_jwt(str(foreign), hdr, claims(), tmp_path)
    assert registry.request("GET", "/v2/m/x/tags/list",
                            bearer=other)[0] == 401
    parts = good.split(".")
    parts[1] = b64u(json.dumps(claims(sub="someone-else")).encode())
    assert registry.request("GET", "/v2/m/x/tags/list",
                            bearer=".".join(parts))[0] == 401


# --- roles and grants -----------------------------------------------------

def test_viewer_gets_pull_only_token(registry):
    registry.add_user("vera", "viewer-password", role="viewer")
    registry.start()
    tok = registry.token("repository:m/x:pull,push",
                         user=("vera", "viewer-password"))
    payload = json.loads(base64.urlsafe_b64decode(
        tok.split(".")[1] + "=="))
    assert payload["access"] == [{"type": "repository", "name": "m/x",
                                  "actions": ["pull"]}]
    # The viewer can never push: told so, not sent back for a token.
    st, _, body = registry.request("POST", "/v2/m/x/blobs/uploads/",
                                   bearer=tok)
    assert st == 403
    err = json.loads(body)["errors"][0]
    assert err["code"] == "DENIED"
    assert err["message"] == "'vera' (viewer) may not push to 'm/x'"
    st, _, body = registry.request("POST", "/v2/m/x/blobs/uploads/",
                                   auth=("vera", "viewer-password"))
    assert st == 403
    assert json.loads(body)["errors"][0]["message"] == \
        "'vera' (viewer) may not push to 'm/x'"


def test_token_short_of_a_scope_its_user_may_get_is_challenged(registry):
    registry.add_user("pub", "publisher-pass", role="publisher")
    registry.start()
    tok = registry.token("repository:m/x:pull", user=("pub",
                                                       "publisher-pass"))
    st, h, _ = registry.request("POST", "/v2/m/x/blobs/uploads/",
                                bearer=tok)
    assert st == 401
    assert 'error="insufficient_scope"' in h["WWW-Authenticate"]


def test_grant_allows_push_to_matching_repositories_only(registry):
    registry.add_user("pat", "publisher-pass", role="viewer")
    registry.stele("user", "grant", "pat", "team/*", "publisher",
                   "--data", registry.data)
    registry.start()
    cred = ("pat", "publisher-pass")
    assert registry.request("POST", "/v2/team/a/blobs/uploads/",
                            auth=cred)[0] == 202
    assert registry.request("POST", "/v2/other/a/blobs/uploads/",
                            auth=cred)[0] == 403


def test_catalog_lists_only_pullable_repositories(registry):
    registry.add_user("pat", "publisher-pass", role="deployer")
    registry.start()
    tok = rw(registry, "secret/a")
    push_blob(registry, "secret/a", b"x", tok)
    registry.stele("user", "rm", "pat", "--data", registry.data)
    registry.add_user("pat", "publisher-pass", role="viewer")
    st, _, body = registry.request("GET", "/v2/_catalog", auth=ADMIN)
    assert st == 200 and json.loads(body)["repositories"] == ["secret/a"]
    registry.stele("user", "rm", "pat", "--data", registry.data)
    registry.stele("user", "add", "nog", "--role", "admin", "--data",
                   registry.data, "--password-stdin", input="nopass-123\n")
    st, _, body = registry.request("GET", "/v2/_catalog",
                                   auth=("nog", "nopass-123"))
    assert st == 200


def test_deleted_user_token_stops_working(registry):
    registry.add_user("tmp", "temporary-pass", role="publisher")
    registry.start()
    tok = registry.token("repository:m/x:pull", user=("tmp",
                                                      "temporary-pass"))
    assert registry.request("GET", "/v2/m/x/tags/list",
                            bearer=tok)[0] == 200
    registry.stele("user", "rm", "tmp", "--data", registry.data)
    assert registry.request("GET", "/v2/m/x/tags/list",
                            bearer=tok)[0] == 401


# --- immutable versions and environments ----------------------------------

def test_version_tags_never_move(registry):
    registry.start()
    tok = rw(registry, "m/x")
    a = image(registry, "m/x", tok, b"version-a")
    b = image(registry, "m/x", tok, b"version-b")
    assert put_manifest(registry, "m/x", "v1.2.3", a, tok)[0] == 201
    assert put_manifest(registry, "m/x", "v1.2.3", a, tok)[0] == 201
    st, _, body = put_manifest(registry, "m/x", "v1.2.3", b, tok)
    assert st == 403
    err = json.loads(body)["errors"][0]
    assert err["code"] == "DENIED" and "immutable" in err["message"]
    st, h, _ = registry.request("GET", "/v2/m/x/manifests/v1.2.3",
                                bearer=tok)
    assert st == 200 and h["Docker-Content-Digest"] == digest(a)
    assert put_manifest(registry, "m/x", "1.0.0-rc.1", a, tok)[0] == 201
    assert put_manifest(registry, "m/x", "1.0.0-rc.1", b, tok)[0] == 403


def test_version_tagged_manifest_cannot_be_deleted(registry):
    registry.start()
    tok = rw(registry, "m/x")
    a = image(registry, "m/x", tok)
    assert put_manifest(registry, "m/x", "2.0.0", a, tok)[0] == 201
    assert registry.request("DELETE", "/v2/m/x/manifests/2.0.0",
                            bearer=tok)[0] == 403
    assert registry.request("DELETE", f"/v2/m/x/manifests/{digest(a)}",
                            bearer=tok)[0] == 403
    assert registry.request("GET", "/v2/m/x/manifests/2.0.0",
                            bearer=tok)[0] == 200


def test_environment_tags_refuse_plain_pushes(registry):
    registry.start()
    tok = rw(registry, "m/x")
    a = image(registry, "m/x", tok)
    for env in ("dev", "staging", "prod"):
        st, _, body = put_manifest(registry, "m/x", env, a, tok)
        assert st == 403, env
        assert "promotion" in json.loads(body)["errors"][0]["message"]
    st, _, _ = put_manifest(registry, "m/x", digest(a) + "?tag=prod", a,
                            tok)
    assert st == 403


def test_configured_environments_and_immutable_tags(registry, tmp_path):
    cfg = tmp_path / "stele.yaml"
    cfg.write_text("environments: [qa, live]\ntags: immutable\n")
    registry.config = str(cfg)
    registry.start()
    tok = rw(registry, "m/x")
    a = image(registry, "m/x", tok, b"one")
    b = image(registry, "m/x", tok, b"two")
    assert put_manifest(registry, "m/x", "live", a, tok)[0] == 403
    assert put_manifest(registry, "m/x", "prod", a, tok)[0] == 201
    assert put_manifest(registry, "m/x", "latest", a, tok)[0] == 201
    assert put_manifest(registry, "m/x", "latest", b, tok)[0] == 403


def test_ordinary_tags_move_and_delete(registry):
    registry.start()
    tok = rw(registry, "m/x")
    a = image(registry, "m/x", tok, b"one")
    b = image(registry, "m/x", tok, b"two")
    assert put_manifest(registry, "m/x", "latest", a, tok)[0] == 201
    assert put_manifest(registry, "m/x", "latest", b, tok)[0] == 201
    assert registry.request("DELETE", "/v2/m/x/manifests/latest",
                            bearer=tok)[0] == 202


def test_bad_config_file_is_refused(registry, tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("listen: 127.0.0.1:1\nbogus: 1\n")
    p = registry.stele("serve", "--config", cfg, check=False)
    assert p.returncode == 1
    assert "unknown key 'bogus'" in p.stderr


# --- manifests --------------------------------------------------------------

def test_manifest_validation(registry):
    registry.start()
    tok = rw(registry, "m/x")
    good = json.loads(image(registry, "m/x", tok))
    both = dict(good, manifests=[])
    assert put_manifest(registry, "m/x", "a", json.dumps(both).encode(),
                        tok)[0] == 400
    assert put_manifest(registry, "m/x", "a", json.dumps(good).encode(),
                        tok, ctype=OCI_INDEX)[0] == 400
    kit = dict(good)
    del kit["mediaType"]
    st, h, _ = put_manifest(registry, "m/x", "kit", json.dumps(kit).encode(),
                            tok)
    assert st == 201
    st, h, _ = registry.request("GET", "/v2/m/x/manifests/kit", bearer=tok)
    assert h["Content-Type"] == OCI_MANIFEST
    dup = b'{"schemaVersion":2,"schemaVersion":2,"config":{}}'
    assert put_manifest(registry, "m/x", "d", dup, tok)[0] == 400
    docker = dict(good, mediaType="application/vnd.docker.distribution."
                  "manifest.v2+json")
    st, _, _ = put_manifest(registry, "m/x", "docker",
                            json.dumps(docker).encode(), tok,
                            ctype=docker["mediaType"])
    assert st == 201


def test_oversized_manifest_is_413(registry):
    registry.start()
    tok = rw(registry, "m/x")
    good = json.loads(image(registry, "m/x", tok))
    good["annotations"] = {"pad": "x" * (4 * 1024 * 1024)}
    assert put_manifest(registry, "m/x", "big", json.dumps(good).encode(),
                        tok)[0] == 413


def test_exact_bytes_are_served(registry):
    registry.start()
    tok = rw(registry, "m/x")
    body = image(registry, "m/x", tok).replace(b",", b" ,\n ")
    assert put_manifest(registry, "m/x", "spaced", body, tok)[0] == 201
    st, h, got = registry.request("GET", "/v2/m/x/manifests/spaced",
                                  bearer=tok)
    assert got == body and h["Docker-Content-Digest"] == digest(body)


# --- names, digests and paths ---------------------------------------------

@pytest.mark.parametrize("path", [
    "/v2/m/x/blobs/sha256:../../../../etc/passwd",
    "/v2/m/x/blobs/sha256:%2e%2e%2f%2e%2e",
    "/v2/m/x/blobs/SHA256:" + "a" * 64,
    "/v2/m/x/blobs/sha256:" + "A" * 64,
    "/v2/m/x/blobs/sha256:" + "a" * 63,
    "/v2/m/x/blobs/sha256:" + "a" * 65,
    "/v2/m/x/manifests/sha256:" + "a" * 10,
    "/v2/m/x/referrers/sha256:zz",
])
def test_bad_digests_are_400(registry, path):
    registry.start()
    tok = rw(registry, "m/x")
    assert registry.request("GET", path, bearer=tok)[0] == 400


@pytest.mark.parametrize("name", [
    "%2e%2e/x", "m/%2e%2e/x", "M/x", "m//x", "m/x/", "-m/x", "m/x%2f..",
    "a" * 300,
])
def test_bad_names_are_400(registry, name):
    registry.start()
    st, _, _ = registry.request("GET", f"/v2/{name}/tags/list", auth=ADMIN)
    assert st == 400


def test_pagination_limits(registry):
    registry.start()
    tok = rw(registry, "m/x")
    a = image(registry, "m/x", tok)
    for t in ("a", "b", "c"):
        assert put_manifest(registry, "m/x", t, a, tok)[0] == 201
    st, h, body = registry.request("GET", "/v2/m/x/tags/list?n=2",
                                   bearer=tok)
    assert st == 200 and json.loads(body)["tags"] == ["a", "b"]
    assert h["Link"] == '</v2/m/x/tags/list?n=2&last=b>; rel="next"'
    st, _, body = registry.request(
        "GET", "/v2/m/x/tags/list?n=99999999999999999999", bearer=tok)
    assert st == 400
    st, _, body = registry.request("GET", "/v2/m/x/tags/list?n=999999999",
                                   bearer=tok)
    assert st == 200 and json.loads(body)["tags"] == ["a", "b", "c"]
    for n in ("-1", "abc", "", "1e9"):
        assert registry.request("GET", f"/v2/m/x/tags/list?n={n}",
                                bearer=tok)[0] == 400, n


# --- uploads ----------------------------------------------------------------

def start_upload(reg, repo, tok):
    st, h, _ = reg.request("POST", f"/v2/{repo}/blobs/uploads/", bearer=tok)
    assert st == 202
    return h["Location"]


def test_out_of_order_and_overlapping_chunks_are_416(registry):
    registry.start()
    tok = rw(registry, "m/x")
    loc = start_upload(registry, "m/x", tok)
    data = b"0123456789"
    hdr = {"Content-Type": "application/octet-stream"}
    st, h, _ = registry.request("PATCH", loc, body=data[:5], bearer=tok,
                                headers=dict(hdr, **{"Content-Range":
                                                     "0-4"}))
    assert st == 202 and h["Range"] == "0-4"
    # overlapping, skipping ahead, and a lying length
    for cr in ("3-7", "6-9", "bytes=2-9"):
        st, h, _ = registry.request("PATCH", loc, body=data[5:],
                                    bearer=tok, headers=dict(
                                        hdr, **{"Content-Range": cr}))
        assert st == 416, cr
    st, h, _ = registry.request("PATCH", loc, body=data[5:], bearer=tok,
                                headers=dict(hdr, **{"Content-Range":
                                                     "bytes=5-9"}))
    assert st == 202 and h["Range"] == "0-9"
    st, _, _ = registry.request("PUT", f"{loc}?digest={digest(data)}",
                                bearer=tok)
    assert st == 201


def test_upload_session_is_bound_to_repository_and_account(registry):
    registry.add_user("eve", "eve-password", role="publisher")
    registry.start()
    tok = rw(registry, "m/x")
    loc = start_upload(registry, "m/x", tok)
    upload_id = loc.rsplit("/", 1)[1]
    tok_y = rw(registry, "m/y")
    st, _, _ = registry.request("PATCH", f"/v2/m/y/blobs/uploads/"
                                f"{upload_id}", body=b"x", bearer=tok_y)
    assert st == 404
    eve = rw(registry, "m/x", user=("eve", "eve-password"))
    assert registry.request("PATCH", loc, body=b"x", bearer=eve)[0] == 404
    assert registry.request("GET", loc, bearer=eve)[0] == 404
    assert registry.request("DELETE", loc, bearer=eve)[0] == 404
    assert registry.request("GET", loc, bearer=tok)[0] == 204


def test_blob_is_only_readable_through_repositories_that_link_it(registry):
    registry.start()
    tok = rw(registry, "m/x")
    d = push_blob(registry, "m/x", b"private weights", tok)
    other = rw(registry, "m/y")
    assert registry.request("GET", f"/v2/m/y/blobs/{d}",
                            bearer=other)[0] == 404
    assert registry.request("GET", f"/v2/m/x/blobs/{d}",
                            bearer=tok)[0] == 200


def test_mount_needs_pull_rights_on_the_source(registry):
    registry.add_user("pat", "publisher-pass", role="none")
    registry.stele("user", "grant", "pat", "team/*", "publisher",
                   "--data", registry.data)
    registry.start()
    tok = rw(registry, "secret/x")
    d = push_blob(registry, "secret/x", b"secret layer", tok)
    pat = ("pat", "publisher-pass")
    ptok = registry.token("repository:team/a:pull,push&scope="
                          "repository:secret/x:pull", user=pat)
    st, h, _ = registry.request("POST", f"/v2/team/a/blobs/uploads/?mount="
                                f"{d}&from=secret/x", bearer=ptok)
    assert st == 202
    assert registry.request("GET", f"/v2/team/a/blobs/{d}",
                            bearer=ptok)[0] == 404
    # without from, only repositories the caller may pull are sources
    st, _, _ = registry.request("POST", f"/v2/team/a/blobs/uploads/?mount="
                                f"{d}", bearer=ptok)
    assert st == 202
    assert registry.request("GET", f"/v2/team/a/blobs/{d}",
                            bearer=ptok)[0] == 404
    admin = registry.token("repository:m/z:pull,push%20"
                           "repository:secret/x:pull")
    st, _, _ = registry.request("POST", f"/v2/m/z/blobs/uploads/?mount={d}"
                                "&from=secret/x", bearer=admin)
    assert st == 201


def test_range_requests(registry):
    registry.start()
    tok = rw(registry, "m/x")
    data = bytes(range(256)) * 4
    d = push_blob(registry, "m/x", data, tok)
    st, h, body = registry.request("GET", f"/v2/m/x/blobs/{d}", bearer=tok,
                                   headers={"Range": "bytes=10-19"})
    assert st == 206 and body == data[10:20]
    assert h["Content-Range"] == f"bytes 10-19/{len(data)}"
    st, _, body = registry.request("GET", f"/v2/m/x/blobs/{d}", bearer=tok,
                                   headers={"Range": "bytes=-4"})
    assert st == 206 and body == data[-4:]
    st, h, _ = registry.request("GET", f"/v2/m/x/blobs/{d}", bearer=tok,
                                headers={"Range": "bytes=5000-"})
    assert st == 416 and h["Content-Range"] == f"bytes */{len(data)}"


def test_upload_resumes_after_restart(registry):
    registry.start()
    tok = rw(registry, "m/x")
    loc = start_upload(registry, "m/x", tok)
    data = b"A" * 100000 + b"B" * 50000
    st, _, _ = registry.request("PATCH", loc, body=data[:100000],
                                bearer=tok)
    assert st == 202
    assert registry.stop() == 0
    registry.start()
    tok = rw(registry, "m/x")
    st, h, _ = registry.request("GET", loc, bearer=tok)
    assert st == 204 and h["Range"] == "0-99999"
    st, _, _ = registry.request("PATCH", loc, body=data[100000:],
                                bearer=tok, headers={
                                    "Content-Range": "100000-149999"})
    assert st == 202
    st, _, _ = registry.request("PUT", f"{loc}?digest={digest(data)}",
                                bearer=tok)
    assert st == 201
    st, _, body = registry.request("GET", f"/v2/m/x/blobs/{digest(data)}",
                                   bearer=tok)
    assert body == data


def test_tls_when_given_a_certificate(registry, tmp_path):
    crt, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(crt), "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True,
                   capture_output=True)
    cfg = tmp_path / "tls.yaml"
    cfg.write_text(f"tls_cert: {crt}\ntls_key: {key}\n")
    registry.config = str(cfg)
    registry.start()
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w",
                        "%{http_code}", "--cacert", str(crt), "-u",
                        f"{ADMIN[0]}:{ADMIN[1]}",
                        f"https://{registry.host}/v2/"],
                       capture_output=True, text=True)
    assert p.stdout == "200"
    p = subprocess.run(["curl", "-s", "-i", "--cacert", str(crt),
                        f"https://{registry.host}/v2/"],
                       capture_output=True, text=True)
    assert f'realm="https://{registry.host}/token"' in p.stdout


# --- account updates over HTTP ------------------------------------------------

def patch_user(reg, name, doc, auth=None, bearer=None):
    return reg.request("PATCH", f"/api/v1/users/{name}",
                       body=json.dumps(doc).encode(), auth=auth,
                       bearer=bearer,
                       headers={"Content-Type": "application/json"})[0]


def role_of(reg, name):
    st, _, body = reg.request("GET", f"/api/v1/users/{name}", auth=ADMIN)
    assert st == 200
    return json.loads(body)["role"]


def test_role_smuggled_into_user_update_is_refused(registry):
    registry.add_user("pub", "publisher-pass", role="publisher")
    registry.start()
    me = ("pub", "publisher-pass")
    assert patch_user(registry, "me", {"password": "new-password-1",
                                       "role": "admin"}, auth=me) == 403
    assert role_of(registry, "pub") == "publisher"
    # the refused request changed nothing, not even the password
    assert registry.request("GET", "/v2/", auth=me)[0] == 200
    assert patch_user(registry, "pub", {"role": "admin"}, auth=me) == 403
    assert patch_user(registry, "admin", {"password": "stolen-pass-1"},
                      auth=me) == 403
    assert patch_user(registry, "me", {"Role": "admin"}, auth=me) == 400
    tok = registry.token("repository:m/x:pull", user=me)
    assert patch_user(registry, "me", {"password": "new-password-1"},
                      bearer=tok) == 403
    assert patch_user(registry, "me", {"password": "new-password-1"},
                      auth=me) == 204
    assert registry.request("GET", "/v2/", auth=me)[0] == 401
    assert registry.request("GET", "/v2/", auth=("pub",
                                                 "new-password-1"))[0] == 200
    assert patch_user(registry, "pub", {"role": "viewer"},
                      auth=ADMIN) == 204
    assert role_of(registry, "pub") == "viewer"
    assert registry.request("GET", "/api/v1/users/pub")[0] == 401


# --- stele user -----------------------------------------------------------------

def test_user_add_generates_secrets_and_refuses_bad_input(registry):
    p = registry.stele("user", "add", "bot", "--role", "deployer",
                       "--robot", "--data", registry.data)
    line = p.stdout.strip()
    assert line.startswith("password for bot: ")
    secret = line.split(": ", 1)[1]
    assert len(secret) >= 32
    p = registry.stele("user", "add", "human", "--role", "viewer",
                       "--data", registry.data)
    assert p.stdout.startswith("password for human: ")
    p = registry.stele("user", "add", "bot", "--role", "viewer", "--data",
                       registry.data, check=False)
    assert p.returncode == 1 and "already exists" in p.stderr
    p = registry.stele("user", "add", "x", "--role", "root", "--data",
                       registry.data, check=False)
    assert p.returncode == 1 and "unknown role 'root'" in p.stderr
    p = registry.stele("user", "add", "x", "--data", registry.data,
                       check=False)
    assert p.returncode == 2
    p = registry.stele("user", "add", "../x", "--role", "viewer", "--data",
                       registry.data, check=False)
    assert p.returncode == 2
    p = registry.stele("user", "add", "short", "--role", "viewer",
                       "--password-stdin", "--data", registry.data,
                       input="1234\n", check=False)
    assert p.returncode == 1 and "8 to 1024" in p.stderr
    listing = registry.stele("user", "list", "--data", registry.data).stdout
    assert "bot\tdeployer\trobot" in listing
    registry.start()
    tok = registry.token("repository:m/x:pull,push", user=("bot", secret))
    payload = json.loads(base64.urlsafe_b64decode(tok.split(".")[1] + "=="))
    assert payload["access"][0]["actions"] == ["pull"]
    # the hash, not the secret, is what the data directory holds
    for f in registry.data.glob("meta.db*"):
        assert secret.encode() not in f.read_bytes()


def test_access_log_is_its_own_stream(registry, tmp_path):
    log = tmp_path / "access.log"
    cfg = tmp_path / "a.yaml"
    cfg.write_text(f"access_log: {log}\n")
    registry.config = str(cfg)
    registry.start()
    registry.request("GET", "/v2/", auth=ADMIN)
    registry.request("GET", "/v2/m/x%0aforged%20line/tags/list")
    registry.stop()
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    assert lines[0].split()[2:] == ["127.0.0.1", "GET", "/v2/", "200",
                                    "admin", "0"]
    assert "/v2/m/x%0Aforged%20line/tags/list 400 - 0" in lines[1]


def test_concurrent_pushes_all_succeed(registry):
    from concurrent.futures import ThreadPoolExecutor
    registry.start()
    tok = rw(registry, "m/many")

    def one(i):
        body = image(registry, "m/many", tok, f"layer {i}".encode())
        return put_manifest(registry, "m/many", f"t{i:03d}", body, tok)[0]

    with ThreadPoolExecutor(max_workers=24) as pool:
        statuses = list(pool.map(one, range(96)))
    assert statuses == [201] * 96
    st, _, body = registry.request("GET", "/v2/m/many/tags/list", bearer=tok)
    assert st == 200 and len(json.loads(body)["tags"]) == 96
