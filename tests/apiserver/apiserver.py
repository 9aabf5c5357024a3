#!/usr/bin/env python3
"""apiserver.py - entry point of the local test API server (a stand-in for
kube-apiserver in AppStack's tests; see tests/apiserver/README in issue 2 terms).

Usage: apiserver.py --state-dir DIR [--port N] [--bookmark-interval S]
                    [--compaction-window N] [--user TOKEN=NAME[:GROUP,GROUP]]...
                    [--authorization AlwaysAllow|RBAC]
Also reads extra users from APPSTACK_APISERVER_USERS (entries separated by ';').
In DIR it keeps: ca.crt/ca.key/server.crt/server.key, admin.token, kubeconfig,
objects.json + objects.journal (state), apiserver.pid, port, apiserver.log (by the
launcher). SIGTERM/SIGINT write a final snapshot and exit 0.
"""
import argparse
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import certs  # noqa: E402
from faults import Faults, RequestLog  # noqa: E402
from resources import Registry  # noqa: E402
from server import HTTPSServer, Server, make_user, parse_user_spec  # noqa: E402
from store import Store  # noqa: E402


def parse_args(argv):
    """Command-line options of the server."""
    ap = argparse.ArgumentParser(description="local test API server")
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--port", type=int, default=-1,
                    help="port on 127.0.0.1 (default: the previous one if free, else any)")
    ap.add_argument("--bookmark-interval", type=float, default=5.0,
                    help="seconds between BOOKMARK events on watches that allow them")
    ap.add_argument("--compaction-window", type=int, default=10000,
                    help="watch events kept; older resourceVersions get 410 Expired")
    ap.add_argument("--user", action="append", default=[],
                    help="extra user TOKEN=NAME[:GROUP,GROUP] (repeatable)")
    ap.add_argument("--max-body", type=int, default=3 * 1024 * 1024)
    ap.add_argument("--authorization", choices=["AlwaysAllow", "RBAC"], default="AlwaysAllow",
                    help="RBAC: enforce Roles/ClusterRoles and their bindings "
                         "(system:masters always allowed)")
    return ap.parse_args(argv)


def main(argv=None):
    """Starts the server: PKI, users, store, listener, kubeconfig, pid file; runs until SIGTERM."""
    args = parse_args(argv if argv is not None else sys.argv[1:])
    d = os.path.abspath(args.state_dir)
    os.makedirs(d, exist_ok=True)
    pki = certs.ensure_pki(d)
    token = certs.admin_token(d)
    tokens = {token: make_user("admin", ["system:masters"])}
    specs = list(args.user)
    env = os.environ.get("APPSTACK_APISERVER_USERS", "")
    specs += [s.strip() for s in env.split(";") if s.strip()]
    for spec in specs:
        try:
            tok, user = parse_user_spec(spec)
        except ValueError as e:
            sys.exit(f"apiserver: {e}")
        tokens[tok] = user

    store = Store(d, window=args.compaction_window)
    registry = Registry()
    ctx = Server(store, registry, Faults(), RequestLog(), tokens,
                 bookmark_interval=args.bookmark_interval, max_body=args.max_body)
    ctx.rbac = args.authorization == "RBAC"

    port_file = os.path.join(d, "port")
    candidates = []
    if args.port >= 0:
        candidates = [args.port]
    else:
        try:
            with open(port_file) as f:
                candidates.append(int(f.read().strip()))
        except (OSError, ValueError):
            pass
        candidates.append(0)
    httpd = None
    for p in candidates:
        try:
            httpd = HTTPSServer(("127.0.0.1", p), ctx, pki["server.crt"], pki["server.key"])
            break
        except OSError as e:
            err = e
    if httpd is None:
        sys.exit(f"apiserver: cannot listen on 127.0.0.1: {err}")
    port = httpd.server_address[1]
    ctx.address = f"127.0.0.1:{port}"
    certs.write_kubeconfig(os.path.join(d, "kubeconfig"), port, pki["ca.crt"], token)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.replace(port_file + ".tmp", port_file)
    with open(os.path.join(d, "apiserver.pid"), "w") as f:
        f.write(str(os.getpid()))

    def stop(_sig, _frame):
        """SIGTERM/SIGINT: final snapshot under the store lock, then exit 0."""
        with store.lock:
            store.close()
            os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"apiserver: listening on https://127.0.0.1:{port} (state {d})", flush=True)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
