"""tests/golden/kubeyaml.py - read YAML files the way kubectl does, offline.

Python's standard library has no YAML parser and the project allows no pip
package, so this asks kubectl: `kubectl label --local -f FILE KEY- -o json`
parses every document with kubectl's own YAML-to-JSON conversion (the one the
API server sees), needs no cluster, and removes a label that is never there.
The only trace it leaves, an empty `metadata.labels` (and an empty `metadata`
when the document had none), is removed again here.
Limits: every document needs apiVersion and kind (kubectl's decoder requires
them), and a document that really wrote `labels: {}` loses it.
"""
import json
import os
import shutil
import subprocess

KUBECTL = shutil.which("kubectl")
PROBE_LABEL = "appstack.io/kubeyaml-probe-"


class YAMLError(Exception):
    """A file kubectl could not read; the message is kubectl's."""


def available():
    """True when kubectl is installed."""
    return KUBECTL is not None


def load_all(path):
    """Returns the list of documents in path (dicts), in file order; raises YAMLError."""
    if KUBECTL is None:
        raise YAMLError("kubectl not found in PATH")
    env = dict(os.environ, KUBECONFIG=os.devnull)
    proc = subprocess.run([KUBECTL, "label", "--local", "-f", path, PROBE_LABEL, "-o", "json"],
                          env=env, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise YAMLError("%s: %s" % (path, proc.stderr.strip()))
    docs, text, pos = [], proc.stdout, 0
    decoder = json.JSONDecoder()
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        doc, pos = decoder.raw_decode(text, pos)
        meta = doc.get("metadata")
        if isinstance(meta, dict):
            if meta.get("labels") == {}:
                del meta["labels"]
            if meta == {}:
                del doc["metadata"]
        docs.append(doc)
    return docs


def load_one(path):
    """Returns the single document in path; raises YAMLError when there is not exactly one."""
    docs = load_all(path)
    if len(docs) != 1:
        raise YAMLError("%s: expected one document, found %d" % (path, len(docs)))
    return docs[0]
