/*
 * cli/check.c - `appstackctl check`: evaluates manifests offline with the
 * same policy engine as the admission webhook and prints one line per
 * violation. Owns argument parsing, file/folder walking and output; the
 * decisions are lib/policy's.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/yaml.h"
#include "check.h"
#include "policy/policy.h"

#define MAX_DEPTH 32

static const char HELP[] =
    "Usage: appstackctl check [OPTIONS] -f PATH...\n"
    "\n"
    "Evaluates Kubernetes manifests offline against the AppStack policies (the\n"
    "same engine the admission webhook runs) and prints every violation.\n"
    "\n"
    "PATH is a file, a folder (searched recursively for *.yaml, *.yml and *.json)\n"
    "or - for standard input. Files may hold several YAML documents; a `kind: List`\n"
    "is checked item by item. Objects are evaluated as a CREATE by an ordinary\n"
    "user, in their metadata.namespace (\"default\" when unset).\n"
    "\n"
    "Options:\n"
    "  -f, --filename PATH        a file, folder or - (repeatable; bare PATHs too)\n"
    "      --pod-security LEVEL   privileged, baseline or restricted (default: the\n"
    "                             policy's level, restricted without --policy)\n"
    "      --rules FAMILY,...     only these rule families: pod-security, resources,\n"
    "                             images, exposure, secrets, appstack, guarded\n"
    "                             (default: all but guarded, which judges who\n"
    "                             changes an AppStack's children and needs a live\n"
    "                             request; with it, objects count as created by a\n"
    "                             user other than the operator)\n"
    "      --policy FILE          YAML with one AppStackPolicy and any number of\n"
    "                             AppStackPolicyExceptions (default: built-in policy)\n"
    "  -o, --output FORMAT        text (default) or json\n"
    "  -h, --help                 show this help and exit\n"
    "\n"
    "Output (text), one line per violation:\n"
    "  FILE:DOC: Kind/namespace/name: RULE-ID PATH: MESSAGE (MODE)\n"
    "DOC is the 1-based position of the document among the file's non-empty\n"
    "documents (DOC.ITEM for List items). MODE is enforce, warn or audit; a rule\n"
    "granted by an AppStackPolicyException shows \"audit, exception NAME\".\n"
    "\n"
    "Exit status:\n"
    "  0  nothing violates an enforced rule\n"
    "  1  at least one violation of an enforced rule\n"
    "  2  usage error, unreadable file, YAML/JSON parse error or invalid policy\n"
    "\n"
    "Examples:\n"
    "  appstackctl check -f deploy/\n"
    "  helm template . | appstackctl check --pod-security=baseline -f -\n"
    "  appstackctl check --rules pod-security,images -o json -f app.yaml\n";

struct opts {
    const char *pss;
    const char *rules;
    const char *policy;
    const char *output;
    const char **paths;
    size_t n_paths;
};

struct run {
    struct as_policy_config cfg;
    bool json;
    json_t *jout; /* JSON output array */
    int enforced;
    int errors;
    int64_t now;
};

/* Reports a non-policy error (exit 2 later). */
static void fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct run *r, const char *fmt, ...)
{
    va_list ap;

    fputs("appstackctl check: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    r->errors++;
}

/* Reads a whole stream (bounded by AS_YAML_MAX_INPUT). */
static as_status read_stream(FILE *f, struct as_buf *b)
{
    char chunk[65536];
    size_t n;

    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        as_status st = as_buf_append(b, chunk, n);

        if (st != AS_OK)
            return st;
    }
    return ferror(f) ? AS_E_IO : AS_OK;
}

/* Prints or collects the violations of one object. */
static void emit(struct run *r, const char *file, const char *doc, const json_t *obj,
                 const struct as_policy_result *res)
{
    const json_t *meta = json_object_get(obj, "metadata");
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));

    for (size_t i = 0; i < res->n; i++) {
        const struct as_policy_violation *v = &res->v[i];

        if (v->mode == AS_POLICY_ENFORCE)
            r->enforced++;
        if (r->json) {
            json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s, s:s?}", "file",
                                  file, "document", doc, "kind", kind, "namespace", ns, "name",
                                  name, "rule", v->rule->id, "path", v->path, "message", v->message,
                                  "mode", as_policy_mode_name(v->mode), "exception", v->exception);

            if (o)
                json_array_append_new(r->jout, o);
            continue;
        }
        printf("%s:%s: %s/%s%s%s: %s %s: %s (%s%s%s)\n", file, doc, kind ? kind : "?", ns ? ns : "",
               ns ? "/" : "", name ? name : "?", v->rule->id, v->path, v->message,
               as_policy_mode_name(v->mode), v->exception ? ", exception " : "",
               v->exception ? v->exception : "");
    }
}

/* Evaluates one object (Lists item by item). */
static void check_object(struct run *r, const char *file, const char *doc, const json_t *obj)
{
    struct as_policy_request req;
    struct as_policy_result res;
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *ns;

    if (!json_is_object(obj) || !kind) {
        fail(r, "%s: document %s is not a Kubernetes object (no kind)", file, doc);
        return;
    }
    if (strcmp(kind, "List") == 0) {
        const json_t *item;
        size_t i;

        json_array_foreach(json_object_get(obj, "items"), i, item)
        {
            char sub[64];

            snprintf(sub, sizeof sub, "%s.%zu", doc, i + 1);
            check_object(r, file, sub, item);
        }
        return;
    }
    ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
    memset(&req, 0, sizeof req);
    req.op = AS_OP_CREATE;
    req.user = "appstackctl";
    req.namespace = ns ? ns : "default";
    req.dry_run = true;
    req.now = r->now;
    as_policy_result_init(&res);
    if (as_policy_evaluate_json(&r->cfg, &req, obj, NULL, NULL, &res) != AS_OK)
        fail(r, "%s: document %s: evaluation failed (out of memory)", file, doc);
    else
        emit(r, file, doc, obj, &res);
    as_policy_result_free(&res);
}

/* Parses and checks one file (or stdin for "-"). */
static void check_file(struct run *r, const char *path)
{
    struct as_buf b;
    struct as_error err;
    json_t *docs = NULL, *doc;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    const char *label = strcmp(path, "-") == 0 ? "<stdin>" : path;
    as_status st;
    size_t i;

    if (!f) {
        fail(r, "%s: %s", path, strerror(errno));
        return;
    }
    as_buf_init(&b, AS_YAML_MAX_INPUT);
    st = read_stream(f, &b);
    if (f != stdin)
        fclose(f);
    if (st != AS_OK) {
        fail(r, "%s: %s", label, st == AS_E_LIMIT ? "larger than 16 MiB — split it" : "read error");
        goto done;
    }
    if (as_yaml_to_json(b.data ? b.data : "", b.len, &docs, &err) != AS_OK) {
        fail(r, "%s: %s", label, err.message);
        goto done;
    }
    json_array_foreach(docs, i, doc)
    {
        char num[32];

        snprintf(num, sizeof num, "%zu", i + 1);
        check_object(r, label, num, doc);
    }
done:
    json_decref(docs);
    as_buf_free(&b);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool manifest_name(const char *n)
{
    size_t len = strlen(n);

    return (len > 5 && strcmp(n + len - 5, ".yaml") == 0) ||
           (len > 4 && strcmp(n + len - 4, ".yml") == 0) ||
           (len > 5 && strcmp(n + len - 5, ".json") == 0);
}

static void check_path(struct run *r, const char *path, int depth);

/* Walks a folder in sorted order. */
static void check_dir(struct run *r, const char *path, int depth)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;

    if (!d) {
        fail(r, "%s: %s", path, strerror(errno));
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *nn);

            if (!nn)
                break;
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *child = malloc(len);
        struct stat sb;

        if (child) {
            snprintf(child, len, "%s/%s", path, names[i]);
            if (stat(child, &sb) == 0 && (S_ISDIR(sb.st_mode) || manifest_name(names[i])))
                check_path(r, child, depth + 1);
        }
        free(child);
        free(names[i]);
    }
    free(names);
}

static void check_path(struct run *r, const char *path, int depth)
{
    struct stat sb;

    if (strcmp(path, "-") == 0) {
        check_file(r, path);
        return;
    }
    if (stat(path, &sb) != 0) {
        fail(r, "%s: %s", path, strerror(errno));
        return;
    }
    if (S_ISDIR(sb.st_mode)) {
        if (depth >= MAX_DEPTH)
            fail(r, "%s: %s", path, "folders nested too deeply");
        else
            check_dir(r, path, depth);
        return;
    }
    check_file(r, path);
}

/* Loads --policy FILE into r->cfg. Returns false (message printed) on error. */
static bool load_policy(struct run *r, const char *path)
{
    struct as_buf b;
    struct as_error err;
    json_t *docs = NULL, *doc;
    FILE *f = fopen(path, "rb");
    bool ok = false, have_policy = false;
    size_t i;

    if (!f) {
        fprintf(stderr, "appstackctl check: --policy %s: %s\n", path, strerror(errno));
        return false;
    }
    as_buf_init(&b, AS_YAML_MAX_INPUT);
    if (read_stream(f, &b) != AS_OK) {
        fprintf(stderr, "appstackctl check: --policy %s: cannot read it\n", path);
        goto done;
    }
    if (as_yaml_to_json(b.data ? b.data : "", b.len, &docs, &err) != AS_OK) {
        fprintf(stderr, "appstackctl check: --policy %s: %s\n", path, err.message);
        goto done;
    }
    json_array_foreach(docs, i, doc)
    {
        const char *kind = json_string_value(json_object_get(doc, "kind"));
        as_status st;

        if (kind && strcmp(kind, "AppStackPolicy") == 0 && have_policy) {
            fprintf(stderr,
                    "appstackctl check: --policy %s: document %zu: a second "
                    "AppStackPolicy — keep one\n",
                    path, i + 1);
            goto done;
        }
        if (kind && strcmp(kind, "AppStackPolicy") == 0) {
            have_policy = true;
            st = as_policy_config_apply_policy(&r->cfg, doc, &err);
        } else if (kind && strcmp(kind, "AppStackPolicyException") == 0) {
            st = as_policy_config_add_exception(&r->cfg, doc, &err);
        } else {
            fprintf(stderr,
                    "appstackctl check: --policy %s: document %zu: expected an "
                    "AppStackPolicy or AppStackPolicyException, got %s\n",
                    path, i + 1, kind ? kind : "no kind");
            goto done;
        }
        if (st != AS_OK) {
            fprintf(stderr, "appstackctl check: --policy %s: document %zu: %s\n", path, i + 1,
                    err.message);
            goto done;
        }
    }
    ok = true;
done:
    json_decref(docs);
    as_buf_free(&b);
    fclose(f);
    return ok;
}

/* Applies --rules FAMILY,... Returns false on an unknown family. */
static bool select_families(struct as_policy_config *cfg, const char *list)
{
    char *copy = strdup(list), *save = NULL, *tok;
    bool ok = copy != NULL;

    for (int i = 0; i < AS_FAMILY__COUNT; i++)
        cfg->family_enabled[i] = false;
    for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
        enum as_policy_family f;

        if (!as_policy_family_parse(tok, &f)) {
            fprintf(stderr,
                    "appstackctl check: --rules: unknown family \"%s\" — use pod-security, "
                    "resources, images, exposure, secrets, appstack or guarded\n",
                    tok);
            ok = false;
            break;
        }
        cfg->family_enabled[f] = true;
    }
    free(copy);
    return ok;
}

/* Takes the value of an option given as --opt=value or --opt value. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (strcmp(argv[*i], name) == 0 && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

/* Parses argv into o; returns -1 to continue, else an exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(HELP, stdout);
            return 0;
        }
        if ((v = opt_value(argc, argv, &i, "--pod-security")))
            o->pss = v;
        else if ((v = opt_value(argc, argv, &i, "--rules")))
            o->rules = v;
        else if ((v = opt_value(argc, argv, &i, "--policy")))
            o->policy = v;
        else if ((v = opt_value(argc, argv, &i, "-o")) ||
                 (v = opt_value(argc, argv, &i, "--output")))
            o->output = v;
        else if ((v = opt_value(argc, argv, &i, "-f")) ||
                 (v = opt_value(argc, argv, &i, "--filename")))
            o->paths[o->n_paths++] = v;
        else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr,
                    "appstackctl check: unknown or incomplete option '%s'; see "
                    "appstackctl check --help\n",
                    a);
            return 2;
        } else
            o->paths[o->n_paths++] = a;
    }
    if (o->n_paths == 0) {
        fputs("appstackctl check: no files given — pass -f PATH (a file, a folder or -); see "
              "--help\n",
              stderr);
        return 2;
    }
    if (o->output && strcmp(o->output, "text") != 0 && strcmp(o->output, "json") != 0) {
        fprintf(stderr, "appstackctl check: -o %s: use text or json\n", o->output);
        return 2;
    }
    return -1;
}

int as_cli_check(int argc, char **argv)
{
    struct opts o;
    struct run r;
    int rc = -1;
    enum as_pss_level level;

    memset(&o, 0, sizeof o);
    memset(&r, 0, sizeof r);
    o.paths = calloc((size_t)argc + 1, sizeof *o.paths);
    if (!o.paths || as_policy_config_init_default(&r.cfg) != AS_OK) {
        fputs("appstackctl check: out of memory\n", stderr);
        free(o.paths);
        return 2;
    }
    /* Offline there is no "who changes what": guarded rules only with --rules guarded. */
    r.cfg.family_enabled[AS_FAMILY_GUARDED] = false;
    rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        goto done;
    rc = 2;
    if (o.policy && !load_policy(&r, o.policy))
        goto done;
    if (o.pss) {
        if (!as_pss_level_parse(o.pss, &level)) {
            fprintf(stderr,
                    "appstackctl check: --pod-security %s: use privileged, baseline or "
                    "restricted\n",
                    o.pss);
            goto done;
        }
        r.cfg.pss_level = level;
    }
    if (o.rules && !select_families(&r.cfg, o.rules))
        goto done;
    r.json = o.output && strcmp(o.output, "json") == 0;
    r.jout = r.json ? json_array() : NULL;
    r.now = (int64_t)time(NULL);
    for (size_t i = 0; i < o.n_paths; i++)
        check_path(&r, o.paths[i], 0);
    if (r.json) {
        char *s = as_json_dump_pretty(r.jout);

        if (s)
            fputs(s, stdout);
        free(s);
    }
    fflush(stdout);
    rc = r.errors ? 2 : r.enforced ? 1 : 0;
done:
    json_decref(r.jout);
    as_policy_config_free(&r.cfg);
    free(o.paths);
    return rc;
}
