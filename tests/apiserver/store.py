"""store.py - the object store: objects by resource, one global monotonic
resourceVersion, the watch event log with its compaction window, point-in-time
snapshots for consistent paginated lists, and the on-disk state (snapshot file plus an
append-only journal flushed on every write, so acknowledged writes survive a restart).

Objects held here are never mutated in place: writers store fresh dicts, readers may
share them. Everything runs under `lock`; `cond` wakes watchers on new events.
"""
import bisect
import json
import os
import threading


CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")


class Event:
    __slots__ = ("rv", "key", "ns", "name", "type", "obj", "prev")

    def __init__(self, rv, key, ns, name, type_, obj, prev):
        self.rv, self.key, self.ns, self.name = rv, key, ns, name
        self.type, self.obj, self.prev = type_, obj, prev


def meta(obj: dict) -> dict:
    """obj.metadata or {}."""
    return obj.get("metadata") or {}


def owner_uids(obj: dict) -> list:
    """uids of obj's ownerReferences."""
    return [r.get("uid") for r in meta(obj).get("ownerReferences") or [] if r.get("uid")]


class Store:
    """In-memory objects plus event log; persistence in state_dir (None = memory only)."""

    def __init__(self, state_dir: str | None, window: int = 10000):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.objects = {}        # key -> {(ns, name): obj}
        self.rv = 0
        self.events = []         # Event, ascending rv
        self.event_rvs = []
        self.window = max(1, window)
        self.compacted_rv = 0    # events with rv <= compacted_rv are gone
        self.by_uid = {}         # uid -> (key, ns, name)
        self.dependents = {}     # owner uid -> set((key, ns, name))
        self.terminating = set() # (key, ns, name) of objects with a deletionTimestamp
        self.removed_uids = []   # uids removed since gc last looked (dependents to check)
        self.owned_writes = []   # (key, ns, name) written with ownerReferences
        self.crd_dirty = False   # a CRD changed: status and the registry need a refresh
        self.state_dir = state_dir
        self._journal = None
        self._journal_lines = 0
        if state_dir:
            self._load()

    # ---- persistence ----------------------------------------------------------------
    def _paths(self):
        """(snapshot path, journal path) in the state dir."""
        return (os.path.join(self.state_dir, "objects.json"),
                os.path.join(self.state_dir, "objects.journal"))

    def _load(self):
        """Loads the snapshot, replays the journal, then writes a fresh snapshot."""
        snap, journal = self._paths()
        if os.path.exists(snap):
            with open(snap, encoding="utf-8") as f:
                try:
                    data = json.load(f)
                except ValueError as e:
                    raise SystemExit(f"apiserver: state file {snap} is corrupt ({e}); "
                                     "remove the state dir to start empty")
            self.rv = int(data.get("rv", 0))
            for rec in data.get("objects", []):
                self._index_put(tuple(rec["key"]), rec["obj"])
        if os.path.exists(journal):
            with open(journal, encoding="utf-8") as f:
                for line in f:
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        break  # a torn last line from a crash: everything before it counts
                    self.rv = max(self.rv, int(rec["rv"]))
                    if rec["op"] == "put":
                        self._index_put(tuple(rec["key"]), rec["obj"])
                    elif rec["op"] == "del":
                        self._index_del(tuple(rec["key"]), rec["ns"], rec["name"])
        self.compacted_rv = self.rv  # no history survives a restart, like a new watch cache
        self.save_snapshot()

    def save_snapshot(self):
        """Writes every object atomically to objects.json and empties the journal."""
        if not self.state_dir:
            return
        with self.lock:
            snap, journal = self._paths()
            tmp = snap + ".tmp"
            objs = [{"key": list(k), "obj": o} for k, m in self.objects.items()
                    for o in m.values()]
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"rv": self.rv, "objects": objs}, f, separators=(",", ":"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, snap)
            if self._journal:
                self._journal.close()
            self._journal = open(journal, "w", encoding="utf-8")
            self._journal_lines = 0

    def _journal_write(self, rec: dict):
        """Appends one record to the journal and flushes it (acknowledged = persisted)."""
        if not self._journal:
            return
        self._journal.write(json.dumps(rec, separators=(",", ":")) + "\n")
        self._journal.flush()
        self._journal_lines += 1
        if self._journal_lines > 50000:
            self.save_snapshot()

    def close(self):
        """Writes the final snapshot and closes the journal."""
        with self.lock:
            if self.state_dir:
                self.save_snapshot()
                self._journal.close()
                self._journal = None

    # ---- indexes ---------------------------------------------------------------------
    def _index_put(self, key, obj):
        """Puts obj into the maps and indexes (no event, no journal)."""
        m = meta(obj)
        ns, name = m.get("namespace", ""), m["name"]
        old = self.objects.setdefault(key, {}).get((ns, name))
        if old is not None:
            self._unindex(key, old)
        self.objects[key][(ns, name)] = obj
        if m.get("uid"):
            self.by_uid[m["uid"]] = (key, ns, name)
        for u in owner_uids(obj):
            self.dependents.setdefault(u, set()).add((key, ns, name))
        if m.get("deletionTimestamp"):
            self.terminating.add((key, ns, name))

    def _unindex(self, key, obj):
        """Removes obj from the uid, dependents and terminating indexes."""
        m = meta(obj)
        ref = (key, m.get("namespace", ""), m.get("name"))
        if m.get("uid") and self.by_uid.get(m["uid"]) == ref:
            del self.by_uid[m["uid"]]
        self.terminating.discard(ref)
        for u in owner_uids(obj):
            s = self.dependents.get(u)
            if s:
                s.discard(ref)
                if not s:
                    del self.dependents[u]

    def _index_del(self, key, ns, name):
        """Removes an object from the maps; returns it or None."""
        old = self.objects.get(key, {}).pop((ns, name), None)
        if old is not None:
            self._unindex(key, old)
        return old

    # ---- reads -----------------------------------------------------------------------
    def get(self, key, ns, name):
        """The stored object or None."""
        return self.objects.get(key, {}).get((ns, name))

    def items(self, key, ns=None) -> list:
        """Current objects of a resource (in namespace ns when given), sorted like etcd."""
        m = self.objects.get(key, {})
        keys = sorted(k for k in m if ns is None or k[0] == ns)
        return [(k, m[k]) for k in keys]

    def items_at(self, key, ns, rv: int):
        """Objects as they were at resourceVersion rv (None when compacted away)."""
        if rv < self.compacted_rv:
            return None
        m = dict(self.objects.get(key, {}))
        i = bisect.bisect_right(self.event_rvs, rv)
        for ev in reversed(self.events[i:]):
            if ev.key != key:
                continue
            if ev.type == "ADDED":
                m.pop((ev.ns, ev.name), None)
            else:
                m[(ev.ns, ev.name)] = ev.prev
        keys = sorted(k for k in m if ns is None or k[0] == ns)
        return [(k, m[k]) for k in keys]

    def lookup_uid(self, uid):
        """The object with this uid, or None."""
        ref = self.by_uid.get(uid)
        return self.get(*ref) if ref else None

    # ---- writes (caller holds lock) ---------------------------------------------------
    def next_rv(self) -> int:
        """Takes the next resourceVersion."""
        self.rv += 1
        return self.rv

    def _record(self, ev: Event):
        """Appends an event, trims the log to the compaction window, wakes watchers."""
        self.events.append(ev)
        self.event_rvs.append(ev.rv)
        if len(self.events) > self.window * 2:
            cut = len(self.events) - self.window
            self.compacted_rv = self.event_rvs[cut - 1]
            del self.events[:cut]
            del self.event_rvs[:cut]
        self.cond.notify_all()

    def put(self, key, obj: dict) -> dict:
        """Stores obj (its metadata.resourceVersion is set to a new rv); emits ADDED or
        MODIFIED. Returns the stored object."""
        m = obj["metadata"]
        ns, name = m.get("namespace", ""), m["name"]
        prev = self.get(key, ns, name)
        rv = self.next_rv()
        m["resourceVersion"] = str(rv)
        self._index_put(key, obj)
        if owner_uids(obj):
            self.owned_writes.append((key, ns, name))
        if key == CRD_KEY:
            self.crd_dirty = True
        self._journal_write({"rv": rv, "op": "put", "key": list(key), "obj": obj})
        self._record(Event(rv, key, ns, name, "MODIFIED" if prev else "ADDED", obj, prev))
        return obj

    def delete(self, key, ns, name, last: dict | None = None) -> dict | None:
        """Removes an object; the DELETED event carries it (or `last`, its final content
        when an update removed the last finalizer) with a new resourceVersion."""
        prev = self._index_del(key, ns, name)
        if prev is None:
            return None
        if meta(prev).get("uid"):
            self.removed_uids.append(meta(prev)["uid"])
        if key == CRD_KEY:
            self.crd_dirty = True
        rv = self.next_rv()
        final = dict(last if last is not None else prev)
        final["metadata"] = dict(final["metadata"], resourceVersion=str(rv))
        self._journal_write({"rv": rv, "op": "del", "key": list(key), "ns": ns, "name": name})
        self._record(Event(rv, key, ns, name, "DELETED", final, prev))
        return final

    def compact(self):
        """Forgets all history: a watch or continue from any earlier rv gets 410."""
        with self.lock:
            rv = self.next_rv()
            self._journal_write({"rv": rv, "op": "rv"})
            self.events, self.event_rvs = [], []
            self.compacted_rv = rv

    def events_after(self, rv: int, start_index_hint: int = 0):
        """Events with rv greater than the given one (None when compacted away)."""
        if rv < self.compacted_rv:
            return None
        i = bisect.bisect_right(self.event_rvs, rv)
        return self.events[i:]
