/*
 * yaml_scalar.h - library-internal: how a plain YAML scalar is typed.
 *
 * Shared by the reader (to type plain scalars) and the writer (to quote
 * strings that would otherwise read back as another type). The rules are
 * those of go-yaml v2, which kubectl's sigs.k8s.io/yaml uses (YAML 1.1
 * booleans, Go ParseInt base-0 integers, timestamps left as strings).
 */
#ifndef AS_BASE_YAML_SCALAR_H
#define AS_BASE_YAML_SCALAR_H

#include <stddef.h>
#include <stdint.h>

enum as__yaml_kind {
    AS__YAML_STR,
    AS__YAML_NULL,
    AS__YAML_BOOL,
    AS__YAML_INT,
    AS__YAML_FLOAT,
    AS__YAML_NONFINITE, /* .inf, -.inf, .nan: valid YAML, not representable in JSON */
    AS__YAML_MERGE      /* "<<" */
};

struct as__yaml_scalar {
    enum as__yaml_kind kind;
    int64_t i; /* AS__YAML_INT */
    double d;  /* AS__YAML_FLOAT */
    int b;     /* AS__YAML_BOOL */
};

/* Types the n bytes at s as a plain (unquoted, untagged) scalar. Never fails. */
void as__yaml_resolve(const char *s, size_t n, struct as__yaml_scalar *out);

/*
 * Formats d as the shortest decimal that reads back as the same double,
 * into out[40]. With force_point a ".0" is added when the text would
 * otherwise read as an integer.
 */
void as__yaml_format_real(double d, int force_point, char out[40]);

#endif
