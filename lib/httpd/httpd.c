/*
 * httpd.c - the server of httpd.h: binding listeners, the "httpd" thread's
 * poll loop, per-connection state (read head -> write response -> read the
 * next head or linger) and response heads.
 *
 * One thread, no locks: only as_httpd_start (before the thread exists) and
 * as_httpd_stop (after an atomic flag and a self-pipe byte, then join) touch
 * the server from outside. Every socket is non-blocking; sends use
 * MSG_NOSIGNAL so a client that vanishes cannot raise SIGPIPE.
 */
#define _GNU_SOURCE /* pthread_setname_np, accept4, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "httpd/httpd.h"

#define READ_CHUNK 4096 /* bytes read per recv */
#define RESPONSE_HEAD_MAX 2048
#define LINGER_MAX_MS 1000  /* how long a closing connection's input is drained */
#define ACCEPT_PAUSE_MS 100 /* after EMFILE and friends */
#define MAX_CLIENTS_LIMIT 65536
#define MIN_REQUEST 64
#define HOST_MAX 256

enum conn_state {
    CONN_READ,   /* waiting for (the rest of) a request head */
    CONN_WRITE,  /* sending head + body */
    CONN_LINGER, /* response sent and write side shut: discarding input until EOF */
    CONN_CLOSED, /* to be swept out of the table */
};

struct conn {
    int fd;
    size_t listener;
    enum conn_state state;
    struct as_buf in;   /* received, not yet consumed; max = max_request */
    size_t scanned;     /* in.len when the parser last said MORE */
    struct as_buf head; /* response head */
    struct as_buf body; /* response body (empty for HEAD) */
    size_t sent;        /* bytes of head + body sent */
    bool close_after;
    long long deadline; /* monotonic ms */
};

struct listener {
    int fd;
    int port;
};

struct as_httpd {
    as_httpd_handler handler;
    void *ctx;
    size_t max_request, max_response, max_clients;
    long timeout_ms;
    struct listener *ls;
    size_t n_ls;
    struct conn *conns; /* max_clients slots, the first n_conns used */
    size_t n_conns;
    struct pollfd *pfds; /* 1 + n_ls + max_clients */
    int wake[2];         /* self-pipe: as_httpd_stop writes, the thread polls */
    atomic_bool stop;
    bool running;
    pthread_t thread;
    long long accept_paused_until;
    struct as_buf path; /* the NUL-terminated path handed to the handler */
};

static long long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- binding ---- */

/* A hint for a bind/listen errno, appended to the error message. */
static const char *bind_hint(int e)
{
    switch (e) {
    case EADDRINUSE:
        return "; another process listens there: stop it or choose another port";
    case EACCES:
        return "; ports below 1024 need CAP_NET_BIND_SERVICE: choose port 1024 or higher";
    case EADDRNOTAVAIL:
        return "; no interface has that address: use :PORT for every interface";
    default:
        return "";
    }
}

/*
 * Splits "HOST:PORT", ":PORT" or "[V6]:PORT" into host (empty for ":PORT")
 * and the port number. AS_E_CONFIG with err naming the address otherwise.
 */
static as_status split_addr(const char *addr, const char *name, char *host, size_t hostsz,
                            int *port, struct as_error *err)
{
    const char *colon, *h = addr, *hend;
    char *end = NULL;
    long p;

    if (addr[0] == '[') {
        h = addr + 1;
        hend = strchr(h, ']');
        colon = hend ? hend + 1 : NULL;
        if (!hend || *colon != ':')
            return as_error_set(err, AS_E_CONFIG, "%s %s: expected [IPV6]:PORT", name, addr);
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return as_error_set(err, AS_E_CONFIG, "%s %s: expected HOST:PORT, :PORT or [IPV6]:PORT",
                                name, addr);
        hend = colon;
        if (memchr(addr, ':', (size_t)(hend - addr)))
            return as_error_set(err, AS_E_CONFIG,
                                "%s %s: an IPv6 address needs brackets, as in [::1]:9000", name,
                                addr);
    }
    if ((size_t)(hend - h) >= hostsz)
        return as_error_set(err, AS_E_CONFIG, "%s %s: host is too long", name, addr);
    errno = 0;
    p = strtol(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || p < 0 || p > 65535)
        return as_error_set(err, AS_E_CONFIG, "%s %s: port must be a number from 0 to 65535", name,
                            addr);
    memcpy(host, h, (size_t)(hend - h));
    host[hend - h] = '\0';
    *port = (int)p;
    return AS_OK;
}

/*
 * A non-blocking, close-on-exec listening socket on sa (SO_REUSEADDR; with
 * dual_stack, IPV6_V6ONLY off). Returns the fd, or -1 with errno set.
 */
static int listen_sockaddr(const struct sockaddr *sa, socklen_t salen, bool dual_stack)
{
    int one = 1, zero = 0, saved;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        (dual_stack && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0) ||
        bind(fd, sa, salen) < 0 || listen(fd, SOMAXCONN) < 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Listens on every interface: [::] dual-stack, or 0.0.0.0 when IPv6 is unavailable. */
static int listen_wildcard(int port)
{
    struct sockaddr_in6 s6;
    struct sockaddr_in s4;
    int fd;

    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    s6.sin6_addr = in6addr_any;
    s6.sin6_port = htons((unsigned short)port);
    fd = listen_sockaddr((const struct sockaddr *)&s6, sizeof s6, true);
    if (fd >= 0 || (errno != EAFNOSUPPORT && errno != EPROTONOSUPPORT && errno != EADDRNOTAVAIL))
        return fd;
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    s4.sin_addr.s_addr = htonl(INADDR_ANY);
    s4.sin_port = htons((unsigned short)port);
    return listen_sockaddr((const struct sockaddr *)&s4, sizeof s4, false);
}

/* Resolves host (numeric or a name) and listens on the first address that binds. */
static as_status listen_host(const char *host, int port, const char *name, const char *addr,
                             int *fd_out, struct as_error *err)
{
    struct addrinfo hints, *res = NULL;
    char portstr[8];
    int rc, fd = -1, e = EADDRNOTAVAIL;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof portstr, "%d", port);
    rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0)
        return as_error_set(err, AS_E_CONFIG, "%s %s: cannot resolve host \"%s\": %s", name, addr,
                            host, gai_strerror(rc));
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = listen_sockaddr(ai->ai_addr, ai->ai_addrlen, false);
        if (fd < 0)
            e = errno;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return as_error_set(err, AS_E_IO, "%s %s: %s%s", name, addr, strerror(e), bind_hint(e));
    *fd_out = fd;
    return AS_OK;
}

/* Binds one address into l (fd and the bound port). */
static as_status listen_on(const char *addr, const char *name, struct listener *l,
                           struct as_error *err)
{
    char host[HOST_MAX];
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int port = 0, fd = -1, e;
    as_status st;

    st = split_addr(addr, name, host, sizeof host, &port, err);
    if (st != AS_OK)
        return st;
    if (host[0] == '\0') {
        fd = listen_wildcard(port);
        if (fd < 0) {
            e = errno;
            return as_error_set(err, AS_E_IO, "%s %s: %s%s", name, addr, strerror(e), bind_hint(e));
        }
    } else {
        st = listen_host(host, port, name, addr, &fd, err);
        if (st != AS_OK)
            return st;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                              : ((struct sockaddr_in *)&ss)->sin_port);
    l->fd = fd;
    l->port = port;
    return AS_OK;
}

/* ---- connections ---- */

/* Closes the socket and frees the buffers; the slot is swept later. */
static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    as_buf_free(&c->in);
    as_buf_free(&c->head);
    as_buf_free(&c->body);
    c->state = CONN_CLOSED;
}

/* Appends "Date: <IMF-fixdate>\r\n" for now. */
static as_status append_date(struct as_buf *b)
{
    char date[64];
    struct tm tm;
    time_t now = time(NULL);

    if (!gmtime_r(&now, &tm) || strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
        return AS_OK;
    return as_buf_appendf(b, "Date: %s\r\n", date);
}

/*
 * Writes the response head for c->body into c->head. content_length < 0
 * omits Content-Length (204, 304). AS_E_LIMIT when it does not fit.
 */
static as_status build_head(struct conn *c, int status, const char *type, long long content_length,
                            int minor, bool allow)
{
    struct as_buf *b = &c->head;
    as_status st;

    as_buf_reset(b);
    st = as_buf_appendf(b, "HTTP/1.1 %d %s\r\n", status, as_httpd_reason(status));
    if (st == AS_OK)
        st = append_date(b);
    if (st == AS_OK && content_length >= 0)
        st =
            as_buf_appendf(b, "Content-Type: %s\r\nContent-Length: %lld\r\n", type, content_length);
    if (st == AS_OK && allow)
        st = as_buf_append_str(b, "Allow: GET, HEAD\r\n");
    if (st == AS_OK && c->close_after)
        st = as_buf_append_str(b, "Connection: close\r\n");
    else if (st == AS_OK && minor == 0)
        st = as_buf_append_str(b, "Connection: keep-alive\r\n");
    if (st == AS_OK)
        st = as_buf_append_str(b, "\r\n");
    return st;
}

/* Prepares a plain-text response generated by the server itself ("why\n"). */
static void error_response(struct conn *c, int status, const char *why, int minor)
{
    as_buf_reset(&c->body);
    if (as_buf_appendf(&c->body, "%s\n", why) != AS_OK)
        as_buf_reset(&c->body);
    if (build_head(c, status, "text/plain; charset=utf-8", (long long)c->body.len, minor,
                   status == 405) != AS_OK)
        conn_close(c);
}

/* True when the handler's answer can be sent as it is. */
static bool response_ok(const struct as_httpd_response *r)
{
    if (r->status < 200 || r->status > 599 || !r->content_type)
        return false;
    for (const char *p = r->content_type; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Calls the handler for a GET or HEAD of req->path and prepares its response. */
static void call_handler(struct as_httpd *h, struct conn *c, const struct as_httpd_request *req,
                         bool is_head)
{
    struct as_httpd_response resp = {
        .status = 200, .content_type = "text/plain; charset=utf-8", .listener = c->listener};
    bool bodiless;

    as_buf_init(&resp.body, h->max_response);
    as_buf_reset(&h->path);
    if (as_buf_append(&h->path, req->path, req->path_len) != AS_OK || !h->path.data) {
        c->close_after = true;
        error_response(c, 500, "out of memory", req->minor);
        return;
    }
    h->handler(is_head ? "HEAD" : "GET", h->path.data, &resp, h->ctx);
    if (!response_ok(&resp)) {
        as_buf_free(&resp.body);
        error_response(c, 500, "the handler gave an invalid response", req->minor);
        return;
    }
    as_buf_free(&c->body);
    c->body = resp.body; /* the connection owns it now */
    bodiless = resp.status == 204 || resp.status == 304;
    if (build_head(c, resp.status, resp.content_type, bodiless ? -1 : (long long)c->body.len,
                   req->minor, false) != AS_OK) {
        error_response(c, 500, "the response head is too large", req->minor);
        return;
    }
    if (is_head || bodiless)
        as_buf_free(&c->body);
}

/* Answers one parsed request: 405, 400 for a target that is no path, or the handler. */
static void answer(struct as_httpd *h, struct conn *c, const struct as_httpd_request *req)
{
    bool get = req->method_len == 3 && memcmp(req->method, "GET", 3) == 0;
    bool head = req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;

    c->close_after = !req->keep_alive || req->has_body || atomic_load(&h->stop);
    if (!get && !head)
        error_response(c, 405, "method not allowed; use GET or HEAD", req->minor);
    else if (req->path_len == 0 || req->path[0] != '/') {
        c->close_after = true;
        error_response(c, 400, "the request target must be a path", req->minor);
    } else
        call_handler(h, c, req, head);
}

/*
 * Parses c->in and, when a head is complete or rejected, prepares the
 * response and switches to CONN_WRITE. False when more input is needed.
 * Re-parses only when new bytes hold a line end (or fill the buffer), so a
 * client trickling bytes costs one scan per line, not per byte.
 */
static bool conn_parse(struct as_httpd *h, struct conn *c)
{
    struct as_httpd_request req;
    enum as_httpd_head r;

    if (c->scanned > 0 && c->in.len < h->max_request &&
        !memchr(c->in.data + c->scanned, '\n', c->in.len - c->scanned))
        return false;
    r = as_httpd_parse_head(c->in.data, c->in.len, h->max_request, &req);
    if (r == AS_HTTPD_HEAD_MORE) {
        c->scanned = c->in.len;
        return false;
    }
    c->scanned = 0;
    if (r == AS_HTTPD_HEAD_REJECT) {
        c->close_after = true;
        error_response(c, req.status, req.why, 1);
        as_buf_reset(&c->in);
    } else {
        answer(h, c, &req);
        as_buf_consume(&c->in, req.head_len);
    }
    if (c->state == CONN_CLOSED)
        return false;
    c->state = CONN_WRITE;
    c->sent = 0;
    c->deadline = mono_ms() + h->timeout_ms;
    return true;
}

/* Sends what it can of head + body. True when all was sent; false when blocked or closed. */
static bool conn_flush(struct as_httpd *h, struct conn *c)
{
    size_t total = c->head.len + c->body.len;

    while (c->sent < total) {
        struct iovec iov[2];
        struct msghdr m;
        ssize_t w;

        memset(&m, 0, sizeof m);
        m.msg_iov = iov;
        if (c->sent < c->head.len) {
            iov[0].iov_base = c->head.data + c->sent;
            iov[0].iov_len = c->head.len - c->sent;
            iov[1].iov_base = c->body.data;
            iov[1].iov_len = c->body.len;
            m.msg_iovlen = c->body.len ? 2 : 1;
        } else {
            iov[0].iov_base = c->body.data + (c->sent - c->head.len);
            iov[0].iov_len = total - c->sent;
            m.msg_iovlen = 1;
        }
        w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                conn_close(c);
            return false;
        }
        c->sent += (size_t)w;
        c->deadline = mono_ms() + h->timeout_ms; /* a write stall, not a slow total, drops */
    }
    return true;
}

/* The response is out: next request (keep-alive) or shut the write side and linger. */
static void conn_finish(struct as_httpd *h, struct conn *c)
{
    long long linger = h->timeout_ms < LINGER_MAX_MS ? h->timeout_ms : LINGER_MAX_MS;

    as_buf_free(&c->body);
    as_buf_reset(&c->head);
    c->sent = 0;
    if (c->close_after) {
        shutdown(c->fd, SHUT_WR);
        as_buf_free(&c->in);
        c->state = CONN_LINGER;
        c->deadline = mono_ms() + linger;
        return;
    }
    c->state = CONN_READ;
    c->deadline = mono_ms() + h->timeout_ms;
}

/* Runs c as far as it goes without blocking: parse, respond, send, repeat for pipelining. */
static void conn_advance(struct as_httpd *h, struct conn *c)
{
    for (;;) {
        if (c->state == CONN_READ && (c->in.len == 0 || !conn_parse(h, c)))
            return;
        if (c->state != CONN_WRITE || !conn_flush(h, c))
            return;
        conn_finish(h, c);
        if (c->state != CONN_READ)
            return;
    }
}

/* Reads once into c->in, then advances. EOF or an error closes. */
static void conn_read(struct as_httpd *h, struct conn *c)
{
    char chunk[READ_CHUNK];
    size_t room = c->in.max - c->in.len;
    ssize_t n;

    if (room > sizeof chunk)
        room = sizeof chunk;
    n = room ? recv(c->fd, chunk, room, 0) : 0;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0 || as_buf_append(&c->in, chunk, (size_t)n) != AS_OK) {
        conn_close(c);
        return;
    }
    conn_advance(h, c);
}

/* Discards input of a lingering connection; EOF, an error or enough input closes it. */
static void conn_drain(struct conn *c)
{
    char junk[READ_CHUNK];

    for (int i = 0; i < 16; i++) {
        ssize_t n = recv(c->fd, junk, sizeof junk, 0);

        if (n > 0)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        break;
    }
    conn_close(c);
}

/* Handles poll events of one connection. */
static void conn_event(struct as_httpd *h, struct conn *c, short revents)
{
    if (revents & POLLNVAL)
        conn_close(c);
    else if (c->state == CONN_READ)
        conn_read(h, c);
    else if (c->state == CONN_WRITE)
        conn_advance(h, c);
    else if (c->state == CONN_LINGER)
        conn_drain(c);
}

/* ---- the loop ---- */

/* Accepts from listener i until the backlog is empty or every slot is taken. */
static void accept_some(struct as_httpd *h, size_t i)
{
    while (h->n_conns < h->max_clients) {
        struct conn *c;
        int fd = accept4(h->ls[i].fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                as_log_warn("httpd: cannot accept; pausing", "error", strerror(errno), NULL);
                h->accept_paused_until = mono_ms() + ACCEPT_PAUSE_MS;
            }
            return;
        }
        c = &h->conns[h->n_conns++];
        memset(c, 0, sizeof *c);
        c->fd = fd;
        c->listener = i;
        c->state = CONN_READ;
        as_buf_init(&c->in, h->max_request);
        as_buf_init(&c->head, RESPONSE_HEAD_MAX);
        as_buf_init(&c->body, h->max_response);
        c->deadline = mono_ms() + h->timeout_ms;
    }
}

/* Removes closed connections from the table (order does not matter). */
static void sweep(struct as_httpd *h)
{
    size_t i = 0;

    while (i < h->n_conns) {
        if (h->conns[i].state == CONN_CLOSED)
            h->conns[i] = h->conns[--h->n_conns];
        else
            i++;
    }
}

/* Closes connections past their deadline; returns ms until the next deadline, -1 if none. */
static int expire(struct as_httpd *h, long long now)
{
    long long next = -1;

    for (size_t i = 0; i < h->n_conns; i++) {
        struct conn *c = &h->conns[i];

        if (now >= c->deadline)
            conn_close(c);
        else if (next < 0 || c->deadline - now < next)
            next = c->deadline - now;
    }
    sweep(h);
    if (h->accept_paused_until > now && (next < 0 || h->accept_paused_until - now < next))
        next = h->accept_paused_until - now;
    return next > 60000 ? 60000 : (int)next;
}

/* Fills the poll set: wake pipe, listeners (only with a free slot), connections. */
static nfds_t fill_pollset(struct as_httpd *h, long long now)
{
    bool accepting = h->n_conns < h->max_clients && now >= h->accept_paused_until;
    nfds_t n = 0;

    h->pfds[n++] = (struct pollfd){.fd = h->wake[0], .events = POLLIN};
    for (size_t i = 0; i < h->n_ls; i++)
        h->pfds[n++] = (struct pollfd){.fd = accepting ? h->ls[i].fd : -1, .events = POLLIN};
    for (size_t i = 0; i < h->n_conns; i++) {
        struct conn *c = &h->conns[i];

        h->pfds[n++] =
            (struct pollfd){.fd = c->fd, .events = c->state == CONN_WRITE ? POLLOUT : POLLIN};
    }
    return n;
}

/* The "httpd" thread. */
static void *run(void *p)
{
    struct as_httpd *h = p;
    char drain[64];

    pthread_setname_np(pthread_self(), "httpd");
    while (!atomic_load(&h->stop)) {
        long long now = mono_ms();
        int timeout = expire(h, now);
        size_t polled = h->n_conns;
        nfds_t n = fill_pollset(h, now);

        if (poll(h->pfds, n, timeout) < 0) {
            if (errno != EINTR && errno != EAGAIN) {
                as_log_warn("httpd: poll failed; retrying", "error", strerror(errno), NULL);
                nanosleep(&(struct timespec){.tv_nsec = 100 * 1000000L}, NULL);
            }
            continue;
        }
        if (h->pfds[0].revents) {
            while (read(h->wake[0], drain, sizeof drain) > 0)
                ;
        }
        if (atomic_load(&h->stop))
            break;
        for (size_t i = 0; i < polled; i++)
            if (h->pfds[1 + h->n_ls + i].revents)
                conn_event(h, &h->conns[i], h->pfds[1 + h->n_ls + i].revents);
        sweep(h);
        for (size_t i = 0; i < h->n_ls; i++)
            if (h->pfds[1 + i].revents & POLLIN)
                accept_some(h, i);
    }
    return NULL;
}

/* ---- lifecycle ---- */

/* Closes and frees everything; the thread must not be running. NULL-safe. */
static void destroy(struct as_httpd *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_conns; i++)
        conn_close(&h->conns[i]);
    for (size_t i = 0; h->ls && i < h->n_ls; i++)
        if (h->ls[i].fd >= 0)
            close(h->ls[i].fd);
    for (int i = 0; i < 2; i++)
        if (h->wake[i] >= 0)
            close(h->wake[i]);
    as_buf_free(&h->path);
    free(h->ls);
    free(h->conns);
    free(h->pfds);
    free(h);
}

/* Checks the options; AS_E_INVALID_ARG naming the field. */
static as_status check_options(const struct as_httpd_options *o, struct as_error *err)
{
    if (!o || !o->handler)
        return as_error_set(err, AS_E_INVALID_ARG, "httpd: a handler is required");
    if (!o->addrs || o->n_addrs == 0)
        return as_error_set(err, AS_E_INVALID_ARG, "httpd: at least one address is required");
    for (size_t i = 0; i < o->n_addrs; i++)
        if (!o->addrs[i])
            return as_error_set(err, AS_E_INVALID_ARG, "httpd: addrs[%zu] is NULL", i);
    if (o->max_clients < 0 || o->max_clients > MAX_CLIENTS_LIMIT)
        return as_error_set(err, AS_E_INVALID_ARG, "httpd: max_clients must be 0 to %d",
                            MAX_CLIENTS_LIMIT);
    if (o->read_timeout_ms < 0)
        return as_error_set(err, AS_E_INVALID_ARG, "httpd: read_timeout_ms must not be negative");
    if (o->max_request != 0 && o->max_request < MIN_REQUEST)
        return as_error_set(err, AS_E_INVALID_ARG, "httpd: max_request must be 0 or at least %d",
                            MIN_REQUEST);
    return AS_OK;
}

/* Allocates h with the options' settings (defaults applied) and the self-pipe. */
static as_status create(const struct as_httpd_options *o, struct as_httpd **out,
                        struct as_error *err)
{
    struct as_httpd *h = calloc(1, sizeof *h);

    if (!h)
        return as_error_set(err, AS_E_NOMEM, "httpd: out of memory");
    h->wake[0] = h->wake[1] = -1;
    h->handler = o->handler;
    h->ctx = o->ctx;
    h->max_request = o->max_request ? o->max_request : AS_HTTPD_DEFAULT_MAX_REQUEST;
    h->max_response = o->max_response ? o->max_response : AS_HTTPD_DEFAULT_MAX_RESPONSE;
    h->timeout_ms = o->read_timeout_ms ? o->read_timeout_ms : AS_HTTPD_DEFAULT_READ_TIMEOUT_MS;
    h->max_clients = o->max_clients ? (size_t)o->max_clients : AS_HTTPD_DEFAULT_MAX_CLIENTS;
    as_buf_init(&h->path, h->max_request);
    atomic_init(&h->stop, false);
    h->ls = calloc(o->n_addrs, sizeof *h->ls);
    h->conns = calloc(h->max_clients, sizeof *h->conns);
    h->pfds = calloc(1 + o->n_addrs + h->max_clients, sizeof *h->pfds);
    if (!h->ls || !h->conns || !h->pfds) {
        destroy(h);
        return as_error_set(err, AS_E_NOMEM, "httpd: out of memory");
    }
    if (pipe2(h->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
        int e = errno;
        destroy(h);
        return as_error_set(err, AS_E_IO, "httpd: pipe: %s", strerror(e));
    }
    *out = h;
    return AS_OK;
}

/* Starts the thread with every signal blocked, so signals go to the program's own threads. */
static as_status start_thread(struct as_httpd *h, struct as_error *err)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&h->thread, NULL, run, h);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return as_error_set(err, AS_E_NOMEM, "httpd: cannot start a thread: %s", strerror(rc));
    h->running = true;
    return AS_OK;
}

as_status as_httpd_start(const struct as_httpd_options *o, struct as_httpd **out,
                         struct as_error *err)
{
    struct as_httpd *h = NULL;
    as_status st;

    st = check_options(o, err);
    if (st != AS_OK)
        goto out;
    st = create(o, &h, err);
    if (st != AS_OK)
        goto out;
    for (size_t i = 0; i < o->n_addrs; i++) {
        const char *name = o->names && o->names[i] ? o->names[i] : "listen address";

        st = listen_on(o->addrs[i], name, &h->ls[i], err);
        if (st != AS_OK)
            goto out;
        h->n_ls++;
    }
    st = start_thread(h, err);
out:
    if (st != AS_OK) {
        destroy(h);
        return st;
    }
    *out = h;
    return AS_OK;
}

int as_httpd_port(const struct as_httpd *h, size_t i)
{
    if (!h || i >= h->n_ls)
        return -1;
    return h->ls[i].port;
}

void as_httpd_stop(struct as_httpd *h)
{
    if (!h)
        return;
    atomic_store(&h->stop, true);
    if (h->running) {
        while (write(h->wake[1], "x", 1) < 0 && errno == EINTR)
            ;
        pthread_join(h->thread, NULL);
        h->running = false;
    }
    destroy(h);
}
