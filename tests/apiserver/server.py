"""server.py - the HTTPS front of the local API server: authentication (bearer tokens,
impersonation by system:masters), routing of discovery, health, OpenAPI v3, resource
and /_local control endpoints, request body limits, the request log and injected
latency, JSON responses with Warning headers, and watch streams (chunked JSON lines
with ADDED/MODIFIED/DELETED/BOOKMARK/ERROR, fed from the store's event log).
"""
import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import scale
import status as st
from api import Api, Request

MAX_BODY = 3 * 1024 * 1024
MASTERS = "system:masters"


def sa_groups(name: str) -> list:
    """The groups a service-account user name implies."""
    parts = name.split(":")
    if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
        return ["system:serviceaccounts", f"system:serviceaccounts:{parts[2]}"]
    return []


def make_user(name: str, groups: list) -> dict:
    """A user info dict with the implied and system:authenticated groups."""
    gs = list(groups) + [g for g in sa_groups(name) if g not in groups]
    if "system:authenticated" not in gs:
        gs.append("system:authenticated")
    return {"username": name, "uid": "", "groups": gs}


def parse_user_spec(spec: str):
    """'TOKEN=NAME[:GROUP,GROUP]' -> (token, user); the name may contain ':' (service
    accounts), so groups follow the last ':' only when a ',' or known group form is used:
    use '|' or the final ':' before a group list starting with 'g=' is ambiguous, so the
    rule is: NAME[:GROUPS] where GROUPS is after '::' if present, else after the last ':'
    unless NAME starts with 'system:serviceaccount:'."""
    tok, sep, rest = spec.partition("=")
    if not sep or not tok or not rest:
        raise ValueError(f"--user {spec!r}: expected TOKEN=NAME[:GROUP,GROUP]")
    if "::" in rest:
        name, groups = rest.split("::", 1)
    elif rest.startswith("system:serviceaccount:"):
        parts = rest.split(":")
        name, groups = ":".join(parts[:4]), ":".join(parts[4:])
    elif ":" in rest and not rest.startswith("system:"):
        name, groups = rest.split(":", 1)
    else:
        name, groups = rest, ""
    return tok, make_user(name, [g for g in groups.split(",") if g])


class Server:
    """Everything shared by request handlers."""

    def __init__(self, store, registry, faults, reqlog, tokens: dict, bookmark_interval=5.0,
                 max_body=MAX_BODY):
        self.store = store
        self.registry = registry
        self.faults = faults
        self.reqlog = reqlog
        self.tokens = tokens  # token -> user dict
        self.tokens_lock = threading.Lock()
        self.api = Api(store, registry, faults)
        self.bookmark_interval = bookmark_interval
        self.max_body = max_body
        self.address = ""
        self.rbac = False  # --authorization=RBAC


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "appstack-local-apiserver"
    sys_version = ""
    timeout = 600

    def log_message(self, fmt, *args):  # quiet; the request log keeps what tests need
        pass

    @property
    def srv(self) -> Server:
        return self.server.ctx

    # ---- plumbing ------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        """The request body (Content-Length or chunked), limited to max_body (413)."""
        te = self.headers.get("Transfer-Encoding", "")
        limit = self.srv.max_body
        if "chunked" in te.lower():
            data = b""
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline(1024)
                    break
                if len(data) + size > limit:
                    raise st.too_large(limit)
                data += self.rfile.read(size)
                self.rfile.readline(8)
            return data
        n = int(self.headers.get("Content-Length") or 0)
        if n > limit:
            self.close_connection = True
            left = min(n, 64 * 1024 * 1024)  # drain so the client reads the 413
            while left > 0:
                got = self.rfile.read(min(left, 1 << 20))
                if not got:
                    break
                left -= len(got)
            raise st.too_large(limit)
        return self.rfile.read(n) if n else b""

    def _send_header_utf8(self, keyword: str, value: str):
        """Like send_header, but the value goes out as UTF-8 bytes, as Go's net/http
        writes it (kube-apiserver's Warning headers carry policy text such as '—' as is;
        http.server's send_header would encode latin-1 and fail)."""
        if keyword.lower() == "connection" or str(value).isascii():
            self.send_header(keyword, value)  # keeps http.server's keep-alive bookkeeping
            return
        if not hasattr(self, "_headers_buffer"):
            self._headers_buffer = []
        self._headers_buffer.append(f"{keyword}: {value}\r\n".encode("utf-8"))

    def _send(self, code: int, body, headers=None, ctype="application/json"):
        """Writes a complete response (JSON, text or bytes) with Content-Length."""
        if isinstance(body, (dict, list)):
            data = json.dumps(body, separators=(",", ":")).encode() + b"\n"
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body or b""
        self._answered_at = time.time()  # the request log's time: before the client can act
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            for x in v if isinstance(v, list) else [v]:
                self._send_header_utf8(k, x)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.code = code

    def _authenticate(self):
        """The effective user (bearer token, then impersonation); None without a valid token."""
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return None
        with self.srv.tokens_lock:
            user = self.srv.tokens.get(auth[7:].strip())
        if user is None:
            return None
        imp = self.headers.get("Impersonate-User")
        imp_groups = self.headers.get_all("Impersonate-Group") or []
        if imp or imp_groups:
            if MASTERS not in user["groups"]:
                target = imp or imp_groups[0]
                res = "users" if imp else "groups"
                raise st.forbidden(f'{res} "{target}" is forbidden: User "{user["username"]}" '
                                   f'cannot impersonate resource "{res}" in API group "" at '
                                   'the cluster scope', {"name": target, "kind": res})
            if not imp:
                raise st.internal("requested impersonation of groups without a user")
            user = make_user(imp, imp_groups)
        return user

    # ---- entry points -------------------------------------------------------------------
    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _handle(self):
        """Every request: health, auth, latency fault, routing, errors, request log."""
        self.code = 0
        started = time.time()
        user = None
        url = urlsplit(self.path)
        path = url.path
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        local = path.startswith("/_local/")
        self._body = None
        self._logged = False
        self._user = None
        self._answered_at = None
        try:
            # the body is always consumed first, so an early error cannot leave it in the
            # connection to be misread as the next request
            self._body = self._read_body() if self.command not in ("GET", "HEAD") else b""
            if path in ("/healthz", "/livez", "/readyz"):
                return self._send(200, "ok", ctype="text/plain; charset=utf-8")
            user = self._user = self._authenticate()
            if user is None:
                raise st.unauthorized()
            if not local:
                lat = self.srv.faults.snapshot()["latencyMs"]
                if lat:
                    time.sleep(lat / 1000.0)
            if local:
                return self._local(path, user)
            self._route(path, query, user)
        except st.ApiError as e:
            if self._body is None:
                self.close_connection = True
            if not self.code:
                try:
                    self._send(e.code, e.status, e.headers)
                except OSError:
                    pass
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        except Exception as e:  # a bug in a module: answer 500 like kube-apiserver would
            import traceback
            traceback.print_exc()
            if not self.code:
                try:
                    err = st.internal(f"{type(e).__name__}: {e}")
                    self._send(500, err.status)
                except OSError:
                    pass
        finally:
            if not local and not self._logged:
                self.srv.reqlog.add(self.command, self.path,
                                    self.headers.get("User-Agent", ""),
                                    user["username"] if user else "", self.code or 0,
                                    at=self._answered_at)

    # ---- /_local ------------------------------------------------------------------------------
    def _local(self, path, user):
        """The /_local control endpoints (system:masters only)."""
        if MASTERS not in user["groups"]:
            raise st.forbidden(f'User "{user["username"]}" cannot use {path}: only '
                               'system:masters may')
        body = self._body
        m = self.command
        if path == "/_local/faults":
            if m == "GET":
                return self._send(200, self.srv.faults.snapshot())
            if m in ("POST", "PUT"):
                return self._send(200, self.srv.faults.update(_json(body)))
            if m == "DELETE":
                self.srv.faults.reset()
                return self._send(200, self.srv.faults.snapshot())
        elif path == "/_local/compact" and m == "POST":
            self.srv.store.compact()
            return self._send(200, {"compactedResourceVersion": str(self.srv.store.compacted_rv)})
        elif path == "/_local/requests":
            if m == "GET":
                return self._send(200, self.srv.reqlog.list())
            if m == "DELETE":
                self.srv.reqlog.clear()
                return self._send(200, [])
        elif path == "/_local/users" and m == "POST":
            d = _json(body)
            if not isinstance(d, dict) or not d.get("token") or not d.get("name"):
                raise st.bad_request("users: body must be {\"token\",\"name\",\"groups\"}")
            u = make_user(d["name"], d.get("groups") or [])
            with self.srv.tokens_lock:
                self.srv.tokens[d["token"]] = u
            return self._send(200, u)
        raise st.ApiError(st.status(404, "NotFound", "the server could not find the requested "
                                    "resource", {}))

    # ---- routing -------------------------------------------------------------------------------
    def _route(self, path, query, user):
        """Maps a path to discovery, OpenAPI or a resource verb and runs it."""
        reg = self.srv.registry
        parts = [unquote(p) for p in path.strip("/").split("/") if p]
        m = self.command
        if parts == ["version"]:
            return self._send(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0",
                                    "gitCommit": "appstack-local", "gitTreeState": "clean",
                                    "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
                                    "compiler": "gc", "platform": "linux/amd64"})
        if parts == ["api"]:
            return self._send(200, reg.api_versions(self.srv.address))
        if parts == ["apis"]:
            return self._send(200, reg.api_group_list())
        if parts[:2] == ["openapi", "v3"]:
            doc = reg.openapi_v3_root() if len(parts) == 2 else \
                reg.openapi_v3_doc("/".join(parts[2:]))
            if doc is not None:
                return self._send(200, doc)
            raise notfound()
        if parts and parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
            if parts[1] != "v1":
                raise notfound()
        elif parts and parts[0] == "apis" and len(parts) >= 2:
            if len(parts) == 2:
                g = reg.api_group(parts[1])
                if g is None:
                    raise notfound()
                return self._send(200, g)
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise notfound()
        if not rest:
            doc = reg.resource_list(group, version)
            if doc is None:
                raise notfound()
            return self._send(200, doc)
        watch = query.get("watch") in ("1", "true", "True")
        if rest[0] == "watch":
            watch, rest = True, rest[1:]
        ns = ""
        if len(rest) >= 2 and rest[0] == "namespaces" and group == "" and \
                (len(rest) == 2 or len(rest) == 3 and rest[2] in ("status", "finalize")):
            plural, name, sub = "namespaces", rest[1], (rest[2] if len(rest) == 3 else "")
        elif len(rest) >= 3 and rest[0] == "namespaces":
            ns, plural, name = rest[1], rest[2], (rest[3] if len(rest) > 3 else "")
            sub = rest[4] if len(rest) > 4 else ""
            if len(rest) > 5:
                raise notfound()
        else:
            plural, name = rest[0], (rest[1] if len(rest) > 1 else "")
            sub = rest[2] if len(rest) > 2 else ""
            if len(rest) > 3:
                raise notfound()
        info = reg.lookup(group, version, plural)
        if info is None or (ns and not info.namespaced):
            raise notfound()
        if sub and not ((sub == "status" and info.status) or
                        (sub == "finalize" and info.kind == "Namespace") or
                        (sub == "scale" and scale.scalable(info))):
            raise notfound()
        if info.namespaced and name and not ns and plural != "namespaces":
            raise notfound()
        if self.srv.rbac:
            verb = {"GET": "watch" if watch else ("get" if name else "list"),
                    "HEAD": "get" if name else "list", "POST": "create", "PUT": "update",
                    "PATCH": "patch",
                    "DELETE": "delete" if name else "deletecollection"}.get(m, "")
            import authz
            with self.srv.store.lock:
                ok = authz.allowed(self.srv.store, user, verb, group, plural, sub, ns, name)
            if not ok:
                raise authz.forbidden(user, verb, group, plural, sub, ns, name)
        req = Request(user, query, self.headers.get("User-Agent", ""))
        api = self.srv.api
        body = self._body
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if m in ("POST", "PUT") and body and ctype not in ("", "application/json", "*/*"):
            if ctype in ("application/yaml", "text/yaml"):
                body = _yaml_to_json(body)
            elif ctype == "application/vnd.kubernetes.protobuf":
                import protobuf
                try:
                    body = json.dumps(protobuf.decode(body)).encode()
                except (ValueError, UnicodeDecodeError):
                    raise st.unsupported_media(["application/json", "application/yaml"])
            else:
                raise st.unsupported_media(["application/json", "application/yaml"])
        if not name:
            if m == "GET":
                if watch:
                    return self._watch(info, ns or None, query, None)
                return self._send(200, api.list(info, ns or None, query))
            if m == "POST":
                if info.namespaced and not ns:
                    raise method_na(m)
                code, obj = api.create(info, ns, _json(body), req)
                return self._reply(code, obj, req)
            if m == "DELETE":
                code, obj = api.delete_collection(info, ns or None, _opts(body), req)
                return self._reply(code, obj, req)
            raise method_na(m)
        if sub == "scale":
            if m == "GET" and not watch:
                return self._send(200, scale.get(api, info, ns, name))
            if m == "PUT":
                code, obj = scale.update(api, info, ns, name, lambda _old: _json(body), req)
                return self._reply(code, obj, req)
            if m == "PATCH":
                change = scale.patcher(self.headers.get("Content-Type", ""), body)
                code, obj = scale.update(api, info, ns, name, change, req)
                return self._reply(code, obj, req)
            raise method_na(m)
        if m == "GET":
            if watch:
                return self._watch(info, ns or None, query, name)
            return self._send(200, api.get(info, ns, name))
        if m == "PUT":
            code, obj = api.update(info, ns, name, _json(body), req, sub)
            return self._reply(code, obj, req)
        if m == "PATCH":
            if sub == "finalize":
                raise method_na(m)
            code, obj = api.patch(info, ns, name, self.headers.get("Content-Type", ""), body,
                                  req, sub)
            return self._reply(code, obj, req)
        if m == "DELETE" and not sub:
            code, obj = api.delete(info, ns, name, _opts(body), req)
            return self._reply(code, obj, req)
        raise method_na(m)

    def _reply(self, code, obj, req):
        """Sends a write's answer with one Warning header per admission warning."""
        hdrs = {}
        if req.warnings:
            hdrs["Warning"] = ['299 - ' + st.go_quote(w) for w in req.warnings]
        self._send(code, obj, hdrs)

    # ---- watch ------------------------------------------------------------------------------
    def _chunk(self, data: bytes):
        """Writes one HTTP chunk and flushes (b'' ends the stream)."""
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _event(self, type_, obj):
        """Writes one watch event as a JSON line."""
        self._chunk(json.dumps({"type": type_, "object": obj},
                               separators=(",", ":")).encode() + b"\n")

    def _watch(self, info, ns, query, name):
        """Streams a watch: initial ADDED, events, bookmarks, timeout, cuts and 410 ERROR."""
        api, store = self.srv.api, self.srv.store
        sel = api.selectors(info, query)
        if name:
            sel = (sel[0], sel[1] + [("=", "metadata.name", name)])
        try:
            timeout = float(query.get("timeoutSeconds") or 0)
        except ValueError:
            raise st.bad_request("timeoutSeconds: must be a number")
        if timeout <= 0:
            timeout = 1800.0  # the server's default (real: 30-60 minutes)
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        rv_param = query.get("resourceVersion", "")
        try:
            start_rv = int(rv_param) if rv_param not in ("", "0") else None
        except ValueError:
            raise st.bad_request(f'resourceVersion: Invalid value: "{rv_param}": must be an '
                                 'integer')
        initial = []
        with store.lock:
            if start_rv is None:
                pos = store.rv
                initial = [o for _k, o in store.items(info.key, ns) if api.matches(sel, o)]
            else:
                pos = start_rv
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.code = 200
        self._logged = True  # a watch is logged when it starts, not when it ends
        self.srv.reqlog.add(self.command, self.path, self.headers.get("User-Agent", ""),
                            self._user["username"], 200)
        for o in initial:
            self._event("ADDED", api.out(info, o))
        now = time.monotonic()
        deadline = now + timeout
        cut = self.srv.faults.snapshot()["watchCutSeconds"]
        cut_at = now + cut if cut else None
        next_bm = now + self.srv.bookmark_interval
        while True:
            now = time.monotonic()
            if cut_at and now >= cut_at:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if now >= deadline:
                self._chunk(b"")
                return
            with store.lock:
                evs = store.events_after(pos)
                if evs is None:
                    expired = st.too_old(pos, store.compacted_rv)
                elif not evs:
                    wake = min(deadline, next_bm if bookmarks else deadline,
                               cut_at or deadline)
                    store.cond.wait(max(0.0, min(wake - now, 1.0)))
                    evs = store.events_after(pos)
                    if evs is None:
                        expired = st.too_old(pos, store.compacted_rv)
            if evs is None:
                self._event("ERROR", expired)
                self._chunk(b"")
                return
            if self.srv.registry.lookup(info.group, info.version, info.plural) is None:
                self._chunk(b"")  # the CRD went away: real servers end such watches
                return
            for ev in evs:
                pos = ev.rv
                if ev.key != info.key or (ns is not None and ev.ns != ns):
                    continue
                t = self._event_type(api, sel, ev)
                if t:
                    self._event(t, api.out(info, ev.obj))
            if bookmarks and time.monotonic() >= next_bm:
                next_bm = time.monotonic() + self.srv.bookmark_interval
                self._event("BOOKMARK", {"kind": info.kind, "apiVersion": info.api_version,
                                         "metadata": {"resourceVersion": str(pos),
                                                      "creationTimestamp": None}})

    @staticmethod
    def _event_type(api, sel, ev):
        """The event a filtered watcher sees: objects leaving the selection are DELETED,
        objects entering it ADDED (like the watch cache)."""
        if ev.type == "ADDED":
            return "ADDED" if api.matches(sel, ev.obj) else None
        if ev.type == "DELETED":
            return "DELETED" if api.matches(sel, ev.prev) else None
        now_m = api.matches(sel, ev.obj)
        was_m = api.matches(sel, ev.prev) if ev.prev is not None else False
        if now_m and was_m:
            return "MODIFIED"
        if now_m:
            return "ADDED"
        if was_m:
            return "DELETED"
        return None


def notfound():
    """The 404 kube-apiserver answers for unknown paths."""
    return st.ApiError(st.status(404, "NotFound", "the server could not find the requested "
                                 "resource", {}))


def method_na(m):
    """405 for a method the endpoint does not serve."""
    return st.method_not_allowed(f"the server does not allow this method on the requested "
                                 f"resource")


def _json(body: bytes):
    """The decoded JSON request body; 400 when it is not JSON."""
    try:
        return json.loads(body or b"null")
    except ValueError as e:
        raise st.bad_request(f"error decoding request body: {e}")


def _yaml_to_json(body: bytes) -> bytes:
    """A YAML request body re-encoded as JSON (400 on YAML errors)."""
    from api import decode_yaml_or_json
    return json.dumps(decode_yaml_or_json(body)).encode()


def _opts(body: bytes) -> dict:
    """DeleteOptions from a DELETE body ({} when empty)."""
    if not body:
        return {}
    d = _json(body)
    if d is None:
        return {}
    if not isinstance(d, dict):
        raise st.bad_request("DeleteOptions: body must be an object")
    return d


class HTTPSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, ctx: Server, certfile, keyfile):
        super().__init__(addr, Handler)
        self.ctx = ctx
        self.sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.sslctx.load_cert_chain(certfile, keyfile)
        self.sslctx.set_alpn_protocols(["http/1.1"])

    def get_request(self):
        """Accepts a plain TCP connection (TLS is done in the worker thread)."""
        sock, addr = self.socket.accept()
        return sock, addr

    def finish_request(self, request, client_address):
        """TLS handshake in the worker thread so a slow client cannot block accept()."""
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms stalls
            request.settimeout(30)
            tls = self.sslctx.wrap_socket(request, server_side=True)
            tls.settimeout(None)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass
