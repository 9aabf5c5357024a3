/*
 * test_informer_textpack.c - lib/informer/textpack: packed JSON unpacks to
 * the same value, damaged or mislabelled bytes are refused, and the preset
 * dictionary earns its keep on objects it was not made from.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "informer/textpack.h"
#include "render_test_util.h"

/* Packs text and loads it back; the test fails unless it comes back equal. */
static size_t round_trip(const char *text)
{
    unsigned char *packed = NULL;
    size_t n = 0, len = strlen(text);
    json_t *want = json_loads(text, 0, NULL), *got;

    ck_assert_ptr_nonnull(want);
    ck_assert_int_eq(as_textpack_pack(text, len, &packed, &n), AS_OK);
    ck_assert_uint_gt(n, 0);
    got = as_textpack_load(packed, n, len);
    ck_assert_msg(got && json_equal(got, want), "%s did not come back", text);
    json_decref(got);
    json_decref(want);
    free(packed);
    return n;
}

START_TEST(small_large_and_unicode_texts_come_back_equal)
{
    char *big;
    size_t used = 0;

    round_trip("{}");
    round_trip("[1,2.5,null,true,\"x\"]");
    round_trip("{\"name\":\"caf\\u00e9 \xe2\x9c\x93\",\"n\":-7}");
    /* far beyond the 8 KiB window: back-references cannot reach the dictionary */
    big = malloc(200000);
    used += (size_t)snprintf(big, 200000, "{\"data\":{");
    for (int i = 0; i < 5000; i++)
        used += (size_t)snprintf(big + used, 200000 - used, "%s\"k%d\":\"v%d-%x\"", i ? "," : "", i,
                                 i * 7, (unsigned)i * 2654435761u);
    snprintf(big + used, 200000 - used, "}}");
    round_trip(big);
    free(big);
}
END_TEST

START_TEST(damaged_or_mislabelled_bytes_give_null)
{
    const char *text = "{\"kind\":\"Service\",\"metadata\":{\"name\":\"web\"}}";
    unsigned char *packed = NULL;
    size_t n = 0, len = strlen(text);
    json_t *got;

    ck_assert_int_eq(as_textpack_pack(text, len, &packed, &n), AS_OK);
    ck_assert_ptr_null(as_textpack_load(packed, n, len - 1)); /* longer than said */
    ck_assert_ptr_null(as_textpack_load(packed, n, len + 1)); /* shorter than said */
    ck_assert_ptr_null(as_textpack_load(packed, n - 1, len)); /* cut short */
    for (size_t i = 0; i < n; i++) { /* any flipped byte: refused or still the same length */
        packed[i] ^= 0x5a;
        got = as_textpack_load(packed, n, len);
        json_decref(got); /* a flip may survive as other JSON of the same length; no crash */
        packed[i] ^= 0x5a;
    }
    got = as_textpack_load(packed, n, len);
    ck_assert_ptr_nonnull(got);
    json_decref(got);
    free(packed);
}
END_TEST

/* The whole text of a file (the test fails when it cannot be read). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = calloc(1, 1 << 20);
    size_t n;

    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    n = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

START_TEST(rendered_objects_pack_to_under_a_third_of_their_text)
{
    /* none of these stacks went into textpack_dict.c (minimal, samaconso and twinme did) */
    static const char *const files[] = {"examples/internal-tools.yaml", "examples/maicivy.yaml",
                                        "examples/ai-ko.yaml"};
    size_t text_total = 0, packed_total = 0;

    for (size_t fi = 0; fi < sizeof(files) / sizeof(files[0]); fi++) {
        char *yaml = slurp(files[fi]);
        json_t *objs = rt_render(yaml, 0), *o;
        size_t i;

        json_array_foreach(objs, i, o)
        {
            char *text = as_json_dumps(o, JSON_COMPACT);
            text_total += strlen(text);
            packed_total += round_trip(text);
            free(text);
        }
        json_decref(objs);
        free(yaml);
    }
    printf("textpack: %zu bytes of rendered JSON packed to %zu (%.2f)\n", text_total, packed_total,
           (double)packed_total / (double)text_total);
    ck_assert_uint_gt(text_total, 20000);
    ck_assert_uint_lt(packed_total * 3, text_total);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("informer_textpack");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, small_large_and_unicode_texts_come_back_equal);
    tcase_add_test(tc, damaged_or_mislabelled_bytes_give_null);
    tcase_add_test(tc, rendered_objects_pack_to_under_a_third_of_their_text);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
