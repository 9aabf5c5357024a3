/*
 * secrets.c - family "secrets": an environment variable whose name has a
 * credential-like component (PASSWORD, PASSWD, PASS, SECRET, TOKEN, KEY,
 * APIKEY, CREDENTIAL(S), CREDS, PRIVATE_KEY...) may not carry a literal
 * `value`; it must come from valueFrom.secretKeyRef.
 *
 * Names are split into components at '_', '-', '.' and lower-to-upper case
 * changes ("dbPassword" -> db, Password), compared case-insensitively, so
 * MONKEY or KEYBOARD_LAYOUT do not match. A name whose last component says
 * the value is not the secret itself (FILE, PATH, DIR, NAME, REF, URL, ID,
 * TYPE, HEADER, ENDPOINT, LENGTH, SIZE) is not flagged: TLS_KEY_FILE holds a
 * path. An empty literal is not flagged.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/policy_int.h"

static const char *const CREDENTIAL_WORDS[] = {
    "PASSWORD", "PASSWORDS",  "PASSWD",    "PASS",      "PASSPHRASE", "SECRET",     "SECRETS",
    "TOKEN",    "TOKENS",     "KEY",       "KEYS",      "APIKEY",     "CREDENTIAL", "CREDENTIALS",
    "CREDS",    "PRIVATEKEY", "ACCESSKEY", "SECRETKEY", NULL,
};
static const char *const NOT_SECRET_LAST[] = {
    "FILE", "PATH",   "DIR",      "NAME",   "REF",  "URL", "ID",
    "TYPE", "HEADER", "ENDPOINT", "LENGTH", "SIZE", NULL,
};

/* Case-insensitive membership of the n bytes at w in list. */
static bool word_in(const char *w, size_t n, const char *const *list)
{
    unsigned first = (unsigned char)w[0] & ~0x20u; /* the lists are upper case */

    for (size_t i = 0; list[i]; i++)
        if ((unsigned char)list[i][0] == first && strlen(list[i]) == n &&
            strncasecmp(list[i], w, n) == 0)
            return true;
    return false;
}

/* True when name has a credential component and its last one is not a "pointer" word. */
static bool credential_like(const char *name)
{
    const char *start = name, *last = NULL;
    size_t last_n = 0;
    bool hit = false;

    for (const char *p = name;; p++) {
        bool sep = *p == '\0' || *p == '_' || *p == '-' || *p == '.';
        bool camel = p > start && islower((unsigned char)p[-1]) && isupper((unsigned char)*p);

        if (sep || camel) {
            size_t n = (size_t)(p - start);

            if (n) {
                hit = hit || word_in(start, n, CREDENTIAL_WORDS);
                last = start;
                last_n = n;
            }
            if (*p == '\0')
                break;
            start = camel ? p : p + 1;
        }
    }
    return hit && !(last && word_in(last, last_n, NOT_SECRET_LAST));
}

void as__check_secrets(struct as_policy_eval *ev)
{
    struct as__podspec ps;

    if (!as__podspec_find(ev->obj, &ps))
        return;
    for (size_t l = 0; l < 3; l++) {
        const struct as_jv *c, *e;
        size_t i, j;

        as_jv_array_foreach(as_jv_get(ps.spec, as__container_lists[l]), i, c)
        {
            as_jv_array_foreach(as_jv_get(c, "env"), j, e)
            {
                const char *name = as__str(e, "name");
                const struct as_jv *v = as_jv_get(e, "value");
                char p[AS__PATH_MAX];

                if (!name || !as_jv_is_string(v) || as_jv_str_len(v) == 0 || !credential_like(name))
                    continue;
                snprintf(p, sizeof p, "%s.%s[%zu].env[%zu].value", ps.prefix,
                         as__container_lists[l], i, j);
                as__report(ev, "sec-literal-credential-env", p,
                           "%s looks like a credential but has a literal value", name);
            }
        }
    }
}
