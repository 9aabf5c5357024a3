/*
 * check_run.h - the end of a unit test's main(): runs its Check suite and
 * turns the result into the exit status (0 when every test passed).
 */
#ifndef AS_TESTS_CHECK_RUN_H
#define AS_TESTS_CHECK_RUN_H

#include <check.h>

static inline int as_check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

#endif
