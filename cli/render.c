/*
 * cli/render.c - `appstackctl render -f FILE|- [-o yaml|json] [--api LIST]
 * [--namespace NS] [--generate-secrets]`: reads AppStack documents, supplies
 * the facts the operator would gather (placeholders or fresh random values
 * for generated secrets, the optional APIs named by --api, no hashes of
 * existing secrets), calls the same as_render() as the operator and prints
 * the objects as multi-document YAML or a JSON List.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/yaml.h"
#include "render_cmd.h"
#include "render/render.h"
#include "tls/random.h"

static const char USAGE[] =
    "Usage: appstackctl render -f FILE|- [-o yaml|json] [--api LIST] [--namespace NS]\n"
    "                          [--generate-secrets]\n"
    "\n"
    "Renders AppStack resources offline into the Kubernetes objects the AppStack\n"
    "operator would apply, with the same renderer (lib/render): ServiceAccounts,\n"
    "Secrets, ConfigMaps, claims, Services, Deployments, StatefulSets, Jobs,\n"
    "CronJobs, autoscalers, disruption budgets, NetworkPolicies, the Ingress or\n"
    "HTTPRoute, and the optional cert-manager and prometheus-operator objects.\n"
    "Nothing is contacted: the output depends only on the file and the flags, and\n"
    "the same input always gives byte-identical output.\n"
    "\n"
    "Options:\n"
    "  -f, --filename FILE   the AppStack to render; '-' reads standard input. A file\n"
    "                        may hold several AppStack documents separated by '---'.\n"
    "  -o, --output FORMAT   'yaml' (default): one YAML document per object, separated\n"
    "                        by '---'; 'json': one JSON object of kind List.\n"
    "      --api LIST        optional APIs to assume present, comma separated:\n"
    "                        cert-manager (a Certificate for tls.issuerRef),\n"
    "                        prometheus-operator (ServiceMonitors and a PrometheusRule\n"
    "                        instead of prometheus.io scrape annotations), gateway-api\n"
    "                        (accepted; HTTPRoutes are rendered whenever ingress.gateway\n"
    "                        is set). Default: none, the fallbacks are rendered.\n"
    "      --namespace NS    namespace of the children when the AppStack has no\n"
    "                        metadata.namespace (default: none, kubectl's current one).\n"
    "      --generate-secrets\n"
    "                        fill generated secrets with fresh random values (OpenSSL),\n"
    "                        as the operator does once per secret. Without it every\n"
    "                        value is the placeholder '" AS_CLI_RENDER_PLACEHOLDER "'\n"
    "                        (base64 in the Secret), so the output is reproducible;\n"
    "                        never apply placeholder secrets to a real cluster.\n"
    "  -h, --help            show this help and exit.\n"
    "\n"
    "Differences from the operator: no ownerReferences unless the file carries\n"
    "metadata.uid; the pod annotation appstack.io/config-hash hashes existing\n"
    "secrets (secrets.fromExisting) as absent, since they are not read; with\n"
    "ingress.tls.selfSigned the operator also makes the kubernetes.io/tls Secret\n"
    "<stack>-tls (a key and certificate), which is not printed here.\n"
    "\n"
    "Exit status: 0 rendered; 1 the AppStack is invalid (every problem is printed on\n"
    "standard error, one per line, as 'spec.path: problem — what to do'); 2 usage\n"
    "error, unreadable file or malformed YAML.\n"
    "\n"
    "Examples:\n"
    "  appstackctl render -f examples/minimal.yaml\n"
    "  appstackctl render -f stack.yaml -o json --api cert-manager,prometheus-operator\n"
    "  appstackctl render -f stack.yaml | kubectl apply --dry-run=server -f -\n";

struct opts {
    const char *file;
    bool json;
    unsigned apis;
    const char *ns;
    bool generate;
};

/* Parses --api LIST into bits; -1 on an unknown name. */
static int parse_apis(const char *list, unsigned *out)
{
    char *copy = strdup(list), *save = NULL, *tok;
    int rc = 0;

    if (!copy)
        return -1;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "cert-manager") == 0)
            *out |= AS_API_CERT_MANAGER;
        else if (strcmp(tok, "prometheus-operator") == 0)
            *out |= AS_API_PROMETHEUS_OPERATOR;
        else if (strcmp(tok, "gateway-api") == 0)
            *out |= AS_API_GATEWAY;
        else {
            fprintf(stderr,
                    "appstackctl render: --api: unknown API '%s' — use cert-manager, "
                    "prometheus-operator or gateway-api\n",
                    tok);
            rc = -1;
        }
    }
    free(copy);
    return rc;
}

/* Parses the options; returns -1 to exit 0 (help), 2 on usage errors, 0 to go on. */
static int parse(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(USAGE, stdout);
            return -1;
        }
        if (strcmp(a, "--generate-secrets") == 0) {
            o->generate = true;
            continue;
        }
        if (strncmp(a, "--", 2) == 0 && strchr(a, '=')) {
            fprintf(stderr, "appstackctl render: write '%.*s VALUE', not '%s'; see --help\n",
                    (int)(strchr(a, '=') - a), a, a);
            return 2;
        }
        if (!(strcmp(a, "-f") == 0 || strcmp(a, "--filename") == 0 || strcmp(a, "-o") == 0 ||
              strcmp(a, "--output") == 0 || strcmp(a, "--api") == 0 ||
              strcmp(a, "--namespace") == 0)) {
            fprintf(stderr, "appstackctl render: unknown argument '%s'; see --help\n", a);
            return 2;
        }
        if (!val) {
            fprintf(stderr, "appstackctl render: %s needs a value; see --help\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "-f") == 0 || strcmp(a, "--filename") == 0)
            o->file = val;
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (strcmp(val, "json") != 0 && strcmp(val, "yaml") != 0) {
                fprintf(stderr,
                        "appstackctl render: -o: unknown format '%s' — use yaml or "
                        "json\n",
                        val);
                return 2;
            }
            o->json = strcmp(val, "json") == 0;
        } else if (strcmp(a, "--api") == 0) {
            if (parse_apis(val, &o->apis) != 0)
                return 2;
        } else
            o->ns = val;
    }
    if (!o->file) {
        fputs("appstackctl render: -f FILE is required (use '-f -' for standard input); see "
              "--help\n",
              stderr);
        return 2;
    }
    return 0;
}

/* Reads the whole file (or stdin) up to AS_YAML_MAX_INPUT. */
static int read_input(const char *path, struct as_buf *b)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char chunk[65536];
    size_t n;
    int rc = 0;

    if (!f) {
        fprintf(stderr, "appstackctl render: %s: %s\n", path, strerror(errno));
        return 2;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (as_buf_append(b, chunk, n) != AS_OK) {
            fprintf(stderr, "appstackctl render: %s: larger than %u bytes\n", path,
                    AS_YAML_MAX_INPUT);
            rc = 2;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "appstackctl render: %s: read error\n", path);
        rc = 2;
    }
    if (f != stdin)
        fclose(f);
    return rc;
}

/* vals[key] = a fresh random value for spec (generate) or the placeholder. */
static as_status secret_value(json_t *vals, const char *key, const json_t *spec, bool generate,
                              struct as_error *err)
{
    char *v = NULL;
    as_status st;

    if (generate)
        st = as_random_value(json_integer_value(json_object_get(spec, "length")),
                             json_string_value(json_object_get(spec, "encoding")), &v, err);
    else if ((v = strdup(AS_CLI_RENDER_PLACEHOLDER)) != NULL)
        st = AS_OK;
    else
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
    if (st == AS_OK && json_object_set_new(vals, key, json_string(v)) != 0)
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
    if (v) {
        as_memwipe(v, strlen(v));
        free(v);
    }
    return st;
}

/*
 * Builds the secret facts from what the spec needs: fresh random values
 * (generate) or the placeholder. On success *out is a new object; on failure
 * err names the secret and key.
 */
static as_status secret_facts(const json_t *needed, bool generate, json_t **out,
                              struct as_error *err)
{
    json_t *facts = json_object(), *keys, *spec, *vals;
    const char *secret, *key;
    as_status st = facts ? AS_OK : as_error_set(err, AS_E_NOMEM, "out of memory");

    json_object_foreach((json_t *)needed, secret, keys)
    {
        if (st != AS_OK)
            break;
        vals = json_object();
        if (json_object_set_new(facts, secret, vals) != 0) {
            st = as_error_set(err, AS_E_NOMEM, "out of memory");
            break;
        }
        json_object_foreach(keys, key, spec)
        {
            st = secret_value(vals, key, spec, generate, err);
            if (st != AS_OK) {
                as_error_prefix(err, "secret %s, key %s", secret, key);
                break;
            }
        }
    }
    if (st != AS_OK) {
        json_decref(facts);
        return st;
    }
    *out = facts;
    return AS_OK;
}

/* Renders one AppStack document into items; prints errors. Returns 0 or 1 (or 2 on NOMEM). */
static int render_one(const json_t *doc, const struct opts *o, json_t *items, const char *prefix)
{
    struct as_field_errors errs;
    struct as_render_facts facts = {.namespace = o->ns, .apis = o->apis};
    json_t *needed = NULL, *objs = NULL, *secrets = NULL;
    struct as_error err;
    as_status st;
    int rc = 0;

    as_field_errors_init(&errs);
    st = as_render_needed_secrets(doc, &needed, &errs);
    if (st == AS_OK && secret_facts(needed, o->generate, &secrets, &err) != AS_OK) {
        fprintf(stderr, "appstackctl render: %s%s\n", prefix, err.message);
        rc = 2;
        goto done;
    }
    if (st == AS_OK) {
        facts.secrets = secrets;
        st = as_render(doc, &facts, &objs, &errs);
    }
    if (st == AS_OK) {
        json_array_extend(items, objs);
    } else if (st == AS_E_CONFIG || st == AS_E_MISSING) {
        for (size_t i = 0; i < errs.count; i++)
            fprintf(stderr, "%s%s\n", prefix, errs.items[i]);
        if (errs.dropped)
            fprintf(stderr, "%s(%zu more errors not shown)\n", prefix, errs.dropped);
        rc = 1;
    } else {
        fprintf(stderr, "appstackctl render: %s\n", as_status_message(st));
        rc = 2;
    }
done:
    as_field_errors_free(&errs);
    json_decref(needed);
    json_decref(objs);
    json_decref(secrets);
    return rc;
}

/* Prints items as YAML documents or a JSON List. */
static int print_items(const json_t *items, bool as_json)
{
    json_t *it;
    size_t i;

    if (as_json) {
        json_t *list = json_pack("{s:s, s:s, s:O, s:{}}", "apiVersion", "v1", "kind", "List",
                                 "items", items, "metadata");
        char *s = list ? as_json_dump_pretty(list) : NULL;
        json_decref(list);
        if (!s)
            return 2;
        fputs(s, stdout);
        free(s);
        return 0;
    }
    json_array_foreach(items, i, it)
    {
        struct as_buf b;
        as_buf_init(&b, 64u * 1024u * 1024u);
        if (as_json_to_yaml(it, &b) != AS_OK) {
            as_buf_free(&b);
            return 2;
        }
        if (i > 0)
            fputs("---\n", stdout);
        fwrite(b.data, 1, b.len, stdout);
        as_buf_free(&b);
    }
    return 0;
}

int as_cli_render(int argc, char **argv)
{
    struct opts o = {0};
    struct as_buf in;
    struct as_error err;
    json_t *docs = NULL, *items = NULL, *doc;
    size_t i;
    int rc = parse(argc, argv, &o);

    if (rc != 0)
        return rc < 0 ? 0 : rc;
    as_buf_init(&in, AS_YAML_MAX_INPUT);
    rc = read_input(o.file, &in);
    if (rc != 0)
        goto done;
    if (as_yaml_to_json(in.data ? in.data : "", in.len, &docs, &err) != AS_OK) {
        fprintf(stderr, "appstackctl render: %s: %s\n", o.file, err.message);
        rc = 2;
        goto done;
    }
    if (json_array_size(docs) == 0) {
        fprintf(stderr, "appstackctl render: %s: no AppStack document found\n", o.file);
        rc = 2;
        goto done;
    }
    items = json_array();
    json_array_foreach(docs, i, doc)
    {
        char prefix[64] = "";
        int r;
        if (json_array_size(docs) > 1)
            snprintf(prefix, sizeof prefix, "document %zu: ", i + 1);
        r = render_one(doc, &o, items, prefix);
        if (r > rc)
            rc = r;
    }
    if (rc == 0)
        rc = print_items(items, o.json);
done:
    json_decref(docs);
    json_decref(items);
    as_buf_wipe_free(&in);
    return rc;
}
