/*
 * flags_client.c - lab 8's side of a download: one libcurl easy handle set
 * up for one flag, and what its end comes to. Every mode goes through
 * here, so they differ only in how they wait: the sequential, threads and
 * futures modes call flags_fetch (set up, curl_easy_perform, finish); the
 * loop and coro modes set transfers up here, run them on a multi handle,
 * and finish them here as they end.
 *
 * How a transfer's end is judged (flags_xfer_finish):
 *   200 and the body is flags_body(code), byte for byte    ok
 *   404                                                    not found
 *   any other status                                       error: http status
 *   closed before a whole answer (no reply, reset, short)  error: dropped
 *   the time-out                                           error: timed out
 *   no connection                                          error: no connection
 *   200 with another body, or more than FLAGS_BODY_MAX     error: wrong body
 *   anything else curl says (a reply that is not HTTP)     error: other
 *
 * None of this calls curl_global_init: the caller has (lab 8's init
 * exercise is about exactly that).
 */
#include "flags.h"

#include "racelab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char *const outcome_names[FLAGS_OUTCOMES] = {"ok", "not found", "error"};
static const char *const error_names[FLAGS_ERRORS] = {
    "none", "http status", "dropped", "timed out", "no connection", "wrong body", "other",
};

const char *flags_outcome_name(enum flags_outcome o)
{
    return (int)o >= 0 && o < FLAGS_OUTCOMES ? outcome_names[o] : "?";
}

const char *flags_error_name(enum flags_error e)
{
    return (int)e >= 0 && e < FLAGS_ERRORS ? error_names[e] : "?";
}

_Noreturn static void curl_failed(const char *what, CURLcode rc)
{
    fprintf(stderr, "flags: %s: %s\n", what, curl_easy_strerror(rc));
    abort();
}

/* The options every request here has: a time-out for the whole of it, a
 * connection of its own, no proxy (the server is on this machine, whatever
 * http_proxy says), no signals (threads), a small receive buffer. Only an
 * out-of-memory can make libcurl refuse them. */
static void common_options(CURL *easy, const char *url, long timeout_ms)
{
    CURLcode rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_URL, url)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_PROXY, "")) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 1024L)) != CURLE_OK)
        curl_failed("curl_easy_setopt", rc);
}

/* ---- one flag ----------------------------------------------------------- */

/* Keeps the first FLAGS_BODY_MAX bytes; counts them all. */
static size_t on_flag_data(char *data, size_t size, size_t nmemb, void *arg)
{
    struct flags_xfer *x = arg;
    size_t n = size * nmemb, room = FLAGS_BODY_MAX - x->len;
    size_t keep = n < room ? n : room;
    memcpy(x->body + x->len, data, keep);
    x->len += keep;
    x->body[x->len] = '\0';
    x->overflow = x->overflow || keep < n;
    x->result.bytes += n;
    return n;
}

/* The transfer's clock starts here: a runner that queues it starts
 * x->start_ns again when it really begins. */
void flags_xfer_setup(struct flags_xfer *x, CURL *easy, const char *base, const char *code,
                      long timeout_ms, int worker)
{
    /* owner is the runner's: kept */
    x->easy = easy;
    memset(&x->result, 0, sizeof x->result);
    snprintf(x->result.code, sizeof x->result.code, "%s", code);
    x->result.worker = worker;
    x->len = 0;
    x->body[0] = '\0';
    x->overflow = false;
    x->done = false;
    x->errbuf[0] = '\0';

    char url[256];
    snprintf(url, sizeof url, "%s/flags/%s.svg", base, code);
    curl_easy_reset(easy);
    common_options(easy, url, timeout_ms);
    CURLcode rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_flag_data)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_WRITEDATA, x)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, x->errbuf)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_PRIVATE, x)) != CURLE_OK)
        curl_failed("curl_easy_setopt", rc);
    x->start_ns = rl_now_ns();
}

void flags_xfer_finish(struct flags_xfer *x, CURLcode rc)
{
    struct flags_result *r = &x->result;
    r->seconds = (double)(rl_now_ns() - x->start_ns) / 1e9;
    long status = 0;
    if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
        status = 0;
    r->status = status;
    r->outcome = FLAGS_ERROR;
    r->error = FLAGS_E_NONE;
    r->why[0] = '\0';

    if (rc == CURLE_OK) {
        if (status == 200) {
            char want[FLAGS_BODY_MAX];
            size_t len = flags_body(r->code, want, sizeof want);
            if (!x->overflow && x->len == len && memcmp(x->body, want, len) == 0) {
                r->outcome = FLAGS_OK;
            } else {
                r->error = FLAGS_E_BODY;
                snprintf(r->why, sizeof r->why, "body is not the flag (%zu bytes%s)",
                         r->bytes, x->overflow ? ", too many" : "");
            }
        } else if (status == 404) {
            r->outcome = FLAGS_NOT_FOUND;
        } else {
            r->error = FLAGS_E_STATUS;
            snprintf(r->why, sizeof r->why, "http %ld", status);
        }
    } else {
        switch (rc) {
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
            r->error = FLAGS_E_DROPPED;
            break;
        case CURLE_OPERATION_TIMEDOUT:
            r->error = FLAGS_E_TIMEOUT;
            break;
        case CURLE_COULDNT_CONNECT:
            r->error = FLAGS_E_CONNECT;
            break;
        default:
            r->error = FLAGS_E_OTHER;
            break;
        }
        snprintf(r->why, sizeof r->why, "%.*s", (int)sizeof r->why - 1,
                 x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    }
    x->done = true;
}

void flags_fetch(CURL *easy, const char *base, const char *code, long timeout_ms, int worker,
                 struct flags_result *r)
{
    struct flags_xfer x = {.owner = NULL};
    flags_xfer_setup(&x, easy, base, code, timeout_ms, worker);
    flags_xfer_finish(&x, curl_easy_perform(easy));
    *r = x.result;
    /* The handle points into x (errbuf, data, private): none may outlive it. */
    curl_easy_reset(easy);
}

/* ---- the server's own pages --------------------------------------------- */

struct text {
    char *buf;
    size_t cap, len;
};

/* Keeps what fits, NUL-terminated; the rest is dropped. */
static size_t on_text_data(char *data, size_t size, size_t nmemb, void *arg)
{
    struct text *t = arg;
    size_t n = size * nmemb;
    if (t->cap == 0)
        return n;
    size_t room = t->cap - 1 - t->len;
    size_t keep = n < room ? n : room;
    memcpy(t->buf + t->len, data, keep);
    t->len += keep;
    t->buf[t->len] = '\0';
    return n;
}

bool flags_get_text(const char *base, const char *path, long timeout_ms, char *buf, size_t cap,
                    char *err, size_t errlen)
{
    if (cap > 0)
        buf[0] = '\0';
    char url[256];
    snprintf(url, sizeof url, "%s%s", base, path);
    CURL *easy = curl_easy_init();
    if (!easy) {
        snprintf(err, errlen, "%s: libcurl cannot start a transfer", url);
        return false;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    struct text t = {buf, cap, 0};
    common_options(easy, url, timeout_ms);
    CURLcode rc;
    if ((rc = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_text_data)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t)) != CURLE_OK ||
        (rc = curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf)) != CURLE_OK)
        curl_failed("curl_easy_setopt", rc);
    rc = curl_easy_perform(easy);
    long status = 0, os_errno = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
    curl_easy_cleanup(easy);

    if (rc == CURLE_COULDNT_CONNECT) {
        snprintf(err, errlen, "cannot connect to %s: %s", base,
                 os_errno ? strerror((int)os_errno) : errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return false;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(err, errlen, "%s: timed out after %.1f s", url, (double)timeout_ms / 1000);
        return false;
    }
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return false;
    }
    if (status != 200) {
        snprintf(err, errlen, "%s: http %ld", url, status);
        return false;
    }
    return true;
}

bool flags_get_stats(const char *base, long timeout_ms, struct flags_stats *st, char *err,
                     size_t errlen)
{
    char text[512];
    if (!flags_get_text(base, "/stats", timeout_ms, text, sizeof text, err, errlen))
        return false;
    struct {
        const char *name;
        long *value;
        bool seen;
    } want[] = {
        {"requests", &st->requests, false},
        {"busy_max", &st->busy_max, false},
        {"open_max", &st->open_max, false},
    };
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        char name[32];
        long v;
        if (sscanf(line, "%31s %ld", name, &v) == 2)
            for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
                if (strcmp(name, want[k].name) == 0) {
                    *want[k].value = v;
                    want[k].seen = true;
                }
        if (!end)
            break;
        line = end + 1;
    }
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        if (!want[k].seen) {
            snprintf(err, errlen, "%s/stats: no %s count: is it a racelab flags server?", base,
                     want[k].name);
            return false;
        }
    return true;
}

void flags_raise_fd_limit(long want)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= (rlim_t)want)
        return;
    r.rlim_cur = r.rlim_max != RLIM_INFINITY && r.rlim_max < (rlim_t)want ? r.rlim_max
                                                                         : (rlim_t)want;
    setrlimit(RLIMIT_NOFILE, &r); /* at worst, some connections fail, and say so */
}
