"""protobuf.py - decodes the Kubernetes protobuf request bodies client-go's typed clients
send (kubectl create namespace|configmap|secret|serviceaccount use them): the "k8s\\0"
envelope (runtime.Unknown) and the messages of those four kinds with ObjectMeta, into
the JSON form. Other kinds answer 415 (ValueError here); responses are always JSON,
which those clients accept.
"""
import base64

MAGIC = b"k8s\x00"


def _varint(buf, i):
    """(value, next index) of a varint at i."""
    shift = result = 0
    while True:
        if i >= len(buf):
            raise ValueError("protobuf: truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise ValueError("protobuf: varint too long")


def fields(buf: bytes):
    """[(field number, wire type, value)] of one message (value: int or bytes)."""
    out, i = [], 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise ValueError("protobuf: truncated field")
            v, i = buf[i:i + n], i + n
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"protobuf: unsupported wire type {wt}")
        out.append((num, wt, v))
    return out


def _s(v):
    """UTF-8 text of a bytes field."""
    return v.decode("utf-8")


def _map(entries, value_bytes=False):
    """A protobuf map<string,string|bytes> as a dict (bytes base64-encoded)."""
    out = {}
    for e in entries:
        k, val = "", b""
        for n, _wt, v in fields(e):
            if n == 1:
                k = _s(v)
            elif n == 2:
                val = v
        out[k] = base64.b64encode(val).decode() if value_bytes else _s(val)
    return out


def _owner_ref(buf):
    """An OwnerReference message as JSON."""
    names = {1: "kind", 3: "name", 4: "uid", 5: "apiVersion"}
    r = {}
    for n, _wt, v in fields(buf):
        if n in names:
            r[names[n]] = _s(v)
        elif n == 6:
            r["controller"] = bool(v)
        elif n == 7:
            r["blockOwnerDeletion"] = bool(v)
    return r


def _object_meta(buf):
    """An ObjectMeta message as JSON (empty strings left out)."""
    strs = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    m, labels, annos, refs, fins = {}, [], [], [], []
    for n, _wt, v in fields(buf):
        if n in strs:
            if v:  # Go's omitempty: proto2 sends empty optional strings too
                m[strs[n]] = _s(v)
        elif n == 11:
            labels.append(v)
        elif n == 12:
            annos.append(v)
        elif n == 13:
            refs.append(_owner_ref(v))
        elif n == 14:
            fins.append(_s(v))
    if labels:
        m["labels"] = _map(labels)
    if annos:
        m["annotations"] = _map(annos)
    if refs:
        m["ownerReferences"] = refs
    if fins:
        m["finalizers"] = fins
    return m


def _decode_kind(kind, raw):
    """The message of a supported kind as JSON; ValueError for other kinds."""
    obj = {}
    grouped = {}
    for n, wt, v in fields(raw):
        grouped.setdefault(n, []).append(v)
    if 1 in grouped:
        obj["metadata"] = _object_meta(grouped[1][-1])
    if kind == "Namespace":
        if 2 in grouped:
            fins = [_s(v) for n, _wt, v in fields(grouped[2][-1]) if n == 1]
            obj["spec"] = {"finalizers": fins} if fins else {}
    elif kind == "ConfigMap":
        if 2 in grouped:
            obj["data"] = _map(grouped[2])
        if 3 in grouped:
            obj["binaryData"] = _map(grouped[3], value_bytes=True)
        if 4 in grouped:
            obj["immutable"] = bool(grouped[4][-1])
    elif kind == "Secret":
        if 2 in grouped:
            obj["data"] = _map(grouped[2], value_bytes=True)
        if 3 in grouped and grouped[3][-1]:
            obj["type"] = _s(grouped[3][-1])
        if 4 in grouped:
            obj["stringData"] = _map(grouped[4])
        if 5 in grouped:
            obj["immutable"] = bool(grouped[5][-1])
    elif kind == "ServiceAccount":
        if 3 in grouped:
            obj["imagePullSecrets"] = [
                {"name": _s(v)} for b in grouped[3] for n, _wt, v in fields(b) if n == 1]
        if 4 in grouped:
            obj["automountServiceAccountToken"] = bool(grouped[4][-1])
    else:
        raise ValueError(f"protobuf bodies of kind {kind!r} are not supported")
    return obj


def decode(body: bytes) -> dict:
    """A protobuf request body as a JSON-form object; ValueError when not decodable."""
    if not body.startswith(MAGIC):
        raise ValueError("protobuf: missing k8s envelope")
    tm, raw = {}, b""
    for n, _wt, v in fields(body[len(MAGIC):]):
        if n == 1:
            for tn, _twt, tv in fields(v):
                tm["apiVersion" if tn == 1 else "kind"] = _s(tv)
        elif n == 2:
            raw = v
    obj = {"apiVersion": tm.get("apiVersion", ""), "kind": tm.get("kind", "")}
    obj.update(_decode_kind(obj["kind"], raw))
    return obj
