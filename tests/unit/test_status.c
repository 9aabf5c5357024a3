/* test_status.c - unit tests for lib/base/status: names, messages, error context. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "base/status.h"

START_TEST(names_and_messages_come_from_the_table)
{
    ck_assert_str_eq(as_status_name(AS_OK), "OK");
    ck_assert_str_eq(as_status_name(AS_E_API_NOT_FOUND), "NotFound");
    ck_assert_str_eq(as_status_name(AS_E_API_GONE), "Expired");
    ck_assert_str_eq(as_status_message(AS_E_LIMIT), "input exceeds a size limit");
    ck_assert_str_eq(as_status_message(AS_E_NOMEM), "out of memory");
}
END_TEST

START_TEST(out_of_range_codes_are_unknown)
{
    ck_assert_str_eq(as_status_name((as_status)AS__STATUS_COUNT), "Unknown");
    ck_assert_str_eq(as_status_name((as_status)-1), "Unknown");
    ck_assert_str_eq(as_status_message((as_status)9999), "unknown status code");
}
END_TEST

START_TEST(every_code_has_a_distinct_name)
{
    for (int i = 0; i < AS__STATUS_COUNT; i++) {
        ck_assert_ptr_nonnull(as_status_name((as_status)i));
        ck_assert_int_gt((int)strlen(as_status_message((as_status)i)), 0);
        for (int j = i + 1; j < AS__STATUS_COUNT; j++)
            ck_assert_str_ne(as_status_name((as_status)i), as_status_name((as_status)j));
    }
}
END_TEST

START_TEST(error_set_formats_and_returns_the_code)
{
    struct as_error err;

    ck_assert_int_eq(as_error_set(&err, AS_E_TYPE, "spec.replicas: expected %s", "integer"),
                     AS_E_TYPE);
    ck_assert_int_eq(err.code, AS_E_TYPE);
    ck_assert_str_eq(err.message, "spec.replicas: expected integer");
    ck_assert_int_eq(as_error_set(NULL, AS_E_IO, "ignored"), AS_E_IO);
}
END_TEST

START_TEST(error_prefix_adds_context)
{
    struct as_error err;

    as_error_set(&err, AS_E_PARSE, "line 1, column 2: bad");
    as_error_prefix(&err, "file %s", "app.yaml");
    ck_assert_str_eq(err.message, "file app.yaml: line 1, column 2: bad");
    as_error_prefix(NULL, "no crash");
}
END_TEST

START_TEST(error_message_is_truncated_not_overflowed)
{
    struct as_error err;
    char big[3000];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    as_error_set(&err, AS_E_INVALID_ARG, "%s", big);
    ck_assert_uint_eq(strlen(err.message), AS_ERROR_MESSAGE_MAX - 1);
    as_error_clear(&err);
    ck_assert_int_eq(err.code, AS_OK);
    ck_assert_str_eq(err.message, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, names_and_messages_come_from_the_table);
    tcase_add_test(tc, out_of_range_codes_are_unknown);
    tcase_add_test(tc, every_code_has_a_distinct_name);
    tcase_add_test(tc, error_set_formats_and_returns_the_code);
    tcase_add_test(tc, error_prefix_adds_context);
    tcase_add_test(tc, error_message_is_truncated_not_overflowed);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
