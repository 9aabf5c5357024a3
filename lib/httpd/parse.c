/*
 * parse.c - the HTTP/1.x request-head parser and the reason-phrase table
 * (see httpd.h). Pure: no I/O, no allocation; it reads buf and writes req.
 *
 * The parser only ever looks at the first `max` bytes of the buffer, so its
 * answer is a function of those bytes alone: a prefix of a stream gives MORE
 * or the same verdict as the whole stream (tests/fuzz/fuzz_httpd_request.c
 * checks this).
 */
#include <string.h>
#include <strings.h>

#include "httpd/httpd.h"

#define CONTENT_LENGTH_DIGITS 18 /* keeps the value far below ULLONG_MAX */

/* Scanner state over the first `view` bytes of the buffer. */
struct scan {
    const char *buf;
    size_t view; /* min(len, max) */
    size_t pos;  /* start of the next unread line */
    struct as_httpd_request *req;
    int hosts;                  /* Host fields seen */
    bool cl_seen, te_seen;      /* Content-Length / Transfer-Encoding seen */
    unsigned long long cl;      /* the Content-Length value */
    bool conn_close, conn_keep; /* Connection tokens seen */
};

/* RFC 9110 tchar: the characters of methods and field names. */
static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A byte allowed in a field value: HTAB, SP, visible ASCII, obs-text. */
static bool is_field_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Sets the rejection and returns REJECT. */
static enum as_httpd_head reject(struct as_httpd_request *req, int status, const char *why)
{
    req->status = status;
    req->why = why;
    return AS_HTTPD_HEAD_REJECT;
}

/*
 * Finds the next complete line from s->pos: sets [*start, *end) without the
 * LF and one CR before it, moves s->pos past the LF. False when no LF is left
 * in the view.
 */
static bool next_line(struct scan *s, size_t *start, size_t *end)
{
    const char *nl = memchr(s->buf + s->pos, '\n', s->view - s->pos);
    size_t e;

    if (!nl)
        return false;
    e = (size_t)(nl - s->buf);
    *start = s->pos;
    s->pos = e + 1;
    if (e > *start && s->buf[e - 1] == '\r')
        e--;
    *end = e;
    return true;
}

/* True when n equals strlen(lit) and p matches lit ignoring ASCII case. */
static bool name_is(const char *p, size_t n, const char *lit)
{
    return n == strlen(lit) && strncasecmp(p, lit, n) == 0;
}

/*
 * Sets req->path from the request target t[0..n): see struct as_httpd_request.
 */
static void target_path(struct as_httpd_request *req, const char *t, size_t n)
{
    size_t i = 0, skip = 0;

    if (n > 0 && t[0] != '/') {
        if (n >= 7 && strncasecmp(t, "http://", 7) == 0)
            skip = 7;
        else if (n >= 8 && strncasecmp(t, "https://", 8) == 0)
            skip = 8;
        if (!skip) {
            req->path = t;
            req->path_len = n;
            return;
        }
        i = skip;
        while (i < n && t[i] != '/' && t[i] != '?' && t[i] != '#')
            i++;
        if (i == n || t[i] != '/') {
            req->path = "/";
            req->path_len = 1;
            return;
        }
    }
    req->path = t + i;
    while (i < n && t[i] != '?' && t[i] != '#')
        i++;
    req->path_len = (size_t)(t + i - req->path);
}

/*
 * Parses "METHOD SP target SP HTTP/1.x" (exactly one SP each). Returns DONE
 * (meaning: fine so far) or REJECT with 400, or 505 for another version.
 */
static enum as_httpd_head request_line(struct as_httpd_request *req, const char *p, size_t n)
{
    const char *end = p + n, *m = p, *t;

    while (p < end && is_tchar((unsigned char)*p))
        p++;
    if (p == m || p == end || *p != ' ')
        return reject(req, 400, "malformed request line");
    req->method = m;
    req->method_len = (size_t)(p - m);
    t = ++p;
    while (p<end && * p> 0x20 && *p < 0x7f)
        p++;
    if (p == t || p == end || *p != ' ')
        return reject(req, 400, "malformed request line");
    target_path(req, t, (size_t)(p - t));
    p++;
    if (end - p != 8 || memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' || p[6] != '.' ||
        p[7] < '0' || p[7] > '9')
        return reject(req, 400, "malformed HTTP version");
    if (p[5] != '1')
        return reject(req, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
    req->minor = p[7] - '0';
    return AS_HTTPD_HEAD_DONE;
}

/* Records the Connection tokens of one field value (a comma-separated list). */
static void connection_tokens(struct scan *s, const char *v, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t a, b;

        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        a = i;
        while (i < n && v[i] != ',')
            i++;
        b = i;
        while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
            b--;
        if (name_is(v + a, b - a, "close"))
            s->conn_close = true;
        else if (name_is(v + a, b - a, "keep-alive"))
            s->conn_keep = true;
    }
}

/* Records a Content-Length value: 1*DIGIT, equal to any earlier one. */
static enum as_httpd_head content_length(struct scan *s, const char *v, size_t n)
{
    unsigned long long x = 0;

    if (n == 0 || n > CONTENT_LENGTH_DIGITS)
        return reject(s->req, 400, "malformed Content-Length");
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return reject(s->req, 400, "malformed Content-Length");
        x = x * 10 + (unsigned)(v[i] - '0');
    }
    if (s->cl_seen && x != s->cl)
        return reject(s->req, 400, "conflicting Content-Length fields");
    s->cl_seen = true;
    s->cl = x;
    return AS_HTTPD_HEAD_DONE;
}

/* Parses one header field line "name: value" and records what matters. */
static enum as_httpd_head field_line(struct scan *s, const char *p, size_t n)
{
    size_t i = 0, v, e;

    if (p[0] == ' ' || p[0] == '\t')
        return reject(s->req, 400, "obsolete line folding is not accepted");
    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i == n || p[i] != ':')
        return reject(s->req, 400, "malformed header field");
    v = i + 1;
    e = n;
    while (v < e && (p[v] == ' ' || p[v] == '\t'))
        v++;
    while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'))
        e--;
    for (size_t k = v; k < e; k++)
        if (!is_field_char((unsigned char)p[k]))
            return reject(s->req, 400, "control character in a header field");
    if (name_is(p, i, "host"))
        s->hosts++;
    else if (name_is(p, i, "content-length"))
        return content_length(s, p + v, e - v);
    else if (name_is(p, i, "transfer-encoding"))
        s->te_seen = true;
    else if (name_is(p, i, "expect"))
        s->req->expect_continue = name_is(p + v, e - v, "100-continue");
    else if (name_is(p, i, "content-type")) {
        s->req->content_type = p + v;
        s->req->content_type_len = e - v;
    } else if (name_is(p, i, "connection"))
        connection_tokens(s, p + v, e - v);
    return AS_HTTPD_HEAD_DONE;
}

/*
 * Checks the bytes of an unterminated line: a request line may hold only
 * printable ASCII and must start with a method character; a field line may
 * not hold control characters other than HTAB. A CR is allowed as the last
 * byte (its LF may follow). Lets garbage (a TLS hello, binary) be rejected
 * before it fills the buffer.
 */
static bool partial_ok(const char *p, size_t n, bool request_line)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c == '\r' && i == n - 1)
            return true;
        if (request_line && (i == 0 ? !is_tchar(c) : (c < 0x20 || c >= 0x7f)))
            return false;
        if (!request_line && !is_field_char(c))
            return false;
    }
    return true;
}

/* No complete head in the view: 400 for garbage in the tail, 431 when full, else MORE. */
static enum as_httpd_head need_more(struct scan *s, size_t len, size_t max, bool request_line)
{
    if (!partial_ok(s->buf + s->pos, s->view - s->pos, request_line))
        return reject(s->req, 400,
                      request_line ? "malformed request line" : "malformed header field");
    if (len >= max)
        return reject(s->req, 431, "request head too large");
    return AS_HTTPD_HEAD_MORE;
}

/* The head ended at s->pos: checks Host and derives keep_alive and has_body. */
static enum as_httpd_head finish(struct scan *s)
{
    struct as_httpd_request *req = s->req;

    if (s->hosts > 1 || (req->minor >= 1 && s->hosts == 0))
        return reject(req, 400, "an HTTP/1.1 request needs exactly one Host header");
    req->head_len = s->pos;
    req->has_body = s->te_seen || s->cl > 0;
    req->transfer_encoding = s->te_seen;
    req->content_length = s->cl;
    req->keep_alive = !s->conn_close && (req->minor >= 1 || s->conn_keep);
    return AS_HTTPD_HEAD_DONE;
}

enum as_httpd_head as_httpd_parse_head(const char *buf, size_t len, size_t max,
                                       struct as_httpd_request *req)
{
    struct scan s;
    enum as_httpd_head r;
    size_t a, b;

    memset(req, 0, sizeof *req);
    memset(&s, 0, sizeof s);
    s.buf = buf;
    s.view = len < max ? len : max;
    s.req = req;
    /* RFC 9112 2.2: ignore empty lines before the request line. */
    for (;;) {
        if (s.pos < s.view && buf[s.pos] == '\n')
            s.pos++;
        else if (s.pos + 1 < s.view && buf[s.pos] == '\r' && buf[s.pos + 1] == '\n')
            s.pos += 2;
        else
            break;
    }
    if (!next_line(&s, &a, &b))
        return need_more(&s, len, max, true);
    r = request_line(req, buf + a, b - a);
    if (r != AS_HTTPD_HEAD_DONE)
        return r;
    while (next_line(&s, &a, &b)) {
        if (a == b)
            return finish(&s);
        r = field_line(&s, buf + a, b - a);
        if (r != AS_HTTPD_HEAD_DONE)
            return r;
    }
    return need_more(&s, len, max, false);
}

/* The reason phrases of RFC 9110 for the codes a scrape or probe server may send. */
static const struct {
    int status;
    const char *reason;
} reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

const char *as_httpd_reason(int status)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return "";
}
