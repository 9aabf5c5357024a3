/*
 * test_webhook_json.c - unit tests for the AdmissionReview codec's own JSON
 * reader and writer (webhook/review.c), each checked against jansson itself:
 *   - as_review_json_parse accepts exactly what json_loadb(JSON_REJECT_DUPLICATES |
 *     JSON_DECODE_ANY) accepts, builds the same tree (same compact dump, keys in
 *     the same order) and fails with the same message, on edge cases and on
 *     tens of thousands of deterministic mutations of a realistic review;
 *   - the fast reader takes a realistic review itself and gives up exactly on
 *     the inputs it leaves to jansson;
 *   - as_review_json_string escapes every byte as json_dumps does;
 *   - as_review_encode writes the bytes json_dumps(JSON_COMPACT) writes for the
 *     same response document.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/review.h"
#include "base/json.h"
#include "check_run.h"
#include "review_oracle.h"

/* A realistic review: escapes, non-ASCII, numbers of every kind, nesting. */
static const char REVIEW[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"2f1e0d4c-8b7a-4c6d\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
    "\"namespace\":\"shop\",\"operation\":\"CREATE\",\"userInfo\":{\"username\":\"alice\","
    "\"groups\":[\"system:authenticated\"]},\"dryRun\":false,\"object\":{\"apiVersion\":\"v1\","
    "\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-0\",\"labels\":{\"app\":\"web\"},"
    "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
    "\"{\\\"a\\\":\\\"b\\\\n\\\",\\\"c\\\":[1,2]}\\n\",\"note\":\"caf\\u00e9 \xe2\x82\xac "
    "\\ud83d\\ude00 \\/ \\t\"}},\"spec\":{\"securityContext\":{\"runAsNonRoot\":true,"
    "\"runAsUser\":10001,\"fsGroup\":-2},\"containers\":[{\"name\":\"app\",\"image\":"
    "\"registry.example.com/app:1.0\",\"resources\":{\"limits\":{\"cpu\":0.5,\"memory\":"
    "\"64Mi\"},\"requests\":{\"cpu\":\"50m\",\"memory\":6.4e7}},\"env\":[{\"name\":\"A\","
    "\"value\":\"x\"},{\"name\":\"B\",\"value\":null}],\"ports\":[{\"containerPort\":8080}]}],"
    "\"volumes\":[],\"tolerations\":[{\"effect\":\"NoSchedule\",\"tolerationSeconds\":0}]}}}}";

/*
 * A review whose objects carry field managers' lists (escaped keys, nesting,
 * empty objects), next to look-alikes that must stay: managedFields in the
 * wrong places (spec, a request.objects, an array on the way).
 */
static const char MANAGED[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
    "\"uid\":\"u\",\"operation\":\"UPDATE\",\"object\":{\"metadata\":{\"name\":\"a\","
    "\"managedFields\":[{\"manager\":\"kubectl\",\"operation\":\"Update\",\"time\":"
    "\"2026-12-07T02:00:00Z\",\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\".\":{},"
    "\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"web\\\"}\":{\".\":{},"
    "\"f:image\":{},\"f:ports\":{\"k:{\\\"containerPort\\\":8080,\\\"protocol\\\":"
    "\\\"TCP\\\"}\":{\".\":{}}}}}}},\"n\":[1,-2.5e3,true,false,null,\"caf\\u00e9\"]}],"
    "\"labels\":{\"app\":\"web\"}},\"spec\":{\"managedFields\":[1]}},"
    "\"oldObject\":{\"metadata\":{\"managedFields\":[{\"manager\":\"x\",\"fieldsV1\":{}}],"
    "\"name\":\"a\"}},\"objects\":{\"metadata\":{\"managedFields\":1}},"
    "\"list\":[{\"object\":{\"metadata\":{\"managedFields\":2}}}]},"
    "\"x\":{\"object\":{\"metadata\":{\"managedFields\":3}}}}";

/* The fast reader's tree as a jansson value (NULL when it gives up). */
static json_t *fast(const char *s, size_t n, bool drop)
{
    struct as_jv_arena arena;
    const struct as_jv *t;
    json_t *v;

    as_jv_arena_init(&arena);
    t = as_review_json_fast(s, n, drop, &arena);
    v = as_jv_to_json(t);
    ck_assert(t == NULL || v != NULL);
    as_jv_arena_free(&arena);
    return v;
}

struct parsed {
    as_status st;
    char *dump; /* compact dump on success */
    char message[AS_ERROR_MESSAGE_MAX];
};

/*
 * Parses with the reader under test or with jansson (through as_json_parse,
 * then deleting the managedFields the reader drops, when drop is set).
 */
static struct parsed parse(const char *s, size_t n, bool ours, bool drop)
{
    struct parsed p = {0};
    struct as_error err = {0};
    struct as_jv_arena arena;
    const struct as_jv *t = NULL;
    json_t *v = NULL;

    as_jv_arena_init(&arena);
    if (ours) {
        p.st = as_review_json_parse(s, n, drop, &arena, &t, &err);
        v = as_jv_to_json(t);
        ck_assert(p.st != AS_OK || v != NULL);
    } else {
        p.st = as_json_parse(s, n, AS_REVIEW_MAX_BODY, &v, &err);
    }
    as_jv_arena_free(&arena);
    if (p.st == AS_OK && !ours && drop) {
        review_oracle_drop_managed(v);
    }
    if (p.st == AS_OK) {
        p.dump = as_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        ck_assert_ptr_nonnull(p.dump);
        json_decref(v);
    } else {
        memcpy(p.message, err.message, sizeof(p.message));
    }
    return p;
}

/* Asserts both readers agree on s, as it is and with managedFields dropped; true when valid. */
static bool agree(const char *s, size_t n)
{
    bool ok = false;

    for (int drop = 0; drop <= 1; drop++) {
        struct parsed a = parse(s, n, true, drop), b = parse(s, n, false, drop);

        ok = b.st == AS_OK;
        ck_assert_msg(a.st == b.st, "status %d vs jansson %d (drop %d) for %.*s", a.st, b.st, drop,
                      (int)(n > 120 ? 120 : n), s);
        if (ok)
            ck_assert_str_eq(a.dump, b.dump);
        else
            ck_assert_str_eq(a.message, b.message);
        free(a.dump);
        free(b.dump);
    }
    return ok;
}

/*
 * Strings are scanned 8 bytes at a time: every kind of byte that needs a look
 * of its own (quote, backslash escape, control character, valid and invalid
 * UTF-8, DEL, the bytes right below and above the limits) at every offset of
 * strings of 0 to 40 bytes, as keys and as values; both readers must agree.
 */
START_TEST(string_scanning_agrees_at_every_offset)
{
    static const char *const specials[] = {
        "\\\"",
        "\\n",
        "\\u00e9",
        "\x01",
        "\x1f",
        " ",
        "!",
        "#",
        "[",
        "]",
        "\x7f",
        "\xc3\xa9",
        "\xe2\x82\xac",
        "\xf0\x9f\x98\x80",
        "\xc3",
        "\xff",
        "\xed\xa0\x80",
        "\"",
    };
    char text[256], str[64];

    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++)
        for (size_t len = 0; len <= 40; len++)
            for (size_t at = 0; at <= len; at++) {
                size_t n = 0;
                memset(str, 'a', len);
                str[len] = '\0';
                n = (size_t)snprintf(text, sizeof(text), "%.*s%s%s", (int)at, str, specials[k],
                                     str + at);
                memcpy(str, text, n + 1);
                snprintf(text, sizeof(text), "{\"%s\":\"%s\"}", str, str);
                agree(text, strlen(text));
                snprintf(text, sizeof(text), "[\"%s\",1]", str);
                agree(text, strlen(text));
            }
}
END_TEST

START_TEST(reader_agrees_with_jansson_on_edge_cases)
{
    static const char *const cases[] = {
        "{}",
        "[]",
        "null",
        "true",
        "false",
        "0",
        "-0",
        "-0.0",
        "1.5e-3",
        "1E+2",
        "1e2",
        "\"\"",
        "  {\"a\" : [ 1 , 2 ] }\n\t\r",
        "9223372036854775807",
        "999999999999999999",
        "-999999999999999999",
        "1000000000000000000",
        "[7,-7,10,-10,120]",
        "-9223372036854775808",
        "9223372036854775808",
        "-9223372036854775809",
        "1e308",
        "1e309",
        "-1e309",
        "1e-400",
        "4.9e-324",
        "123456789012345678901234567890123456789012345678901234567890.5",
        "{\"a\":1,\"a\":2}",
        "{\"a\":{},\"b\":{\"a\":1,\"a\":1}}",
        "{\"a\\\"b\":1,\"a\\\"b\":2}",
        "{\"a\\u0000\":1}",
        "\"\\u0000\"",
        "\"\\u00e9\\ud83d\\ude00\\u20AC\\/\\b\\f\\n\\r\\t\"",
        "[\"\\udc00\"]",
        "[\"\\ud800\\u0041\"]",
        "[\"\\ud800x\"]",
        "[\"\\ud800\"]",
        "[\"\\u12\"]",
        "[\"\\u12G4\"]",
        "[\"\\x\"]",
        "[\"\\\"]",
        "[truex]",
        "[true1]",
        "[True]",
        "[nul]",
        "\"\xc3\xa9\"",
        "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"",
        "\"\xe0\x80\x80\"",
        "\"\xc0\x80\"",
        "\"\xc3\"",
        "\"\xff\"",
        "\"\x01\"",
        "\"a\nb\"",
        "",
        "  ",
        "{",
        "[1,]",
        "[,1]",
        "{\"a\"}",
        "{\"a\":}",
        "{,}",
        "{\"a\":1,}",
        "[01]",
        "[-]",
        "[-a]",
        "[.5]",
        "[1.]",
        "[1e]",
        "[1e+]",
        "[+1]",
        "{} {}",
        "{}x",
        "[1 2]",
        "{\"a\" 1}",
        "{1:2}",
        "{\"\":0}",
        "[[[[[[[[[[]]]]]]]]]]",
        "\xef\xbb\xbf{}",
        "[1]\x00",
        "/*c*/{}",
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        agree(cases[i], strlen(cases[i]));
}
END_TEST

/* Whitespace between any two tokens is read by the fast reader itself, skipped lists too. */
START_TEST(whitespace_between_tokens_reads_as_the_compact_text)
{
    static const char *const pairs[][2] = {
        {" { \"a\" : 1 , \"b\" : [ ] , \"c\" : { } } ", "{\"a\":1,\"b\":[],\"c\":{}}"},
        {"[ 1 ,\n[ ] ,\t{ } ,\r\"x\" , true , null ]", "[1,[],{},\"x\",true,null]"},
        {"{\"a\"\n:\t{\"b\" :[ {} , { \"c\" : -1.5 } ] }\r}", "{\"a\":{\"b\":[{},{\"c\":-1.5}]}}"},
        {"{ \"request\" : { \"object\" : { \"metadata\" : { \"managedFields\" : [ { \"f\" : "
         "{ \"f:a\" : { } , \"k:{\\\"x\\\"}\" : { \".\" : { } } } , \"n\" : 1 } ] , "
         "\"name\" : \"p\" } } } }",
         "{\"request\":{\"object\":{\"metadata\":{\"name\":\"p\"}}}}"},
    };
    static const char *const refused[] = {
        "[1 ,]",
        "{\"a\":1 ,}",
        "{ , }",
        "[ , 1]",
        "{\"a\" : }",
        "{\"a\" 1}",
        "[1 2]",
        "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":[ 1 , ]}}}}",
        "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":{ \"a\" : 1 , \"a\" : 2 }}}}}",
    };

    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        json_t *spaced = fast(pairs[i][0], strlen(pairs[i][0]), true);
        json_t *compact = fast(pairs[i][1], strlen(pairs[i][1]), true);

        ck_assert_msg(spaced != NULL, "left to jansson: %s", pairs[i][0]);
        ck_assert_ptr_nonnull(compact);
        ck_assert_msg(json_equal(spaced, compact), "differs: %s", pairs[i][0]);
        ck_assert(agree(pairs[i][0], strlen(pairs[i][0])));
        json_decref(spaced);
        json_decref(compact);
    }
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        ck_assert_ptr_null(fast(refused[i], strlen(refused[i]), true));
        ck_assert_msg(!agree(refused[i], strlen(refused[i])), "accepted: %s", refused[i]);
    }
}
END_TEST

START_TEST(reader_agrees_with_jansson_on_deep_nesting)
{
    static const size_t depths[] = {511, 512, 513, 2047, 2048, 2049, 3000};
    char *b = malloc(2 * 3000 + 1);

    for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
        memset(b, '[', depths[i]);
        memset(b + depths[i], ']', depths[i]);
        agree(b, 2 * depths[i]);
    }
    free(b);
}
END_TEST

/* Deterministic pseudo-random numbers (xorshift64). */
static unsigned long long rng = 0x9E3779B97F4A7C15ull;
static unsigned next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

/* Mutates base 20,000 times (replace, truncate, insert, delete); both readers must agree. */
static void agree_on_mutations(const char *base, size_t len)
{
    static const char alphabet[] = "{}[]\":,\\ \n\t01-+.eEtrufalsnu/\x00\x01\x1f\x7f\x80\xbf\xc0"
                                   "\xc2\xe0\xed\xef\xf0\xf4\xf5\xff";
    size_t valid = 0, total = 0;
    char *t = malloc(len + 8);

    ck_assert(agree(base, len));
    for (int k = 0; k < 20000; k++) {
        size_t n = len;
        memcpy(t, base, len);
        for (int op = 1 + (int)(next_rand() % 3); op > 0 && n > 0; op--) {
            size_t pos = next_rand() % n;
            char c = alphabet[next_rand() % (sizeof(alphabet) - 1)];
            switch (next_rand() % 4) {
            case 0: /* replace */
                t[pos] = c;
                break;
            case 1: /* truncate */
                n = pos;
                break;
            case 2: /* insert */
                if (n < len + 7) {
                    memmove(t + pos + 1, t + pos, n - pos);
                    t[pos] = c;
                    n++;
                }
                break;
            default: /* delete */
                memmove(t + pos, t + pos + 1, n - pos - 1);
                n--;
                break;
            }
        }
        valid += agree(t, n);
        total++;
    }
    /* the mix exercised both sides: many still-valid documents, many broken ones */
    ck_assert_uint_gt(valid, total / 20);
    ck_assert_uint_lt(valid, total - total / 20);
    free(t);
}

START_TEST(reader_agrees_with_jansson_on_mutated_reviews)
{
    agree_on_mutations(REVIEW, sizeof(REVIEW) - 1);
    agree_on_mutations(MANAGED, sizeof(MANAGED) - 1);
}
END_TEST

/* The path of the only dropped lists, and what is checked inside them. */
START_TEST(managed_fields_are_dropped_only_where_no_rule_looks)
{
    static const char ARRAY_ON_PATH[] =
        "{\"z\":{\"object\":{}},\"request\":[{\"metadata\":{\"managedFields\":4}}]}";
    static const char *const refused[] = {
        /* duplicate keys inside the dropped list, at any depth, and of the list itself */
        "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":{\"a\":1,\"a\":2}}}}}",
        ("{\"request\":{\"object\":{\"metadata\":{\"managedFields\":[{\"k:{\\\"a\\\"}\":{},"
         "\"k:{\\u0022a\\\"}\":{}}]}}}}"),
        "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":[],\"managedFields\":[]}}}}",
        /* what jansson refuses anywhere */
        "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":[\"\\u0000\"]}}}}",
        "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":[1e999]}}}}",
        "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":[\"\\x\"]}}}}",
        "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":[\"\x01\"]}}}}",
        "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":[tru]}}}}",
    };
    json_t *v = fast(MANAGED, sizeof(MANAGED) - 1, true);
    char *dump = as_json_dumps(v, JSON_COMPACT);

    ck_assert_ptr_nonnull(dump);
    /* gone from object and oldObject; the look-alikes stay */
    ck_assert_ptr_null(strstr(dump, "kubectl"));
    ck_assert_ptr_null(strstr(dump, "\"manager\":\"x\""));
    ck_assert_ptr_nonnull(strstr(dump, "\"spec\":{\"managedFields\":[1]}"));
    ck_assert_ptr_nonnull(strstr(dump, "\"objects\":{\"metadata\":{\"managedFields\":1}}"));
    ck_assert_ptr_nonnull(strstr(dump, "\"managedFields\":2"));
    ck_assert_ptr_nonnull(strstr(dump, "\"managedFields\":3"));
    ck_assert_ptr_nonnull(strstr(dump, "\"labels\":{\"app\":\"web\"}"));
    free(dump);
    json_decref(v);
    /* an array on the way: its items are not request.object, whatever came before */
    v = fast(ARRAY_ON_PATH, strlen(ARRAY_ON_PATH), true);
    dump = as_json_dumps(v, JSON_COMPACT);
    ck_assert_ptr_nonnull(strstr(dump, "\"managedFields\":4"));
    ck_assert(agree(ARRAY_ON_PATH, strlen(ARRAY_ON_PATH)));
    free(dump);
    json_decref(v);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        ck_assert_msg(!agree(refused[i], strlen(refused[i])), "accepted: %s", refused[i]);
        ck_assert_ptr_null(fast(refused[i], strlen(refused[i]), true));
    }
}
END_TEST

/*
 * Keys of a dropped list are compared raw while their escapes each stand for
 * one byte, and decoded once one needs decoding (\u, \/); either way a key is
 * a duplicate exactly when jansson says so. Written as C strings: \\ is one
 * backslash of the JSON.
 */
START_TEST(dropped_keys_are_duplicates_exactly_when_decoded_keys_are)
{
    static const char *const refused[] = {
        "\"a\\\"b\":{},\"a\\\"b\":{}",               /* the same simple escape */
        "\"a\\/b\":{},\"a/b\":{}",                   /* \/ is / */
        "\"a/b\":1,\"a\\/b\":2",                     /* ... either way round */
        "\"x\\\"y\":{},\"p\":{},\"x\\u0022y\":{}",   /* kept raw, then decoded */
        "\"q\\\\\":{},\"z\\u00e9\":{},\"q\\\\\":{}", /* decoded after the switch */
        "\"\\b\":{},\"\\u0008\":{}",                 /* one byte, two spellings */
        "\"\\t\":\"s\",\"\\u0009\":\"s\"",
        "\"f:a\":{},\"f:b\":{},\"f:c\":{},\"f:d\":{},\"f:e\":{},\"f:f\":{},\"f:g\":{},"
        "\"f:h\":{},\"f:i\":{},\"f:j\":{},\"f:k\":{},\"f:l\":{},\"f:a\":{}",
        "\"f:terminationMessagePath\":{},\"f:terminationMessagePolicy\":{},"
        "\"f:terminationMessagePath\":{}",
    };
    static const char *const accepted[] = {
        "\"a\\\"b\":{},\"a\\\\b\":{},\"a\\u0022c\":{}", /* a"b, a\b, a"c */
        "\"\\b\":{},\"\\f\":{},\"\\n\":{},\"\\r\":{},\"\\t\":{},\"\\\"\":{},\"\\\\\":{},\"/\":{}",
        "\"aaaaaaaaaX\":{},\"baaaaaaaaX\":{},\"caaaaaaaaX\":{}", /* the same last 8 bytes */
        "\"k:{\\\"name\\\":\\\"web\\\"}\":{\".\":{},\"f:name\":{}},\"k:{\\\"name\\\":\\\"db\\\"}\":"
        "{}",
        "\"\\u00e9\":{},\"\xc3\xa9x\":{},\"e\":{}",
    };
    char doc[1024];

    for (int pass = 0; pass < 2; pass++) {
        const char *const *cases = pass == 0 ? refused : accepted;
        size_t count = pass == 0 ? sizeof(refused) / sizeof(refused[0])
                                 : sizeof(accepted) / sizeof(accepted[0]);
        for (size_t i = 0; i < count; i++) {
            int n = snprintf(doc, sizeof(doc),
                             "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":[{\"m\":1,"
                             "\"fieldsV1\":{%s}}],\"name\":\"a\"}}}}",
                             cases[i]);
            json_t *v;

            ck_assert_int_lt(n, (int)sizeof(doc));
            ck_assert_msg(agree(doc, (size_t)n) == (pass == 1), "%s: %s",
                          pass ? "refused" : "accepted", cases[i]);
            v = fast(doc, (size_t)n, true);
            ck_assert_msg((v != NULL) == (pass == 1), "fast reader on %s", cases[i]);
            json_decref(v);
        }
    }
}
END_TEST

/* Members of a built object: a duplicate is found after many keys, look-alikes are kept. */
START_TEST(built_objects_find_duplicates_among_many_keys)
{
    static const struct {
        const char *last; /* the last key */
        bool duplicate;
    } cases[] = {
        {"k0", true},   {"k39", true},  {"key-00-suffix", true},
        {"k00", false}, {"k40", false}, {"key-00-suffiy", false},
        {"", false},
    };
    char doc[2048];

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        size_t n = 0;
        json_t *v;

        doc[n++] = '{';
        for (int i = 0; i < 31; i++)
            n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\"key-%02d-suffix\":%d,\"k%d\":%d,", i,
                                  i, i + (i == 30 ? 9 : 0), i);
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\"%s\":0}", cases[c].last);
        ck_assert_int_lt(n, sizeof(doc));
        ck_assert_msg(agree(doc, n) == !cases[c].duplicate, "last key %s", cases[c].last);
        v = fast(doc, n, false);
        ck_assert_msg((v == NULL) == cases[c].duplicate, "fast reader, last key %s", cases[c].last);
        json_decref(v);
    }
}
END_TEST

START_TEST(the_fast_reader_takes_reviews_and_leaves_the_rest_to_jansson)
{
    static const char *const left[] = {
        "\"\\u0000\"",       "9223372036854775808", "1e309",       "1e-400",
        "{\"a\":1,\"a\":2}", "[\"\\ud800\"]",       "{\"a\":1} x", "",
    };
    json_t *v = fast(REVIEW, sizeof(REVIEW) - 1, false);
    char *b = malloc(1200);

    ck_assert_ptr_nonnull(v);
    json_decref(v);
    for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++)
        ck_assert_ptr_null(fast(left[i], strlen(left[i]), false));
    memset(b, '[', 600);
    memset(b + 600, ']', 600);
    ck_assert_ptr_null(fast(b, 1200, false)); /* deeper than its limit */
    v = fast(b + 100, 1000, false);           /* 500 levels: its own */
    ck_assert_ptr_nonnull(v);
    json_decref(v);
    /* objects of 64 members are its own, 65 go to jansson (a duplicate check per member) */
    for (int members = 64; members <= 65; members++) {
        size_t n = 0;
        b[n++] = '{';
        for (int i = 0; i < members; i++)
            n += (size_t)snprintf(b + n, 1200 - n, "%s\"k%d\":%d", i ? "," : "", i, i);
        b[n++] = '}';
        v = fast(b, n, false);
        ck_assert(members == 64 ? v != NULL : v == NULL);
        json_decref(v);
        ck_assert(agree(b, n));
    }
    free(b);
}
END_TEST

/* What json_dumps writes for s as a string, or NULL when jansson refuses it. */
static char *jansson_string(const char *s, size_t n)
{
    json_t *v = json_stringn(s, n);
    char *t = v != NULL ? as_json_dumps(v, JSON_ENCODE_ANY) : NULL;

    json_decref(v);
    return t;
}

START_TEST(strings_are_escaped_as_jansson_escapes_them)
{
    static const char *const samples[] = {
        "",
        "plain",
        "q\"b\\s/l",
        "tab\there",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
        "\xed\xa0\x80",
        "\xc3",
        "\xff",
        "\xe0\x80\x80",
    };
    char all[128];
    struct as_buf b;

    for (int i = 1; i < 128; i++)
        all[i - 1] = (char)i;
    as_buf_init(&b, 4096);
    for (size_t i = 0; i <= sizeof(samples) / sizeof(samples[0]); i++) {
        const char *s = i < sizeof(samples) / sizeof(samples[0]) ? samples[i] : all;
        size_t n = i < sizeof(samples) / sizeof(samples[0]) ? strlen(s) : 127;
        char *want = jansson_string(s, n);
        as_status st;

        as_buf_reset(&b);
        st = as_review_json_string(&b, s, n);
        if (want == NULL) {
            ck_assert_int_eq(st, AS_E_INVALID_ARG);
            continue;
        }
        ck_assert_int_eq(st, AS_OK);
        ck_assert_str_eq(b.data, want);
        free(want);
    }
    as_buf_free(&b);
}
END_TEST

/* The response document as the codec used to build it: jansson objects, dumped compact. */
static char *reference(const struct as_review_response *r, const char *b64)
{
    json_t *resp = json_pack("{sssb}", "uid", r->uid, "allowed", r->allowed);
    json_t *doc;
    char *text;

    if (r->code != 0 || r->message != NULL) {
        json_t *st = json_object();
        if (r->code != 0)
            json_object_set_new(st, "code", json_integer(r->code));
        if (r->message != NULL)
            json_object_set_new(st, "message", json_string(r->message));
        if (r->reason != NULL)
            json_object_set_new(st, "reason", json_string(r->reason));
        json_object_set_new(resp, "status", st);
    }
    if (r->n_warnings > 0) {
        json_t *w = json_array();
        for (size_t i = 0; i < r->n_warnings; i++)
            json_array_append_new(w, json_string(r->warnings[i]));
        json_object_set_new(resp, "warnings", w);
    }
    if (b64 != NULL) {
        json_object_set_new(resp, "patchType", json_string("JSONPatch"));
        json_object_set_new(resp, "patch", json_string(b64));
    }
    if (r->audit_annotations != NULL && json_object_size(r->audit_annotations) > 0)
        json_object_set_new(resp, "auditAnnotations", json_deep_copy(r->audit_annotations));
    doc = json_pack("{sssssO}", "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
                    "response", resp);
    text = as_json_dumps(doc, JSON_COMPACT);
    json_decref(resp);
    json_decref(doc);
    return text;
}

START_TEST(responses_are_written_as_jansson_writes_them)
{
    const char *w[] = {"img-no-latest spec.containers[0].image: \"x\" — pin it", "w\\2\n\x01"};
    json_t *ann = json_pack("{ssss}", "policy-audit", "a b: c — d\n", "z", "\xc3\xa9");
    json_t *patch = json_loads("[{\"op\":\"add\",\"path\":\"/spec/x\",\"value\":1.5}]", 0, NULL);
    char *ptext = as_json_dumps(patch, JSON_COMPACT);
    struct as_buf b64, out;
    struct as_review_response cases[] = {
        {.uid = "u-1", .allowed = true},
        {.uid = "u-\"2\"",
         .allowed = false,
         .code = 403,
         .reason = "Forbidden",
         .message = "line1\nline2 \xe2\x80\x94 fix"},
        {.uid = "u-3", .allowed = false, .message = "no code"},
        {.uid = "u-4", .allowed = false, .code = 400},
        {.uid = "u-5", .allowed = true, .warnings = w, .n_warnings = 2, .audit_annotations = ann},
        {.uid = "u-6", .allowed = true, .patch = patch, .audit_annotations = ann},
        {.uid = NULL, .allowed = true},
    };

    as_buf_init(&b64, 1 << 20);
    ck_assert_int_eq(as_review_base64(ptext, strlen(ptext), &b64), AS_OK);
    as_buf_init(&out, 1 << 20);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct as_review_response r = cases[i];
        char *want;

        if (r.uid == NULL)
            r.uid = ""; /* the reference cannot pack NULL; the encoder writes "" for it */
        want = reference(&r, cases[i].patch != NULL ? b64.data : NULL);
        as_buf_reset(&out);
        ck_assert_int_eq(as_review_encode(&cases[i], &out), AS_OK);
        ck_assert_str_eq(out.data, want);
        free(want);
    }
    as_buf_free(&out);
    as_buf_free(&b64);
    free(ptext);
    json_decref(patch);
    json_decref(ann);
}
END_TEST

START_TEST(a_response_over_the_buffer_limit_is_refused)
{
    struct as_review_response r = {.uid = "u", .allowed = false, .code = 403, .message = REVIEW};
    struct as_buf out;

    as_buf_init(&out, 256);
    ck_assert_int_eq(as_review_encode(&r, &out), AS_E_LIMIT);
    as_buf_free(&out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook_json");
    TCase *tc = tcase_create("json");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, reader_agrees_with_jansson_on_edge_cases);
    tcase_add_test(tc, string_scanning_agrees_at_every_offset);
    tcase_add_test(tc, whitespace_between_tokens_reads_as_the_compact_text);
    tcase_add_test(tc, reader_agrees_with_jansson_on_deep_nesting);
    tcase_add_test(tc, reader_agrees_with_jansson_on_mutated_reviews);
    tcase_add_test(tc, managed_fields_are_dropped_only_where_no_rule_looks);
    tcase_add_test(tc, dropped_keys_are_duplicates_exactly_when_decoded_keys_are);
    tcase_add_test(tc, built_objects_find_duplicates_among_many_keys);
    tcase_add_test(tc, the_fast_reader_takes_reviews_and_leaves_the_rest_to_jansson);
    tcase_add_test(tc, strings_are_escaped_as_jansson_escapes_them);
    tcase_add_test(tc, responses_are_written_as_jansson_writes_them);
    tcase_add_test(tc, a_response_over_the_buffer_limit_is_refused);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
