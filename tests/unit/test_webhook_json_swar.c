/*
 * test_webhook_json_swar.c - test_webhook_json again, with the review reader
 * built on its portable 8-byte word scanning (AS_FJ_NO_SSE2) instead of
 * SSE2, so that both ways of skipping plain string bytes are held to jansson
 * on this machine.
 */
#define AS_FJ_NO_SSE2
#include "../../webhook/review_json.c"

#include "test_webhook_json.c"
