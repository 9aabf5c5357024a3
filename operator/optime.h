/*
 * optime.h - RFC 3339 times as Kubernetes writes them ("2026-01-02T15:04:05Z",
 * metav1.Time), converted to and from Unix seconds. Pure: no clock reads; the
 * operator's pure core takes "now" as an input.
 */
#ifndef AS_OPERATOR_OPTIME_H
#define AS_OPERATOR_OPTIME_H

#include <stdbool.h>
#include <stdint.h>

#define AS_OP_TIME_MAX 32 /* "9999-12-31T23:59:59Z" + NUL, with room */

/* Writes t (Unix seconds, UTC) as "YYYY-MM-DDTHH:MM:SSZ" into buf (AS_OP_TIME_MAX bytes). */
void as_op_time_format(int64_t t, char buf[AS_OP_TIME_MAX]);

/*
 * Parses an RFC 3339 time: "YYYY-MM-DDTHH:MM:SS" with an optional fraction
 * (dropped) and "Z" or a "+HH:MM"/"-HH:MM" offset. True and *out (Unix
 * seconds) on success; false (and *out untouched) for NULL or malformed text.
 */
bool as_op_time_parse(const char *s, int64_t *out);

#endif
