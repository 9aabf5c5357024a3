"""tests/golden/appstackcheck.py - validates an AppStack like the API server would:
top-level shape and metadata.name, defaults, the OpenAPI schema (schemacheck.py),
then the intent of every CEL rule of the CRD, re-implemented in Python.

CEL itself is not evaluated here (there is no CEL interpreter in the standard
library). Each Python check below takes its message from the CRD by a unique
fragment, so the texts cannot drift, and tests/golden/test_crd.py checks that
every CEL rule of the CRD has exactly one check here. Where the API server
reports the object holding a rule, these checks name the exact field (for
example spec.components[2].schedule), which is what the renderer's semantic
validation reports too. Messages: "spec.path: problem — what to do".
"""
import copy
import os
import sys

import schemacheck

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "hack"))
import appstack_schema  # noqa: E402

RESERVED = appstack_schema.RESERVED_COMPONENT_NAMES


def crd_messages(node, out=None):
    """Every CEL message of a schema (a list, in schema order)."""
    out = [] if out is None else out
    if isinstance(node, dict):
        for r in node.get("x-kubernetes-validations", []):
            out.append(r["message"])
        for value in node.values():
            crd_messages(value, out)
    elif isinstance(node, list):
        for value in node:
            crd_messages(value, out)
    return out


class AppStackChecker:
    """Validation of AppStack objects against one CRD (a dict, as read from crds/)."""

    def __init__(self, crd):
        self.schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        self.messages = crd_messages(self.schema)
        self.used = set()
        self.schema_checker = schemacheck.Checker(appstack_schema.PATTERN_HINTS)
        self.rules = [getattr(self, n) for n in sorted(dir(self)) if n.startswith("rule_")]
        # Resolve every fragment now, so a missing message fails at construction.
        self.errors = []
        for r in self.rules:
            r({"components": []}, self.errors)
        self.errors = []

    def msg(self, fragment):
        """The CRD message that contains fragment (exactly one must)."""
        found = sorted({m for m in self.messages if fragment in m})
        if len(found) != 1:
            raise KeyError("fragment %r matches %d CEL messages" % (fragment, len(found)))
        self.used.add(found[0])
        return found[0]

    def validate(self, obj):
        """Returns (defaulted copy of obj, list of errors)."""
        obj = copy.deepcopy(obj)
        errors = []
        if not isinstance(obj, dict):
            return obj, ["(document): must be an object — write an AppStack"]
        if obj.get("apiVersion") != "appstack.io/v1alpha1" or obj.get("kind") != "AppStack":
            errors.append("apiVersion: expected appstack.io/v1alpha1 AppStack, got %s %s — fix "
                          "apiVersion and kind" % (obj.get("apiVersion"), obj.get("kind")))
        for key in obj:
            if key not in ("apiVersion", "kind", "metadata", "spec", "status"):
                errors.append("%s: unknown field — remove it (kubectl explain appstack)" % key)
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or "name" not in meta:
            errors.append("metadata.name: required field is missing — name the stack")
        else:
            errors += self.schema_checker.validate(
                self.schema["properties"]["metadata"]["properties"]["name"], meta["name"],
                "metadata.name")
        if "spec" not in obj:
            errors.append("spec: required field is missing — add the stack's spec")
            return obj, errors
        spec_schema = self.schema["properties"]["spec"]
        schemacheck.apply_defaults(spec_schema, obj["spec"])
        errors += self.schema_checker.validate(spec_schema, obj["spec"], "spec")
        if not errors:
            for r in self.rules:
                r(obj["spec"], errors)
        return obj, errors

    # ---------------------------------------------------------- component rules
    def _components(self, spec):
        for k, c in enumerate(spec.get("components", [])):
            yield "spec.components[%d]" % k, c

    def rule_component_reserved(self, spec, errors):
        m = self.msg("names postgres and redis are reserved")
        for p, c in self._components(spec):
            if c["name"] in RESERVED:
                errors.append("%s.name: %s" % (p, m))

    def rule_component_port(self, spec, errors):
        m = self.msg("port is required for web and stateful")
        for p, c in self._components(spec):
            if (c["type"] in ("web", "stateful")) != ("port" in c):
                errors.append("%s.port: %s" % (p, m))

    def rule_component_schedule(self, spec, errors):
        m = self.msg("schedule is required for type cron")
        for p, c in self._components(spec):
            if (c["type"] == "cron") != ("schedule" in c):
                errors.append("%s.schedule: %s" % (p, m))

    def rule_component_cron_only(self, spec, errors):
        m = self.msg("timeZone and concurrencyPolicy apply only")
        for p, c in self._components(spec):
            for f in ("timeZone", "concurrencyPolicy"):
                if c["type"] != "cron" and f in c:
                    errors.append("%s.%s: %s" % (p, f, m))

    def rule_component_volumes(self, spec, errors):
        m = self.msg("volumes are required for type stateful")
        for p, c in self._components(spec):
            if (c["type"] == "stateful") != ("volumes" in c):
                errors.append("%s.volumes: %s" % (p, m))

    def rule_component_replicas_autoscaling(self, spec, errors):
        m = self.msg("replicas and autoscaling are exclusive")
        for p, c in self._components(spec):
            if "replicas" in c and "autoscaling" in c:
                errors.append("%s.replicas: %s" % (p, m))

    def rule_component_cron_replicas(self, spec, errors):
        m = self.msg("replicas and probes do not apply to type cron")
        for p, c in self._components(spec):
            for f in ("replicas", "probes"):
                if c["type"] == "cron" and f in c:
                    errors.append("%s.%s: %s" % (p, f, m))

    def rule_component_autoscaling_type(self, spec, errors):
        m = self.msg("autoscaling applies only to web and worker")
        for p, c in self._components(spec):
            if "autoscaling" in c and c["type"] not in ("web", "worker"):
                errors.append("%s.autoscaling: %s" % (p, m))

    def rule_component_migrate_type(self, spec, errors):
        m = self.msg("migrate applies only to web and worker")
        for p, c in self._components(spec):
            if "migrate" in c and c["type"] not in ("web", "worker"):
                errors.append("%s.migrate: %s" % (p, m))

    def rule_component_metrics_port(self, spec, errors):
        m = self.msg("metrics.port is required when")
        for p, c in self._components(spec):
            if "metrics" in c and "port" not in c["metrics"] and "port" not in c:
                errors.append("%s.metrics.port: %s" % (p, m))

    def rule_component_probe_port(self, spec, errors):
        m = self.msg("an HTTP or TCP probe needs a port")
        for p, c in self._components(spec):
            if "port" in c:
                continue
            for which in ("liveness", "readiness", "startup"):
                pr = c.get("probes", {}).get(which)
                if pr is not None and "command" not in pr and "port" not in pr:
                    errors.append("%s.probes.%s.port: %s" % (p, which, m))

    def rule_component_self_connection(self, spec, errors):
        m = self.msg("cannot connect to itself")
        for p, c in self._components(spec):
            for j, x in enumerate(c.get("connections", [])):
                if x["name"] == c["name"]:
                    errors.append("%s.connections[%d].name: %s" % (p, j, m))

    def rule_image_latest(self, spec, errors):
        m = self.msg("latest tag is not reproducible")
        for p, c in self._components(spec):
            if c["image"].endswith(":latest"):
                errors.append("%s.image: %s" % (p, m))

    def rule_autoscaling_bounds(self, spec, errors):
        m = self.msg("minReplicas is greater than maxReplicas")
        for p, c in self._components(spec):
            a = c.get("autoscaling")
            if a and a["minReplicas"] > a["maxReplicas"]:
                errors.append("%s.autoscaling.minReplicas: %s" % (p, m))

    def rule_probe_path_command(self, spec, errors):
        m = self.msg("path and command are exclusive")
        for p, c in self._components(spec):
            for which, pr in sorted(c.get("probes", {}).items()):
                if "path" in pr and "command" in pr:
                    errors.append("%s.probes.%s.command: %s" % (p, which, m))

    def rule_env_one_of(self, spec, errors):
        m = self.msg("set exactly one of value and secretKeyRef")
        for p, c in self._components(spec):
            for j, e in enumerate(c.get("env", [])):
                if ("value" in e) == ("secretKeyRef" in e):
                    errors.append("%s.env[%d]: %s" % (p, j, m))

    def rule_connection_fields(self, spec, errors):
        md = self.msg("database applies only to a postgres connection")
        mr = self.msg("redisDatabase applies only to a redis connection")
        for p, c in self._components(spec):
            for j, x in enumerate(c.get("connections", [])):
                if "database" in x and x["name"] != "postgres":
                    errors.append("%s.connections[%d].database: %s" % (p, j, md))
                if "redisDatabase" in x and x["name"] != "redis":
                    errors.append("%s.connections[%d].redisDatabase: %s" % (p, j, mr))

    # ---------------------------------------------------------- ingress rules
    def rule_ingress_mode(self, spec, errors):
        m_mode = self.msg("set tls for an Ingress or gateway for an HTTPRoute")
        m_class = self.msg("className applies to an Ingress")
        m_gw = self.msg("cannot be rendered for a Gateway API route")
        ing = spec.get("ingress")
        if ing is None:
            return
        if ("gateway" in ing) == ("tls" in ing):
            errors.append("spec.ingress.%s: %s" % ("tls" if "tls" in ing else "gateway", m_mode))
        if "gateway" in ing and "className" in ing:
            errors.append("spec.ingress.className: %s" % m_class)
        if "gateway" in ing:
            for j, r in enumerate(ing["routes"]):
                for f in ("rateLimit", "maxBodySize"):
                    if f in r:
                        errors.append("spec.ingress.routes[%d].%s: %s" % (j, f, m_gw))

    def rule_ingress_route_host(self, spec, errors):
        m = self.msg("a route's host must be host or one of extraHosts")
        ing = spec.get("ingress")
        if ing is None:
            return
        hosts = [ing["host"]] + ing.get("extraHosts", [])
        for j, r in enumerate(ing["routes"]):
            if r["host"] != "" and r["host"] not in hosts:
                errors.append("spec.ingress.routes[%d].host: %s" % (j, m))

    def rule_ingress_tls_one_of(self, spec, errors):
        m = self.msg("set exactly one of issuerRef, selfSigned")
        tls = spec.get("ingress", {}).get("tls")
        if tls is None:
            return
        n = ("issuerRef" in tls) + ("secretName" in tls) + (tls.get("selfSigned") is True)
        if n != 1:
            errors.append("spec.ingress.tls: %s" % m)

    def rule_ingress_rate_one_of(self, spec, errors):
        m = self.msg("set exactly one of requestsPerSecond and requestsPerMinute")
        for j, r in enumerate(spec.get("ingress", {}).get("routes", [])):
            rate = r.get("rateLimit")
            if rate is not None and ("requestsPerSecond" in rate) == ("requestsPerMinute" in rate):
                errors.append("spec.ingress.routes[%d].rateLimit: %s" % (j, m))

    def rule_route_component(self, spec, errors):
        m = self.msg("a route names a component that does not exist")
        web = {c["name"] for c in spec["components"] if c["type"] == "web"}
        for j, r in enumerate(spec.get("ingress", {}).get("routes", [])):
            if r["component"] not in web:
                errors.append("spec.ingress.routes[%d].component: %s" % (j, m))

    # ---------------------------------------------------------- services, secrets
    def _services(self, spec):
        return [(n, spec.get("services", {}).get(n)) for n in ("postgres", "redis")
                if spec.get("services", {}).get(n) is not None]

    def rule_backup_destination(self, spec, errors):
        m = self.msg("set exactly one of pvc and s3")
        for name, svc in self._services(spec):
            d = svc["backup"]["destination"]
            if ("pvc" in d) == ("s3" in d):
                errors.append("spec.services.%s.backup.destination: %s" % (name, m))

    def _secret_names(self, spec):
        sec = spec.get("secrets", {})
        gen = {g["name"]: g for g in sec.get("generate", [])}
        existing = {f["name"] for f in sec.get("fromExisting", [])}
        return gen, existing

    def rule_backup_s3_secret(self, spec, errors):
        m = self.msg("s3.credentialsSecret is not declared")
        _, existing = self._secret_names(spec)
        for name, svc in self._services(spec):
            s3 = svc["backup"]["destination"].get("s3")
            if s3 is not None and s3["credentialsSecret"] not in existing:
                errors.append("spec.services.%s.backup.destination.s3.credentialsSecret: %s"
                              % (name, m))

    def rule_secret_names_distinct(self, spec, errors):
        m = self.msg("declared both in generate and fromExisting")
        gen, _ = self._secret_names(spec)
        for j, f in enumerate(spec.get("secrets", {}).get("fromExisting", [])):
            if f["name"] in gen:
                errors.append("spec.secrets.fromExisting[%d].name: %s" % (j, m))

    def rule_env_secret_declared(self, spec, errors):
        m_env = self.msg("an env secretKeyRef names a secret not declared")
        m_key = self.msg("names a key that the generated secret does not have")
        m_from = self.msg("an envFrom secretRef names a secret not declared")
        gen, existing = self._secret_names(spec)
        for p, c in self._components(spec):
            for j, e in enumerate(c.get("env", [])):
                ref = e.get("secretKeyRef")
                if ref is None:
                    continue
                if ref["name"] not in gen and ref["name"] not in existing:
                    errors.append("%s.env[%d].secretKeyRef.name: %s" % (p, j, m_env))
                elif ref["name"] in gen and ref["key"] not in gen[ref["name"]]["keys"]:
                    errors.append("%s.env[%d].secretKeyRef.key: %s" % (p, j, m_key))
            for j, e in enumerate(c.get("envFrom", [])):
                if e["secretRef"] not in gen and e["secretRef"] not in existing:
                    errors.append("%s.envFrom[%d].secretRef: %s" % (p, j, m_from))

    def rule_connection_targets(self, spec, errors):
        m_target = self.msg("a connection names neither a declared service")
        m_db = self.msg("a connection's database is not in")
        services = dict(self._services(spec))
        ported = {c["name"] for c in spec["components"] if "port" in c}
        dbs = {d["name"] for d in services.get("postgres", {}).get("databases", [])}
        for p, c in self._components(spec):
            for j, x in enumerate(c.get("connections", [])):
                n = x["name"]
                if n not in services and n not in ported:
                    errors.append("%s.connections[%d].name: %s" % (p, j, m_target))
                if "database" in x and x["database"] not in dbs:
                    errors.append("%s.connections[%d].database: %s" % (p, j, m_db))
