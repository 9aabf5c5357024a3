"""hack/appstack_schema.py - the AppStack API (appstack.io/v1alpha1), as data.

This module is the single source of the AppStack CustomResourceDefinition:
hack/gen-api.py turns it into crds/appstack.yaml and docs/api.md, and the
golden tests check both files are fresh. Edit the schema here, then run
`python3 hack/gen-api.py`.

Conventions kept by every node (checked by tests/golden/test_crd.py):
- every property has a description written as documentation (kubectl explain);
- every list has maxItems and every string has maxLength, so the API server's
  CEL cost estimate stays bounded;
- named lists are list-type maps keyed by `name` (or another required key);
- cross-field rules are CEL `x-kubernetes-validations`, each with a message of
  the form "problem — what to do"; tests/golden/celcheck.py mirrors each one.
"""

# ---------------------------------------------------------------- patterns
DNS_LABEL = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
HOSTNAME = (r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")
OPTIONAL_HOSTNAME = "^(" + HOSTNAME[1:-1] + ")?$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
SECRET_KEY = r"^[-._a-zA-Z0-9]+$"
IMAGE = (r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(:[0-9]+)?"
         r"(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"
         r"(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$")
QUANTITY = (r"^(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
            r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")
BYTES = r"^[0-9]+(Ki|Mi|Gi)?$"
CRON = (r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)"
        r"|([0-9A-Za-z*/,?-]+ +){4}[0-9A-Za-z*/,?-]+)$")
URL_PATH = r"^/[A-Za-z0-9/._~%!$&'()*+,;=:@-]*$"
PG_IDENT = r"^[a-z_][a-z0-9_]*$"
CIDR = r"^[0-9a-fA-F.:]+/[0-9]{1,3}$"
# A header value: printable ASCII without '"' and '\\' (no CR/LF injection into proxy config).
HEADER_VALUE = r"^[ !#-\[\]-~]*$"
CONDITION_TYPE = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
CONDITION_REASON = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"

# What each pattern means, for error messages ("<value> is not valid — <hint>").
PATTERN_HINTS = {
    DNS_LABEL: "use lower-case letters, digits and '-', starting with a letter and not ending "
               "with '-'",
    DNS_SUBDOMAIN: "use lower-case letters, digits, '-' and '.'",
    HOSTNAME: "use a fully qualified host name such as app.example.com",
    OPTIONAL_HOSTNAME: "use a fully qualified host name such as app.example.com, or leave "
                       "it empty for the main host",
    ENV_NAME: "use letters, digits and '_', not starting with a digit",
    SECRET_KEY: "use letters, digits, '-', '_' and '.'",
    IMAGE: "use registry/name:tag or registry/name@sha256:digest, with an explicit tag",
    QUANTITY: "use a quantity such as 500m, 2, 256Mi or 10Gi",
    BYTES: "use a size in bytes with Ki, Mi or Gi, such as 10Mi",
    CRON: "use five cron fields such as '0 2 * * *' or a macro such as @daily",
    URL_PATH: "use an absolute URL path such as /api",
    PG_IDENT: "use lower-case letters, digits and '_', not starting with a digit",
    CIDR: "use a network in CIDR form such as 10.0.0.0/8",
    HEADER_VALUE: "use printable ASCII without '\"' and '\\'",
}

# Names the stack gives to its data services; components may not use them.
RESERVED_COMPONENT_NAMES = ["postgres", "redis"]

# ---------------------------------------------------------------- builders
def _node(kind, desc, **kw):
    node = {"type": kind, "description": desc}
    for key, value in kw.items():
        if value is not None:
            node[key] = value
    return node


def s(desc, max_len, pattern=None, enum=None, default=None, min_len=None, fmt=None, rules=None):
    """A string property; max_len is mandatory (CEL cost bounds)."""
    node = _node("string", desc, format=fmt, enum=enum, default=default,
                 minLength=min_len, maxLength=max_len, pattern=pattern)
    if rules:
        node["x-kubernetes-validations"] = rules
    return node


def i(desc, minimum=None, maximum=None, default=None, fmt=None):
    """An integer property."""
    return _node("integer", desc, format=fmt, default=default, minimum=minimum, maximum=maximum)


def b(desc, default=None):
    """A boolean property."""
    return _node("boolean", desc, default=default)


def q(desc, default=None, pattern=QUANTITY):
    """A Kubernetes quantity: an integer, or a string such as 500m or 256Mi."""
    node = {"description": desc,
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "x-kubernetes-int-or-string": True,
            "pattern": pattern,
            }
    if default is not None:
        node["default"] = default
    return node


def o(desc, props, required=None, rules=None, default=None):
    """An object with fixed properties."""
    node = _node("object", desc, default=default)
    if required:
        node["required"] = required
    node["properties"] = props
    if rules:
        node["x-kubernetes-validations"] = rules
    return node


def m(desc, max_props, value_max_len, default=None):
    """A string-to-string map (labels, parameters); keys are checked by the renderer."""
    node = _node("object", desc, default=default, maxProperties=max_props)
    node["additionalProperties"] = {"type": "string", "description": "A value.",
                                    "maxLength": value_max_len}
    return node


def lst(desc, items, max_items, keys=None, list_type=None, min_items=None):
    """A list; keys makes it a list-type map, list_type='set' a set of scalars."""
    node = _node("array", desc, minItems=min_items, maxItems=max_items)
    node["items"] = items
    if keys:
        node["x-kubernetes-list-type"] = "map"
        node["x-kubernetes-list-map-keys"] = keys
    elif list_type:
        node["x-kubernetes-list-type"] = list_type
    return node


def rule(expr, message, field_path=None, reason=None):
    """One CEL rule; the message says what is wrong and what to do."""
    r = {"rule": expr, "message": message}
    if field_path:
        r["fieldPath"] = field_path
    if reason:
        r["reason"] = reason
    return r


def one_of(fields):
    """CEL: exactly one of the optional fields is set."""
    return " + ".join("(has(self.%s) ? 1 : 0)" % f for f in fields) + " == 1"


# ---------------------------------------------------------------- component
def resources():
    def pair(which):
        return o("Amounts of %s for each container of the component." % which, {
            "cpu": q("CPU, in cores or millicores, for example `250m` or `1`."),
            "memory": q("Memory, in bytes with a suffix, for example `256Mi` or `1Gi`."),
        })
    return o("CPU and memory for the component's main container. Every field left out takes the "
             "default of the stack's profile and the component's type (see docs/api.md, "
             "\"Defaults\"), so every rendered container has requests and limits.", {
                 "requests": pair("requests (what the scheduler reserves)"),
                 "limits": pair("limits (the most the container may use)"),
             })


def probe(which, purpose):
    return o(
        "The %s probe: %s. Set `path` for an HTTP GET, `command` for a command run in the "
        "container, or neither for a TCP connection to the port." % (which, purpose), {
            "path": s("HTTP path probed with GET, for example `/health`.", 256, pattern=URL_PATH),
            "port": i("Port probed; defaults to the component's `port`. Required for an HTTP or TCP "
                      "probe of a component without a port.", 1, 65535),
            "command": lst("Command run in the container (no shell unless you call one); exit 0 "
                           "means healthy.", s("One argument.", 1024), 16),
            "initialDelaySeconds": i("Seconds to wait after the container starts before the first "
                                     "probe.", 0, 3600),
            "periodSeconds": i("Seconds between probes (default 10).", 1, 3600),
            "timeoutSeconds": i("Seconds after which one probe counts as failed (default 3).", 1, 600),
            "failureThreshold": i("Failed probes in a row before the probe gives up (default 3; "
                                  "for startup 30).", 1, 1000),
        },
        rules=[rule("!(has(self.path) && has(self.command))",
                    "path and command are exclusive — keep path for an HTTP probe or command for "
                    "an exec probe", field_path=".command", reason="FieldValueForbidden")])


def component():
    env_item = o(
        "One environment variable: a literal `value`, or `secretKeyRef` to a key of a secret "
        "declared in `spec.secrets`. Values may refer to earlier variables with `$(NAME)`, "
        "including the variables injected by `connections`.", {
            "name": s("Variable name.", 128, pattern=ENV_NAME),
            "value": s("Literal value. Never put credentials here; use `secretKeyRef`.", 4096),
            "secretKeyRef": o("A key of a secret declared in `spec.secrets.generate` or "
                              "`spec.secrets.fromExisting`.", {
                                  "name": s("The secret's name as declared in `spec.secrets`.", 63,
                                            pattern=DNS_SUBDOMAIN),
                                  "key": s("The key inside the secret.", 253, pattern=SECRET_KEY),
                              }, required=["name", "key"]),
        }, required=["name"],
        rules=[rule(one_of(["value", "secretKeyRef"]),
                    "set exactly one of value and secretKeyRef — a literal value, or a reference "
                    "to a declared secret", reason="FieldValueInvalid")])
    env_from_item = o(
        "Every key of a declared secret, as environment variables.", {
            "secretRef": s("Name of a secret declared in `spec.secrets` (generated or existing).",
                           63, pattern=DNS_SUBDOMAIN),
            "prefix": s("Prefix added to every variable name, for example `OPENAI_`.", 32,
                        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"),
        }, required=["secretRef"])
    volume = o("A persistent volume of a stateful component: one PersistentVolumeClaim per replica, "
               "from the StatefulSet's volumeClaimTemplates.", {
                   "name": s("Volume name, unique in the component.", 20, pattern=DNS_LABEL),
                   "mountPath": s("Where the volume is mounted in the container.", 256,
                                  pattern=r"^/.*$"),
                   "size": q("Requested size, for example `10Gi`."),
                   "storageClassName": s("StorageClass of the claim; the cluster default when "
                                         "absent.", 253, pattern=DNS_SUBDOMAIN),
               }, required=["name", "mountPath", "size"])
    writable = o("A writable scratch directory (emptyDir) in the otherwise read-only root "
                 "filesystem. `/tmp` is always writable and need not be listed.", {
                     "path": s("Absolute path of the directory, for example `/app/.next/cache`.",
                               256, pattern=r"^/.*$"),
                     "sizeLimit": q("Most the directory may hold (default `256Mi`)."),
                 }, required=["path"])
    connection = o(
        "A data service or another component this component talks to. The NetworkPolicy allows "
        "exactly these flows, and the address and credentials are injected as environment "
        "variables: for `postgres` DATABASE_URL, PGHOST, PGPORT, PGDATABASE, PGUSER and "
        "PGPASSWORD; for `redis` REDIS_URL, REDIS_HOST, REDIS_PORT and REDIS_PASSWORD; for a "
        "component <NAME>_HOST and <NAME>_PORT (name upper-cased, '-' as '_'). `envPrefix` is put "
        "in front of each injected name.", {
            "name": s("`postgres`, `redis`, or the name of another component that has a port.",
                      20, pattern=DNS_LABEL),
            "database": s("For `postgres`: which database of `spec.services.postgres.databases` "
                          "(default: the first one). The connection uses that database's own "
                          "role.", 63, pattern=PG_IDENT),
            "redisDatabase": i("For `redis`: the logical database number in REDIS_URL "
                               "(default 0).", 0, 15),
            "envPrefix": s("Prefix for the injected variable names, for example `CONFIG_` gives "
                           "CONFIG_DATABASE_URL. Needed to connect twice to the same service.", 32,
                           pattern=r"^([A-Z][A-Z0-9_]*)?$", default=""),
        }, required=["name"],
        rules=[rule("!has(self.database) || self.name == 'postgres'",
                    "database applies only to a postgres connection — remove it or connect to "
                    "postgres", field_path=".database", reason="FieldValueForbidden"),
               rule("!has(self.redisDatabase) || self.name == 'redis'",
                    "redisDatabase applies only to a redis connection — remove it or connect to "
                    "redis", field_path=".redisDatabase", reason="FieldValueForbidden")])
    egress = o("Traffic this component may send outside the cluster (external APIs, legacy "
               "databases). Everything else leaving the stack is denied.", {
                   "cidr": s("Destination network, for example `0.0.0.0/0` or `10.101.2.87/32`.",
                             64, pattern=CIDR),
                   "except": lst("Networks inside `cidr` that stay denied.",
                                 s("A network in CIDR form.", 64, pattern=CIDR), 8),
                   "ports": lst("Allowed TCP ports (all ports when absent).",
                                i("A TCP port.", 1, 65535), 8, list_type="set"),
               }, required=["cidr"])
    migrate = o(
        "A database migration (Django `migrate`, Flask `db upgrade`, ...) run as a Job with the "
        "component's image, env and connections before the component rolls out: the Job is named "
        "after a hash of the image and command, so it runs once per release, and the Deployment "
        "is updated only after it succeeded (condition Reconciling, reason MigrationRunning; a "
        "failure sets Stalled, reason MigrationFailed, and the running version stays).", {
            "command": lst("Command of the migration container.", s("One argument.", 1024), 32,
                           min_items=1),
            "args": lst("Arguments of the migration command.", s("One argument.", 1024), 32),
            "timeoutSeconds": i("Deadline of the Job (activeDeadlineSeconds; default 600).", 10,
                                86400),
            "backoffLimit": i("Retries before the migration counts as failed (default 1).", 0, 10),
        }, required=["command"])
    autoscaling = o(
        "A HorizontalPodAutoscaler for the component. The Deployment then has no `replicas` field "
        "(the HPA owns it).", {
            "minReplicas": i("Fewest replicas.", 1, 100, default=1),
            "maxReplicas": i("Most replicas.", 1, 100),
            "targetCPUUtilizationPercentage": i("Average CPU use, in percent of the request, the "
                                                "HPA aims at.", 1, 100, default=70),
            "targetMemoryUtilizationPercentage": i("Average memory use, in percent of the "
                                                   "request, the HPA aims at (not used when "
                                                   "absent).", 1, 100),
        }, required=["maxReplicas"],
        rules=[rule("self.minReplicas <= self.maxReplicas",
                    "minReplicas is greater than maxReplicas — lower minReplicas or raise "
                    "maxReplicas", field_path=".minReplicas", reason="FieldValueInvalid")])
    metrics = o("Prometheus metrics exposed by the component: a ServiceMonitor when the "
                "prometheus-operator API exists, prometheus.io scrape annotations otherwise.", {
                    "path": s("HTTP path of the metrics.", 256, pattern=URL_PATH, default="/metrics"),
                    "port": i("Port of the metrics; defaults to the component's `port`.", 1, 65535),
                    "interval": s("Scrape interval.", 8, pattern=r"^[0-9]+(s|m)$", default="30s"),
                })
    props = {
        "name": s("Name of the component, unique in the stack; its objects are named "
                  "<stack>-<name>. `postgres` and `redis` are reserved for `spec.services`.", 20,
                  pattern=DNS_LABEL),
        "type": s("What the component is: `web` (a Deployment and a Service on `port`, can be "
                  "routed), `worker` (a Deployment without Service, for queue consumers and "
                  "schedulers), `cron` (a CronJob on `schedule`), `stateful` (a StatefulSet with a "
                  "headless Service and `volumes`, for brokers and object stores such as RabbitMQ "
                  "or MinIO).", 16, enum=["web", "worker", "cron", "stateful"]),
        "image": s("Container image with an explicit tag or digest, for example "
                   "`ghcr.io/acme/api:1.4.2`. `latest` and untagged images are refused.", 255,
                   pattern=IMAGE,
                   rules=[rule("!self.endsWith(':latest')",
                               "the latest tag is not reproducible — pin a version tag or a "
                               "digest", reason="FieldValueInvalid")]),
        "command": lst("Entrypoint override (the image's ENTRYPOINT when absent).",
                       s("One argument.", 1024), 32),
        "args": lst("Arguments (the image's CMD when absent).", s("One argument.", 1024), 32),
        "port": i("TCP port the container listens on; the Service exposes the same port. Required "
                  "for `web` and `stateful`, not allowed for `worker` and `cron`.", 1, 65535),
        "replicas": i("Number of pods (default 1). Not allowed with `autoscaling` or for `cron`. "
                      "Two or more replicas also get a PodDisruptionBudget.", 0, 100),
        "env": lst("Environment variables, after the ones injected by `connections`.", env_item, 32,
                   keys=["name"]),
        "envFrom": lst("Secrets whose every key becomes an environment variable.", env_from_item, 8,
                       keys=["secretRef"]),
        "resources": resources(),
        "probes": o("Health probes. A `web` or `stateful` component without probes gets TCP "
                    "readiness and liveness probes on its port; `cron` components have none.", {
                        "liveness": probe("liveness", "failing restarts the container"),
                        "readiness": probe("readiness", "failing takes the pod out of its Service"),
                        "startup": probe("startup", "holds the other probes until it succeeds, "
                                         "for slow starts"),
                    }),
        "autoscaling": autoscaling,
        "metrics": metrics,
        "schedule": s("For `cron` only (and required there): when the job runs, in cron syntax "
                      "(`0 2 * * *`) or a macro such as `@daily`.", 128, pattern=CRON),
        "timeZone": s("For `cron` only: IANA time zone of the schedule, for example "
                      "`Europe/Paris` (the controller manager's zone when absent).", 64,
                      pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$"),
        "concurrencyPolicy": s("For `cron` only: what happens when a run is still going at the "
                               "next schedule (default Forbid).", 8,
                               enum=["Forbid", "Replace", "Allow"]),
        "migrate": migrate,
        "volumes": lst("For `stateful` only (and required there): persistent volumes.", volume, 4,
                       keys=["name"], min_items=1),
        "writablePaths": lst("Writable scratch directories in the read-only root filesystem.",
                             writable, 8, keys=["path"]),
        "connections": lst("Data services and components this component uses.", connection, 8,
                           keys=["name", "envPrefix"]),
        "egress": lst("Destinations outside the cluster this component may reach.", egress, 8),
        "runAsUser": i("Non-zero UID the containers run as (default 10001 with the `restricted` "
                       "profile, the image's user with `baseline`). Set it to the UID the image "
                       "was built for when its files need a specific owner.", 1, 2147483647),
        "runAsGroup": i("GID the containers run as and that owns the volumes (fsGroup); defaults "
                        "to `runAsUser`.", 1, 2147483647),
        "terminationGracePeriodSeconds": i("Seconds a pod gets to shut down after SIGTERM "
                                           "(default 30); raise it for workers with long tasks.",
                                           0, 3600),
    }
    rules = [
        rule("!(self.name in %s)" % repr(RESERVED_COMPONENT_NAMES).replace('"', "'"),
             "the names postgres and redis are reserved for spec.services — rename the component",
             field_path=".name", reason="FieldValueInvalid"),
        rule("(self.type == 'web' || self.type == 'stateful') == has(self.port)",
             "port is required for web and stateful components and not allowed for worker and "
             "cron — set port, or remove it", field_path=".port", reason="FieldValueInvalid"),
        rule("(self.type == 'cron') == has(self.schedule)",
             "schedule is required for type cron and allowed only for it — add a cron schedule, "
             "or change the type", field_path=".schedule", reason="FieldValueInvalid"),
        rule("self.type == 'cron' || (!has(self.timeZone) && !has(self.concurrencyPolicy))",
             "timeZone and concurrencyPolicy apply only to type cron — remove them",
             field_path=".type", reason="FieldValueForbidden"),
        rule("(self.type == 'stateful') == has(self.volumes)",
             "volumes are required for type stateful and allowed only for it — use a stateful "
             "component for data that must survive, writablePaths for scratch space",
             field_path=".volumes", reason="FieldValueInvalid"),
        rule("!(has(self.replicas) && has(self.autoscaling))",
             "replicas and autoscaling are exclusive — remove replicas, the autoscaler owns it",
             field_path=".replicas", reason="FieldValueForbidden"),
        rule("self.type != 'cron' || (!has(self.replicas) && !has(self.probes))",
             "replicas and probes do not apply to type cron — remove them",
             field_path=".type", reason="FieldValueForbidden"),
        rule("!has(self.autoscaling) || self.type == 'web' || self.type == 'worker'",
             "autoscaling applies only to web and worker components — remove it",
             field_path=".autoscaling", reason="FieldValueForbidden"),
        rule("!has(self.migrate) || self.type == 'web' || self.type == 'worker'",
             "migrate applies only to web and worker components — move it to the component "
             "that owns the schema", field_path=".migrate", reason="FieldValueForbidden"),
        rule("!has(self.metrics) || has(self.metrics.port) || has(self.port)",
             "metrics.port is required when the component has no port — set the port the metrics "
             "are served on", field_path=".metrics", reason="FieldValueRequired"),
        rule("has(self.port) || !has(self.probes) || "
             "((!has(self.probes.liveness) || has(self.probes.liveness.command) || "
             "has(self.probes.liveness.port)) && "
             "(!has(self.probes.readiness) || has(self.probes.readiness.command) || "
             "has(self.probes.readiness.port)) && "
             "(!has(self.probes.startup) || has(self.probes.startup.command) || "
             "has(self.probes.startup.port)))",
             "an HTTP or TCP probe needs a port and the component has none — set the probe's "
             "port or use a command probe", field_path=".probes", reason="FieldValueRequired"),
        rule("!has(self.connections) || self.connections.all(c, c.name != self.name)",
             "a component cannot connect to itself — remove that connection",
             field_path=".connections", reason="FieldValueInvalid"),
    ]
    return o("One workload of the stack.", props, required=["name", "type", "image"], rules=rules)


# ---------------------------------------------------------------- ingress
def ingress():
    rate = o("Requests allowed per client IP; more are answered 429 (ingress-nginx limit-rps / "
             "limit-rpm). Not expressible in Gateway API, so not allowed with `gateway`.", {
                 "requestsPerSecond": i("Requests per second per client IP.", 1, 100000),
                 "requestsPerMinute": i("Requests per minute per client IP.", 1, 6000000),
                 "burstMultiplier": i("Burst allowed above the rate, as a multiple of it "
                                      "(default 5).", 1, 100),
             }, rules=[rule(one_of(["requestsPerSecond", "requestsPerMinute"]),
                            "set exactly one of requestsPerSecond and requestsPerMinute — pick "
                            "the unit of your limit", reason="FieldValueInvalid")])
    route = o("One path routed to one component.", {
        "host": s("Host of the route: `host` or one of `extraHosts`; empty means `host`.", 253,
                  pattern=OPTIONAL_HOSTNAME, default=""),
        "path": s("URL path of the route, for example `/api`.", 256, pattern=URL_PATH),
        "pathType": s("`Prefix` matches the path and everything under it, `Exact` only the path.",
                      8, enum=["Prefix", "Exact"], default="Prefix"),
        "component": s("The `web` component that serves the route.", 20, pattern=DNS_LABEL),
        "rateLimit": rate,
        "maxBodySize": q("Largest request body accepted, for example `10Mi` (the controller's "
                         "default when absent; 1Mi for ingress-nginx). Not allowed with "
                         "`gateway`.", pattern=BYTES),
        "timeoutSeconds": i("Seconds the proxy waits for the component's response (default 60).",
                            1, 86400),
        "streaming": b("The route carries WebSocket or server-sent events: response buffering "
                       "off and the timeout raised to at least 3600 seconds.", default=False),
        "cacheControl": s("Cache-Control header set on responses, for static assets, for "
                          "example `public, max-age=31536000, immutable`.", 256,
                          pattern=HEADER_VALUE),
    }, required=["path", "component"])
    hsts = o("Strict-Transport-Security: browsers use HTTPS only for this host.", {
        "enabled": b("Send the header.", default=True),
        "maxAgeSeconds": i("How long browsers remember it.", 0, 63072000, default=31536000),
        "includeSubDomains": b("Also for every subdomain.", default=True),
        "preload": b("Ask to be put on the browsers' preload list (hard to undo).", default=False),
    }, default={})
    headers = o(
        "Response security headers set by the Ingress controller or the HTTPRoute filters. On by "
        "default.", {
            "enabled": b("Set the headers below.", default=True),
            "hsts": hsts,
            "contentSecurityPolicy": s("Content-Security-Policy header; empty sends none.", 2048,
                                       default="default-src 'self'; frame-ancestors 'none'; "
                                       "object-src 'none'; base-uri 'self'", pattern=HEADER_VALUE),
            "frameOptions": s("X-Frame-Options header.", 16, enum=["DENY", "SAMEORIGIN"],
                              default="DENY"),
            "contentTypeNosniff": b("X-Content-Type-Options: nosniff.", default=True),
            "referrerPolicy": s("Referrer-Policy header.", 40, default="strict-origin-when-cross-origin",
                                enum=["no-referrer", "no-referrer-when-downgrade", "origin",
                                      "origin-when-cross-origin", "same-origin", "strict-origin",
                                      "strict-origin-when-cross-origin"]),
            "permissionsPolicy": s("Permissions-Policy header; empty sends none.", 1024,
                                   default="camera=(), microphone=(), geolocation=()", pattern=HEADER_VALUE),
        }, default={})
    tls = o(
        "HTTPS for the Ingress: exactly one of `issuerRef` (a cert-manager Certificate), "
        "`selfSigned` (a certificate made and renewed by the operator) or `secretName` (an "
        "existing kubernetes.io/tls Secret). HTTP is always redirected to HTTPS.", {
            "issuerRef": o("The cert-manager issuer that signs the certificate.", {
                "name": s("Issuer name, for example `letsencrypt-prod`.", 253, pattern=DNS_SUBDOMAIN),
                "kind": s("`ClusterIssuer` or `Issuer` (in the stack's namespace).", 16,
                          enum=["ClusterIssuer", "Issuer"], default="ClusterIssuer"),
            }, required=["name"]),
            "selfSigned": b("The operator makes a self-signed certificate (renewed at two thirds "
                            "of its life). For tests and internal hosts."),
            "secretName": s("An existing kubernetes.io/tls Secret you manage.", 253,
                            pattern=DNS_SUBDOMAIN),
        }, rules=[rule("(has(self.issuerRef) ? 1 : 0) + (has(self.secretName) ? 1 : 0) + "
                       "((has(self.selfSigned) && self.selfSigned) ? 1 : 0) == 1",
                       "set exactly one of issuerRef, selfSigned: true and secretName — choose "
                       "where the certificate comes from", reason="FieldValueInvalid")])
    gateway = o(
        "Render a Gateway API HTTPRoute attached to this Gateway instead of an Ingress. TLS is "
        "then the Gateway listener's job, so `tls` and `className` are not allowed.", {
            "name": s("Name of the Gateway.", 253, pattern=DNS_SUBDOMAIN),
            "namespace": s("Namespace of the Gateway (default: the stack's namespace).", 63,
                           pattern=DNS_LABEL),
            "sectionName": s("Listener of the Gateway to attach to (all listeners when absent).",
                             253, pattern=DNS_SUBDOMAIN),
        }, required=["name"])
    props = {
        "host": s("Main public host name, for example `maicivy.com`.", 253, pattern=HOSTNAME),
        "extraHosts": lst("More host names served with the same certificate.",
                          s("A host name.", 253, pattern=HOSTNAME), 8, list_type="set"),
        "className": s("IngressClass of the Ingress (the cluster default when absent).", 253,
                       pattern=DNS_SUBDOMAIN),
        "gateway": gateway,
        "tls": tls,
        "routes": lst("Paths and the components serving them.", route, 32,
                      keys=["host", "path"], min_items=1),
        "securityHeaders": headers,
    }
    rules = [
        rule("has(self.gateway) != has(self.tls)",
             "set tls for an Ingress or gateway for an HTTPRoute, exactly one — with a gateway "
             "the listener terminates TLS", field_path=".tls", reason="FieldValueInvalid"),
        rule("!(has(self.gateway) && has(self.className))",
             "className applies to an Ingress, not to a gateway route — remove className",
             field_path=".className", reason="FieldValueForbidden"),
        rule("!has(self.gateway) || self.routes.all(r, !has(r.rateLimit) && !has(r.maxBodySize))",
             "rateLimit and maxBodySize cannot be rendered for a Gateway API route — remove them "
             "or use the Ingress form (tls instead of gateway)", field_path=".routes",
             reason="FieldValueForbidden"),
        rule("self.routes.all(r, r.host == '' || r.host == self.host || "
             "(has(self.extraHosts) && r.host in self.extraHosts))",
             "a route's host must be host or one of extraHosts — add the host to extraHosts",
             field_path=".routes", reason="FieldValueInvalid"),
    ]
    return o("Public HTTP(S) entry of the stack: an Ingress (with `tls`) or a Gateway API "
             "HTTPRoute (with `gateway`). Leave it out for a stack with no public endpoint.",
             props, required=["host", "routes"], rules=rules)


# ---------------------------------------------------------------- services
def backup(short, what, default_schedule="0 2 * * *"):
    return o(
        "Scheduled backups of %s, on by default: a CronJob (concurrencyPolicy Forbid, 3 successful "
        "and 3 failed jobs kept) writes a compressed dump to the destination and deletes dumps "
        "older than `retentionDays`." % what, {
            "schedule": s("When the backup runs, in cron syntax.", 128, pattern=CRON,
                          default=default_schedule),
            "enabled": b("Render the backups. `false` renders no CronJob and no claim (for a "
                         "pure cache or data kept elsewhere); BackupHealthy then ignores this "
                         "service.", default=True),
            "retentionDays": i("Days a dump is kept.", 1, 3650, default=7),
            "suspend": b("Pause the backups (the CronJob is kept, suspended).", default=False),
            "destination": o(
                "Where dumps go: exactly one of `pvc` and `s3`. Default: a PersistentVolumeClaim "
                "of 10Gi made by the operator.", {
                    "pvc": o("A PersistentVolumeClaim <stack>-%s-backup the operator creates; kept "
                             "on deletion unless deletionPolicy is Delete." % short, {
                                 "size": q("Size of the claim.", default="10Gi"),
                                 "storageClassName": s("StorageClass of the claim.", 253,
                                                       pattern=DNS_SUBDOMAIN),
                             }),
                    "s3": o("An S3-compatible bucket (AWS S3, MinIO, ...).", {
                        "endpoint": s("Endpoint URL, for example `https://s3.eu-west-3.amazonaws.com`.",
                                      512, pattern=r"^https?://[^\s/]+(/.*)?$"),
                        "bucket": s("Bucket name.", 63, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
                        "prefix": s("Key prefix inside the bucket, for example `postgres/`.", 256,
                                    pattern=r"^[A-Za-z0-9!_.*'()/-]*$"),
                        "region": s("Region of the bucket.", 64, pattern=r"^[a-z0-9-]+$"),
                        "credentialsSecret": s(
                            "A secret declared in `spec.secrets.fromExisting` with the keys "
                            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.", 63, pattern=DNS_SUBDOMAIN),
                    }, required=["endpoint", "bucket", "credentialsSecret"]),
                }, default={"pvc": {}},
                rules=[rule(one_of(["pvc", "s3"]),
                            "set exactly one of pvc and s3 — choose where the dumps are kept",
                            reason="FieldValueInvalid")]),
        }, default={})


def storage(default_size):
    return o("The data volume (a PersistentVolumeClaim of the StatefulSet).", {
        "size": q("Size of the volume.", default=default_size),
        "storageClassName": s("StorageClass of the volume (the cluster default when absent).", 253,
                              pattern=DNS_SUBDOMAIN),
    }, default={})


def services():
    database = o("A database with its own role (named like the database) and a generated "
                 "password.", {
                     "name": s("Database name.", 63, pattern=PG_IDENT),
                     "extensions": lst("Extensions created in this database (CREATE EXTENSION IF "
                                       "NOT EXISTS), for example `vector`, `pg_trgm`, `uuid-ossp`. "
                                       "The image must ship them.",
                                       s("An extension name.", 63, pattern=r"^[a-z0-9_-]+$"), 16,
                                       list_type="set"),
                 }, required=["name"])
    postgres = o(
        "A PostgreSQL server: a StatefulSet of one pod with a volume, a Service, a generated "
        "superuser password, one role and password per database, a metrics exporter sidecar when "
        "monitoring is on, and daily backups (pg_dump | gzip).", {
            "version": s("Major version; the image is `postgres:<version>-alpine` unless `image` "
                         "is set.", 4, enum=["13", "14", "15", "16", "17"], default="16"),
            "image": s("Image replacing the official one, for example `pgvector/pgvector:pg16` for "
                       "the vector extension. It must behave like the official image.", 255,
                       pattern=IMAGE),
            "storage": storage("10Gi"),
            "resources": resources(),
            "databases": lst("Databases, each with its own role: separate databases keep services "
                             "apart.", database, 16, keys=["name"], min_items=1),
            "parameters": m("Server settings passed as `-c name=value`, for example "
                            "`max_connections: \"200\"` or `shared_buffers: 256MB`.", 32, 256),
            "backup": backup("postgres", "PostgreSQL (pg_dump of each database)"),
        }, required=["databases"])
    redis = o(
        "A Redis server: a StatefulSet of one pod, a generated password (requirepass), the "
        "configuration in a ConfigMap, a metrics exporter sidecar when monitoring is on, and daily "
        "backups (redis-cli --rdb).", {
            "version": s("Version; the image is `redis:<version>-alpine` unless `image` is set.", 8,
                         pattern=r"^[67](\.[0-9]+){0,2}$", default="7.4"),
            "image": s("Image replacing the official one.", 255, pattern=IMAGE),
            "maxMemory": q("maxmemory: most memory used for data; the container's memory limit is "
                           "set above it.", default="256Mi", pattern=BYTES),
            "evictionPolicy": s("maxmemory-policy. Use `noeviction` or a `volatile-*` policy when "
                                "Redis is also a queue broker, so queued tasks are never evicted.",
                                16, default="noeviction",
                                enum=["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
                                      "volatile-lru", "volatile-lfu", "volatile-random",
                                      "volatile-ttl"]),
            "persistence": s("`rdb` snapshots, `aof` append-only file (appendfsync everysec), "
                             "`both`, or `none` (a pure cache).", 8,
                             enum=["rdb", "aof", "both", "none"], default="rdb"),
            "disabledCommands": lst("Dangerous commands turned off (rename-command to \"\").",
                                    s("A command.", 16, enum=["FLUSHDB", "FLUSHALL", "KEYS", "CONFIG",
                                                              "DEBUG", "SHUTDOWN"]), 6,
                                    list_type="set"),
            "storage": storage("1Gi"),
            "resources": resources(),
            "backup": backup("redis", "Redis (RDB snapshot)", "30 2 * * *"),
        })
    return o("Data services run by the stack, each reachable only by the components that list it "
             "in `connections`.", {"postgres": postgres, "redis": redis})


# ---------------------------------------------------------------- the rest
def secrets():
    gen = o("A Secret <stack>-<name> filled once with random values and never overwritten (a "
            "deleted one is made again and its users roll).", {
                "name": s("Name used in `secretKeyRef.name` and `envFrom.secretRef`.", 32,
                          pattern=DNS_LABEL),
                "keys": lst("Keys of the secret; each gets its own random value.",
                            s("A key, for example `JWT_SECRET`.", 128, pattern=SECRET_KEY), 16,
                            list_type="set", min_items=1),
                "length": i("Random bytes per value (the encoded text is longer).", 16, 128,
                            default=32),
                "encoding": s("How the bytes are written: `hex` (like `openssl rand -hex`), "
                              "`base64`, or `alphanumeric`.", 16, enum=["hex", "base64", "alphanumeric"],
                              default="hex"),
            }, required=["name", "keys"])
    existing = o("A Secret that already exists in the namespace (API keys of third parties, "
                 "registry credentials); the stack reads it but does not own it. Pods roll when it "
                 "changes; a missing secret or key makes the stack not Ready.", {
                     "name": s("Name of the Secret.", 63, pattern=DNS_SUBDOMAIN),
                     "keys": lst("Keys that must exist in it.", s("A key.", 253, pattern=SECRET_KEY),
                                 16, list_type="set"),
                 }, required=["name"])
    return o("Secrets used by the components.", {
        "generate": lst("Secrets the operator generates and owns.", gen, 8, keys=["name"]),
        "fromExisting": lst("Secrets made by someone else.", existing, 8, keys=["name"]),
    }, rules=[rule("!has(self.generate) || !has(self.fromExisting) || "
                   "self.generate.all(g, self.fromExisting.all(f, f.name != g.name))",
                   "a name is declared both in generate and fromExisting — rename one of them",
                   field_path=".fromExisting", reason="FieldValueDuplicate")])


def monitoring():
    alerts = o("A PrometheusRule with the stack's alerts (when prometheus-operator exists). Each "
               "threshold below is one alert.", {
                   "enabled": b("Render the alert rules.", default=True),
                   "componentDownMinutes": i("A component with no ready pod for this long.", 1,
                                             1440, default=2),
                   "memoryPercent": i("A container above this percentage of its memory limit for "
                                      "5 minutes.", 1, 100, default=90),
                   "cpuPercent": i("A container above this percentage of its CPU limit for 5 "
                                   "minutes.", 1, 100, default=90),
                   "errorRatePercent": i("Share of 5xx responses at the Ingress or HTTPRoute over "
                                         "5 minutes.", 1, 100, default=5),
                   "volumePercent": i("A persistent volume fuller than this.", 1, 100, default=85),
                   "backupMaxAgeHours": i("No successful backup for this long.", 1, 8760, default=26),
                   "certificateDaysLeft": i("The certificate expires in fewer days than this.", 1,
                                            365, default=14),
                   "labels": m("Labels added to every alert (routing in Alertmanager), for "
                               "example `severity` or `team`.", 8, 63),
               }, default={})
    return o("Metrics, alerts and the dashboard. On by default.", {
        "enabled": b("Render ServiceMonitors (or scrape annotations), alert rules and the "
                     "dashboard.", default=True),
        "serviceMonitorLabels": m("Labels put on ServiceMonitors and PrometheusRules so the "
                                  "cluster's Prometheus selects them, for example "
                                  "`release: kube-prometheus-stack`.", 8, 63),
        "exporters": b("Run metrics exporter sidecars next to postgres and redis.", default=True),
        "dashboard": b("A Grafana dashboard in a ConfigMap labelled `grafana_dashboard: \"1\"`.",
                       default=True),
        "alerts": alerts,
    }, default={})


def network_policy():
    return o(
        "NetworkPolicies: everything inside the stack is denied except the declared flows (the "
        "ingress controller to routed components, Prometheus to metrics ports, components to their "
        "connections, DNS, and each component's `egress`). On by default.", {
            "enabled": b("Render the NetworkPolicies.", default=True),
            "ingressControllerNamespace": s("Namespace of the Ingress controller or Gateway "
                                            "pods allowed to reach routed components.", 63,
                                            pattern=DNS_LABEL, default="ingress-nginx"),
            "monitoringNamespace": s("Namespace of the Prometheus allowed to scrape.", 63,
                                     pattern=DNS_LABEL, default="monitoring"),
        }, default={})


def spec_rules():
    svc = ("((x.name == 'postgres' && has(self.services) && has(self.services.postgres)) || "
           "(x.name == 'redis' && has(self.services) && has(self.services.redis)) || "
           "self.components.exists(d, d.name == x.name && has(d.port)))")
    declared = ("(has(self.secrets) && ((has(self.secrets.generate) && "
                "self.secrets.generate.exists(g, g.name == %(n)s)) || "
                "(has(self.secrets.fromExisting) && "
                "self.secrets.fromExisting.exists(f, f.name == %(n)s))))")
    return [
        rule("!has(self.ingress) || self.ingress.routes.all(r, "
             "self.components.exists(c, c.name == r.component && c.type == 'web'))",
             "a route names a component that does not exist or is not of type web — name a web "
             "component of spec.components", field_path=".ingress.routes",
             reason="FieldValueInvalid"),
        rule("self.components.all(c, !has(c.connections) || c.connections.all(x, %s))" % svc,
             "a connection names neither a declared service (spec.services.postgres, "
             "spec.services.redis) nor a component with a port — declare the service or fix "
             "the name", field_path=".components", reason="FieldValueInvalid"),
        rule("self.components.all(c, !has(c.connections) || c.connections.all(x, "
             "!has(x.database) || (has(self.services) && has(self.services.postgres) && "
             "self.services.postgres.databases.exists(d, d.name == x.database))))",
             "a connection's database is not in spec.services.postgres.databases — add the "
             "database or fix the name", field_path=".components", reason="FieldValueInvalid"),
        rule("self.components.all(c, !has(c.env) || c.env.all(e, !has(e.secretKeyRef) || %s))"
             % (declared % {"n": "e.secretKeyRef.name"}),
             "an env secretKeyRef names a secret not declared in spec.secrets — declare it in "
             "secrets.generate or secrets.fromExisting", field_path=".components",
             reason="FieldValueInvalid"),
        rule("self.components.all(c, !has(c.env) || c.env.all(e, !has(e.secretKeyRef) || "
             "!has(self.secrets) || !has(self.secrets.generate) || "
             "self.secrets.generate.all(g, g.name != e.secretKeyRef.name || "
             "e.secretKeyRef.key in g.keys)))",
             "an env secretKeyRef names a key that the generated secret does not have — add the "
             "key to secrets.generate[].keys", field_path=".components",
             reason="FieldValueInvalid"),
        rule("self.components.all(c, !has(c.envFrom) || c.envFrom.all(e, %s))"
             % (declared % {"n": "e.secretRef"}),
             "an envFrom secretRef names a secret not declared in spec.secrets — declare it in "
             "secrets.generate or secrets.fromExisting", field_path=".components",
             reason="FieldValueInvalid"),
        rule(" && ".join(
            "(!has(self.services) || !has(self.services.%(s)s) || "
            "!has(self.services.%(s)s.backup) || !has(self.services.%(s)s.backup.destination) || "
            "!has(self.services.%(s)s.backup.destination.s3) || (has(self.secrets) && "
            "has(self.secrets.fromExisting) && self.secrets.fromExisting.exists(f, "
            "f.name == self.services.%(s)s.backup.destination.s3.credentialsSecret)))"
            % {"s": svc_name} for svc_name in ("postgres", "redis")),
             "a backup's s3.credentialsSecret is not declared in spec.secrets.fromExisting — "
             "declare the secret there", field_path=".services", reason="FieldValueInvalid"),
    ]


def spec():
    props = {
        "profile": s("Hardening profile of every pod, after the Pod Security Standards. "
                     "`restricted`: non-root with a non-zero UID, RuntimeDefault seccomp, every "
                     "capability dropped, no privilege escalation, read-only root filesystem. "
                     "`baseline`, for images that cannot run so: the image's own user (root "
                     "allowed), a writable root filesystem and the capabilities CHOWN, "
                     "DAC_OVERRIDE, FOWNER, SETGID, SETUID and NET_BIND_SERVICE; still "
                     "RuntimeDefault seccomp and no privilege escalation.", 16,
                     enum=["restricted", "baseline"], default="restricted"),
        "suspend": b("Scale every workload to zero and suspend every CronJob (backups included); "
                     "data, secrets and certificates are kept.", default=False),
        "deletionPolicy": s("What happens to data (volume claims, backup claims, generated "
                            "secrets) when the AppStack is deleted: `Retain` keeps them, `Delete` "
                            "removes them.", 8, enum=["Retain", "Delete"], default="Retain"),
        "imagePullSecrets": lst("Existing registry credential Secrets used to pull the images.",
                                s("Name of a kubernetes.io/dockerconfigjson Secret.", 253,
                                  pattern=DNS_SUBDOMAIN), 4, list_type="set"),
        "components": lst("The workloads of the stack.", component(), 16, keys=["name"],
                          min_items=1),
        "ingress": ingress(),
        "services": services(),
        "secrets": secrets(),
        "monitoring": monitoring(),
        "networkPolicy": network_policy(),
    }
    return o("The desired stack.", props, required=["components"], rules=spec_rules())


# ---------------------------------------------------------------- status
def status():
    condition = o("A condition in the standard Kubernetes shape (metav1.Condition).", {
        "type": s("Type of the condition, for example `Ready`.", 316, pattern=CONDITION_TYPE),
        "status": s("`True`, `False` or `Unknown`.", 8, enum=["True", "False", "Unknown"]),
        "observedGeneration": i("The .metadata.generation the condition was computed from.", 0,
                                fmt="int64"),
        "lastTransitionTime": s("When the status last changed.", 64, fmt="date-time"),
        "reason": s("Machine-readable reason in CamelCase.", 1024, pattern=CONDITION_REASON,
                    min_len=1),
        "message": s("Human-readable details.", 32768),
    }, required=["type", "status", "lastTransitionTime", "reason", "message"])
    comp = o("Observed state of one component.", {
        "name": s("Component name.", 20),
        "type": s("Component type.", 16),
        "image": s("Image of the running pod template.", 255),
        "replicas": i("Desired replicas (from spec or the autoscaler).", 0, fmt="int32"),
        "readyReplicas": i("Replicas that are ready.", 0, fmt="int32"),
        "updatedReplicas": i("Replicas running the current pod template.", 0, fmt="int32"),
        "lastScheduleTime": s("For cron components: when the last Job was started.", 64,
                              fmt="date-time"),
        "lastSuccessfulTime": s("For cron components: when a Job last succeeded.", 64,
                                fmt="date-time"),
    }, required=["name"])
    backup_status = o("Observed state of one service's backups.", {
        "service": s("`postgres` or `redis`.", 16),
        "lastScheduleTime": s("When the last backup Job was started.", 64, fmt="date-time"),
        "lastSuccessfulTime": s("When a backup last succeeded.", 64, fmt="date-time"),
    }, required=["service"])
    ref = o("An object owned by the stack.", {
        "apiVersion": s("API version of the object.", 253),
        "kind": s("Kind of the object.", 63),
        "name": s("Name of the object.", 253),
        "namespace": s("Namespace of the object.", 63),
    }, required=["apiVersion", "kind", "name"])
    return o("Observed state, written by the operator only.", {
        "observedGeneration": i("The .metadata.generation the operator last reconciled.", 0,
                                fmt="int64"),
        "conditions": lst("Ready, Reconciling, Stalled and the domain conditions (see docs/api.md, "
                          "\"Conditions\").", condition, 32, keys=["type"]),
        "components": lst("One entry per component.", comp, 16, keys=["name"]),
        "url": s("Public URL of the stack, https://<host>.", 512),
        "certificate": o("The TLS certificate of the Ingress.", {
            "secretName": s("Secret holding the certificate.", 253),
            "notAfter": s("When the certificate expires.", 64, fmt="date-time"),
            "renewalTime": s("When it will be renewed.", 64, fmt="date-time"),
        }),
        "backups": lst("One entry per backed-up service.", backup_status, 2, keys=["service"]),
        "policy": o("Result of the admission policy engine on the rendered objects.", {
            "compliant": b("No enforced rule is violated."),
            "violations": i("Number of violations, enforced or not.", 0, fmt="int32"),
            "message": s("The first violations, as `rule-id path: message` lines.", 4096),
        }),
        "inventory": lst("Every object the stack owns, for pruning and `appstackctl status`.",
                         ref, 512),
    })


# ---------------------------------------------------------------- the CRD
def crd():
    """Returns the CustomResourceDefinition as a dict (the order of keys is the file's order)."""
    ready = '.status.conditions[?(@.type=="Ready")]'
    root = o("AppStack: one web application with its workloads, data services, public entry, "
             "secrets, monitoring and backups, rendered by the AppStack operator into hardened "
             "Kubernetes objects.", {
                 "apiVersion": s("APIVersion of this object: appstack.io/v1alpha1.", 64),
                 "kind": s("Kind of this object: AppStack.", 64),
                 "metadata": {"type": "object", "properties": {"name": {
                     "type": "string", "maxLength": 30, "pattern": DNS_LABEL}}},
                 "spec": spec(),
                 "status": status(),
             }, required=["spec"])
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": "appstacks.appstack.io",
            "labels": {"app.kubernetes.io/name": "appstack-operator",
                       "app.kubernetes.io/part-of": "appstack"},
        },
        "spec": {
            "group": "appstack.io",
            "names": {
                "kind": "AppStack",
                "listKind": "AppStackList",
                "plural": "appstacks",
                "singular": "appstack",
                "shortNames": ["astack"],
                "categories": ["appstack"],
            },
            "scope": "Namespaced",
            "versions": [{
                "name": "v1alpha1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Ready", "type": "string", "jsonPath": ready + ".status",
                     "description": "Status of the Ready condition."},
                    {"name": "Reason", "type": "string", "jsonPath": ready + ".reason",
                     "description": "Reason of the Ready condition."},
                    {"name": "URL", "type": "string", "jsonPath": ".status.url",
                     "description": "Public URL of the stack."},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {"openAPIV3Schema": root},
            }],
        },
    }
