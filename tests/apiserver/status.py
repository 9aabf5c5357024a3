"""status.py - metav1.Status objects shaped exactly like kube-apiserver's, and the
ApiError exception that carries one through the request pipeline.

Owns: every error/success Status body the local API server returns (messages copied
from kube-apiserver's wording in k8s.io/apimachinery/pkg/api/errors).
"""


class ApiError(Exception):
    """An error answered to the client as a Status object with HTTP `code`."""

    def __init__(self, status: dict, headers: dict | None = None):
        super().__init__(status.get("message", ""))
        self.status = status
        self.code = status.get("code", 500)
        self.headers = headers or {}


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """Builds a Failure Status; details=None leaves them out, {} sends "details":{}
    (as kube-apiserver does for unknown paths)."""
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason}
    if details is not None:
        s["details"] = details
    s["code"] = code
    return s


def qualified(group: str, plural: str) -> str:
    """'deployments.apps' or 'configmaps' (a GroupResource as printed by k8s)."""
    return f"{plural}.{group}" if group else plural


def _details(name: str, group: str, kind: str, **extra) -> dict:
    d = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    if kind:
        d["kind"] = kind
    d.update({k: v for k, v in extra.items() if v})
    return d


def not_found(group: str, plural: str, name: str) -> ApiError:
    msg = f'{qualified(group, plural)} "{name}" not found'
    return ApiError(status(404, "NotFound", msg, _details(name, group, plural)))


def already_exists(group: str, plural: str, name: str) -> ApiError:
    msg = f'{qualified(group, plural)} "{name}" already exists'
    return ApiError(status(409, "AlreadyExists", msg, _details(name, group, plural)))


CONFLICT_MODIFIED = ("the object has been modified; please apply your changes to the "
                     "latest version and try again")


def conflict(group: str, plural: str, name: str, detail: str = CONFLICT_MODIFIED) -> ApiError:
    msg = f'Operation cannot be fulfilled on {qualified(group, plural)} "{name}": {detail}'
    return ApiError(status(409, "Conflict", msg, _details(name, group, plural)))


def invalid(group: str, kind: str, name: str, causes: list) -> ApiError:
    """422 Invalid; message '<Kind>.<group> "<name>" is invalid: <field>: <msg>' with
    several causes joined as '[a, b]' like errors.NewInvalid."""
    qkind = f"{kind}.{group}" if group else kind
    parts = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"]
             for c in causes]
    if len(parts) == 1:
        agg = parts[0]
    else:
        agg = "[" + ", ".join(parts) + "]"
    msg = f'{qkind} "{name}" is invalid: {agg}'
    return ApiError(status(422, "Invalid", msg, _details(name, group, kind, causes=causes)))


def cause(reason: str, field: str, message: str) -> dict:
    return {"reason": reason, "message": message, "field": field}


def go_quote(value) -> str:
    """Go's %q of a string value (enough for names and simple values)."""
    s = str(value)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def field_invalid(field: str, value, detail: str) -> dict:
    return cause("FieldValueInvalid", field, f"Invalid value: {go_quote(value)}: {detail}")


def field_required(field: str, detail: str = "") -> dict:
    return cause("FieldValueRequired", field, "Required value" + (f": {detail}" if detail else ""))


def field_forbidden(field: str, detail: str) -> dict:
    return cause("FieldValueForbidden", field, f"Forbidden: {detail}")


def bad_request(message: str) -> ApiError:
    return ApiError(status(400, "BadRequest", message))


def method_not_allowed(message: str) -> ApiError:
    return ApiError(status(405, "MethodNotAllowed", message))


def unsupported_media(accepted: list) -> ApiError:
    msg = ("the body of the request was in an unknown format - accepted media types include: "
           + ", ".join(accepted))
    return ApiError(status(415, "UnsupportedMediaType", msg))


def gone_expired(message: str) -> ApiError:
    return ApiError(status(410, "Expired", message))


def too_old(rv: int, oldest: int) -> dict:
    return status(410, "Expired", f"too old resource version: {rv} ({oldest})")


def unauthorized() -> ApiError:
    return ApiError(status(401, "Unauthorized", "Unauthorized"))


def forbidden(message: str, details: dict | None = None) -> ApiError:
    return ApiError(status(403, "Forbidden", message, details))


def internal(message: str) -> ApiError:
    return ApiError(status(500, "InternalError", f"Internal error occurred: {message}",
                           {"causes": [{"message": message}]}))


def too_many_requests(retry_after: int) -> ApiError:
    msg = "the server has received too many requests and has asked us to try again later"
    return ApiError(status(429, "TooManyRequests", msg, {"retryAfterSeconds": retry_after}),
                    {"Retry-After": str(retry_after)})


def too_large(limit: int) -> ApiError:
    return ApiError(status(413, "RequestEntityTooLarge",
                           f"Request entity too large: limit is {limit}"))


def success(group: str, plural: str, name: str, uid: str) -> dict:
    """The Status a DELETE answers for kinds that do not return the deleted object."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": _details(name, group, plural, uid=uid)}
