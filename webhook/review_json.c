/*
 * review_json.c - the JSON underneath the AdmissionReview codec (pure):
 * a span-at-a-time reader that builds, in an arena (base/jv.h), the tree of
 * what json_loadb reads (anything it is not sure of goes to jansson itself,
 * so results and error texts are jansson's), and a string escaper that
 * writes what json_dumps writes. The differential tests (test_webhook_json)
 * and fuzz target (fuzz_review_json) hold both to jansson.
 */
#include "review.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

/*
 * The fast reader. jansson reads a byte at a time through a callback, and
 * builds a hash table per object; this reader scans spans and builds arena
 * nodes (members in document order, integers and reals from strtoll /
 * strtod as jansson reads them, strings checked as UTF-8), so for every input
 * it accepts the tree equals json_loadb(JSON_REJECT_DUPLICATES |
 * JSON_DECODE_ANY)'s. It gives up (NULL) on invalid JSON and on the rare
 * valid inputs it leaves to jansson: \u0000, numbers out of range or longer
 * than FJ_MAX_NUMBER, nesting deeper than FJ_MAX_DEPTH, duplicate keys, and
 * objects of more than FJ_MAX_MEMBERS members (duplicates are found by a
 * linear scan, which must stay short). The caller then parses with jansson,
 * whose result or error text is the answer.
 */
#define FJ_MAX_DEPTH 512
#define FJ_MAX_NUMBER 64
#define FJ_MAX_MEMBERS 64
/* Skipped objects: most keys, bytes of escaped keys and nesting checked; past them, give up. */
#define FJ_SKIP_KEYS 64
#define FJ_SKIP_SCRATCH 1024
#define FJ_SKIP_DEPTH 16
/* The depth of the objects whose members are request.object.metadata's (and oldObject's). */
#define FJ_METADATA_DEPTH 4

struct fj {
    const unsigned char *p, *end;
    struct as_jv_arena *arena; /* where the tree goes */
    unsigned depth;
    bool drop_managed; /* leave out request.(old)object.metadata.managedFields */
    /* on_path[d]: the member being read at depth d is on the way to managedFields */
    bool on_path[FJ_METADATA_DEPTH];
    bool managed_seen; /* in the metadata object being read */
};

static struct as_jv *fj_value(struct fj *f);

static bool fj_digit(unsigned c)
{
    return c >= '0' && c <= '9';
}

/* JSON whitespace: the four characters jansson skips. */
static inline bool fj_is_ws(unsigned c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Skips whitespace. */
static void fj_ws(struct fj *f)
{
    while (f->p < f->end && fj_is_ws(*f->p))
        f->p++;
}

/* Length of the valid UTF-8 sequence at p (p[0] >= 0x80), 0 when invalid (RFC 3629). */
static size_t fj_utf8(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;

    if (n == 0 || (size_t)(end - p) < n)
        return 0;
    if (c == 0xE0)
        lo = 0xA0; /* overlong */
    else if (c == 0xED)
        hi = 0x9F; /* UTF-16 surrogates */
    else if (c == 0xF0)
        lo = 0x90; /* overlong */
    else if (c == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/*
 * The distance from p to the first byte that needs a look of its own in a
 * string (as fj_special8 flags them), within the next FJ_SPAN bytes, or
 * FJ_SPAN when there is none; at least FJ_SPAN bytes must be readable. With
 * SSE2 (every x86-64) 16 bytes a step, else 8 (a word's bit tricks; on
 * big-endian machines 0 as soon as a word has one, then bytewise).
 * AS_FJ_NO_SSE2 picks the word version on x86-64 too (its tests).
 */
#if defined(__SSE2__) && !defined(AS_FJ_NO_SSE2)
#include <emmintrin.h>
#define FJ_SPAN 16
static unsigned fj_plain_run(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    /* signed: bytes >= 0x80 are negative, so "< 0x20" flags them too */
    __m128i m = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
        _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
    unsigned bits = (unsigned)_mm_movemask_epi8(m);

    return bits == 0 ? FJ_SPAN : (unsigned)__builtin_ctz(bits);
}
#else
/* Bytes b (0..255) in every lane of a 64-bit word. */
#define FJ_LANES(b) (0x0101010101010101ull * (uint64_t)(b))

/*
 * Nonzero when one of the 8 bytes of w needs a look of its own in a string:
 * '"', '\\', a control character (< 0x20) or a byte of a multi-byte UTF-8
 * sequence (>= 0x80). Exact for zero: a flag raised by a borrow is only ever
 * raised above a byte that is flagged for real.
 */
static uint64_t fj_special8(uint64_t w)
{
    uint64_t q = w ^ FJ_LANES('"'), b = w ^ FJ_LANES('\\');

    return (((q - FJ_LANES(1)) & ~q) | ((b - FJ_LANES(1)) & ~b) | (w - FJ_LANES(0x20)) | w) &
           FJ_LANES(0x80);
}

#define FJ_SPAN 8
static unsigned fj_plain_run(const unsigned char *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    w = fj_special8(w);
    if (w == 0)
        return FJ_SPAN;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (unsigned)__builtin_ctzll(w) / 8; /* the first byte flagged is a real one */
#else
    return 0;
#endif
}
#endif

/*
 * What the escapes of a scanned string need: none; only ones that stand for a
 * single byte each (\" \\ \b \f \n \r \t: no other escape gives those
 * bytes, so two such strings are equal decoded exactly when they are equal
 * raw); or decoding (\u, or \/ which "/" also gives).
 */
enum fj_esc { FJ_ESC_NONE, FJ_ESC_SIMPLE, FJ_ESC_DECODE };

/*
 * Scans a string after its opening quote: *s and *raw are the bytes between
 * the quotes, *esc what its escapes need; f->p moves past the closing quote.
 * false on a control character, invalid UTF-8, an escape letter JSON does not
 * have or a missing quote (a \u escape itself is checked by fj_unescape).
 * Plain ASCII is skipped a span at a time (fj_plain_run); fj_scan_string
 * below is the entry point.
 */
static bool fj_scan_string_slow(struct fj *f, const char **s, size_t *raw, enum fj_esc *esc)
{
    const unsigned char *p = f->p;

    *esc = FJ_ESC_NONE;
    while (p < f->end) {
        unsigned c;
        if (f->end - p >= FJ_SPAN) {
            unsigned n = fj_plain_run(p);
            p += n;
            if (n == FJ_SPAN)
                continue;
        }
        c = *p;
        if (c == '"') {
            *s = (const char *)f->p;
            *raw = (size_t)(p - f->p);
            f->p = p + 1;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (f->end - p < 2)
                return false;
            switch (p[1]) {
            case '"':
            case '\\':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                if (*esc == FJ_ESC_NONE)
                    *esc = FJ_ESC_SIMPLE;
                break;
            case 'u':
            case '/':
                *esc = FJ_ESC_DECODE;
                break;
            default:
                return false;
            }
            p += 2;
        } else if (c >= 0x80) {
            size_t n = fj_utf8(p, f->end);
            if (n == 0)
                return false;
            p += n;
        } else {
            p++;
        }
    }
    return false;
}

/* fj_scan_string_slow, with the common case first: a plain string of under two spans. */
static inline bool fj_scan_string(struct fj *f, const char **s, size_t *raw, enum fj_esc *esc)
{
    if (f->end - f->p > 2 * FJ_SPAN) {
        unsigned n = fj_plain_run(f->p);

        if (n == FJ_SPAN)
            n += fj_plain_run(f->p + FJ_SPAN);
        if (n < 2 * FJ_SPAN && f->p[n] == '"') {
            *s = (const char *)f->p;
            *raw = n;
            *esc = FJ_ESC_NONE;
            f->p += n + 1;
            return true;
        }
    }
    return fj_scan_string_slow(f, s, raw, esc);
}

/* The value of 4 hex digits, or -1. */
static long fj_hex4(const unsigned char *p)
{
    long v = 0;

    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (fj_digit(c))
            v += c - '0';
        else if (c >= 'a' && c <= 'f')
            v += c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v += c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* Appends code point v (valid, not a surrogate) as UTF-8 at out; returns the length. */
static size_t fj_put_utf8(long v, char *out)
{
    if (v < 0x80) {
        out[0] = (char)v;
        return 1;
    }
    if (v < 0x800) {
        out[0] = (char)(0xC0 | (v >> 6));
        out[1] = (char)(0x80 | (v & 0x3F));
        return 2;
    }
    if (v < 0x10000) {
        out[0] = (char)(0xE0 | (v >> 12));
        out[1] = (char)(0x80 | ((v >> 6) & 0x3F));
        out[2] = (char)(0x80 | (v & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (v >> 18));
    out[1] = (char)(0x80 | ((v >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((v >> 6) & 0x3F));
    out[3] = (char)(0x80 | (v & 0x3F));
    return 4;
}

/*
 * Decodes the \uXXXX escape (and a following low surrogate) at s[*i] (just
 * after the "u") into out; advances *i. 0 on a bad escape, \u0000 or an
 * unpaired surrogate (jansson reports those).
 */
static size_t fj_unicode(const unsigned char *s, size_t raw, size_t *i, char *out)
{
    long v = *i + 4 <= raw ? fj_hex4(s + *i) : -1, lo;

    if (v <= 0 || (v >= 0xDC00 && v <= 0xDFFF))
        return 0;
    *i += 4;
    if (v >= 0xD800 && v <= 0xDBFF) {
        if (*i + 6 > raw || s[*i] != '\\' || s[*i + 1] != 'u')
            return 0;
        lo = fj_hex4(s + *i + 2);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return 0;
        *i += 6;
        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
    }
    return fj_put_utf8(v, out);
}

/*
 * Unescapes raw bytes of a scanned string into out (room for raw bytes: no
 * escape grows); *len is the result. false on an invalid escape.
 */
static bool fj_unescape(const unsigned char *s, size_t raw, char *out, size_t *len)
{
    size_t o = 0, i = 0;

    while (i < raw) {
        if (s[i] != '\\') {
            out[o++] = (char)s[i++];
            continue;
        }
        if (i + 1 >= raw)
            return false;
        i += 2;
        switch (s[i - 1]) {
        case '"':
        case '\\':
        case '/':
            out[o++] = (char)s[i - 1];
            break;
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            size_t n = fj_unicode(s, raw, &i, out + o);
            if (n == 0)
                return false;
            o += n;
            break;
        }
        default:
            return false;
        }
    }
    *len = o;
    return true;
}

/*
 * Reads a string after its opening quote into the arena (decoded,
 * NUL-terminated); *len is its length. false when it gives up.
 */
__attribute__((always_inline)) static inline bool fj_string_copy(struct fj *f, const char **s,
                                                                 size_t *len)
{
    const char *raw_s;
    size_t raw;
    enum fj_esc esc;
    char *out;

    if (!fj_scan_string(f, &raw_s, &raw, &esc))
        return false;
    if (esc == FJ_ESC_NONE && raw < 2 * FJ_SPAN &&
        f->end - (const unsigned char *)raw_s >= 2 * FJ_SPAN) {
        /* short: one fixed-size copy of one or two whole spans (readable, the quote within) */
        out = as_jv_arena_alloc(f->arena, raw < FJ_SPAN ? FJ_SPAN : 2 * FJ_SPAN);
        if (out == NULL)
            return false;
        if (raw < FJ_SPAN)
            memcpy(out, raw_s, FJ_SPAN);
        else
            memcpy(out, raw_s, 2 * FJ_SPAN);
        out[raw] = '\0';
        *len = raw;
        *s = out;
        return true;
    }
    out = as_jv_arena_alloc(f->arena, raw + 1);
    if (out == NULL)
        return false;
    if (esc == FJ_ESC_NONE) {
        memcpy(out, raw_s, raw);
        *len = raw;
    } else if (!fj_unescape((const unsigned char *)raw_s, raw, out, len)) {
        return false;
    }
    out[*len] = '\0';
    *s = out;
    return true;
}

/* A string value (f->p at the opening quote). */
static struct as_jv *fj_string(struct fj *f)
{
    struct as_jv *v = as_jv_new(f->arena, AS_JV_STRING);
    size_t len;

    f->p++;
    if (v == NULL || !fj_string_copy(f, &v->u.s, &len) || len > UINT32_MAX)
        return NULL;
    v->n = (uint32_t)len;
    return v;
}

/* A value in a container: a string (most of them) read here, anything else by fj_value. */
static inline struct as_jv *fj_item(struct fj *f)
{
    if (f->p < f->end && *f->p == '"')
        return fj_string(f);
    return fj_value(f);
}

/* Skips a run of digits; false when there is none. */
static bool fj_digits(struct fj *f, const unsigned char **p)
{
    const unsigned char *start = *p;

    while (*p < f->end && fj_digit(**p))
        (*p)++;
    return *p > start;
}

/* A number, by jansson's grammar: integers through strtoll, reals through strtod. */
static struct as_jv *fj_number(struct fj *f)
{
    struct as_jv *v;
    const unsigned char *p = f->p;
    char buf[FJ_MAX_NUMBER], *e;
    bool real = false;
    size_t n;

    if (*p == '-')
        p++;
    if (p < f->end && *p == '0')
        p++;
    else if (!fj_digits(f, &p))
        return NULL;
    if (p < f->end && fj_digit(*p))
        return NULL; /* a leading zero */
    if (p < f->end && *p == '.') {
        p++;
        real = true;
        if (!fj_digits(f, &p))
            return NULL;
    }
    if (p < f->end && (*p == 'e' || *p == 'E')) {
        p++;
        real = true;
        if (p < f->end && (*p == '+' || *p == '-'))
            p++;
        if (!fj_digits(f, &p))
            return NULL;
    }
    n = (size_t)(p - f->p);
    if (!real && n - (*f->p == '-') <= 18) {
        /* up to 18 digits cannot overflow: no strtoll (nor its locale and errno) needed */
        const unsigned char *d = f->p + (*f->p == '-');
        long long i = 0;

        if ((v = as_jv_new(f->arena, AS_JV_INTEGER)) == NULL)
            return NULL;
        for (; d < p; d++)
            i = i * 10 + (*d - '0');
        v->u.i = *f->p == '-' ? -i : i;
        f->p = p;
        return v;
    }
    if (n >= sizeof(buf))
        return NULL;
    memcpy(buf, f->p, n);
    buf[n] = '\0';
    errno = 0;
    if (!real) {
        long long i = strtoll(buf, &e, 10);
        if (errno == ERANGE || e != buf + n || (v = as_jv_new(f->arena, AS_JV_INTEGER)) == NULL)
            return NULL;
        v->u.i = i;
        f->p = p;
        return v;
    }
    double d = strtod(buf, &e);
    if (errno == ERANGE || e != buf + n || (v = as_jv_new(f->arena, AS_JV_REAL)) == NULL)
        return NULL;
    v->u.d = d;
    f->p = p;
    return v;
}

/* true, false or null: the word and no letter after it (jansson reads letters as one token). */
static bool fj_literal(struct fj *f, const char *word, size_t n)
{
    unsigned next;

    if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0)
        return false;
    next = f->p + n < f->end ? f->p[n] | 0x20 : 0;
    if (next >= 'a' && next <= 'z')
        return false;
    f->p += n;
    return true;
}

/* A literal value: the node of type t when the word is there, else NULL. */
static struct as_jv *fj_word(struct fj *f, const char *word, size_t n, enum as_jv_type t)
{
    return fj_literal(f, word, n) ? as_jv_new(f->arena, t) : NULL;
}

/*
 * Whitespace between tokens is looked at only where the byte expected is not
 * there: the API server's serializer writes none, so compact reviews never
 * enter fj_ws.
 */

/* Consumes c, after optional whitespace; false when it is not next. */
static inline bool fj_take(struct fj *f, unsigned char c)
{
    if (f->p < f->end && *f->p == c) {
        f->p++;
        return true;
    }
    if (f->p < f->end && fj_is_ws(*f->p)) {
        fj_ws(f);
        if (f->p < f->end && *f->p == c) {
            f->p++;
            return true;
        }
    }
    return false;
}

/*
 * At a container's opening byte: consumes it, and the closing byte too when
 * the container is empty (true then).
 */
static inline bool fj_open_empty(struct fj *f, unsigned char close)
{
    f->p++;
    return fj_take(f, close);
}

/* Where a container stands after one of its members or items. */
enum fj_next { FJ_MORE, FJ_DONE, FJ_BAD };

/* After a member or an item: the closing byte ends the container, a comma leads to the next. */
static inline enum fj_next fj_after_item(struct fj *f, unsigned char close)
{
    for (int pass = 0; pass < 2; pass++) {
        if (f->p >= f->end)
            return FJ_BAD;
        if (*f->p == ',') {
            f->p++;
            return FJ_MORE;
        }
        if (*f->p == close) {
            f->p++;
            return FJ_DONE;
        }
        if (pass > 0 || !fj_is_ws(*f->p))
            return FJ_BAD;
        fj_ws(f);
    }
    return FJ_BAD;
}

static bool fj_skip_value(struct fj *f);

/*
 * Duplicate keys are looked for only where a 64-bit Bloom filter of the
 * object's keys so far says one may be. A key's tag: its length and its last
 * 8 bytes (all of it when shorter, zeros after); equal keys have equal tags.
 * s may be read up to limit: a short key is one load when 8 bytes are there.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define FJ_FIRST_BYTES(n) (~0ull << (64 - 8 * (n))) /* of a load, the first n (1..7) bytes */
#else
#define FJ_FIRST_BYTES(n) (~0ull >> (64 - 8 * (n)))
#endif

static inline uint64_t fj_tag(const char *s, size_t len, const char *limit)
{
    uint64_t w = 0;

    if (len >= 8) {
        memcpy(&w, s + len - 8, sizeof(w));
    } else if (len > 0 && limit - s >= 8) {
        memcpy(&w, s, sizeof(w));
        w &= FJ_FIRST_BYTES(len);
    } else {
        unsigned char *b = (unsigned char *)&w;
        for (size_t i = 0; i < len; i++)
            b[i] = (unsigned char)s[i];
    }
    return w ^ (uint64_t)len << 56;
}

/* The bit of the filter that a tag sets. */
static inline uint64_t fj_bloom_bit(uint64_t tag)
{
    return 1ull << ((tag * 0x9E3779B97F4A7C15ull) >> 58);
}

/*
 * The keys of an object being skipped, kept to find a duplicate as jansson
 * does. A key stays raw (as it stands in the body) while the object's escaped
 * keys have FJ_ESC_SIMPLE escapes only: equal raw is then equal decoded. The
 * first key that needs decoding turns the object to decoded keys: the raw
 * escaped ones so far are decoded into scratch then, later escaped ones as
 * they come.
 */
struct fj_key {
    const char *s;
    uint32_t len;
    bool raw_escaped; /* s is the raw text, with FJ_ESC_SIMPLE escapes */
    uint64_t tag;
};

struct fj_keys {
    struct fj_key k[FJ_SKIP_KEYS];
    size_t n, used; /* keys; bytes of scratch taken */
    uint64_t bloom; /* fj_bloom_bit of every tag in k */
    bool decoded;
    char scratch[FJ_SKIP_SCRATCH];
};

/* Decodes key k (raw, escaped) into ks's scratch; false when it gives up. */
static bool fj_key_decode(struct fj_keys *ks, struct fj_key *k)
{
    size_t len;

    if (k->len > FJ_SKIP_SCRATCH - ks->used ||
        !fj_unescape((const unsigned char *)k->s, k->len, ks->scratch + ks->used, &len))
        return false;
    k->s = ks->scratch + ks->used;
    k->len = (uint32_t)len;
    k->raw_escaped = false;
    k->tag = fj_tag(k->s, len, ks->scratch + sizeof(ks->scratch));
    ks->used += len;
    return true;
}

/*
 * Reads the key after its opening quote into ks, checked as fj_string_copy
 * checks it; false when it gives up (a duplicate too: jansson's error).
 */
static inline bool fj_skip_key(struct fj *f, struct fj_keys *ks)
{
    struct fj_key *k = &ks->k[ks->n];
    const char *raw_s;
    size_t raw;
    enum fj_esc esc;

    if (!fj_scan_string(f, &raw_s, &raw, &esc))
        return false;
    *k = (struct fj_key){raw_s, (uint32_t)raw, esc != FJ_ESC_NONE, 0}; /* raw < the body limit */
    uint64_t bit;

    if (esc == FJ_ESC_DECODE && !ks->decoded) {
        ks->bloom = 0;
        for (size_t i = 0; i < ks->n; i++) {
            if (ks->k[i].raw_escaped && !fj_key_decode(ks, &ks->k[i]))
                return false;
            ks->bloom |= fj_bloom_bit(ks->k[i].tag);
        }
        ks->decoded = true;
    }
    if (esc != FJ_ESC_NONE && ks->decoded) {
        if (!fj_key_decode(ks, k))
            return false;
    } else {
        k->tag = fj_tag(raw_s, raw, (const char *)f->end);
    }
    bit = fj_bloom_bit(k->tag);
    if (ks->bloom & bit)
        for (size_t i = 0; i < ks->n; i++)
            if (ks->k[i].tag == k->tag && ks->k[i].len == k->len &&
                memcmp(ks->k[i].s, k->s, k->len) == 0)
                return false;
    ks->bloom |= bit;
    ks->n++;
    return true;
}

/* Checks the \u escapes of a scanned string by decoding it (aside); false when it gives up. */
__attribute__((noinline)) static bool fj_check_decode(const char *raw_s, size_t raw)
{
    char tmp[FJ_SKIP_SCRATCH];
    size_t len;

    return raw <= sizeof(tmp) && fj_unescape((const unsigned char *)raw_s, raw, tmp, &len);
}

/* Reads a string value after its opening quote without building it, checked as fj_string_copy
 * checks it. */
static inline bool fj_skip_string(struct fj *f)
{
    const char *raw_s;
    size_t raw;
    enum fj_esc esc;

    return fj_scan_string(f, &raw_s, &raw, &esc) &&
           (esc != FJ_ESC_DECODE || fj_check_decode(raw_s, raw));
}

/* Skips an object (f->p at '{'), refusing duplicate keys as jansson does. */
static bool fj_skip_object(struct fj *f)
{
    struct fj_keys ks; /* no initializer: only n, used and decoded need one */
    enum fj_next next = FJ_MORE;

    if (fj_open_empty(f, '}'))
        return true;
    ks.n = 0;
    ks.used = 0;
    ks.bloom = 0;
    ks.decoded = false;
    while (next == FJ_MORE) {
        if (ks.n == FJ_SKIP_KEYS || !fj_take(f, '"') || !fj_skip_key(f, &ks))
            return false;
        /* most members of a managedFields entry are "key":{} with a comma or the end next */
        if (f->end - f->p >= 4 && memcmp(f->p, ":{}", 3) == 0 &&
            (f->p[3] == ',' || f->p[3] == '}')) {
            next = f->p[3] == ',' ? FJ_MORE : FJ_DONE;
            f->p += 4;
            continue;
        }
        if (!fj_take(f, ':'))
            return false;
        if (f->end - f->p >= 2 && f->p[0] == '{' && f->p[1] == '}')
            f->p += 2; /* no frame for an empty object */
        else if (!fj_skip_value(f))
            return false;
        next = fj_after_item(f, '}');
    }
    return next == FJ_DONE;
}

/* Skips an array (f->p at '['). */
static bool fj_skip_array(struct fj *f)
{
    enum fj_next next = FJ_MORE;

    if (fj_open_empty(f, ']'))
        return true;
    while (next == FJ_MORE) {
        if (!fj_skip_value(f))
            return false;
        next = fj_after_item(f, ']');
    }
    return next == FJ_DONE;
}

/* Checks one value at f->p (after optional whitespace) as fj_value reads it; builds nothing. */
static bool fj_skip_value(struct fj *f)
{
    bool ok = false;

    if (f->p >= f->end || f->depth >= FJ_MAX_DEPTH || f->depth >= FJ_METADATA_DEPTH + FJ_SKIP_DEPTH)
        return false;
    f->depth++;
    if (fj_is_ws(*f->p))
        fj_ws(f);
    switch (f->p < f->end ? *f->p : 0) {
    case '{':
        /* most objects of a managedFields list are {}: no frame for them */
        if (f->end - f->p >= 2 && f->p[1] == '}') {
            f->p += 2;
            ok = true;
        } else {
            ok = fj_skip_object(f);
        }
        break;
    case '[':
        ok = fj_skip_array(f);
        break;
    case '"':
        f->p++;
        ok = fj_skip_string(f);
        break;
    case 't':
        ok = fj_literal(f, "true", 4);
        break;
    case 'f':
        ok = fj_literal(f, "false", 5);
        break;
    case 'n':
        ok = fj_literal(f, "null", 4);
        break;
    default:
        /* numbers are rare here: read one as usual for jansson's range checks */
        if (f->p < f->end && (*f->p == '-' || fj_digit(*f->p)))
            ok = fj_number(f) != NULL;
        break;
    }
    f->depth--;
    return ok;
}

/* True when s (len bytes) is the NUL-terminated word w. */
static bool fj_is(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && memcmp(s, w, len) == 0;
}

/*
 * Records whether the member with this key (in an object at f->depth) is on
 * the way to a managedFields to drop; true when it is that managedFields.
 */
static bool fj_drops(struct fj *f, const char *key, size_t klen)
{
    unsigned d = f->depth;

    if (!f->drop_managed || d == 0 || d > FJ_METADATA_DEPTH)
        return false;
    if (d == FJ_METADATA_DEPTH)
        return f->on_path[1] && f->on_path[2] && f->on_path[3] && fj_is(key, klen, "managedFields");
    f->on_path[d] = d == 1   ? fj_is(key, klen, "request")
                    : d == 2 ? fj_is(key, klen, "object") || fj_is(key, klen, "oldObject")
                             : fj_is(key, klen, "metadata");
    return false;
}

/*
 * Reads one "key": value member onto obj (*tail: where its next member
 * links); false when it gives up (a duplicate key too).
 */
static bool fj_member(struct fj *f, struct as_jv *obj, struct as_jv ***tail, uint64_t *bloom)
{
    const char *key;
    size_t klen;
    struct as_jv *v;
    uint64_t bit;

    if (obj->n >= FJ_MAX_MEMBERS || !fj_take(f, '"'))
        return false;
    if (!fj_string_copy(f, &key, &klen))
        return false;
    if (fj_drops(f, key, klen)) {
        /* checked but left out; a second one is jansson's duplicate error */
        bool ok = !f->managed_seen && fj_take(f, ':') && fj_skip_value(f);
        f->managed_seen = true;
        return ok;
    }
    /* the arena gives a key of under 8 bytes at least 8 (AS_JV_ALIGN) */
    bit = fj_bloom_bit(fj_tag(key, klen, key + (klen < 8 ? 8 : klen)));
    if (((*bloom & bit) && as_jv_getn(obj, key, klen) != NULL) || !fj_take(f, ':') ||
        (v = fj_item(f)) == NULL)
        return false;
    *bloom |= bit;
    v->key = key;
    v->key_len = (uint32_t)klen; /* klen < AS_REVIEW_MAX_BODY */
    **tail = v;
    *tail = &v->next;
    obj->n++;
    return true;
}

/* An object (f->p at '{'). */
static struct as_jv *fj_object(struct fj *f)
{
    struct as_jv *obj = as_jv_new(f->arena, AS_JV_OBJECT), **tail;
    enum fj_next next = FJ_MORE;
    uint64_t bloom = 0; /* of the keys so far (fj_tag) */

    if (f->depth == FJ_METADATA_DEPTH)
        f->managed_seen = false;
    if (obj == NULL)
        return NULL;
    tail = &obj->u.first;
    if (fj_open_empty(f, '}'))
        return obj;
    while (next == FJ_MORE && fj_member(f, obj, &tail, &bloom))
        next = fj_after_item(f, '}');
    return next == FJ_DONE ? obj : NULL;
}

/* An array (f->p at '['). */
static struct as_jv *fj_array(struct fj *f)
{
    struct as_jv *arr = as_jv_new(f->arena, AS_JV_ARRAY), **tail, *v;
    enum fj_next next = FJ_MORE;

    if (f->depth < FJ_METADATA_DEPTH)
        f->on_path[f->depth] = false; /* an array's items are never on the way */
    if (arr == NULL)
        return NULL;
    tail = &arr->u.first;
    if (fj_open_empty(f, ']'))
        return arr;
    while (next == FJ_MORE && arr->n < UINT32_MAX && (v = fj_item(f)) != NULL) {
        *tail = v;
        tail = &v->next;
        arr->n++;
        next = fj_after_item(f, ']');
    }
    return next == FJ_DONE ? arr : NULL;
}

/* Any value at f->p, after optional whitespace. */
static struct as_jv *fj_value(struct fj *f)
{
    struct as_jv *v = NULL;

    if (f->p >= f->end || f->depth >= FJ_MAX_DEPTH)
        return NULL;
    f->depth++;
    if (fj_is_ws(*f->p))
        fj_ws(f);
    switch (f->p < f->end ? *f->p : 0) {
    case '{':
        v = fj_object(f);
        break;
    case '[':
        v = fj_array(f);
        break;
    case '"':
        v = fj_string(f);
        break;
    case 't':
        v = fj_word(f, "true", 4, AS_JV_TRUE);
        break;
    case 'f':
        v = fj_word(f, "false", 5, AS_JV_FALSE);
        break;
    case 'n':
        v = fj_word(f, "null", 4, AS_JV_NULL);
        break;
    default:
        if (f->p < f->end && (*f->p == '-' || fj_digit(*f->p)))
            v = fj_number(f);
        break;
    }
    f->depth--;
    return v;
}

const struct as_jv *as_review_json_fast(const char *body, size_t len, bool drop_managed,
                                        struct as_jv_arena *arena)
{
    struct fj f = {.drop_managed = drop_managed, .arena = arena};
    struct as_jv *v;

    if (body == NULL || len > AS_REVIEW_MAX_BODY)
        return NULL;
    f.p = (const unsigned char *)body;
    f.end = f.p + len;
    fj_ws(&f);
    v = fj_value(&f);
    fj_ws(&f);
    return f.p == f.end ? v : NULL; /* nothing may follow the value */
}

/* Deletes request.<which>.metadata.managedFields from a parsed review, if there. */
static void drop_managed_fields(json_t *doc, const char *which)
{
    json_t *meta =
        json_object_get(json_object_get(json_object_get(doc, "request"), which), "metadata");

    if (json_is_object(meta))
        json_object_del(meta, "managedFields");
}

as_status as_review_json_parse(const char *body, size_t len, bool drop_managed,
                               struct as_jv_arena *arena, const struct as_jv **out,
                               struct as_error *err)
{
    const struct as_jv *v = as_review_json_fast(body, len, drop_managed, arena);
    json_t *doc = NULL;
    as_status st;

    if (v != NULL) {
        *out = v;
        return AS_OK;
    }
    st = as_json_parse(body, len, AS_REVIEW_MAX_BODY, &doc, err);
    if (st != AS_OK)
        return st;
    if (drop_managed) { /* the same tree, whichever reader made it */
        drop_managed_fields(doc, "object");
        drop_managed_fields(doc, "oldObject");
    }
    v = as_jv_from_json(arena, doc);
    json_decref(doc);
    if (v == NULL)
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    *out = v;
    return AS_OK;
}

as_status as_review_json_string(struct as_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s, *end = p + len, *run = p;
    as_status st = as_buf_append(out, "\"", 1);

    while (st == AS_OK && p < end) {
        unsigned c = *p;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        size_t n = 6;

        if (c >= 0x80) {
            size_t u = fj_utf8(p, end);
            if (u == 0)
                return AS_E_INVALID_ARG; /* jansson refuses invalid UTF-8 too */
            p += u;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            p++;
            continue;
        }
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' ||
            c == '\t') {
            esc[1] = c == '"'    ? '"'
                     : c == '\\' ? '\\'
                     : c == '\b' ? 'b'
                     : c == '\f' ? 'f'
                     : c == '\n' ? 'n'
                     : c == '\r' ? 'r'
                                 : 't';
            n = 2;
        }
        st = as_buf_append(out, run, (size_t)(p - run));
        if (st == AS_OK)
            st = as_buf_append(out, esc, n);
        run = ++p;
    }
    if (st == AS_OK)
        st = as_buf_append(out, run, (size_t)(p - run));
    return st == AS_OK ? as_buf_append(out, "\"", 1) : st;
}
