/* test_log.c - unit tests for lib/base/log: formats, escaping, levels, one write per line. */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "base/log.h"

#define MAX_LINES 16

static char *lines[MAX_LINES];
static int n_lines;

/* Test sink: keeps copies of the lines. */
static void capture(const char *line, void *ctx)
{
    (void)ctx;
    if (n_lines < MAX_LINES)
        lines[n_lines++] = strdup(line);
}

static void setup(void)
{
    n_lines = 0;
    as_log_set_sink(capture, NULL);
}

static void teardown(void)
{
    for (int i = 0; i < n_lines; i++)
        free(lines[i]);
    n_lines = 0;
    as_log_set_sink(NULL, NULL);
    as_log_setup(AS_LOG_INFO, AS_LOG_TEXT);
}

/* Asserts that s matches the extended regular expression re. */
static void assert_matches(const char *s, const char *re)
{
    regex_t rx;

    ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
    ck_assert_msg(regexec(&rx, s, 0, NULL, 0) == 0, "\"%s\" does not match /%s/", s, re);
    regfree(&rx);
}

#define TS_RE "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"

START_TEST(text_format_has_timestamp_level_message_and_fields)
{
    as_log_setup(AS_LOG_DEBUG, AS_LOG_TEXT);
    as_log_info("applied", "kind", "Deployment", "name", "web", NULL);
    ck_assert_int_eq(n_lines, 1);
    assert_matches(lines[0], "^" TS_RE " info applied kind=Deployment name=web$");
}
END_TEST

START_TEST(text_format_quotes_values_that_need_it)
{
    as_log_setup(AS_LOG_INFO, AS_LOG_TEXT);
    as_log_warn("two words", "a", "has space", "b", "say \"hi\"", "c", "line1\nline2", "d", "", "e",
                "k=v", NULL);
    ck_assert_int_eq(n_lines, 1);
    ck_assert_ptr_nonnull(strstr(lines[0], " warn \"two words\" a=\"has space\" "
                                           "b=\"say \\\"hi\\\"\" c=\"line1\\nline2\" d=\"\" "
                                           "e=\"k=v\""));
    ck_assert_ptr_null(strchr(lines[0], '\n'));
}
END_TEST

START_TEST(json_format_escapes_through_jansson)
{
    json_t *o;
    json_error_t jerr;

    as_log_setup(AS_LOG_INFO, AS_LOG_JSON);
    as_log_error("failed \"badly\"", "path", "C:\\dir", "nl", "a\nb", "tab", "x\ty", NULL);
    ck_assert_int_eq(n_lines, 1);
    o = json_loads(lines[0], 0, &jerr);
    ck_assert_msg(o != NULL, "not JSON: %s", lines[0]);
    ck_assert_str_eq(json_string_value(json_object_get(o, "level")), "error");
    ck_assert_str_eq(json_string_value(json_object_get(o, "msg")), "failed \"badly\"");
    ck_assert_str_eq(json_string_value(json_object_get(o, "path")), "C:\\dir");
    ck_assert_str_eq(json_string_value(json_object_get(o, "nl")), "a\nb");
    assert_matches(json_string_value(json_object_get(o, "ts")), "^" TS_RE "$");
    ck_assert_int_eq(strncmp(lines[0], "{\"ts\":", 6), 0); /* ts, level, msg come first */
    json_decref(o);
}
END_TEST

START_TEST(json_format_keeps_core_fields_on_collision)
{
    json_t *o;

    as_log_setup(AS_LOG_INFO, AS_LOG_JSON);
    as_log_info("m", "level", "spoofed", "msg", "other", NULL);
    o = json_loads(lines[0], 0, NULL);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(json_string_value(json_object_get(o, "level")), "info");
    ck_assert_str_eq(json_string_value(json_object_get(o, "msg")), "m");
    ck_assert_str_eq(json_string_value(json_object_get(o, "field.level")), "spoofed");
    json_decref(o);
}
END_TEST

START_TEST(json_format_survives_invalid_utf8)
{
    json_t *o;

    as_log_setup(AS_LOG_INFO, AS_LOG_JSON);
    as_log_info("bytes", "v", "ok\xff\xfe", NULL);
    ck_assert_int_eq(n_lines, 1);
    o = json_loads(lines[0], 0, NULL);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(json_string_value(json_object_get(o, "v")), "ok??");
    json_decref(o);
}
END_TEST

START_TEST(null_message_and_values_print_null)
{
    as_log_setup(AS_LOG_INFO, AS_LOG_TEXT);
    as_log_info(NULL, "k", NULL, NULL);
    ck_assert_int_eq(n_lines, 1);
    assert_matches(lines[0], "^" TS_RE " info \\(null\\) k=\\(null\\)$");
}
END_TEST

START_TEST(level_filter_drops_lower_levels)
{
    as_log_setup(AS_LOG_WARN, AS_LOG_TEXT);
    as_log_debug("d", NULL);
    as_log_info("i", NULL);
    as_log_warn("w", NULL);
    as_log_error("e", NULL);
    ck_assert_int_eq(n_lines, 2);
    ck_assert_ptr_nonnull(strstr(lines[0], " warn w"));
    ck_assert_ptr_nonnull(strstr(lines[1], " error e"));
}
END_TEST

START_TEST(parse_level_and_format)
{
    enum as_log_level lvl = AS_LOG_INFO;
    enum as_log_format fmt = AS_LOG_TEXT;
    struct as_error err;

    ck_assert_int_eq(as_log_parse_level("debug", &lvl, &err), AS_OK);
    ck_assert_int_eq(lvl, AS_LOG_DEBUG);
    ck_assert_int_eq(as_log_parse_level("error", &lvl, &err), AS_OK);
    ck_assert_int_eq(lvl, AS_LOG_ERROR);
    ck_assert_int_eq(as_log_parse_level("loud", &lvl, &err), AS_E_INVALID_ARG);
    ck_assert_str_eq(err.message,
                     "--log-level: unknown level \"loud\"; use debug, info, warn or error");
    ck_assert_int_eq(lvl, AS_LOG_ERROR);
    ck_assert_int_eq(as_log_parse_format("json", &fmt, &err), AS_OK);
    ck_assert_int_eq(fmt, AS_LOG_JSON);
    ck_assert_int_eq(as_log_parse_format("xml", &fmt, &err), AS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "--log-format: unknown format \"xml\"; use text or json");
    ck_assert_int_eq(as_log_parse_format(NULL, &fmt, &err), AS_E_INVALID_ARG);
}
END_TEST

#define THREADS 8
#define PER_THREAD 200

/* Logs PER_THREAD records with a long value, to stderr. */
static void *log_many(void *arg)
{
    char value[600];

    memset(value, 'a' + (int)(long)arg, sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    for (int i = 0; i < PER_THREAD; i++)
        as_log_info("concurrent", "v", value, NULL);
    return NULL;
}

/* Counts lines of f that are complete JSON objects with the expected message. */
static int count_json_lines(FILE *f)
{
    char line[4096];
    int good = 0;

    rewind(f);
    while (fgets(line, sizeof(line), f)) {
        json_t *o = json_loads(line, 0, NULL);
        if (o && strcmp(json_string_value(json_object_get(o, "msg")), "concurrent") == 0)
            good++;
        json_decref(o);
    }
    return good;
}

START_TEST(concurrent_records_never_interleave_on_stderr)
{
    FILE *f = tmpfile();
    int saved = dup(STDERR_FILENO);
    pthread_t t[THREADS];

    ck_assert_ptr_nonnull(f);
    as_log_set_sink(NULL, NULL);
    as_log_setup(AS_LOG_INFO, AS_LOG_JSON);
    dup2(fileno(f), STDERR_FILENO);
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, log_many, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ck_assert_int_eq(count_json_lines(f), THREADS * PER_THREAD);
    fclose(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, text_format_has_timestamp_level_message_and_fields);
    tcase_add_test(tc, text_format_quotes_values_that_need_it);
    tcase_add_test(tc, json_format_escapes_through_jansson);
    tcase_add_test(tc, json_format_keeps_core_fields_on_collision);
    tcase_add_test(tc, json_format_survives_invalid_utf8);
    tcase_add_test(tc, null_message_and_values_print_null);
    tcase_add_test(tc, level_filter_drops_lower_levels);
    tcase_add_test(tc, parse_level_and_format);
    tcase_add_test(tc, concurrent_records_never_interleave_on_stderr);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
