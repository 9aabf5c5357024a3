"""admission.py - dynamic admission for the local test API server: calls the webhooks of
MutatingWebhookConfiguration / ValidatingWebhookConfiguration objects over HTTPS with
AdmissionReview v1 and turns their answers into kube-apiserver's results.

Owns: webhook matching (rules, namespaceSelector, objectSelector), the HTTPS call
(url or service clientConfig, caBundle, SNI, timeoutSeconds), response checks, JSON patch
application (through patch.json_patch), warnings, audit annotations, failurePolicy, and the
Status objects and messages kube-apiserver (k8s.io/apiserver admission/plugin/webhook) gives.

Known differences from kube-apiserver, on purpose:
- matchPolicy: only exact matches of rules (no Equivalent conversion to other versions).
- matchConditions (CEL) are not evaluated: a webhook with matchConditions is called as if
  every condition were true.
- reinvocationPolicy is ignored: each mutating webhook is called at most once.
- validating webhooks are called one after another in order, not in parallel; every matching
  webhook is still called, and the first failure in that order is the one returned.
- only AdmissionReview v1 is sent: a webhook whose admissionReviewVersions lists v1beta1 but
  not v1 is a call failure (real kube-apiserver would send v1beta1).
- a service clientConfig is reached at 127.0.0.1:<port> (there is no service network).
- timeoutSeconds outside 1..30 (rejected by real validation) is clamped into that range.
"""
import base64
import copy
import http.client
import json
import posixpath
import socket
import ssl
import time
import urllib.parse
import uuid

MUTATING = "mutating"
VALIDATING = "validating"

DEFAULT_TIMEOUT_SECONDS = 10
MAX_TIMEOUT_SECONDS = 30
MAX_RESPONSE_BYTES = 16 * 1024 * 1024      # a webhook answer larger than this is a call failure
MAX_ERROR_TEXT_BYTES = 2048                 # client-go keeps this much of an unstructured error
USER_AGENT = "kube-apiserver-admission"

REVIEW_API_VERSION = "admission.k8s.io/v1"
REVIEW_KIND = "AdmissionReview"

# kube-apiserver never sends requests about these kinds to webhooks
# (IsExemptAdmissionConfigurationResource), so a broken webhook cannot lock itself in.
_EXEMPT_GROUP = "admissionregistration.k8s.io"
_EXEMPT_KINDS = {"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
                 "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
                 "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"}

_NS_NAME_LABEL = "kubernetes.io/metadata.name"
_OPTIONS_KIND = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}

_FAILED_OPEN_PREFIX = {MUTATING: "failed-open.mutation.webhook.admission.k8s.io/",
                       VALIDATING: "failed-open.validating.webhook.admission.k8s.io/"}
_MUTATION_PREFIX = "mutation.webhook.admission.k8s.io/"
_PATCH_PREFIX = "patch.webhook.admission.k8s.io/"

# OpenSSL verify codes mapped to the x509 wording of Go's crypto/x509
_UNKNOWN_AUTHORITY_CODES = {2, 18, 19, 20, 21}
_EXPIRED_CODES = {9, 10}
_HOSTNAME_CODES = {62, 64}


class AdmissionResult:
    """Outcome of one admission phase (plain attributes).

    allowed: False when a webhook denied or failed closed; obj: the (possibly mutated) object;
    warnings: webhook warnings in call order; status: for a denial, the full metav1 Status
    kube-apiserver answers (its "code" is the HTTP status); audit_annotations: key -> value."""

    def __init__(self, obj):
        self.allowed = True
        self.obj = obj
        self.warnings = []
        self.status = None
        self.audit_annotations = {}

    def __repr__(self):
        return (f"AdmissionResult(allowed={self.allowed}, status={self.status!r}, "
                f"warnings={self.warnings!r})")


class _CallFailure(Exception):
    """ErrCallingWebhook: the webhook could not be called or answered badly; failurePolicy
    decides. str() is the reason after 'failed calling webhook "<name>": '."""


class _Reject(Exception):
    """A final answer (a Status dict) that failurePolicy does not soften."""

    def __init__(self, status: dict):
        super().__init__(status.get("message", ""))
        self.status = status


# ---------------------------------------------------------------------------------------------
# Status objects (k8s.io/apimachinery/pkg/api/errors and webhook/errors/statuserror.go)


def go_quote(value) -> str:
    """Go's %q for a string: double quotes, backslash escapes for quotes and control chars."""
    out = ['"']
    for ch in str(value):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A Failure Status shaped like kube-apiserver's (empty reason/details left out)."""
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
          "message": message}
    if reason:
        st["reason"] = reason
    if details:
        st["details"] = details
    st["code"] = code
    return st


def internal_error(message: str) -> dict:
    """apierrors.NewInternalError: 500 InternalError with the message as the only cause."""
    return _status(500, "InternalError", f"Internal error occurred: {message}",
                   {"causes": [{"message": message}]})


def bad_request(message: str) -> dict:
    """apierrors.NewBadRequest: 400 BadRequest, no details."""
    return _status(400, "BadRequest", message)


def namespace_not_found(name: str) -> dict:
    """apierrors.NewNotFound for the namespace of a request (the namespaceSelector lookup)."""
    return _status(404, "NotFound", f'namespaces {go_quote(name)} not found',
                   {"name": name, "kind": "namespaces"})


def denial_status(webhook_name: str, result) -> dict:
    """ToStatusErr: the Status a client sees when webhook `webhook_name` answered
    allowed=false with `result` (its response.status, possibly None). The code is forced to
    400 when absent or below 400, the status to Failure, and the message is prefixed with
    'admission webhook "<name>" denied the request'. Reason and details pass through."""
    result = result if isinstance(result, dict) else {}
    denied_by = f"admission webhook {go_quote(webhook_name)} denied the request"
    message, reason = result.get("message") or "", result.get("reason") or ""
    if message:
        message = f"{denied_by}: {message}"
    elif reason:
        message = f"{denied_by}: {reason}"
    else:
        message = f"{denied_by} without explanation"
    code = result.get("code")
    if not isinstance(code, int) or isinstance(code, bool) or code < 400:
        code = 400
    state = result.get("status") or ""
    if state in ("", "Success"):
        state = "Failure"
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": state,
          "message": message}
    if reason:
        st["reason"] = reason
    if result.get("details"):
        st["details"] = copy.deepcopy(result["details"])
    st["code"] = code
    return st


# ---------------------------------------------------------------------------------------------
# Matching (pure)


class _SelectorError(Exception):
    """A labelSelector that kube-apiserver could not parse (answered as an internal error)."""


def selector_matches(selector, labels) -> bool:
    """True when `labels` (dict or None) satisfy metav1.LabelSelector `selector`
    (matchLabels and matchExpressions with In/NotIn/Exists/DoesNotExist; NotIn and
    DoesNotExist also match a missing key). Raises _SelectorError for a malformed selector."""
    labels = labels or {}
    if selector is None:
        return True
    if not isinstance(selector, dict):
        raise _SelectorError("a label selector must be an object")
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        raise _SelectorError("matchLabels must be an object of key: value")
    for key, value in match_labels.items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        if not _expression_matches(expr, labels):
            return False
    return True


def _expression_matches(expr, labels: dict) -> bool:
    """One matchExpressions entry against labels; raises _SelectorError when malformed."""
    if not isinstance(expr, dict):
        raise _SelectorError("a matchExpressions entry must be an object")
    key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
    if op in ("In", "NotIn"):
        if not values:
            raise _SelectorError("values: Invalid value: []string{}: for 'in', 'notin' "
                                 "operators, values set can't be empty")
        if op == "In":
            return key in labels and labels[key] in values
        return key not in labels or labels[key] not in values
    if op in ("Exists", "DoesNotExist"):
        if values:
            raise _SelectorError("values: Invalid value: " + json.dumps(values) +
                                 ": values set must be empty for exists and does not exist")
        return (key in labels) == (op == "Exists")
    raise _SelectorError(f"{go_quote(op)} is not a valid label selector operator")


def _selector_empty(selector) -> bool:
    """labels.Selector.Empty(): no matchLabels and no matchExpressions."""
    return not selector or (not selector.get("matchLabels") and
                            not selector.get("matchExpressions"))


def _labels_of(obj) -> dict | None:
    """metadata.labels of a JSON object, None when it is not an object with metadata."""
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
        return None
    return obj["metadata"].get("labels") or {}


def _is_namespace_resource(attrs: dict) -> bool:
    """The request is about core/v1 namespaces (the rules matcher compares the full GVR)."""
    return (attrs.get("group", "") == "" and attrs.get("version") == "v1" and
            attrs.get("resource") == "namespaces")


def rule_matches(rule: dict, attrs: dict) -> bool:
    """rules.Matcher: scope, operations ("*"), apiGroups, apiVersions ("*") and resources
    ("*" = every resource without subresource, "*/*" everything, "pods/status",
    "pods/*", "*/status")."""
    return (_scope_matches(rule.get("scope") or "*", attrs) and
            _in_or_star(attrs.get("operation", ""), rule.get("operations")) and
            _in_or_star(attrs.get("group", ""), rule.get("apiGroups")) and
            _in_or_star(attrs.get("version", ""), rule.get("apiVersions")) and
            _resource_matches(rule.get("resources") or [], attrs))


def _in_or_star(value: str, allowed) -> bool:
    allowed = allowed or []
    return "*" in allowed or value in allowed


def _scope_matches(scope: str, attrs: dict) -> bool:
    """Namespaced: a namespaced object (never a Namespace); Cluster: cluster-scoped objects,
    Namespace objects included; "*": everything."""
    if scope == "*":
        return True
    is_ns = _is_namespace_resource(attrs)
    namespaced = bool(attrs.get("namespace"))
    if scope == "Namespaced":
        return not is_ns and namespaced
    if scope == "Cluster":
        return is_ns or not namespaced
    return False


def _resource_matches(resources: list, attrs: dict) -> bool:
    res, sub = attrs.get("resource", ""), attrs.get("subresource") or ""
    for entry in resources:
        want_res, _, want_sub = str(entry).partition("/")
        if want_res in ("*", res) and want_sub in ("*", sub):
            return True
    return False


def _namespace_labels_for(attrs: dict, obj, old_obj, namespace_labels):
    """Labels the namespaceSelector is checked against, or a 404 Status when the request's
    namespace is unknown. Creating/updating a Namespace uses the object's own labels. Like
    real (defaulting adds it), kubernetes.io/metadata.name is always present."""
    is_ns = attrs.get("resource") == "namespaces"
    op = attrs.get("operation")
    ns_name = attrs.get("namespace") or (attrs.get("name", "") if is_ns else "")
    if is_ns and not attrs.get("subresource") and op in ("CREATE", "UPDATE"):
        labels = dict(_labels_of(obj) or {})
        name = (obj.get("metadata") or {}).get("name") if isinstance(obj, dict) else None
        labels.setdefault(_NS_NAME_LABEL, name or ns_name)
        return labels, None
    if namespace_labels is None and is_ns and op == "DELETE" and _labels_of(old_obj) is not None:
        namespace_labels = _labels_of(old_obj)
    if namespace_labels is None:
        return None, namespace_not_found(ns_name)
    labels = dict(namespace_labels)
    labels.setdefault(_NS_NAME_LABEL, ns_name)
    return labels, None


def _namespace_selector_matches(hook: dict, attrs, obj, old_obj, namespace_labels):
    """(matches, error Status or None), following MatchNamespaceSelector: cluster-scoped
    objects other than Namespaces always match; an empty selector matches everything."""
    if not attrs.get("namespace") and attrs.get("resource") != "namespaces":
        return True, None
    selector = hook.get("namespaceSelector")
    if _selector_empty(selector):
        return True, None
    labels, err = _namespace_labels_for(attrs, obj, old_obj, namespace_labels)
    if err is not None:
        return False, err
    try:
        return selector_matches(selector, labels), None
    except _SelectorError as e:
        return False, internal_error(f"namespaceSelector: {e}")


def _object_selector_matches(hook: dict, obj, old_obj):
    """(matches, error Status or None): an empty selector matches; otherwise the new or the
    old object's labels must match (a missing object never matches)."""
    selector = hook.get("objectSelector")
    if _selector_empty(selector):
        return True, None
    try:
        for candidate in (obj, old_obj):
            labels = _labels_of(candidate)
            if labels is not None and selector_matches(selector, labels):
                return True, None
    except _SelectorError as e:
        return False, internal_error(f"objectSelector: {e}")
    return False, None


def should_call(hook: dict, attrs: dict, obj, old_obj, namespace_labels):
    """ShouldCallHook: (call?, error Status or None). Selector errors only count when a rule
    matches, as in kube-apiserver. matchConditions are not evaluated (see the file header)."""
    ns_ok, ns_err = _namespace_selector_matches(hook, attrs, obj, old_obj, namespace_labels)
    if not ns_ok and ns_err is None:
        return False, None
    obj_ok, obj_err = _object_selector_matches(hook, obj, old_obj)
    if not obj_ok and obj_err is None:
        return False, None
    if not any(rule_matches(r, attrs) for r in hook.get("rules") or [] if isinstance(r, dict)):
        return False, None
    if ns_err is not None:
        return False, ns_err
    if obj_err is not None:
        return False, obj_err
    return True, None


def webhooks_in_order(configurations: list) -> list:
    """[(configuration name, webhook)] in kube-apiserver's call order: configurations sorted
    by metadata.name, webhooks in their listed order."""
    def name_of(cfg):
        return (cfg.get("metadata") or {}).get("name", "")
    out = []
    for cfg in sorted((c for c in configurations or [] if isinstance(c, dict)), key=name_of):
        for hook in cfg.get("webhooks") or []:
            if isinstance(hook, dict):
                out.append((name_of(cfg), hook))
    return out


def _is_exempt(attrs: dict) -> bool:
    return attrs.get("group") == _EXEMPT_GROUP and attrs.get("kind") in _EXEMPT_KINDS


# ---------------------------------------------------------------------------------------------
# AdmissionReview request (pure)


def build_review(uid: str, attrs: dict, obj, old_obj) -> dict:
    """The AdmissionReview v1 request kube-apiserver sends (exact match: kind == requestKind).
    attrs may carry "options" (the operation's options object) and "userInfo"."""
    gvk = {"group": attrs.get("kindGroup", attrs.get("group", "")),
           "version": attrs.get("kindVersion", attrs.get("version", "")),
           "kind": attrs.get("kind", "")}
    gvr = {"group": attrs.get("group", ""), "version": attrs.get("version", ""),
           "resource": attrs.get("resource", "")}
    req = {"uid": uid, "kind": gvk, "resource": gvr}
    if attrs.get("subresource"):
        req["subResource"] = attrs["subresource"]
    req["requestKind"] = dict(gvk)
    req["requestResource"] = dict(gvr)
    if attrs.get("subresource"):
        req["requestSubResource"] = attrs["subresource"]
    if attrs.get("name"):
        req["name"] = attrs["name"]
    if attrs.get("namespace"):
        req["namespace"] = attrs["namespace"]
    req["operation"] = attrs.get("operation", "")
    req["userInfo"] = _user_info(attrs.get("userInfo") or {})
    req["object"] = obj
    req["oldObject"] = old_obj
    req["dryRun"] = bool(attrs.get("dryRun"))
    req["options"] = attrs["options"] if "options" in attrs else _default_options(attrs)
    return {"kind": REVIEW_KIND, "apiVersion": REVIEW_API_VERSION, "request": req}


def _user_info(user: dict) -> dict:
    """authenticationv1.UserInfo with empty fields left out (omitempty)."""
    out = {}
    for key in ("username", "uid", "groups", "extra"):
        if user.get(key):
            out[key] = user[key]
    return out


def _default_options(attrs: dict):
    """CreateOptions/UpdateOptions/DeleteOptions for the operation (None for CONNECT)."""
    kind = _OPTIONS_KIND.get(attrs.get("operation", ""))
    if kind is None:
        return None
    opts = {"kind": kind, "apiVersion": "meta.k8s.io/v1"}
    if attrs.get("dryRun"):
        opts["dryRun"] = ["All"]
    return opts


# ---------------------------------------------------------------------------------------------
# The HTTPS call (I/O)


class _Endpoint:
    """Where and how to reach one webhook: connect address, TLS name (SNI and verification),
    request path+query and the URL as Go prints it in errors."""

    def __init__(self, client_config: dict, timeout_s: int):
        cc = client_config if isinstance(client_config, dict) else {}
        query = f"?timeout={timeout_s}s"
        if cc.get("url"):
            u = urllib.parse.urlsplit(str(cc["url"]))
            if u.scheme != "https" or not u.hostname:
                raise _CallFailure(f"could not get REST client: clientConfig.url "
                                   f"{go_quote(cc['url'])} is not an https:// URL with a host "
                                   "— use https://<host>[:port]/<path>")
            self.host, self.port, self.tls_name = u.hostname, u.port or 443, u.hostname
            path, netloc = _clean_path(u.path), u.netloc
        elif isinstance(cc.get("service"), dict):
            svc = cc["service"]
            port = svc.get("port") or 443
            if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
                raise _CallFailure(f"could not get REST client: clientConfig.service.port "
                                   f"{go_quote(port)} is not a port number — use 1-65535")
            self.tls_name = f"{svc.get('name', '')}.{svc.get('namespace', '')}.svc"
            self.host, self.port = "127.0.0.1", port
            path, netloc = _clean_path(svc.get("path") or ""), f"{self.tls_name}:{port}"
        else:
            raise _CallFailure("could not get REST client: clientConfig needs url or service "
                               "— set webhooks[].clientConfig.url or .service")
        self.target = path + query
        self.url = f"https://{netloc}{path}{query}"
        self.host_header = netloc


def _clean_path(path: str) -> str:
    """Go's path.Join("/", p) as client-go builds the request path."""
    cleaned = posixpath.normpath("/" + path.lstrip("/"))
    return "/" if cleaned in ("", ".") else cleaned


def _tls_context(ca_bundle) -> ssl.SSLContext:
    """A client context trusting only caBundle (base64 PEM), or the system store without it."""
    if not ca_bundle:
        return ssl.create_default_context()
    try:
        pem = base64.b64decode(ca_bundle, validate=True).decode("ascii")
        ctx = ssl.create_default_context(cadata=pem)
    except (ValueError, UnicodeDecodeError, ssl.SSLError):
        raise _CallFailure("could not get REST client: unable to load root certificates: "
                           "unable to parse bytes as PEM block") from None
    return ctx


class _Deadline(Exception):
    pass


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Deadline()
    return left


def _post(endpoint: _Endpoint, ctx: ssl.SSLContext, body: bytes, timeout_s: int):
    """POSTs body; returns (http status, content type, body bytes) within timeout_s seconds
    in total. Raises _CallFailure with Go's wording for transport and TLS errors."""
    deadline = time.monotonic() + timeout_s
    addr = f"{endpoint.host}:{endpoint.port}"
    sock = None
    try:
        try:
            raw = socket.create_connection((endpoint.host, endpoint.port),
                                           timeout=_remaining(deadline))
        except socket.gaierror:
            raise _CallFailure(f"failed to call webhook: Post {go_quote(endpoint.url)}: "
                               f"dial tcp: lookup {endpoint.host}: no such host") from None
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # like Go's net/http
        raw.settimeout(_remaining(deadline))
        try:
            sock = ctx.wrap_socket(raw, server_hostname=endpoint.tls_name)
        except ssl.SSLCertVerificationError as e:
            raw.close()
            detail = _verify_error_text(e, endpoint, ctx, deadline)
            raise _CallFailure(f"failed to call webhook: Post {go_quote(endpoint.url)}: "
                               f"tls: failed to verify certificate: {detail}") from None
        conn = http.client.HTTPConnection(endpoint.tls_name, endpoint.port)
        conn.sock = sock
        conn.putrequest("POST", endpoint.target, skip_host=True, skip_accept_encoding=True)
        for key, value in (("Host", endpoint.host_header), ("User-Agent", USER_AGENT),
                           ("Content-Type", "application/json"),
                           ("Accept", "application/json, */*"),
                           ("Content-Length", str(len(body)))):
            conn.putheader(key, value)
        conn.endheaders(body)
        sock.settimeout(_remaining(deadline))
        resp = conn.getresponse()
        data = bytearray()
        while True:
            sock.settimeout(_remaining(deadline))
            chunk = resp.read(65536)
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_RESPONSE_BYTES:
                raise _CallFailure(f"failed to call webhook: Post {go_quote(endpoint.url)}: "
                                   f"response body larger than {MAX_RESPONSE_BYTES} bytes")
        return resp.status, resp.getheader("Content-Type", ""), bytes(data)
    except (_Deadline, socket.timeout, TimeoutError):
        raise _CallFailure(f"failed to call webhook: Post {go_quote(endpoint.url)}: "
                           "context deadline exceeded") from None
    except ConnectionRefusedError:
        raise _CallFailure(f"failed to call webhook: Post {go_quote(endpoint.url)}: "
                           f"dial tcp {addr}: connect: connection refused") from None
    except ConnectionResetError:
        raise _CallFailure(f"failed to call webhook: Post {go_quote(endpoint.url)}: "
                           f"read tcp {addr}: read: connection reset by peer") from None
    except (http.client.RemoteDisconnected, http.client.IncompleteRead,
            ssl.SSLEOFError, http.client.BadStatusLine):
        raise _CallFailure(f"failed to call webhook: Post {go_quote(endpoint.url)}: EOF") \
            from None
    except ssl.SSLError as e:
        raise _CallFailure(f"failed to call webhook: Post {go_quote(endpoint.url)}: "
                           f"remote error: tls: {(e.reason or str(e)).lower()}") from None
    except http.client.HTTPException:
        raise _CallFailure(f"failed to call webhook: Post {go_quote(endpoint.url)}: "
                           "net/http: HTTP/1.x transport connection broken: malformed HTTP "
                           "response") from None
    except OSError as e:
        text = getattr(e, "strerror", None) or str(e) or type(e).__name__
        raise _CallFailure(f"failed to call webhook: Post {go_quote(endpoint.url)}: "
                           f"dial tcp {addr}: {text.lower()}") from None
    finally:
        if sock is not None:
            sock.close()


def _verify_error_text(err: ssl.SSLCertVerificationError, endpoint: _Endpoint,
                       ctx: ssl.SSLContext, deadline: float) -> str:
    """Go's x509 error text for a failed verification."""
    code = getattr(err, "verify_code", 0)
    if code in _UNKNOWN_AUTHORITY_CODES:
        return "x509: certificate signed by unknown authority"
    if code in _EXPIRED_CODES:
        return "x509: certificate has expired or is not yet valid"
    if code in _HOSTNAME_CODES:
        return _hostname_error_text(endpoint, ctx, deadline)
    return "x509: " + (getattr(err, "verify_message", "") or str(err))


def _hostname_error_text(endpoint: _Endpoint, ctx: ssl.SSLContext, deadline: float) -> str:
    """x509.HostnameError text: reconnects once without the name check to read the SANs."""
    names = _peer_names(endpoint, ctx, deadline)
    host = endpoint.tls_name
    if names is None:
        return f"x509: certificate is not valid for {host}"
    dns, ips = names
    if _looks_like_ip(host):
        if not ips:
            return (f"x509: cannot validate certificate for {host} because it doesn't "
                    "contain any IP SANs")
        valid = ", ".join(ips)
    else:
        valid = ", ".join(dns)
    if not valid:
        return f"x509: certificate is not valid for any names, but wanted to match {host}"
    return f"x509: certificate is valid for {valid}, not {host}"


def _peer_names(endpoint: _Endpoint, ctx: ssl.SSLContext, deadline: float):
    """(DNS SANs, IP SANs) of the server's (CA-verified) certificate, None when unreadable."""
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_REQUIRED
    try:
        ca_der = ctx.get_ca_certs(binary_form=True)
        if ca_der:
            probe.load_verify_locations(cadata=b"".join(ca_der))
        else:
            probe.load_default_certs()
        with socket.create_connection((endpoint.host, endpoint.port),
                                      timeout=_remaining(deadline)) as raw:
            with probe.wrap_socket(raw, server_hostname=endpoint.tls_name) as s:
                cert = s.getpeercert() or {}
    except (OSError, ValueError, _Deadline):
        return None
    sans = cert.get("subjectAltName", ())
    return ([v for k, v in sans if k == "DNS"],
            [v.strip() for k, v in sans if k == "IP Address"])


def _looks_like_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# Response checks (pure)

_GENERIC_HTTP_ERRORS = {
    400: "the server rejected our request for an unknown reason",
    401: "the server has asked for the client to provide credentials",
    404: "the server could not find the requested resource",
    405: "the server does not allow this method on the requested resource",
    409: "the server reported a conflict",
    422: "the server rejected our request due to an error in our request",
    429: "the server has received too many requests and has asked us to try again later",
    503: "the server is currently unable to handle the request",
    504: "the server was unable to return a response in the time allotted, but may still be "
         "processing the request",
}


def http_error_reason(code: int, content_type: str, body: bytes) -> str:
    """client-go's error for a non-2xx answer: a Failure Status body's message, else
    NewGenericServerResponse's wording for the code."""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and doc.get("kind") == "Status" and \
            doc.get("status") == "Failure" and isinstance(doc.get("message"), str):
        return doc["message"]
    media = content_type.split(";")[0].strip().lower()
    is_text = media == "" or media.startswith("text/")
    text = body[:MAX_ERROR_TEXT_BYTES].decode("utf-8", "replace").strip() if is_text \
        else "unknown"
    if code == 403:
        return text
    if code in _GENERIC_HTTP_ERRORS:
        return _GENERIC_HTTP_ERRORS[code]
    if code >= 500:
        return f"an error on the server ({go_quote(text)}) has prevented the request from " \
               "succeeding"
    return f"the server responded with the status code {code} but did not return more " \
           "information"


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _check_type(value, want, field: str, go_type: str):
    """encoding/json's unmarshal type error for a field of the wrong JSON type."""
    if value is None:
        return
    ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
    if not ok:
        raise _CallFailure(f"failed to call webhook: json: cannot unmarshal "
                           f"{_json_type(value)} into Go struct field {field} of type {go_type}")


def decode_response(body: bytes, uid: str, mutating: bool) -> dict:
    """Decodes and verifies an AdmissionReview v1 answer (VerifyAdmissionResponse):
    returns {"allowed", "status", "warnings", "auditAnnotations", "patch" (bytes|None),
    "patchType"}. Raises _CallFailure with kube-apiserver's reason text."""
    try:
        doc = json.loads(body)
    except ValueError as e:
        raise _CallFailure(f"failed to call webhook: couldn't get version/kind; json parse "
                           f"error: {e}") from None
    if not isinstance(doc, dict):
        raise _CallFailure("failed to call webhook: couldn't get version/kind; json parse "
                           f"error: json: cannot unmarshal {_json_type(doc)} into Go value "
                           "of type struct { APIVersion string \"json:\\\"apiVersion,"
                           "omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }")
    resp = doc.get("response")
    _check_type(resp, dict, "AdmissionReview.response", "v1.AdmissionResponse")
    if isinstance(resp, dict):
        _check_response_types(resp)
    invalid = "received invalid webhook response: "
    if resp is None:
        raise _CallFailure(invalid + "webhook response was absent")
    if (resp.get("uid") or "") != uid:
        raise _CallFailure(invalid + f"expected response.uid={go_quote(uid)}, "
                                     f"got {go_quote(resp.get('uid') or '')}")
    api_version, kind = str(doc.get("apiVersion") or ""), str(doc.get("kind") or "")
    if api_version != REVIEW_API_VERSION or kind != REVIEW_KIND:
        group, _, version = api_version.rpartition("/")
        raise _CallFailure(invalid + "expected webhook response of admission.k8s.io/v1, "
                                     f"Kind=AdmissionReview, got {group}/{version}, Kind={kind}")
    patch = _decode_patch_bytes(resp.get("patch"))
    patch_type = resp.get("patchType")
    if mutating:
        if patch and patch_type is None:
            raise _CallFailure(invalid + "webhook returned response.patch but not "
                                         "response.patchType")
        if not patch and patch_type is not None:
            raise _CallFailure(invalid + "webhook returned response.patchType but not "
                                         "response.patch")
        if patch_type is not None and patch_type == "":
            raise _CallFailure(invalid + 'webhook returned invalid response.patchType of ""')
    else:
        if patch:
            raise _CallFailure(invalid + "validating webhook may not return response.patch")
        if patch_type is not None:
            raise _CallFailure(invalid + "validating webhook may not return "
                                         "response.patchType")
    return {"allowed": bool(resp.get("allowed")), "status": resp.get("status"),
            "warnings": list(resp.get("warnings") or []),
            "auditAnnotations": dict(resp.get("auditAnnotations") or {}),
            "patch": patch or None, "patchType": patch_type or ""}


def _check_response_types(resp: dict):
    field = "AdmissionReview.response."
    _check_type(resp.get("uid"), str, field + "uid", "types.UID")
    _check_type(resp.get("allowed"), bool, field + "allowed", "bool")
    _check_type(resp.get("patch"), str, field + "patch", "[]uint8")
    _check_type(resp.get("patchType"), str, field + "patchType", "v1.PatchType")
    _check_type(resp.get("status"), dict, field + "status", "v1.Status")
    _check_type(resp.get("warnings"), list, field + "warnings", "[]string")
    _check_type(resp.get("auditAnnotations"), dict, field + "auditAnnotations",
                "map[string]string")
    for w in resp.get("warnings") or []:
        _check_type(w, str, field + "warnings", "string")
    for v in (resp.get("auditAnnotations") or {}).values():
        _check_type(v, str, field + "auditAnnotations", "string")
    status = resp.get("status") or {}
    for key, want, go_type in (("code", int, "int32"), ("message", str, "string"),
                               ("reason", str, "v1.StatusReason"), ("status", str, "string"),
                               ("details", dict, "v1.StatusDetails")):
        _check_type(status.get(key), want, field + "status." + key, go_type)


def _decode_patch_bytes(value) -> bytes:
    """A JSON []byte field: standard base64 (Go rejects anything else)."""
    if not value:
        return b""
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
        bad = next((i for i, ch in enumerate(value) if ch not in alphabet), len(value))
        raise _CallFailure(f"failed to call webhook: illegal base64 data at input byte "
                           f"{bad}") from None


# ---------------------------------------------------------------------------------------------
# One webhook call


def _timeout_of(hook: dict) -> int:
    value = hook.get("timeoutSeconds")
    if not isinstance(value, int) or isinstance(value, bool):
        return DEFAULT_TIMEOUT_SECONDS
    return min(max(value, 1), MAX_TIMEOUT_SECONDS)


def _call(hook: dict, attrs: dict, obj, old_obj, mutating: bool) -> dict:
    """Calls one matching webhook; returns decode_response()'s dict. Raises _Reject (dry-run
    refusal) or _CallFailure (everything failurePolicy decides)."""
    name = hook.get("name", "")
    if attrs.get("dryRun"):
        side_effects = hook.get("sideEffects")
        if side_effects is None:
            raise _CallFailure("Webhook SideEffects is nil")
        if side_effects not in ("None", "NoneOnDryRun"):
            raise _Reject(bad_request(f"admission webhook {go_quote(name)} does not support "
                                      "dry run"))
    versions = hook.get("admissionReviewVersions") or []
    if "v1" not in versions:
        if "v1beta1" in versions:
            raise _CallFailure("could not create admission objects: webhook accepts only "
                               "AdmissionReview v1beta1, which this test API server does not "
                               "send — add \"v1\" to admissionReviewVersions")
        raise _CallFailure("could not create admission objects: webhook does not accept "
                           "known AdmissionReview versions (v1, v1beta1)")
    timeout_s = _timeout_of(hook)
    cc = hook.get("clientConfig") or {}
    endpoint = _Endpoint(cc, timeout_s)
    ctx = _tls_context(cc.get("caBundle") if isinstance(cc, dict) else None)
    uid = str(uuid.uuid4())
    body = json.dumps(build_review(uid, attrs, obj, old_obj), separators=(",", ":")).encode()
    code, content_type, data = _post(endpoint, ctx, body, timeout_s)
    if not 200 <= code <= 206:
        raise _CallFailure("failed to call webhook: " +
                           http_error_reason(code, content_type, data))
    return decode_response(data, uid, mutating)


def _record(result: AdmissionResult, hook_name: str, response: dict):
    """Warnings (in order, no empty or repeated ones) and '<webhook>/<key>' annotations."""
    for w in response["warnings"]:
        if w and w not in result.warnings:
            result.warnings.append(w)
    for key, value in response["auditAnnotations"].items():
        result.audit_annotations[f"{hook_name}/{key}"] = value


def _deny(result: AdmissionResult, status: dict) -> AdmissionResult:
    result.allowed = False
    result.status = status
    return result


def _fails_open(hook: dict) -> bool:
    return hook.get("failurePolicy") == "Ignore"


def _failure_status(hook: dict, failure: _CallFailure) -> dict:
    return internal_error(f"failed calling webhook {go_quote(hook.get('name', ''))}: {failure}")


# ---------------------------------------------------------------------------------------------
# Phases


def _apply_patch(hook: dict, obj, response: dict):
    """(object after the webhook's JSON patch, the applied operations or None when the
    webhook sent no operations)."""
    name = hook.get("name", "")
    if not response["patch"]:
        return obj, None
    try:
        ops = json.loads(response["patch"])
    except ValueError as e:
        raise _CallFailure(f"received undecodable patch in webhook response: {e}") from None
    if not isinstance(ops, list):
        raise _CallFailure("received undecodable patch in webhook response: json: cannot "
                           f"unmarshal {_json_type(ops)} into Go value of type jsonpatch.Patch")
    if not ops:
        return obj, None
    if obj is None:
        raise _Reject(internal_error(f"admission webhook {go_quote(name)} attempted to modify "
                                     "the object, which is not supported for this operation"))
    if response["patchType"] != "JSONPatch":
        raise _CallFailure(f"unsupported patch type {go_quote(response['patchType'])}")
    try:
        import patch as patch_module  # the server's RFC 6902 implementation, loaded on use
    except ImportError:
        raise _Reject(internal_error("patch.py (JSON patch) is missing from the local API "
                                     "server — restore tests/apiserver/patch.py")) from None
    try:
        return patch_module.json_patch(obj, ops), ops
    except patch_module.PatchError as e:
        # real wraps the json-patch library's own error; patch.py keeps it as the first cause
        causes = getattr(e, "causes", None) or []
        detail = causes[0].get("message") if causes and isinstance(causes[0], dict) else None
        raise _Reject(internal_error(detail or getattr(e, "message", None) or str(e))) \
            from None
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise _Reject(internal_error(f"applying the JSON patch of webhook "
                                     f"{go_quote(name)} failed: {e}")) from None


def _compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _run_mutating(result: AdmissionResult, hooks: list, attrs, old_obj, namespace_labels):
    """Mutating webhooks in order; each sees the previous one's patched object."""
    for index, (cfg_name, hook) in enumerate(hooks):
        call, err = should_call(hook, attrs, result.obj, old_obj, namespace_labels)
        if err is not None:
            return _deny(result, err)
        if not call:
            continue
        name = hook.get("name", "")
        before, mutated = result.obj, False
        try:
            response = _call(hook, attrs, result.obj, old_obj, mutating=True)
            _record(result, name, response)
            if not response["allowed"]:
                return _deny(result, denial_status(name, response["status"]))
            result.obj, ops = _apply_patch(hook, result.obj, response)
            mutated = result.obj != before
            if ops is not None:
                result.audit_annotations[f"{_PATCH_PREFIX}round_0_index_{index}"] = _compact(
                    {"configuration": cfg_name, "webhook": name, "patch": ops,
                     "patchType": "JSONPatch"})
        except _Reject as rej:
            return _deny(result, rej.status)
        except _CallFailure as failure:
            if not _fails_open(hook):
                return _deny(result, _failure_status(hook, failure))
            result.audit_annotations[f"{_FAILED_OPEN_PREFIX[MUTATING]}round_0_index_{index}"] \
                = name
        finally:
            result.audit_annotations[f"{_MUTATION_PREFIX}round_0_index_{index}"] = _compact(
                {"configuration": cfg_name, "webhook": name, "mutated": mutated})
    return result


def _run_validating(result: AdmissionResult, hooks: list, attrs, old_obj, namespace_labels):
    """All matching validating webhooks are called; the first failure in order decides."""
    relevant = []
    for _cfg_name, hook in hooks:
        call, err = should_call(hook, attrs, result.obj, old_obj, namespace_labels)
        if err is not None:
            return _deny(result, err)
        if call:
            relevant.append(hook)
    first_error = None
    for index, hook in enumerate(relevant):
        name = hook.get("name", "")
        try:
            response = _call(hook, attrs, result.obj, old_obj, mutating=False)
            _record(result, name, response)
            if not response["allowed"]:
                first_error = first_error or denial_status(name, response["status"])
        except _Reject as rej:
            first_error = first_error or rej.status
        except _CallFailure as failure:
            if not _fails_open(hook):
                first_error = first_error or _failure_status(hook, failure)
            else:
                key = f"{_FAILED_OPEN_PREFIX[VALIDATING]}round_0_index_{index}"
                result.audit_annotations[key] = name
    if first_error is not None:
        return _deny(result, first_error)
    return result


def admit(phase: str, configurations: list, attrs: dict, obj, old_obj,
          namespace_labels) -> AdmissionResult:
    """Runs one admission phase ("mutating" or "validating") over the given webhook
    configurations for a request described by attrs
    ({"operation","group","version","kind","resource","subresource","namespace","name",
    "userInfo":{"username","uid","groups"},"dryRun"}; optional "options"). obj/old_obj are
    the new and old objects (None where the operation has none); namespace_labels are the
    labels of the request's namespace (None when it does not exist or for cluster-scoped
    objects). Inputs are not modified. Raises ValueError only for an unknown phase."""
    if phase not in (MUTATING, VALIDATING):
        raise ValueError(f"admit: phase must be {MUTATING!r} or {VALIDATING!r}, not {phase!r}")
    result = AdmissionResult(copy.deepcopy(obj))
    if _is_exempt(attrs):
        return result
    hooks = webhooks_in_order(configurations)
    if not hooks:
        return result
    old_obj = copy.deepcopy(old_obj)
    if phase == MUTATING:
        return _run_mutating(result, hooks, attrs, old_obj, namespace_labels)
    return _run_validating(result, hooks, attrs, old_obj, namespace_labels)
