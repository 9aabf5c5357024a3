/* test_tls_random.c - unit tests for lib/tls/random: output lengths and alphabets of the
 * three encodings, fresh values per call, no modulo bias in alphanumeric (every character
 * occurs), the length bounds and the error naming a bad encoding or length. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "kube/b64.h"
#include "tls/random.h"

/* True when every character of s is in set. */
static int only(const char *s, const char *set)
{
    return strspn(s, set) == strlen(s);
}

static char *value(int64_t length, const char *encoding)
{
    char *v = NULL;
    struct as_error err;

    ck_assert_msg(as_random_value(length, encoding, &v, &err) == AS_OK, "%s", err.message);
    ck_assert_ptr_nonnull(v);
    return v;
}

START_TEST(hex_is_two_lowercase_digits_per_byte)
{
    static const int64_t lengths[] = {16, 32, 33, 128};

    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        char *v = value(lengths[i], "hex");
        ck_assert_uint_eq(strlen(v), 2 * (size_t)lengths[i]);
        ck_assert(only(v, "0123456789abcdef"));
        free(v);
    }
}
END_TEST

START_TEST(base64_is_padded_and_decodes_to_length_bytes)
{
    static const int64_t lengths[] = {16, 17, 18, 32, 128};

    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        char *v = value(lengths[i], "base64"), *raw = NULL;
        size_t n = 0, bad = 0, want = 4 * (((size_t)lengths[i] + 2) / 3);
        ck_assert_uint_eq(strlen(v), want);
        ck_assert(only(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="));
        ck_assert_int_eq(as_kube_b64_decode(v, strlen(v), &raw, &n, &bad), AS_OK);
        ck_assert_uint_eq(n, (size_t)lengths[i]);
        free(raw);
        free(v);
    }
}
END_TEST

START_TEST(alphanumeric_has_length_characters_and_uses_the_whole_alphabet)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    int seen[256] = {0};

    for (int round = 0; round < 200; round++) {
        char *v = value(24, "alphanumeric");
        ck_assert_uint_eq(strlen(v), 24);
        ck_assert(only(v, alnum));
        for (const char *p = v; *p; p++)
            seen[(unsigned char)*p]++;
        free(v);
    }
    /* 4800 draws over 62 characters: about 77 each; a biased or truncated alphabet shows. */
    for (const char *p = alnum; *p; p++)
        ck_assert_msg(seen[(unsigned char)*p] > 20, "'%c' drawn %d times", *p,
                      seen[(unsigned char)*p]);
}
END_TEST

START_TEST(values_differ_between_calls)
{
    char *a = value(16, "hex"), *b = value(16, "hex");

    ck_assert_str_ne(a, b);
    free(a);
    free(b);
}
END_TEST

START_TEST(bad_length_and_encoding_are_named)
{
    char *v = (char *)"untouched";
    struct as_error err;

    ck_assert_int_eq(as_random_value(15, "hex", &v, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err.message, "length 15"));
    ck_assert_int_eq(as_random_value(129, "hex", &v, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err.message, "length 129"));
    ck_assert_int_eq(as_random_value(32, "base32", &v, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err.message, "encoding 'base32'"));
    ck_assert_int_eq(as_random_value(32, NULL, &v, &err), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_random_value(32, "HEX", &v, &err), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_random_value(32, "hex", NULL, &err), AS_E_INVALID_ARG);
    ck_assert_str_eq(v, "untouched");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tls_random");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, hex_is_two_lowercase_digits_per_byte);
    tcase_add_test(tc, base64_is_padded_and_decodes_to_length_bytes);
    tcase_add_test(tc, alphanumeric_has_length_characters_and_uses_the_whole_alphabet);
    tcase_add_test(tc, values_differ_between_calls);
    tcase_add_test(tc, bad_length_and_encoding_are_named);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return as_check_run(suite());
}
