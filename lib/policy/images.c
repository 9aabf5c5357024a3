/*
 * images.c - family "images": allowed registries, no ":latest" or untagged
 * images, optional digest pinning.
 *
 * Image references are normalised as the container runtimes do: a first
 * component without '.', ':' and other than "localhost" is a Docker Hub
 * path, so "nginx" is docker.io/library/nginx and "bitnami/redis" is
 * docker.io/bitnami/redis; index.docker.io and registry-1.docker.io are
 * docker.io, and docker.io/nginx is docker.io/library/nginx. An
 * allowed-registries entry is a registry ("ghcr.io", "localhost:5000") or a
 * registry with a path prefix ("ghcr.io/acme", "docker.io/library"); Docker
 * Hub aliases are folded and a path without a registry
 * ("acme/team") is a Docker Hub prefix. A bare word is a registry host.
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy_int.h"

#define REF_MAX 512

struct imgref {
    char name[REF_MAX]; /* registry/repository, normalised */
    bool tagged;
    bool latest;
    bool digest;
};

/* Normalises the repository part (no tag/digest) of ref into out. */
static void normalise(const char *ref, size_t len, char *out, size_t n)
{
    const char *slash = memchr(ref, '/', len);
    size_t first = slash ? (size_t)(slash - ref) : len, used = 0;
    bool has_registry = slash && (memchr(ref, '.', first) || memchr(ref, ':', first) ||
                                  (first == 9 && strncmp(ref, "localhost", 9) == 0));

    if (!has_registry) {
        as__path_add(out, n, &used, slash ? "docker.io/" : "docker.io/library/");
        as__path_add_n(out, n, &used, ref, len);
        return;
    }
    if ((first == 9 && strncmp(ref, "docker.io", 9) == 0) ||
        (first == 15 && strncmp(ref, "index.docker.io", 15) == 0) ||
        (first == 20 && strncmp(ref, "registry-1.docker.io", 20) == 0)) {
        const char *rest = ref + first + 1; /* after "registry/" */
        size_t rest_len = len - first - 1;

        /* Docker Hub official images live under library/: docker.io/nginx is library/nginx. */
        as__path_add(out, n, &used,
                     memchr(rest, '/', rest_len) ? "docker.io/" : "docker.io/library/");
        as__path_add_n(out, n, &used, rest, rest_len);
    } else {
        as__path_add_n(out, n, &used, ref, len);
    }
}

/* Parses an image reference. */
static void parse_ref(const char *image, struct imgref *r)
{
    const char *at = strchr(image, '@');
    size_t len = at ? (size_t)(at - image) : strlen(image);
    const char *last_slash = NULL, *colon = NULL;

    memset(r, 0, sizeof *r);
    r->digest = at != NULL;
    for (size_t i = 0; i < len; i++)
        if (image[i] == '/')
            last_slash = image + i;
    colon = memchr(last_slash ? last_slash : image, ':',
                   len - (size_t)((last_slash ? last_slash : image) - image));
    if (colon) {
        r->tagged = true;
        r->latest = (size_t)(image + len - colon - 1) == 6 && strncmp(colon + 1, "latest", 6) == 0;
        len = (size_t)(colon - image);
    }
    normalise(image, len, r->name, sizeof r->name);
}

/*
 * Normalises an allowed-registries entry: Docker Hub aliases become docker.io,
 * a path without a registry ("acme/app") is on docker.io; no "library/" is
 * added (an entry is a prefix, not an image).
 */
static void normalise_entry(const char *e, char *out, size_t n)
{
    static const char *const ALIASES[] = {"index.docker.io", "registry-1.docker.io"};
    size_t first = strcspn(e, "/");
    bool has_registry = e[first] == '\0' || memchr(e, '.', first) || memchr(e, ':', first) ||
                        (first == 9 && strncmp(e, "localhost", 9) == 0);

    for (size_t i = 0; i < 2; i++) {
        if (first == strlen(ALIASES[i]) && strncmp(e, ALIASES[i], first) == 0) {
            snprintf(out, n, "docker.io%s", e + first);
            return;
        }
    }
    snprintf(out, n, "%s%s", has_registry ? "" : "docker.io/", e);
}

/* True when name is under an allowed-registry entry. */
static bool allowed(const struct as_policy_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->allowed_registries.n; i++) {
        char norm[REF_MAX];
        size_t n;

        normalise_entry(cfg->allowed_registries.v[i], norm, sizeof norm);
        n = strlen(norm);
        while (n && norm[n - 1] == '/')
            norm[--n] = '\0';
        if (strncmp(name, norm, n) == 0 && (name[n] == '/' || name[n] == '\0'))
            return true;
    }
    return false;
}

/* Checks the image of container i of list l; the path is built only for a report. */
static void check_image(struct as_policy_eval *ev, const struct as_jv *c,
                        const struct as__podspec *ps, size_t l, size_t i)
{
    const char *image = as__str(c, "image");
    struct imgref r;
    char p[AS__PATH_MAX];
    uint64_t t;
    bool bad_registry, latest, no_digest;

    if (!image)
        return;
    parse_ref(image, &r); /* shared by the three rules: family time only */
    t = as__clock(ev);
    bad_registry = ev->cfg->allowed_registries.n && !allowed(ev->cfg, r.name);
    t = as__rule_time(ev, AS_R_IMG_ALLOWED_REGISTRIES, t);
    latest = !r.digest && (r.latest || !r.tagged);
    t = as__rule_time(ev, AS_R_IMG_NO_LATEST, t);
    no_digest = ev->cfg->require_digest && !r.digest;
    as__rule_time(ev, AS_R_IMG_REQUIRE_DIGEST, t);
    if (!bad_registry && !latest && !no_digest)
        return;
    snprintf(p, sizeof p, "%s.%s[%zu].image", ps->prefix, as__container_lists[l], i);
    if (bad_registry)
        as__report(ev, "img-allowed-registries", p, "image %s (%s) is not from an allowed registry",
                   image, r.name);
    if (latest)
        as__report(ev, "img-no-latest", p, "image %s %s", image,
                   r.latest ? "uses the :latest tag" : "has no tag (means :latest)");
    if (no_digest)
        as__report(ev, "img-require-digest", p, "image %s is not pinned by digest", image);
}

void as__check_images(struct as_policy_eval *ev)
{
    struct as__podspec ps;

    if (!as__podspec_find(ev->obj, &ps))
        return;
    for (size_t l = 0; l < 3; l++) {
        const struct as_jv *c;
        size_t i;

        as_jv_array_foreach(as_jv_get(ps.spec, as__container_lists[l]), i, c)
        {
            check_image(ev, c, &ps, l, i);
        }
    }
}
