"""collector.py - the controllers kube-apiserver's neighbours run, done synchronously after
each write (deterministic for tests): finalizer-driven deletion (objects with a
deletionTimestamp go once their finalizers are gone), ownerReference garbage
collection (background, foreground with blockOwnerDeletion, orphan), namespace
termination, and the CRD controllers (Established/NamesAccepted status, served
resources in the registry, deleting a CRD's objects before the CRD goes).

settle() must be called with store.lock held.
"""
import copy

from resources import crd_names
from store import CRD_KEY, meta, owner_uids

NS_KEY = ("", "namespaces")
CRD_CLEANUP = "customresourcecleanup.apiextensions.k8s.io"


class Controllers:
    def __init__(self, store, registry, now):
        self.store = store
        self.registry = registry
        self.now = now  # function returning an RFC 3339 timestamp

    # ---- helpers ----------------------------------------------------------------------
    def _update(self, key, obj, mutate):
        """Stores a mutated copy of obj (empty finalizers/ownerReferences dropped)."""
        new = copy.deepcopy(obj)
        mutate(new)
        m = new["metadata"]
        for f in ("finalizers", "ownerReferences"):
            if f in m and not m[f]:
                del m[f]
        return self.store.put(key, new)

    def delete_object(self, key, ns, name, policy="Background"):
        """Deletes like a DELETE request without preconditions: objects with finalizers
        (or a foreground/orphan policy) get a deletionTimestamp, others are removed.
        Returns the removed object's final state, or None when it stays."""
        obj = self.store.get(key, ns, name)
        if obj is None:
            return None
        m = meta(obj)
        fins = list(m.get("finalizers") or [])
        extra = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}.get(policy)
        if extra and extra not in fins and self.store.dependents.get(m.get("uid")):
            fins.append(extra)
        spec_fins = key == NS_KEY and (obj.get("spec") or {}).get("finalizers")
        if not fins and not spec_fins:
            return self.store.delete(key, ns, name)
        if m.get("deletionTimestamp") and fins == list(m.get("finalizers") or []):
            return None

        def mark(o):
            """Sets deletionTimestamp (once), finalizers and the Terminating phase."""
            mm = o["metadata"]
            if not mm.get("deletionTimestamp"):
                mm["deletionTimestamp"] = self.now()
                mm["deletionGracePeriodSeconds"] = 0
                if mm.get("generation"):
                    mm["generation"] += 1
            mm["finalizers"] = fins
            if key == NS_KEY:
                o.setdefault("status", {})["phase"] = "Terminating"
        self._update(key, obj, mark)
        return None

    def owner_state(self, ref: dict, dep_ns: str):
        """'present', 'absent' or 'unknown' (kind not served: left alone like real GC)."""
        info = self.registry.for_api_version_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
        if info is None:
            return "unknown", None
        ns = dep_ns if info.namespaced else ""
        if info.namespaced and not dep_ns:
            return "unknown", None
        owner = self.store.get(info.key, ns, ref.get("name", ""))
        if owner is None or meta(owner).get("uid") != ref.get("uid"):
            return "absent", None
        return "present", owner

    def _gc_dependent(self, key, ns, name):
        """Deletes a dependent whose owners are all absent; drops dangling references
        when some owner remains."""
        obj = self.store.get(key, ns, name)
        if obj is None or not owner_uids(obj):
            return
        refs = meta(obj).get("ownerReferences") or []
        solid, dangling, waiting = [], [], []
        for r in refs:
            st, owner = self.owner_state(r, ns)
            if st == "absent":
                dangling.append(r)
            elif st == "present" and meta(owner).get("deletionTimestamp") and \
                    "foregroundDeletion" in (meta(owner).get("finalizers") or []):
                waiting.append(r)
            else:
                solid.append(r)
        if solid:
            if dangling or waiting:
                gone = {r.get("uid") for r in dangling + waiting}
                self._update(key, obj, lambda o: o["metadata"].__setitem__(
                    "ownerReferences", [r for r in refs if r.get("uid") not in gone]))
            return
        if waiting:
            if meta(obj).get("deletionTimestamp"):
                return
            self.delete_object(key, ns, name, "Foreground")
        elif dangling:
            self.delete_object(key, ns, name, "Background")

    # ---- terminating objects --------------------------------------------------------------
    def _drop_finalizer(self, key, obj, fin):
        """Removes one finalizer from obj."""
        self._update(key, obj, lambda o: o["metadata"].__setitem__(
            "finalizers", [f for f in o["metadata"].get("finalizers") or [] if f != fin]))

    def _terminate(self, key, ns, name):
        """Advances one object being deleted (orphan, foreground, namespace, CRD cleanup)."""
        obj = self.store.get(key, ns, name)
        if obj is None:
            return
        m = meta(obj)
        fins = m.get("finalizers") or []
        uid = m.get("uid")
        if "orphan" in fins:
            for dkey, dns, dname in list(self.store.dependents.get(uid, ())):
                dep = self.store.get(dkey, dns, dname)
                if dep is not None:
                    self._update(dkey, dep, lambda o: o["metadata"].__setitem__(
                        "ownerReferences", [r for r in o["metadata"].get("ownerReferences", [])
                                            if r.get("uid") != uid]))
            self._drop_finalizer(key, obj, "orphan")
            return
        if "foregroundDeletion" in fins:
            blocking = 0
            for dkey, dns, dname in list(self.store.dependents.get(uid, ())):
                dep = self.store.get(dkey, dns, dname)
                if dep is None:
                    continue
                ref = next((r for r in meta(dep).get("ownerReferences") or []
                            if r.get("uid") == uid), {})
                self._gc_dependent(dkey, dns, dname)
                if ref.get("blockOwnerDeletion") and self.store.get(dkey, dns, dname):
                    blocking += 1
            if blocking == 0:
                obj = self.store.get(key, ns, name)
                if obj is not None:
                    self._drop_finalizer(key, obj, "foregroundDeletion")
            return
        if key == NS_KEY and "kubernetes" in ((obj.get("spec") or {}).get("finalizers") or []):
            left = 0
            for k in list(self.store.objects):
                info = self.registry.for_key(k)
                if k == NS_KEY or (info is not None and not info.namespaced):
                    continue
                for (ons, oname), _o in self.store.items(k, name):
                    self.delete_object(k, ons, oname)
                    if self.store.get(k, ons, oname) is not None:
                        left += 1
            if left == 0:
                self._update(key, obj, lambda o: o["spec"].__setitem__(
                    "finalizers", [f for f in o["spec"]["finalizers"] if f != "kubernetes"]))
            return
        if key == CRD_KEY and CRD_CLEANUP in fins:
            ckey = ((obj.get("spec") or {}).get("group", ""),
                    (obj.get("spec") or {}).get("names", {}).get("plural", ""))
            left = 0
            for (ons, oname), _o in self.store.items(ckey):
                self.delete_object(ckey, ons, oname)
                if self.store.get(ckey, ons, oname) is not None:
                    left += 1
            if left == 0:
                self._drop_finalizer(key, obj, CRD_CLEANUP)
            return
        if not fins and not (key == NS_KEY and (obj.get("spec") or {}).get("finalizers")):
            self.store.delete(key, ns, name)

    # ---- CRDs ----------------------------------------------------------------------------
    def _crd_status(self):
        """Sets Established/NamesAccepted status on CRDs and refreshes the registry."""
        for (ns, name), crd in self.store.items(CRD_KEY):
            if meta(crd).get("deletionTimestamp"):
                continue
            names = crd_names(crd)
            st = crd.get("status") or {}
            storage = [v.get("name") for v in crd.get("spec", {}).get("versions", [])
                       if v.get("storage")]
            stored = list(st.get("storedVersions") or [])
            for v in storage:
                if v not in stored:
                    stored.append(v)
            if st.get("acceptedNames") == names and st.get("storedVersions") == stored and \
                    len(st.get("conditions") or []) >= 2:
                continue
            now = self.now()

            def set_status(o):
                """Writes the CRD status kube-apiserver's controllers set."""
                o["status"] = {
                    "conditions": [
                        {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now,
                         "reason": "NoConflicts", "message": "no conflicts found"},
                        {"type": "Established", "status": "True", "lastTransitionTime": now,
                         "reason": "InitialNamesAccepted",
                         "message": "the initial names have been accepted"}],
                    "acceptedNames": names, "storedVersions": stored}
            self._update(CRD_KEY, crd, set_status)
        self.registry.set_crds([o for _k, o in self.store.items(CRD_KEY)])

    # ---- entry point ----------------------------------------------------------------------
    def settle(self, limit: int = 10000):
        """Runs every controller until nothing changes (bounded by `limit` rounds)."""
        st = self.store
        for _ in range(limit):
            work = False
            if st.crd_dirty:
                st.crd_dirty = False
                self._crd_status()
                work = True
            if st.removed_uids:
                uids, st.removed_uids = st.removed_uids, []
                for u in uids:
                    for ref in list(st.dependents.get(u, ())):
                        self._gc_dependent(*ref)
                work = True
            if st.owned_writes:
                refs, st.owned_writes = st.owned_writes, []
                for ref in dict.fromkeys(refs):
                    self._gc_dependent(*ref)
                work = True
            before = st.rv
            for ref in list(st.terminating):
                self._terminate(*ref)
            if st.rv != before:
                work = True
            if not work:
                return
