"""selection.py - label and field selectors as kube-apiserver parses and applies them.

Label selector grammar: comma-separated requirements `k`, `!k`, `k=v`, `k==v`, `k!=v`,
`k in (a,b)`, `k notin (a,b)`, `k>n`, `k<n`. Field selectors: `f=v`, `f==v`, `f!=v`
over a fixed set of fields per kind. Parse errors raise status.ApiError 400.
"""
import re

from status import bad_request

_TOKEN = re.compile(r"\s*(!=|==|=|\(|\)|,|!|>|<|[^\s!=(),<>]+)")


def _tokens(text: str) -> list:
    """Tokens of a label selector (400 on characters it cannot contain)."""
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            if text[pos:].strip() == "":
                break
            raise bad_request(f"unable to parse requirement: invalid character at {pos}")
        out.append(m.group(1))
        pos = m.end()
    return out


_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _check_key(k: str):
    """400 for an invalid label key."""
    if not _KEY.match(k) or len(k.split("/")[-1]) > 63:
        raise bad_request(f"unable to parse requirement: key: Invalid value: \"{k}\": "
                          "name part must consist of alphanumeric characters, '-', '_' or '.'"
                          ", and must start and end with an alphanumeric character")


def _check_value(v: str):
    """400 for an invalid label value."""
    if not _VALUE.match(v) or len(v) > 63:
        raise bad_request(f"unable to parse requirement: values[0][{v}]: Invalid value: "
                          f"\"{v}\": a valid label must be an empty string or consist of "
                          "alphanumeric characters, '-', '_' or '.', and must start and end "
                          "with an alphanumeric character")


def parse_labels(text: str) -> list:
    """Parses a label selector into [(op, key, values)]; '' selects everything."""
    toks = _tokens(text or "")
    reqs, i = [], 0

    def take():
        """The next token; 400 at the end of the selector."""
        nonlocal i
        if i >= len(toks):
            raise bad_request(f"unable to parse requirement: found '', expected: identifier")
        i += 1
        return toks[i - 1]

    while i < len(toks):
        t = take()
        if t == "!":
            key = take()
            _check_key(key)
            reqs.append(("!", key, []))
        else:
            key = t
            _check_key(key)
            if i >= len(toks) or toks[i] == ",":
                reqs.append(("exists", key, []))
            else:
                op = take()
                if op in ("=", "==", "!="):
                    val = "" if i >= len(toks) or toks[i] == "," else take()
                    _check_value(val)
                    reqs.append(("!=" if op == "!=" else "=", key, [val]))
                elif op in ("in", "notin"):
                    if take() != "(":
                        raise bad_request("unable to parse requirement: found '', expected: '('")
                    vals = []
                    while True:
                        v = take()
                        if v == ")":
                            break
                        if v == ",":
                            continue
                        _check_value(v)
                        vals.append(v)
                    reqs.append((op, key, vals))
                elif op in (">", "<"):
                    val = take()
                    if not re.fullmatch(r"-?\d+", val):
                        raise bad_request(f"unable to parse requirement: for 'Gt', 'Lt' "
                                          f"operators, the value must be an integer")
                    reqs.append((op, key, [val]))
                else:
                    raise bad_request(f"unable to parse requirement: found '{op}', expected: "
                                      "'=', '!=', '==', 'in', notin'")
        if i < len(toks):
            if toks[i] != ",":
                raise bad_request(f"unable to parse requirement: found '{toks[i]}', "
                                  "expected: ',' or 'end of string'")
            i += 1
    return reqs


def match_labels(reqs: list, labels: dict | None) -> bool:
    """True when labels satisfy every requirement."""
    labels = labels or {}
    for op, key, vals in reqs:
        has = key in labels
        v = labels.get(key)
        if op == "exists" and not has:
            return False
        if op == "!" and has:
            return False
        if op == "=" and v != vals[0]:
            return False
        if op == "!=" and has and v == vals[0]:
            return False
        if op == "in" and (not has or v not in vals):
            return False
        if op == "notin" and has and v in vals:
            return False
        if op in (">", "<"):
            try:
                n = int(v)
            except (TypeError, ValueError):
                return False
            if (op == ">" and not n > int(vals[0])) or (op == "<" and not n < int(vals[0])):
                return False
    return True


def _split_unescaped(text: str, sep: str) -> list:
    """Splits on sep outside backslash escapes."""
    parts, cur, esc = [], "", False
    for ch in text:
        if esc:
            cur += "\\" + ch
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == sep:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _unescape(v: str) -> str:
    """Removes field-selector backslash escapes."""
    return re.sub(r"\\(.)", r"\1", v)


def parse_fields(text: str, allowed: list, crd: bool) -> list:
    """Parses a field selector into [(op, field, value)]; unknown fields answer 400 with
    kube-apiserver's message for built-ins ('field label not supported') or CRs."""
    reqs = []
    if not text:
        return reqs
    for part in _split_unescaped(text, ","):
        if not part:
            continue
        m = re.match(r"^(.*?)(!=|==|=)(.*)$", part)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        f, op, v = m.group(1).strip(), m.group(2), _unescape(m.group(3).strip())
        if f not in allowed:
            if crd:
                known = ", ".join(f'"{a}"' for a in allowed)
                raise bad_request(f'"{f}" is not a known field selector: only {known}')
            raise bad_request(f"field label not supported: {f}")
        reqs.append(("!=" if op == "!=" else "=", f, v))
    return reqs


def field_value(obj: dict, path: str) -> str:
    """The string form of obj at a dotted path ('' when absent), as field selectors see it."""
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(p)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def match_fields(reqs: list, obj: dict) -> bool:
    """True when obj satisfies every field requirement."""
    for op, f, v in reqs:
        have = field_value(obj, f)
        if (op == "=") != (have == v):
            return False
    return True
