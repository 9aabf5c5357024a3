"""Pure-function tests of the local API server's helpers: label/field selector parsing,
the YAML subset reader, the protobuf body decoder, continue tokens and the store's
point-in-time snapshots."""
import base64
import unittest

import protobuf
import selection
import status
import yamlmini
from api import decode_continue, encode_continue
from store import Store


class SelectionTest(unittest.TestCase):
    def test_parse_and_match(self):
        reqs = selection.parse_labels("a=1,b!=2,c in (x, y),d notin (z),e,!f,g>3")
        self.assertEqual(reqs[0], ("=", "a", ["1"]))
        labels = {"a": "1", "c": "y", "e": "", "g": "4"}
        self.assertTrue(selection.match_labels(reqs, labels))
        self.assertFalse(selection.match_labels(reqs, dict(labels, f="x")))
        self.assertFalse(selection.match_labels(reqs, dict(labels, g="3")))

    def test_errors(self):
        for bad in ("a in x", "a=(", "=x", "a b", "bad key!=1"):
            with self.assertRaises(status.ApiError, msg=bad) as cm:
                selection.parse_labels(bad)
            self.assertEqual(cm.exception.code, 400)

    def test_field_selector_escapes(self):
        reqs = selection.parse_fields(r"metadata.name=a\,b", ["metadata.name"], False)
        self.assertEqual(reqs, [("=", "metadata.name", "a,b")])
        with self.assertRaises(status.ApiError) as cm:
            selection.parse_fields("spec.x=1", ["metadata.name", "metadata.namespace"], True)
        self.assertEqual(cm.exception.status["message"], '"spec.x" is not a known field '
                         'selector: only "metadata.name", "metadata.namespace"')


class YamlTest(unittest.TestCase):
    def test_subset(self):
        doc = yamlmini.load("---\na: 1\nb:\n  - x: 'q'\n    y: [1, two]\n  - |\n    t\n"
                            "c: {k: v}  # comment\nd: null\ne: \"s\\n\"\n")
        self.assertEqual(doc, {"a": 1, "b": [{"x": "q", "y": [1, "two"]}, "t\n"],
                               "c": {"k": "v"}, "d": None, "e": "s\n"})

    def test_errors_name_the_line(self):
        for text, line in (("a: 1\n  b: 2\n", 2), ("a: &x 1\n", 1), ("a: 1\n---\nb: 2\n", 2),
                           ("a: 1\na: 2\n", 2)):
            with self.assertRaises(ValueError) as cm:
                yamlmini.load(text)
            self.assertIn(f"line {line}", str(cm.exception))


def _field(num, payload: bytes) -> bytes:
    return bytes([num << 3 | 2, len(payload)]) + payload


class ProtobufTest(unittest.TestCase):
    def test_secret(self):
        meta = _field(1, b"s1") + _field(3, b"") + _field(11, _field(1, b"k") + _field(2, b"v"))
        secret = _field(1, meta) + _field(2, _field(1, b"pw") + _field(2, b"\x00\xff")) + \
            _field(3, b"Opaque")
        body = protobuf.MAGIC + _field(1, _field(1, b"v1") + _field(2, b"Secret")) + \
            _field(2, secret)
        self.assertEqual(protobuf.decode(body), {
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s1", "labels": {"k": "v"}},
            "data": {"pw": base64.b64encode(b"\x00\xff").decode()}, "type": "Opaque"})

    def test_rejects(self):
        with self.assertRaises(ValueError):
            protobuf.decode(b"{}")
        body = protobuf.MAGIC + _field(1, _field(1, b"apps/v1") + _field(2, b"Deployment"))
        with self.assertRaises(ValueError):
            protobuf.decode(body)
        with self.assertRaises(ValueError):
            protobuf.decode(protobuf.MAGIC + b"\x0a\x05ab")  # truncated


class StoreTest(unittest.TestCase):
    def test_snapshots_and_compaction(self):
        s = Store(None, window=3)
        s.lock.acquire()  # writers hold the store lock
        self.addCleanup(s.lock.release)
        key = ("", "configmaps")
        s.put(key, {"metadata": {"name": "a", "namespace": "n", "uid": "1"}, "v": 1})
        rv1 = s.rv
        s.put(key, {"metadata": {"name": "a", "namespace": "n", "uid": "1"}, "v": 2})
        s.put(key, {"metadata": {"name": "b", "namespace": "n", "uid": "2"}, "v": 1})
        s.delete(key, "n", "a")
        at = s.items_at(key, "n", rv1)
        self.assertEqual([(k, o["v"]) for k, o in at], [(("n", "a"), 1)])
        self.assertEqual([k for k, _ in s.items(key, "n")], [("n", "b")])
        for i in range(10):
            s.put(key, {"metadata": {"name": f"x{i}", "namespace": "n"}})
        self.assertIsNone(s.items_at(key, "n", rv1))
        self.assertIsNone(s.events_after(rv1))
        self.assertEqual(s.events_after(s.rv), [])

    def test_continue_token_round_trip(self):
        tok = encode_continue(42, ("ns", "name"))
        self.assertEqual(decode_continue(tok), (42, ("ns", "name")))
        with self.assertRaises(status.ApiError):
            decode_continue("!!!")


if __name__ == "__main__":
    unittest.main()
