"""test_admission.py - tests for admission.py: webhook matching as pure functions, and real
HTTPS calls to a small programmable webhook server started here (certificates made with the
openssl CLI, SAN DNS webhook.appstack-system.svc and IP 127.0.0.1).

Expected values are written from kube-apiserver's documented behaviour and messages
(k8s.io/apiserver/pkg/admission/plugin/webhook: dispatcher.go, statuserror.go,
request/admissionreview.go, rules/rules.go, namespace/matcher.go, object/matcher.go).
"""
import base64
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

import admission

NS = "appstack-system"
SVC = "webhook"
SVC_HOST = f"{SVC}.{NS}.svc"
REVIEW = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}


class _Server:
    """Shared state of the test webhook server: routes (path -> behaviour) and requests."""
    port = 0
    routes = {}
    requests = []
    release = threading.Event()
    tmp = ""
    ca_b64 = ""
    other_ca_b64 = ""
    httpd = None


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_certs(tmp):
    """A CA, a server certificate it signs (SANs below) and a second, unrelated CA."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-days",
                 "2", "-subj", f"/CN={ca}", "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=tmp)
    _openssl("req", "-new", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj",
             "/CN=webhook", cwd=tmp)
    with open(os.path.join(tmp, "ext.cnf"), "w") as f:
        f.write(f"subjectAltName=DNS:{SVC_HOST},IP:127.0.0.1\n"
                "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-set_serial", "2", "-days", "2", "-extfile", "ext.cnf", "-out", "srv.crt", cwd=tmp)


def _b64_file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        path, _, query = self.path.partition("?")
        try:
            review = json.loads(raw)
        except ValueError:
            review = None
        _Server.requests.append({"path": path, "query": query, "headers": dict(self.headers),
                                 "review": review,
                                 "sni": getattr(self.connection, "sni_name", None)})
        behaviour = _Server.routes.get(path, allow)
        code, ctype, body = behaviour(review)
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout tests)

    def log_message(self, *args):
        pass


class _HTTPSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # failed handshakes are expected in the TLS tests


def setUpModule():
    _Server.tmp = tempfile.mkdtemp(prefix="admission-test-")
    _make_certs(_Server.tmp)
    _Server.ca_b64 = _b64_file(os.path.join(_Server.tmp, "ca.crt"))
    _Server.other_ca_b64 = _b64_file(os.path.join(_Server.tmp, "other-ca.crt"))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(_Server.tmp, "srv.crt"), os.path.join(_Server.tmp,
                                                                            "srv.key"))

    def remember_sni(sslsock, server_name, _ctx):
        sslsock.sni_name = server_name
    ctx.sni_callback = remember_sni
    httpd = _HTTPSServer(("127.0.0.1", 0), _Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True,
                                   do_handshake_on_connect=False)
    _Server.httpd = httpd
    _Server.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()


def tearDownModule():
    _Server.release.set()
    if _Server.httpd is not None:
        _Server.httpd.shutdown()
        _Server.httpd.server_close()
    shutil.rmtree(_Server.tmp, ignore_errors=True)


# --- webhook behaviours -------------------------------------------------------------------


def _answer(review, **fields):
    resp = {"uid": review["request"]["uid"]}
    resp.update(fields)
    return 200, "application/json", dict(REVIEW, response=resp)


def allow(review):
    return _answer(review, allowed=True)


def respond(**fields):
    return lambda review: _answer(review, **fields)


def raw(code, ctype, body):
    return lambda review: (code, ctype, body)


def json_patch_answer(ops, **fields):
    patch = base64.b64encode(json.dumps(ops).encode()).decode()
    return respond(allowed=True, patch=patch, patchType="JSONPatch", **fields)


def slow(seconds):
    def behaviour(review):
        _Server.release.wait(seconds)
        return allow(review)
    return behaviour


# --- configuration and request builders ---------------------------------------------------

POD_RULE = {"operations": ["CREATE", "UPDATE"], "apiGroups": [""], "apiVersions": ["v1"],
            "resources": ["pods"]}


def url_config(path, ca=None):
    return {"url": f"https://127.0.0.1:{_Server.port}{path}",
            "caBundle": _Server.ca_b64 if ca is None else ca}


def service_config(path, name=SVC, ca=None):
    return {"service": {"namespace": NS, "name": name, "port": _Server.port, "path": path},
            "caBundle": _Server.ca_b64 if ca is None else ca}


def webhook(name, path, **extra):
    hook = {"name": name, "clientConfig": url_config(path), "rules": [POD_RULE],
            "failurePolicy": "Fail", "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "timeoutSeconds": 5}
    hook.update(extra)
    return hook


def configuration(kind, name, *hooks):
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind,
            "metadata": {"name": name}, "webhooks": list(hooks)}


def validating(*hooks, name="appstack-validating"):
    return configuration("ValidatingWebhookConfiguration", name, *hooks)


def mutating(*hooks, name="appstack-mutating"):
    return configuration("MutatingWebhookConfiguration", name, *hooks)


def pod(labels=None, name="web", namespace="team-a"):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {"app": "web"} if labels is None else labels},
            "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]}}


def attrs(operation="CREATE", group="", version="v1", kind="Pod", resource="pods",
          subresource="", namespace="team-a", name="web", dry_run=False):
    return {"operation": operation, "group": group, "version": version, "kind": kind,
            "resource": resource, "subresource": subresource, "namespace": namespace,
            "name": name, "dryRun": dry_run,
            "userInfo": {"username": "alice", "uid": "u-1", "groups": ["dev"]}}


TEAM_A = {"team": "a", "env": "prod"}


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _Base(unittest.TestCase):
    def setUp(self):
        _Server.routes = {}
        _Server.requests = []

    def paths(self):
        return [r["path"] for r in _Server.requests]

    def run_validating(self, configs, a=None, obj=None, old=None, ns_labels=TEAM_A):
        return admission.admit("validating", configs, a or attrs(),
                               pod() if obj is None else obj, old, ns_labels)


# --- pure matching -------------------------------------------------------------------------


class RuleMatchingTest(unittest.TestCase):
    def rule(self, resources, scope=None, ops=("*",), groups=("*",), versions=("*",)):
        r = {"operations": list(ops), "apiGroups": list(groups), "apiVersions": list(versions),
             "resources": list(resources)}
        if scope:
            r["scope"] = scope
        return r

    def test_operations_groups_versions(self):
        dep = attrs(group="apps", kind="Deployment", resource="deployments")
        self.assertTrue(admission.rule_matches(self.rule(["deployments"], ops=["CREATE"],
                                                         groups=["apps"], versions=["v1"]), dep))
        self.assertFalse(admission.rule_matches(self.rule(["deployments"], ops=["UPDATE"]), dep))
        self.assertFalse(admission.rule_matches(self.rule(["deployments"], groups=[""]), dep))
        self.assertFalse(admission.rule_matches(self.rule(["deployments"],
                                                          versions=["v1beta1"]), dep))
        self.assertFalse(admission.rule_matches(self.rule(["pods"]), dep))

    def test_subresource_forms(self):
        status = attrs(operation="UPDATE", subresource="status")
        want = {"pods": False, "pods/status": True, "*": False, "*/*": True, "pods/*": True,
                "*/status": True, "pods/log": False, "deployments/status": False}
        for resource, expected in want.items():
            with self.subTest(resource=resource):
                self.assertEqual(admission.rule_matches(self.rule([resource]), status), expected)
        main = attrs(operation="UPDATE")
        self.assertTrue(admission.rule_matches(self.rule(["*"]), main))
        self.assertTrue(admission.rule_matches(self.rule(["*/*"]), main))
        self.assertFalse(admission.rule_matches(self.rule(["pods/status"]), main))

    def test_scope(self):
        namespaced = attrs()
        cluster = attrs(group="rbac.authorization.k8s.io", kind="ClusterRole",
                        resource="clusterroles", namespace="", name="reader")
        namespace_obj = attrs(kind="Namespace", resource="namespaces", namespace="team-a",
                              name="team-a")
        table = [("Namespaced", namespaced, True), ("Namespaced", cluster, False),
                 ("Namespaced", namespace_obj, False), ("Cluster", namespaced, False),
                 ("Cluster", cluster, True), ("Cluster", namespace_obj, True),
                 ("*", namespaced, True), ("*", cluster, True)]
        for scope, a, expected in table:
            with self.subTest(scope=scope, resource=a["resource"]):
                self.assertEqual(admission.rule_matches(self.rule(["*"], scope=scope), a),
                                 expected)


class SelectorTest(unittest.TestCase):
    def test_match_labels_and_expressions(self):
        labels = {"team": "a", "env": "prod"}
        table = [
            ({"matchLabels": {"team": "a"}}, True),
            ({"matchLabels": {"team": "b"}}, False),
            ({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}, True),
            ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["x"]}]}, False),
            ({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]},
             False),
            ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["x"]}]},
             True),
            ({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, True),
            ({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}, False),
            ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, True),
            ({"matchLabels": {"team": "a"},
              "matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}]}, False),
            ({}, True),
        ]
        for selector, expected in table:
            with self.subTest(selector=selector):
                self.assertEqual(admission.selector_matches(selector, labels), expected)

    def test_malformed_selector_raises(self):
        for expr in ({"key": "a", "operator": "In", "values": []},
                     {"key": "a", "operator": "Exists", "values": ["x"]},
                     {"key": "a", "operator": "Near"}):
            with self.subTest(expr=expr), self.assertRaises(admission._SelectorError):
                admission.selector_matches({"matchExpressions": [expr]}, {"a": "x"})

    def test_order_sorted_by_configuration_name(self):
        configs = [validating({"name": "z1"}, {"name": "z2"}, name="zeta"),
                   validating({"name": "a1"}, name="alpha")]
        self.assertEqual([h["name"] for _, h in admission.webhooks_in_order(configs)],
                         ["a1", "z1", "z2"])


# --- calls over HTTPS ----------------------------------------------------------------------


class MatchingOverHTTPSTest(_Base):
    def test_only_matching_webhooks_are_called_in_order(self):
        configs = [
            validating(webhook("b.example.com", "/b"),
                       webhook("update-only.example.com", "/u",
                               rules=[dict(POD_RULE, operations=["UPDATE"])]),
                       name="second"),
            validating(webhook("a.example.com", "/a",
                               rules=[{"operations": ["*"], "apiGroups": ["*"],
                                       "apiVersions": ["*"], "resources": ["*"]}]),
                       webhook("apps.example.com", "/apps",
                               rules=[dict(POD_RULE, apiGroups=["apps"])]),
                       name="first"),
        ]
        result = self.run_validating(configs)
        self.assertTrue(result.allowed)
        self.assertEqual(self.paths(), ["/a", "/b"])

    def test_namespace_selector(self):
        hooks = [
            webhook("team.example.com", "/team", namespaceSelector={"matchLabels": {"team": "a"}}),
            webhook("other.example.com", "/other",
                    namespaceSelector={"matchLabels": {"team": "b"}}),
            webhook("byname.example.com", "/byname", namespaceSelector={"matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["team-a"]}]}),
            webhook("notsys.example.com", "/notsys", namespaceSelector={"matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                 "values": ["kube-system"]},
                {"key": "env", "operator": "Exists"}]}),
        ]
        result = self.run_validating([validating(*hooks)])
        self.assertTrue(result.allowed)
        self.assertEqual(self.paths(), ["/team", "/byname", "/notsys"])

    def test_namespace_selector_ignored_for_cluster_scoped(self):
        rule = {"operations": ["CREATE"], "apiGroups": ["rbac.authorization.k8s.io"],
                "apiVersions": ["v1"], "resources": ["clusterroles"]}
        hook = webhook("cr.example.com", "/cr", rules=[rule],
                       namespaceSelector={"matchLabels": {"team": "nobody"}})
        a = attrs(group="rbac.authorization.k8s.io", kind="ClusterRole",
                  resource="clusterroles", namespace="", name="reader")
        obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "reader"}}
        result = admission.admit("validating", [validating(hook)], a, obj, None, None)
        self.assertTrue(result.allowed)
        self.assertEqual(self.paths(), ["/cr"])

    def test_namespace_object_uses_its_own_labels(self):
        rule = {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                "resources": ["namespaces"]}
        hooks = [webhook("own.example.com", "/own", rules=[rule],
                         namespaceSelector={"matchLabels": {"team": "c"}}),
                 webhook("name.example.com", "/name", rules=[rule],
                         namespaceSelector={"matchLabels": {
                             "kubernetes.io/metadata.name": "team-c"}}),
                 webhook("miss.example.com", "/miss", rules=[rule],
                         namespaceSelector={"matchLabels": {"team": "a"}})]
        ns = {"apiVersion": "v1", "kind": "Namespace",
              "metadata": {"name": "team-c", "labels": {"team": "c"}}}
        a = attrs(kind="Namespace", resource="namespaces", namespace="", name="team-c")
        result = admission.admit("validating", [validating(*hooks)], a, ns, None, None)
        self.assertTrue(result.allowed)
        self.assertEqual(self.paths(), ["/own", "/name"])

    def test_missing_namespace_is_404_when_a_selector_needs_it(self):
        hook = webhook("team.example.com", "/team",
                       namespaceSelector={"matchLabels": {"team": "a"}})
        result = self.run_validating([validating(hook)], ns_labels=None)
        self.assertFalse(result.allowed)
        self.assertEqual(result.status, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": 'namespaces "team-a" not found', "reason": "NotFound",
            "details": {"name": "team-a", "kind": "namespaces"}, "code": 404})
        self.assertEqual(self.paths(), [])

    def test_object_selector_new_or_old_labels(self):
        hook = webhook("sel.example.com", "/sel", objectSelector={"matchLabels": {"app": "web"}})
        # UPDATE that removes the label: the old object still matches
        self.run_validating([validating(hook)], a=attrs(operation="UPDATE"),
                            obj=pod(labels={}), old=pod())
        self.assertEqual(self.paths(), ["/sel"])
        _Server.requests.clear()
        self.run_validating([validating(hook)], a=attrs(operation="UPDATE"),
                            obj=pod(labels={"app": "db"}), old=pod(labels={}))
        self.assertEqual(self.paths(), [])
        skip = webhook("skip.example.com", "/skip", objectSelector={"matchExpressions": [
            {"key": "appstack.io/skip-webhook", "operator": "DoesNotExist"}]})
        self.run_validating([validating(skip)], obj=pod(labels={"appstack.io/skip-webhook": ""}))
        self.assertEqual(self.paths(), [])
        self.run_validating([validating(skip)])
        self.assertEqual(self.paths(), ["/skip"])

    def test_match_conditions_are_not_evaluated(self):
        hook = webhook("cel.example.com", "/cel", matchConditions=[
            {"name": "never", "expression": "false"}])
        self.assertTrue(self.run_validating([validating(hook)]).allowed)
        self.assertEqual(self.paths(), ["/cel"])  # documented difference: CEL is not run

    def test_webhook_configurations_are_exempt(self):
        rule = {"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"],
                "resources": ["*"]}
        a = attrs(group="admissionregistration.k8s.io", kind="ValidatingWebhookConfiguration",
                  resource="validatingwebhookconfigurations", namespace="", name="x")
        obj = validating(name="x")
        result = admission.admit("validating", [validating(webhook("all", "/all",
                                                                   rules=[rule]))],
                                 a, obj, None, None)
        self.assertTrue(result.allowed)
        self.assertEqual(self.paths(), [])


class RequestShapeTest(_Base):
    def test_admission_review_request(self):
        result = self.run_validating([validating(webhook("v.example.com", "/v"))])
        self.assertTrue(result.allowed)
        (rec,) = _Server.requests
        self.assertEqual(rec["query"], "timeout=5s")
        self.assertEqual(rec["headers"]["Content-Type"], "application/json")
        review = rec["review"]
        self.assertEqual(review["apiVersion"], "admission.k8s.io/v1")
        self.assertEqual(review["kind"], "AdmissionReview")
        req = review["request"]
        self.assertEqual(uuid.UUID(req["uid"]).version, 4)
        expected = {
            "uid": req["uid"],
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "requestResource": {"group": "", "version": "v1", "resource": "pods"},
            "name": "web", "namespace": "team-a", "operation": "CREATE",
            "userInfo": {"username": "alice", "uid": "u-1", "groups": ["dev"]},
            "object": pod(), "oldObject": None, "dryRun": False,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
        }
        self.assertEqual(req, expected)

    def test_subresource_fields_and_fresh_uids(self):
        rule = dict(POD_RULE, resources=["pods/status"], operations=["UPDATE"])
        hook = webhook("s.example.com", "/s", rules=[rule])
        a = attrs(operation="UPDATE", subresource="status")
        self.run_validating([validating(hook)], a=a, old=pod())
        self.run_validating([validating(hook)], a=a, old=pod())
        first, second = (r["review"]["request"] for r in _Server.requests)
        self.assertEqual(first["subResource"], "status")
        self.assertEqual(first["requestSubResource"], "status")
        self.assertEqual(first["oldObject"], pod())
        self.assertEqual(first["options"], {"kind": "UpdateOptions",
                                            "apiVersion": "meta.k8s.io/v1"})
        self.assertNotEqual(first["uid"], second["uid"])


class ClientConfigTest(_Base):
    def test_url_client_config(self):
        result = self.run_validating([validating(webhook("u.example.com", "/u"))])
        self.assertTrue(result.allowed)
        self.assertEqual(self.paths(), ["/u"])
        self.assertIsNone(_Server.requests[0]["sni"])  # no SNI for an IP address

    def test_service_client_config_uses_service_dns_name(self):
        hook = webhook("s.example.com", "/svc", clientConfig=service_config("/svc"))
        result = self.run_validating([validating(hook)])
        self.assertTrue(result.allowed)
        self.assertEqual(self.paths(), ["/svc"])
        self.assertEqual(_Server.requests[0]["sni"], SVC_HOST)

    def test_service_name_not_in_certificate(self):
        hook = webhook("s.example.com", "/svc",
                       clientConfig=service_config("/svc", name="other"))
        result = self.run_validating([validating(hook)])
        self.assertFalse(result.allowed)
        reason = (f'failed calling webhook "s.example.com": failed to call webhook: Post '
                  f'"https://other.{NS}.svc:{_Server.port}/svc?timeout=5s": tls: failed to '
                  f'verify certificate: x509: certificate is valid for {SVC_HOST}, not '
                  f'other.{NS}.svc')
        self.assertEqual(result.status, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "Internal error occurred: " + reason, "reason": "InternalError",
            "details": {"causes": [{"message": reason}]}, "code": 500})
        self.assertEqual(self.paths(), [])

    def test_ca_bundle_mismatch_fails_closed(self):
        hook = webhook("ca.example.com", "/ca", clientConfig=url_config(
            "/ca", ca=_Server.other_ca_b64))
        result = self.run_validating([validating(hook)])
        self.assertFalse(result.allowed)
        self.assertEqual(result.status["code"], 500)
        self.assertEqual(result.status["reason"], "InternalError")
        self.assertEqual(result.status["message"], (
            'Internal error occurred: failed calling webhook "ca.example.com": failed to call '
            f'webhook: Post "https://127.0.0.1:{_Server.port}/ca?timeout=5s": tls: failed to '
            'verify certificate: x509: certificate signed by unknown authority'))
        self.assertEqual(self.paths(), [])

    def test_no_ca_bundle_uses_system_store(self):
        hook = webhook("sys.example.com", "/sys", clientConfig={
            "url": f"https://127.0.0.1:{_Server.port}/sys"})
        result = self.run_validating([validating(hook)])
        self.assertFalse(result.allowed)
        self.assertTrue(result.status["message"].endswith(
            "x509: certificate signed by unknown authority"), result.status["message"])

    def test_ca_bundle_mismatch_ignored(self):
        hook = webhook("ca.example.com", "/ca", failurePolicy="Ignore",
                       clientConfig=url_config("/ca", ca=_Server.other_ca_b64))
        after = webhook("next.example.com", "/next")
        result = self.run_validating([validating(hook, after)])
        self.assertTrue(result.allowed)
        self.assertIsNone(result.status)
        self.assertEqual(result.warnings, [])
        self.assertEqual(result.audit_annotations, {
            "failed-open.validating.webhook.admission.k8s.io/round_0_index_0":
                "ca.example.com"})
        self.assertEqual(self.paths(), ["/next"])

    def test_bad_ca_bundle(self):
        hook = webhook("pem.example.com", "/pem", clientConfig=url_config(
            "/pem", ca=base64.b64encode(b"not a certificate").decode()))
        result = self.run_validating([validating(hook)])
        self.assertEqual(result.status["message"], (
            'Internal error occurred: failed calling webhook "pem.example.com": could not get '
            'REST client: unable to load root certificates: unable to parse bytes as PEM block'))

    def test_connection_refused(self):
        port = closed_port()
        hook = webhook("down.example.com", "/x", clientConfig={
            "url": f"https://127.0.0.1:{port}/x", "caBundle": _Server.ca_b64})
        result = self.run_validating([validating(hook)])
        self.assertEqual(result.status["message"], (
            'Internal error occurred: failed calling webhook "down.example.com": failed to call '
            f'webhook: Post "https://127.0.0.1:{port}/x?timeout=5s": dial tcp 127.0.0.1:{port}: '
            'connect: connection refused'))
        ignored = dict(hook, failurePolicy="Ignore")
        self.assertTrue(self.run_validating([validating(ignored)]).allowed)

    def test_service_port_defaults_to_443(self):
        probe = socket.socket()
        try:
            if probe.connect_ex(("127.0.0.1", 443)) == 0:
                self.skipTest("something listens on 127.0.0.1:443 on this machine")
        finally:
            probe.close()
        cc = service_config("/svc")
        del cc["service"]["port"]
        result = self.run_validating([validating(webhook("p.example.com", "/svc",
                                                         clientConfig=cc))])
        self.assertEqual(result.status["message"], (
            'Internal error occurred: failed calling webhook "p.example.com": failed to call '
            f'webhook: Post "https://{SVC_HOST}:443/svc?timeout=5s": dial tcp 127.0.0.1:443: '
            'connect: connection refused'))

    def test_timeout(self):
        _Server.release.clear()
        _Server.routes["/slow"] = slow(5)
        hook = webhook("slow.example.com", "/slow", timeoutSeconds=1)
        start = time.monotonic()
        try:
            result = self.run_validating([validating(hook)])
        finally:
            _Server.release.set()
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 3)
        self.assertEqual(result.status["code"], 500)
        self.assertEqual(result.status["message"], (
            'Internal error occurred: failed calling webhook "slow.example.com": failed to call '
            f'webhook: Post "https://127.0.0.1:{_Server.port}/slow?timeout=1s": context '
            'deadline exceeded'))

    def test_default_timeout_is_ten_seconds(self):
        hook = webhook("d.example.com", "/d")
        del hook["timeoutSeconds"]
        self.run_validating([validating(hook)])
        self.assertEqual(_Server.requests[0]["query"], "timeout=10s")


class ResponseTest(_Base):
    def test_denial_status_and_message(self):
        _Server.routes["/deny"] = respond(allowed=False, status={
            "code": 403, "reason": "Forbidden", "message": "privileged pods are not allowed"})
        result = self.run_validating([validating(webhook("deny.example.com", "/deny"))])
        self.assertFalse(result.allowed)
        self.assertEqual(result.status, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": 'admission webhook "deny.example.com" denied the request: privileged '
                       'pods are not allowed',
            "reason": "Forbidden", "code": 403})

    def test_denial_defaults(self):
        cases = [
            ({}, 'admission webhook "deny.example.com" denied the request without explanation',
             400),
            ({"code": 200, "message": "no"},
             'admission webhook "deny.example.com" denied the request: no', 400),
            ({"reason": "NotAcceptable"},
             'admission webhook "deny.example.com" denied the request: NotAcceptable', 400),
            ({"code": 422, "message": "bad", "status": "Success"},
             'admission webhook "deny.example.com" denied the request: bad', 422),
        ]
        for status, message, code in cases:
            with self.subTest(status=status):
                _Server.routes["/deny"] = respond(allowed=False, status=status)
                result = self.run_validating([validating(webhook("deny.example.com",
                                                                 "/deny"))])
                self.assertEqual(result.status["message"], message)
                self.assertEqual(result.status["code"], code)
                self.assertEqual(result.status["status"], "Failure")
        _Server.routes["/deny"] = respond(allowed=False)
        result = self.run_validating([validating(webhook("deny.example.com", "/deny"))])
        self.assertEqual(result.status, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": 'admission webhook "deny.example.com" denied the request without '
                       'explanation', "code": 400})

    def test_warnings_and_audit_annotations(self):
        _Server.routes["/one"] = respond(allowed=True, warnings=["first", "second"],
                                         auditAnnotations={"policy": "p1"})
        _Server.routes["/two"] = respond(allowed=False, warnings=["third", "first"],
                                         status={"message": "nope"})
        _Server.routes["/three"] = respond(allowed=True, warnings=["fourth"])
        configs = [validating(webhook("one.example.com", "/one"),
                              webhook("two.example.com", "/two"),
                              webhook("three.example.com", "/three"))]
        result = self.run_validating(configs)
        self.assertFalse(result.allowed)
        self.assertEqual(result.warnings, ["first", "second", "third", "fourth"])
        self.assertEqual(result.audit_annotations, {"one.example.com/policy": "p1"})
        self.assertEqual(result.status["message"],
                         'admission webhook "two.example.com" denied the request: nope')
        self.assertEqual(self.paths(), ["/one", "/two", "/three"])

    def test_first_failure_in_order_wins(self):
        _Server.routes["/a"] = respond(allowed=False, status={"message": "a says no"})
        _Server.routes["/b"] = respond(allowed=False, status={"message": "b says no"})
        result = self.run_validating([validating(webhook("a.example.com", "/a"),
                                                 webhook("b.example.com", "/b"))])
        self.assertEqual(result.status["message"],
                         'admission webhook "a.example.com" denied the request: a says no')

    def test_uid_mismatch(self):
        _Server.routes["/uid"] = lambda review: (200, "application/json", dict(
            REVIEW, response={"uid": "not-the-uid", "allowed": True}))
        result = self.run_validating([validating(webhook("uid.example.com", "/uid"))])
        sent_uid = _Server.requests[0]["review"]["request"]["uid"]
        self.assertEqual(result.status["message"], (
            'Internal error occurred: failed calling webhook "uid.example.com": received '
            f'invalid webhook response: expected response.uid="{sent_uid}", got "not-the-uid"'))
        self.assertEqual(result.status["code"], 500)

    def test_missing_kind_and_api_version(self):
        _Server.routes["/gvk"] = lambda review: (200, "application/json", {
            "response": {"uid": review["request"]["uid"], "allowed": True}})
        result = self.run_validating([validating(webhook("gvk.example.com", "/gvk"))])
        self.assertEqual(result.status["message"], (
            'Internal error occurred: failed calling webhook "gvk.example.com": received '
            'invalid webhook response: expected webhook response of admission.k8s.io/v1, '
            'Kind=AdmissionReview, got /, Kind='))

    def test_absent_response_and_garbage(self):
        _Server.routes["/none"] = raw(200, "application/json", dict(REVIEW))
        _Server.routes["/junk"] = raw(200, "application/json", b"<html>")
        result = self.run_validating([validating(webhook("none.example.com", "/none"))])
        self.assertTrue(result.status["message"].endswith(
            "received invalid webhook response: webhook response was absent"))
        result = self.run_validating([validating(webhook("junk.example.com", "/junk"))])
        self.assertIn('failed calling webhook "junk.example.com": failed to call webhook: '
                      "couldn't get version/kind; json parse error:",
                      result.status["message"])

    def test_http_errors(self):
        _Server.routes["/boom"] = raw(500, "text/plain", b"boom\n")
        _Server.routes["/gone"] = raw(404, "text/plain", b"404 page not found")
        result = self.run_validating([validating(webhook("boom.example.com", "/boom"))])
        self.assertEqual(result.status["message"], (
            'Internal error occurred: failed calling webhook "boom.example.com": failed to call '
            'webhook: an error on the server ("boom") has prevented the request from '
            'succeeding'))
        result = self.run_validating([validating(webhook("gone.example.com", "/gone"))])
        self.assertEqual(result.status["message"], (
            'Internal error occurred: failed calling webhook "gone.example.com": failed to call '
            'webhook: the server could not find the requested resource'))
        ignored = webhook("boom.example.com", "/boom", failurePolicy="Ignore")
        self.assertTrue(self.run_validating([validating(ignored)]).allowed)

    def test_admission_review_versions_without_v1(self):
        hook = webhook("v2.example.com", "/v2", admissionReviewVersions=["v2"])
        result = self.run_validating([validating(hook)])
        self.assertEqual(result.status["message"], (
            'Internal error occurred: failed calling webhook "v2.example.com": could not '
            'create admission objects: webhook does not accept known AdmissionReview versions '
            '(v1, v1beta1)'))
        beta = webhook("beta.example.com", "/beta", admissionReviewVersions=["v1beta1"])
        result = self.run_validating([validating(beta)])
        self.assertFalse(result.allowed)
        self.assertIn("v1beta1", result.status["message"])
        self.assertEqual(self.paths(), [])
        both = webhook("both.example.com", "/both", admissionReviewVersions=["v1beta1", "v1"])
        self.assertTrue(self.run_validating([validating(both)]).allowed)
        self.assertEqual(self.paths(), ["/both"])


class DryRunTest(_Base):
    def test_side_effects_some_is_rejected_without_call(self):
        hook = webhook("fx.example.com", "/fx", sideEffects="Some", failurePolicy="Ignore")
        result = self.run_validating([validating(hook)], a=attrs(dry_run=True))
        self.assertFalse(result.allowed)
        self.assertEqual(result.status, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": 'admission webhook "fx.example.com" does not support dry run',
            "reason": "BadRequest", "code": 400})
        self.assertEqual(self.paths(), [])
        # not a dry run: the same webhook is called
        self.assertTrue(self.run_validating([validating(hook)]).allowed)
        self.assertEqual(self.paths(), ["/fx"])

    def test_side_effects_none_on_dry_run_is_called(self):
        hook = webhook("ok.example.com", "/ok", sideEffects="NoneOnDryRun")
        result = self.run_validating([validating(hook)], a=attrs(dry_run=True))
        self.assertTrue(result.allowed)
        req = _Server.requests[0]["review"]["request"]
        self.assertIs(req["dryRun"], True)
        self.assertEqual(req["options"]["dryRun"], ["All"])

    def test_side_effects_missing(self):
        hook = webhook("nil.example.com", "/nil")
        del hook["sideEffects"]
        result = self.run_validating([validating(hook)], a=attrs(dry_run=True))
        self.assertEqual(result.status["message"], 'Internal error occurred: failed calling '
                         'webhook "nil.example.com": Webhook SideEffects is nil')


class MutatingTest(_Base):
    def run_mutating(self, configs, a=None, obj=None, old=None):
        return admission.admit("mutating", configs, a or attrs(),
                               pod() if obj is None else obj, old, TEAM_A)

    def test_mutations_chain_across_webhooks(self):
        _Server.routes["/label"] = json_patch_answer(
            [{"op": "add", "path": "/metadata/labels/injected", "value": "yes"}])
        _Server.routes["/annotate"] = json_patch_answer(
            [{"op": "test", "path": "/metadata/labels/injected", "value": "yes"},
             {"op": "add", "path": "/metadata/annotations", "value": {"seen": "label"}}])
        configs = [mutating(webhook("annotate.example.com", "/annotate"), name="b-second"),
                   mutating(webhook("label.example.com", "/label"), name="a-first")]
        original = pod()
        result = self.run_mutating(configs, obj=original)
        self.assertTrue(result.allowed, result.status)
        self.assertEqual(self.paths(), ["/label", "/annotate"])
        second_saw = _Server.requests[1]["review"]["request"]["object"]
        self.assertEqual(second_saw["metadata"]["labels"], {"app": "web", "injected": "yes"})
        self.assertEqual(result.obj["metadata"]["labels"], {"app": "web", "injected": "yes"})
        self.assertEqual(result.obj["metadata"]["annotations"], {"seen": "label"})
        self.assertEqual(original, pod())  # the input is not modified
        self.assertEqual(
            json.loads(result.audit_annotations[
                "mutation.webhook.admission.k8s.io/round_0_index_0"]),
            {"configuration": "a-first", "webhook": "label.example.com", "mutated": True})
        self.assertEqual(
            json.loads(result.audit_annotations[
                "patch.webhook.admission.k8s.io/round_0_index_0"]),
            {"configuration": "a-first", "webhook": "label.example.com", "patchType": "JSONPatch",
             "patch": [{"op": "add", "path": "/metadata/labels/injected", "value": "yes"}]})

    def test_failing_patch_is_internal_error_even_when_ignored(self):
        _Server.routes["/bad"] = json_patch_answer(
            [{"op": "test", "path": "/metadata/name", "value": "other"}])
        hook = webhook("bad.example.com", "/bad", failurePolicy="Ignore")
        result = self.run_mutating([mutating(hook)])
        self.assertFalse(result.allowed)
        self.assertEqual(result.status["code"], 500)
        self.assertEqual(result.status["reason"], "InternalError")
        self.assertTrue(result.status["message"].startswith("Internal error occurred: "))

    def test_mutating_denial_stops_the_chain(self):
        _Server.routes["/deny"] = respond(allowed=False, status={"code": 403, "message": "no"},
                                          warnings=["careful"])
        configs = [mutating(webhook("deny.example.com", "/deny"),
                            webhook("after.example.com", "/after"))]
        result = self.run_mutating(configs)
        self.assertFalse(result.allowed)
        self.assertEqual(result.status["message"],
                         'admission webhook "deny.example.com" denied the request: no')
        self.assertEqual(result.status["code"], 403)
        self.assertEqual(result.warnings, ["careful"])
        self.assertEqual(self.paths(), ["/deny"])

    def test_patch_rules(self):
        patch_b64 = base64.b64encode(b'[{"op":"add","path":"/x","value":1}]').decode()
        cases = [
            ("/notype", respond(allowed=True, patch=patch_b64),
             "received invalid webhook response: webhook returned response.patch but not "
             "response.patchType"),
            ("/merge", respond(allowed=True, patch=patch_b64, patchType="MergePatch"),
             'unsupported patch type "MergePatch"'),
        ]
        for path, behaviour, reason in cases:
            with self.subTest(path=path):
                _Server.routes[path] = behaviour
                result = self.run_mutating([mutating(webhook("p.example.com", path))])
                self.assertEqual(result.status["message"], "Internal error occurred: failed "
                                 f'calling webhook "p.example.com": {reason}')

    def test_patch_on_delete(self):
        _Server.routes["/del"] = json_patch_answer(
            [{"op": "add", "path": "/metadata/labels/x", "value": "y"}])
        rule = dict(POD_RULE, operations=["DELETE"])
        result = admission.admit("mutating", [mutating(webhook("del.example.com", "/del",
                                                               rules=[rule]))],
                                 attrs(operation="DELETE"), None, pod(), TEAM_A)
        self.assertEqual(result.status["message"], (
            'Internal error occurred: admission webhook "del.example.com" attempted to modify '
            'the object, which is not supported for this operation'))
        self.assertEqual(result.status["code"], 500)

    def test_failed_open_mutating_annotation(self):
        port = closed_port()
        hook = webhook("down.example.com", "/x", failurePolicy="Ignore", clientConfig={
            "url": f"https://127.0.0.1:{port}/x", "caBundle": _Server.ca_b64})
        other = webhook("other.example.com", "/o",
                        rules=[dict(POD_RULE, apiGroups=["apps"])])
        result = self.run_mutating([mutating(other, hook)])
        self.assertTrue(result.allowed)
        self.assertEqual(result.obj, pod())
        self.assertEqual(result.audit_annotations[
            "failed-open.mutation.webhook.admission.k8s.io/round_0_index_1"],
            "down.example.com")


class ValidatingPatchTest(_Base):
    def test_validating_webhook_may_not_patch(self):
        _Server.routes["/vp"] = json_patch_answer(
            [{"op": "add", "path": "/metadata/labels/x", "value": "y"}])
        result = self.run_validating([validating(webhook("vp.example.com", "/vp"))])
        self.assertEqual(result.status["message"], (
            'Internal error occurred: failed calling webhook "vp.example.com": received invalid '
            'webhook response: validating webhook may not return response.patch'))
        ignored = webhook("vp.example.com", "/vp", failurePolicy="Ignore")
        result = self.run_validating([validating(ignored)])
        self.assertTrue(result.allowed)
        self.assertEqual(result.obj, pod())

    def test_unknown_phase(self):
        with self.assertRaises(ValueError):
            admission.admit("audit", [], attrs(), pod(), None, TEAM_A)


if __name__ == "__main__":
    unittest.main()
