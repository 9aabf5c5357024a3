"""yamlmini.py - a small YAML reader for request bodies (apply patches sent as YAML,
application/yaml creates). kubectl sends JSON (which json.loads handles first); this
covers what hand-written clients send: one document of block mappings and sequences,
plain/single-/double-quoted scalars, flow collections of scalars, literal `|` and folded
`>` blocks, comments. Anchors, tags and multi-document streams raise ValueError.
"""
import json
import re

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def _scalar(text: str, line_no: int):
    """A plain or quoted scalar (or flow collection) as a Python value."""
    t = text.strip()
    if t == "" or t in ("~", "null", "Null", "NULL"):
        return None
    if t in ("true", "True", "TRUE"):
        return True
    if t in ("false", "False", "FALSE"):
        return False
    if t.startswith('"'):
        if not t.endswith('"') or len(t) < 2:
            raise ValueError(f"line {line_no}: unterminated double-quoted string")
        return json.loads(t)
    if t.startswith("'"):
        if not t.endswith("'") or len(t) < 2:
            raise ValueError(f"line {line_no}: unterminated single-quoted string")
        return t[1:-1].replace("''", "'")
    if t.startswith(("[", "{")):
        return _flow(t, line_no)
    if t.startswith(("&", "*", "!")):
        raise ValueError(f"line {line_no}: anchors, aliases and tags are not supported")
    if _INT.match(t):
        return int(t)
    if _FLOAT.match(t) and any(ch.isdigit() for ch in t):
        return float(t)
    return t


def _flow(t: str, line_no: int):
    """Flow collections: converted to JSON by quoting bare words."""
    out, i = [], 0
    while i < len(t):
        ch = t[i]
        if ch in "[]{},:" or ch.isspace():
            out.append(ch)
            i += 1
        elif ch in "\"'":
            j = i + 1
            while j < len(t) and t[j] != ch:
                j += 2 if t[j] == "\\" and ch == '"' else 1
            word = t[i:j + 1]
            out.append(json.dumps(_scalar(word, line_no)))
            i = j + 1
        else:
            j = i
            while j < len(t) and t[j] not in "[]{},":
                if t[j] == ":" and (j + 1 == len(t) or t[j + 1] == " "):
                    break
                j += 1
            out.append(json.dumps(_scalar(t[i:j], line_no)))
            i = j
    try:
        return json.loads("".join(out))
    except ValueError as e:
        raise ValueError(f"line {line_no}: bad flow collection: {e}")


def _strip_comment(line: str) -> str:
    """The line without a trailing # comment (quotes respected)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and (i == 0 or line[i - 1] in " :[{,-"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] == " "):
            return line[:i].rstrip()
    return line.rstrip()


def load(text: str):
    """Parses one YAML document; raises ValueError naming the line on anything else."""
    lines = []
    raw = text.split("\n")
    i = 0
    while i < len(raw):
        s = raw[i]
        if s.strip() == "---" and not lines:
            i += 1
            continue
        if s.strip() in ("---", "..."):
            if any(r.strip() and not r.strip().startswith("#") for r in raw[i + 1:]):
                raise ValueError(f"line {i + 1}: only one YAML document is accepted")
            break
        if "\t" in s[:len(s) - len(s.lstrip())]:
            raise ValueError(f"line {i + 1}: tabs are not allowed for indentation")
        lines.append((i + 1, s))
        i += 1
    p = _Parser(lines)
    return p.parse()


class _Parser:
    def __init__(self, lines):
        self.raw = lines
        self.pos = 0

    def _next_content(self):
        """(line number, text, indent) of the next non-empty line, or None."""
        while self.pos < len(self.raw):
            no, s = self.raw[self.pos]
            c = _strip_comment(s)
            if c.strip():
                return no, c, len(c) - len(c.lstrip())
            self.pos += 1
        return None

    def parse(self):
        """The document's value; ValueError on trailing content."""
        nxt = self._next_content()
        if nxt is None:
            return None
        v = self._block(nxt[2])
        rest = self._next_content()
        if rest is not None:
            raise ValueError(f"line {rest[0]}: unexpected indentation")
        return v

    def _block(self, indent):
        """The block node starting at the next line."""
        no, c, ind = self._next_content()
        body = c.strip()
        if body.startswith("- ") or body == "-":
            return self._seq(ind)
        if _key_split(body) is not None:
            return self._map(ind)
        self.pos += 1
        return _scalar(body, no)

    def _value_after(self, rest, no, ind):
        """The value following 'key:' or '- ' on the same line, or a nested block."""
        rest = rest.strip()
        if rest in ("|", "|-", "|+", ">", ">-", ">+"):
            return self._literal(rest, ind)
        if rest:
            return _scalar(rest, no)
        nxt = self._next_content()
        if nxt is None or nxt[2] < ind or (nxt[2] == ind and not nxt[1].strip().startswith("-")):
            return None
        return self._block(nxt[2])

    def _literal(self, style, ind):
        """A | or > block scalar."""
        out, block_ind = [], None
        while self.pos < len(self.raw):
            no, s = self.raw[self.pos]
            if s.strip() == "":
                out.append("")
                self.pos += 1
                continue
            cur = len(s) - len(s.lstrip())
            if cur <= ind:
                break
            block_ind = cur if block_ind is None else block_ind
            out.append(s[block_ind:])
            self.pos += 1
        while out and out[-1] == "" and not style.endswith("+"):
            out.pop()
        if style.startswith(">"):
            text = " ".join(out)
        else:
            text = "\n".join(out)
        return text if style.endswith("-") else text + "\n"

    def _map(self, ind):
        """A block mapping at this indent."""
        out = {}
        while True:
            nxt = self._next_content()
            if nxt is None or nxt[2] < ind:
                return out
            no, c, cur = nxt
            if cur > ind:
                raise ValueError(f"line {no}: unexpected indentation")
            kv = _key_split(c.strip())
            if kv is None:
                raise ValueError(f"line {no}: expected 'key: value'")
            key, rest = kv
            self.pos += 1
            if key in out:
                raise ValueError(f"line {no}: duplicate key {key!r}")
            out[key] = self._value_after(rest, no, ind)

    def _seq(self, ind):
        """A block sequence at this indent."""
        out = []
        while True:
            nxt = self._next_content()
            if nxt is None or nxt[2] < ind:
                return out
            no, c, cur = nxt
            body = c.strip()
            if cur != ind or not (body.startswith("- ") or body == "-"):
                if cur > ind:
                    raise ValueError(f"line {no}: unexpected indentation")
                return out
            item = body[1:].lstrip()
            item_ind = cur + (len(body) - len(item))
            if item.startswith("- ") or item == "-":
                self.raw[self.pos] = (no, " " * item_ind + item)
                out.append(self._seq(item_ind))
            elif item and _key_split(item) is not None and not item.startswith(
                    ("[", "{", '"', "'")):
                # "- key: v" starts a mapping indented at the item's column
                self.raw[self.pos] = (no, " " * item_ind + item)
                out.append(self._map(item_ind))
            else:
                self.pos += 1
                out.append(self._value_after(item, no, cur))


def _key_split(body: str):
    """('key', 'rest') for 'key: rest' / 'key:' lines, else None."""
    if body.startswith(('"', "'")):
        q = body[0]
        j = body.find(q, 1)
        if j > 0 and body[j + 1:j + 2] == ":" and (len(body) == j + 2 or body[j + 2] == " "):
            return _scalar(body[:j + 1], 0), body[j + 2:]
        return None
    m = re.match(r"^([^\s\[\]{}#,][^:#]*?|[^\s\[\]{}#,]):(\s+|$)(.*)$", body)
    if not m:
        return None
    return m.group(1), m.group(3)
