/*
 * review_oracle.h - what the review reader's drop_managed means, written
 * from its definition and not from the reader (webhook/review.h): jansson's
 * tree with request.object.metadata.managedFields and
 * request.oldObject.metadata.managedFields deleted. Shared by
 * test_webhook_json.c and tests/fuzz/fuzz_review_json.c. Header-only
 * (static), test code only.
 */
#ifndef AS_TEST_REVIEW_ORACLE_H
#define AS_TEST_REVIEW_ORACLE_H

#include <jansson.h>

static inline void review_oracle_drop_managed(json_t *doc)
{
    static const char *const which[] = {"object", "oldObject"};
    json_t *req = json_is_object(doc) ? json_object_get(doc, "request") : NULL;

    for (size_t i = 0; i < 2; i++) {
        json_t *obj = json_is_object(req) ? json_object_get(req, which[i]) : NULL;
        json_t *meta = json_is_object(obj) ? json_object_get(obj, "metadata") : NULL;

        if (json_is_object(meta))
            json_object_del(meta, "managedFields");
    }
}

#endif
