#!/usr/bin/env python3
"""fake_google.py — the Google endpoints the gcs tests need besides the Storage emulator.

One local HTTP server (127.0.0.1, a free port) playing three parts:

  token endpoint   POST /token[?ttl=N]   OAuth2 jwt-bearer grant. It checks the request as
                   Google's would: grant_type, a three-part JWT with header alg=RS256,
                   typ=JWT, kid = --kid; claims iss = --email, scope = --scope, aud = the URL
                   that was called (query included), exp = iat + 3600, iat within 5 min of
                   now; and the RS256 signature against --pubkey (verified with the openssl
                   command). Answers {"access_token": "tok-N", "expires_in": ttl (3599)} or
                   400 {"error": "invalid_grant", "error_description": why}.
  metadata server  GET /computeMetadata/v1/instance/service-accounts/default/token
                   403 without `Metadata-Flavor: Google`, else {"access_token": "meta-N"}.
  GCS proxy        /upload/…, /storage/…, /download/… are forwarded to --upstream (the
                   Storage emulator), with faults on demand:
                     POST /control?fail=N&status=S   the next N requests get HTTP S (503)
                     POST /control?corrupt=N         the next N uploads report a wrong md5Hash
                     POST /control?corrupt_download=N
                                                     the next N media downloads arrive with
                                                     their last byte changed (same headers)
                     POST /control?stall_download=S  the next media download sends half its
                                                     body, stalls S seconds, then the rest
                     POST /control?require_auth=1    401 unless `Authorization: Bearer tok-…`
                                                     with a token this server issued
                     POST /control?fail_chunk=N&status=S
                                                     the next N chunk PUTs of a resumable
                                                     upload get HTTP S (503), not forwarded
                     POST /control?lose_chunk=N      the next N chunk PUTs are forwarded, then
                                                     answered 503 (stored, the client not told)
                     POST /control?short_chunk=N     the next N chunk PUTs of more than one
                                                     byte forward only their first half (the
                                                     308's Range says so)
                     POST /control?reset=1           counters and faults back to zero
                   Resumable uploads: the session URI (Location) is rewritten to point here,
                   so its chunks pass through too; counters sessions, chunks, queries
                   (PUTs with Content-Range `bytes */N`).
                   A bucket named fsim-missing-bucket answers 404 "The specified bucket does
                   not exist." as Cloud Storage does (the emulator creates buckets on demand).
  GET /stats       the counters as JSON.

Prints `FAKE_GOOGLE_READY http://127.0.0.1:PORT` when listening. Standard library only.
"""
import argparse
import base64
import http.client
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

LOCK = threading.Lock()
STATE = {}


def reset_state():
    STATE.update(token_requests=0, token_rejected=0, metadata_requests=0, proxied=0,
                 failed=0, corrupted=0, with_auth=0, without_auth=0, last_reject="",
                 fail=0, fail_status=503, corrupt=0, corrupt_download=0, stall_download=0.0,
                 stalled=0, require_auth=False, fail_chunk=0, fail_chunk_status=503,
                 lose_chunk=0, short_chunk=0, lost=0, shortened=0, sessions=0, chunks=0,
                 queries=0,
                 issued=[])


reset_state()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_rs256(signing_input, signature, pubkey):
    with tempfile.TemporaryDirectory() as d:
        data, sig = os.path.join(d, "data"), os.path.join(d, "sig")
        with open(data, "wb") as f:
            f.write(signing_input)
        with open(sig, "wb") as f:
            f.write(signature)
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pubkey, "-signature", sig,
                            data], capture_output=True)
        return r.returncode == 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-google"

    def log_message(self, fmt, *args):  # quiet: the test output is TAP
        if os.environ.get("FAKE_GOOGLE_DEBUG"):
            sys.stderr.write("fake_google: " + fmt % args + "\n")

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, payload, ctype="application/json", extra=None, stall=0.0):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if stall > 0:
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            time.sleep(stall)
            data = data[len(data) // 2:]
        self.wfile.write(data)

    # ---- token endpoint ---------------------------------------------------------------
    def token(self, url):
        form = urllib.parse.parse_qs(self.body().decode())
        with LOCK:
            STATE["token_requests"] += 1

        def reject(why):
            with LOCK:
                STATE["token_rejected"] += 1
                STATE["last_reject"] = why
            self.reply(400, {"error": "invalid_grant", "error_description": why})

        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return reject("bad grant_type")
        parts = form.get("assertion", [""])[0].split(".")
        if len(parts) != 3:
            return reject("assertion is not a JWT")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except ValueError:
            return reject("assertion does not decode")
        a = self.server.args
        aud = f"http://127.0.0.1:{self.server.server_port}{self.path}"
        checks = [
            (header.get("alg") == "RS256", "alg must be RS256"),
            (header.get("typ") == "JWT", "typ must be JWT"),
            (header.get("kid") == a.kid, "kid must be the key id"),
            (claims.get("iss") == a.email, "iss must be the client_email"),
            (claims.get("scope") == a.scope, "scope must be " + a.scope),
            (claims.get("aud") == aud, "aud must be " + aud),
            (isinstance(claims.get("iat"), int) and abs(claims["iat"] - time.time()) < 300,
             "iat must be now"),
            (isinstance(claims.get("exp"), int) and claims.get("exp") == claims.get("iat", 0) + 3600,
             "exp must be iat + 3600"),
        ]
        for ok, why in checks:
            if not ok:
                return reject(why)
        if not verify_rs256((parts[0] + "." + parts[1]).encode(), sig, a.pubkey):
            return reject("Invalid JWT Signature.")
        ttl = int(urllib.parse.parse_qs(url.query).get("ttl", ["3599"])[0])
        with LOCK:
            tok = f"tok-{len(STATE['issued']) + 1}"
            STATE["issued"].append(tok)
        self.reply(200, {"access_token": tok, "expires_in": ttl, "token_type": "Bearer"})

    def metadata(self):
        if self.headers.get("Metadata-Flavor") != "Google":
            return self.reply(403, b"Missing Metadata-Flavor:Google header.", "text/plain")
        with LOCK:
            STATE["metadata_requests"] += 1
            n = STATE["metadata_requests"]
        self.reply(200, {"access_token": f"meta-{n}", "expires_in": 3599, "token_type": "Bearer"})

    # ---- GCS proxy --------------------------------------------------------------------
    def proxy(self):
        body = self.body() if self.command in ("POST", "PUT", "PATCH") else b""
        auth = self.headers.get("Authorization")
        with LOCK:
            STATE["with_auth" if auth else "without_auth"] += 1
            if STATE["fail"] > 0:
                STATE["fail"] -= 1
                STATE["failed"] += 1
                status = STATE["fail_status"]
            else:
                status = 0
            corrupt = False
            if status == 0 and STATE["corrupt"] > 0 and self.path.startswith("/upload/"):
                corrupt = True  # counted below, when the answer is the object's metadata
            flip = False
            if (status == 0 and STATE["corrupt_download"] > 0 and self.command == "GET"
                    and "alt=media" in self.path):
                STATE["corrupt_download"] -= 1
                STATE["corrupted"] += 1
                flip = True
            stall = 0.0
            if (status == 0 and STATE["stall_download"] > 0 and self.command == "GET"
                    and "alt=media" in self.path):
                stall = STATE["stall_download"]
                STATE["stall_download"] = 0.0
                STATE["stalled"] += 1
            crange = self.headers.get("Content-Range") or ""
            is_query = self.command == "PUT" and crange.startswith("bytes */")
            is_chunk = self.command == "PUT" and crange.startswith("bytes ") and not is_query
            lose = short = False
            if status == 0 and is_query:
                STATE["queries"] += 1
            if status == 0 and is_chunk:
                STATE["chunks"] += 1
                if STATE["fail_chunk"] > 0:
                    STATE["fail_chunk"] -= 1
                    STATE["failed"] += 1
                    status = STATE["fail_chunk_status"]
                elif STATE["lose_chunk"] > 0:
                    STATE["lose_chunk"] -= 1
                    STATE["lost"] += 1
                    lose = True
                elif STATE["short_chunk"] > 0 and len(body) > 1:
                    STATE["short_chunk"] -= 1
                    STATE["shortened"] += 1
                    short = True
            need_auth = STATE["require_auth"]
            issued = list(STATE["issued"])
        if status:
            return self.reply(status, {"error": {"code": status, "message": "Backend Error (fake)"}})
        if need_auth and (not auth or auth[len("Bearer "):] not in issued):
            return self.reply(401, {"error": {"code": 401, "message": "Invalid Credentials"}})
        if "/b/fsim-missing-bucket/" in self.path:
            return self.reply(404, {"error": {"code": 404,
                                              "message": "The specified bucket does not exist."}})
        up = urllib.parse.urlsplit(self.server.args.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() in ("content-type", "content-length", "range", "content-range",
                                    "x-upload-content-type", "x-upload-content-length")}
        if short:
            first, rest = crange[len("bytes "):].split("-", 1)
            total = rest.split("/", 1)[1]
            body = body[:len(body) // 2]
            headers["Content-Range"] = f"bytes {first}-{int(first) + len(body) - 1}/{total}"
            headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        with LOCK:
            STATE["proxied"] += 1
            if resp.getheader("Location"):
                STATE["sessions"] += 1
        if lose:
            conn.close()
            return self.reply(503, {"error": {"code": 503, "message": "Backend Error (fake, after storing)"}})
        if corrupt and resp.status in (200, 201) and b'"md5Hash"' in data:
            with LOCK:
                STATE["corrupt"] -= 1
                STATE["corrupted"] += 1
            meta = json.loads(data)
            meta["md5Hash"] = base64.b64encode(b"\0" * 16).decode()
            data = json.dumps(meta).encode()
        if flip and data:
            data = data[:-1] + bytes([data[-1] ^ 0x01])
        extra = {k: v for k, v in resp.getheaders()
                 if k.lower() in ("x-goog-hash", "x-goog-generation", "etag", "range")}
        loc = resp.getheader("Location")
        if loc:
            u = urllib.parse.urlsplit(loc)
            extra["Location"] = urllib.parse.urlunsplit(
                ("http", f"127.0.0.1:{self.server.server_port}", u.path, u.query, ""))
        self.reply(resp.status, data, resp.getheader("Content-Type") or "application/octet-stream",
                   extra, stall)
        conn.close()

    def control(self, url):
        self.body()
        q = urllib.parse.parse_qs(url.query)
        with LOCK:
            if "reset" in q:
                issued = STATE["issued"]
                reset_state()
                STATE["issued"] = issued
            if "fail" in q:
                STATE["fail"] = int(q["fail"][0])
                STATE["fail_status"] = int(q.get("status", ["503"])[0])
            if "corrupt" in q:
                STATE["corrupt"] = int(q["corrupt"][0])
            if "corrupt_download" in q:
                STATE["corrupt_download"] = int(q["corrupt_download"][0])
            if "stall_download" in q:
                STATE["stall_download"] = float(q["stall_download"][0])
            if "fail_chunk" in q:
                STATE["fail_chunk"] = int(q["fail_chunk"][0])
                STATE["fail_chunk_status"] = int(q.get("status", ["503"])[0])
            if "lose_chunk" in q:
                STATE["lose_chunk"] = int(q["lose_chunk"][0])
            if "short_chunk" in q:
                STATE["short_chunk"] = int(q["short_chunk"][0])
            if "require_auth" in q:
                STATE["require_auth"] = q["require_auth"][0] == "1"
        self.reply(200, {"ok": True})

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        p = url.path
        if p == "/token" and self.command == "POST":
            return self.token(url)
        if p == "/computeMetadata/v1/instance/service-accounts/default/token":
            return self.metadata()
        if p == "/control" and self.command == "POST":
            return self.control(url)
        if p == "/stats":
            with LOCK:
                stats = {k: v for k, v in STATE.items() if k != "issued"}
                stats["issued"] = len(STATE["issued"])
            return self.reply(200, stats)
        if p.startswith(("/upload/", "/storage/", "/download/")):
            if not self.server.args.upstream:
                return self.reply(502, {"error": {"code": 502, "message": "no --upstream"}})
            return self.proxy()
        self.body()
        self.reply(404, {"error": {"code": 404, "message": "fake_google: no route " + p}})

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = route


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pubkey", required=True, help="PEM public key of the test service account")
    ap.add_argument("--email", required=True)
    ap.add_argument("--kid", required=True)
    ap.add_argument("--scope", default="https://www.googleapis.com/auth/cloud-platform")
    ap.add_argument("--upstream", default=os.environ.get("STORAGE_EMULATOR_HOST", ""))
    args = ap.parse_args()
    if args.upstream and "://" not in args.upstream:
        args.upstream = "http://" + args.upstream
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.args = args
    print(f"FAKE_GOOGLE_READY http://127.0.0.1:{srv.server_port}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
