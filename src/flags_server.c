/*
 * flags_server.c - lab 8's HTTP server: the slow network the downloads
 * wait on, made real with libmicrohttpd on 127.0.0.1. The lab program
 * starts it as a child process (flags_server_spawn), so a run needs no
 * other terminal; flags --serve runs it in the foreground instead
 * (flags_server_serve), for curl or a browser to try.
 *
 * Event-driven, as a server that keeps a thousand slow requests waiting
 * must be: MHD runs every connection on a few threads (epoll, a pool of
 * two), and a flag request's delay is not a thread asleep but the request
 * parked. Its connection is suspended (MHD_suspend_connection) and its
 * deadline goes on a heap; one delay thread sleeps until the earliest
 * deadline, then resumes the connections that are due, and MHD calls the
 * handler again to answer. (A thread per connection, the simple design,
 * spent more time creating threads than the 10 ms delays it served: with
 * 1,000 requests at once, the server was the bottleneck of every client.)
 *
 * What a flag request does:
 *   arrive     requests and busy go up (busy_max follows); the connection
 *              is suspended, its deadline delay_ms x (1 + jitter x u), u
 *              uniform in [-1, 1] from a hash of the request's number and
 *              the seed, pushed on the heap
 *   leave      the delay thread pops it when due: busy goes down, before
 *              the answer is written, so the client's transfer is still in
 *              flight (flags.h says why), and resumes the connection
 *   answer     the flag; or 404 beyond the first count codes; or the
 *              injected error that a hash of (seed, code) picks: 404, 500,
 *              or the connection closed with no answer
 * The counts and the heap live under one lock, with the condition variable
 * the delay thread sleeps on; a stop resumes every parked request, which
 * then gets no answer, instead of waiting for the longest delay.
 *
 * The listening socket is made here, not by MHD: bound to 127.0.0.1 only,
 * its errors (EADDRINUSE: "port 8080 is in use") are known before any
 * process is forked, and its port is known at once (port 0: ephemeral).
 */
#define _GNU_SOURCE /* pipe2 */
#include "flags.h"

#include "racelab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    CONNECTIONS = 4096,          /* at once: a loop run keeps 1,000 in flight */
    BACKLOG = 4096,              /* the kernel caps it at net.core.somaxconn */
    THREADS = 2,                 /* MHD's threads: this machine's two cores */
    POOL = 8 * 1024,             /* each connection's memory (MHD's default, 32 KiB,
                                    cleared per connection, cost more than serving) */
    FD_WANTED = CONNECTIONS + 64,
    START_TIMEOUT_MS = 5000,     /* for the child to say it serves */
    STOP_TIMEOUT_MS = 5000,      /* for the child to end after SIGTERM */
};

/* One request, from its first call to its end (MHD's *req). */
enum stage { STAGE_NEW, STAGE_PARKED, STAGE_DUE, STAGE_CUT };
struct request {
    enum stage stage;            /* guarded by the server's lock once parked */
    int64_t due;                 /* when its delay ends (monotonic ns) */
    struct MHD_Connection *conn;
};

struct server {
    struct flags_server_config cfg; /* read only, once serving */
    pthread_mutex_t lock;
    pthread_cond_t wake;         /* signalled when the earliest deadline changes, or
                                    when stopping */
    bool stopping;               /* guarded by lock */
    long requests, busy, busy_max, open, open_max; /* guarded by lock */
    struct request **heap;       /* parked requests, earliest due first; guarded by lock */
    size_t parked, heap_cap;     /* guarded by lock */
    pthread_t delays;            /* the delay thread */
};

/* ---- the decisions: hashes of the seed ---------------------------------- */

static uint64_t mix(uint64_t seed, uint64_t v)
{
    uint64_t state = seed ^ (v * 0x9e3779b97f4a7c15u);
    return rl_random(&state);
}

static double unit(uint64_t h) /* [0, 1) */
{
    return (double)(h >> 11) * 0x1.0p-53;
}

enum fate { FATE_FLAG, FATE_404, FATE_500, FATE_DROP };

/* The same for a code and a seed, in every run: whether it fails, and how. */
static enum fate code_fate(const struct flags_server_config *cfg, const char *code)
{
    uint64_t h = 1469598103934665603u;
    for (const char *p = code; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211u;
    uint64_t r = mix(cfg->seed, h);
    if (unit(r) >= cfg->errors)
        return FATE_FLAG;
    static const enum fate kinds[3] = {FATE_404, FATE_500, FATE_DROP};
    return kinds[mix(r, 3) % 3];
}

/* Where code is in the catalogue, or -1: computed from its letters, then
 * checked against flags_code, so that the two cannot disagree. */
static int code_index(const char *code)
{
    size_t n = strlen(code);
    if (n != 2 && n != 3)
        return -1;
    for (size_t k = 0; k < n; k++)
        if (code[k] < 'A' || code[k] > 'Z')
            return -1;
    int guess = -1;
    char c[FLAGS_CODE_MAX];
    for (int i = 0; i < 20; i++) { /* the book's twenty */
        flags_code(i, c);
        if (strcmp(c, code) == 0)
            return i;
    }
    if (n == 2) {
        /* AA..ZZ without the twenty: the pair's place, less those before it */
        int v = (code[0] - 'A') * 26 + (code[1] - 'A'), before = 0;
        for (int i = 0; i < 20; i++) {
            flags_code(i, c);
            before += (c[0] - 'A') * 26 + (c[1] - 'A') < v;
        }
        guess = 20 + v - before;
    } else {
        int v = (code[0] - 'A') * 676 + (code[1] - 'A') * 26 + (code[2] - 'A');
        guess = 20 + (26 * 26 - 20) + v;
    }
    if (guess >= FLAGS_MAX)
        return -1;
    flags_code(guess, c);
    return strcmp(c, code) == 0 ? guess : -1;
}

/* ---- answering ---------------------------------------------------------- */

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type,
                              const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (ok == MHD_YES)
        ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status,
                                   const char *text)
{
    return answer(conn, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* ---- the parked requests: a binary heap on due ---------------------------- */

static void heap_push(struct server *sv, struct request *r)
{
    if (sv->parked == sv->heap_cap) {
        size_t cap = sv->heap_cap ? 2 * sv->heap_cap : 256;
        struct request **h = realloc(sv->heap, cap * sizeof *h);
        if (!h)
            rl_die_errno("flags server: the heap", ENOMEM);
        sv->heap = h;
        sv->heap_cap = cap;
    }
    size_t i = sv->parked++;
    while (i > 0 && sv->heap[(i - 1) / 2]->due > r->due) {
        sv->heap[i] = sv->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    sv->heap[i] = r;
}

static struct request *heap_pop(struct server *sv)
{
    struct request *top = sv->heap[0], *last = sv->heap[--sv->parked];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= sv->parked)
            break;
        if (c + 1 < sv->parked && sv->heap[c + 1]->due < sv->heap[c]->due)
            c++;
        if (last->due <= sv->heap[c]->due)
            break;
        sv->heap[i] = sv->heap[c];
        i = c;
    }
    if (sv->parked > 0)
        sv->heap[i] = last;
    return top;
}

/* The delay thread: resumes each parked request when its delay ends (busy
 * goes down first), and every one of them at once when the server stops. */
static void *delay_thread(void *arg)
{
    struct server *sv = arg;
    struct request *due[64];
    rl_mutex_lock(&sv->lock);
    for (;;) {
        size_t n = 0;
        int64_t now = rl_now_ns();
        while (sv->parked > 0 && n < sizeof due / sizeof due[0] &&
               (sv->stopping || sv->heap[0]->due <= now)) {
            struct request *r = heap_pop(sv);
            r->stage = sv->stopping ? STAGE_CUT : STAGE_DUE;
            sv->busy--;
            due[n++] = r;
        }
        if (n > 0) {
            /* MHD's own lock is taken in resume: not under ours. */
            rl_mutex_unlock(&sv->lock);
            for (size_t i = 0; i < n; i++)
                MHD_resume_connection(due[i]->conn);
            rl_mutex_lock(&sv->lock);
            continue;
        }
        if (sv->stopping)
            break;
        if (sv->parked == 0)
            rl_cond_wait(&sv->wake, &sv->lock);
        else
            rl_cond_timedwait(&sv->wake, &sv->lock, sv->heap[0]->due);
    }
    rl_mutex_unlock(&sv->lock);
    return NULL;
}

/* name is what follows /flags/: CODE.svg. First call: counts it, parks it.
 * After its delay: answers. */
static enum MHD_Result flag_request(struct server *sv, struct MHD_Connection *conn,
                                    struct request *r, const char *name)
{
    const struct flags_server_config *cfg = &sv->cfg;
    if (r->stage == STAGE_NEW) {
        rl_mutex_lock(&sv->lock);
        if (sv->stopping) { /* the delay thread may be gone: park nothing */
            rl_mutex_unlock(&sv->lock);
            return MHD_NO;
        }
        long number = ++sv->requests;
        if (++sv->busy > sv->busy_max)
            sv->busy_max = sv->busy;
        double u = 2 * unit(mix(cfg->seed ^ 0x5eed, (uint64_t)number)) - 1;
        double ms = (double)cfg->delay_ms * (1 + cfg->jitter * u);
        r->conn = conn;
        r->due = rl_now_ns() + (int64_t)(ms * 1e6);
        r->stage = STAGE_PARKED;
        /* Suspended before the delay thread can see it, so its resume
         * always finds it suspended. */
        MHD_suspend_connection(conn);
        heap_push(sv, r);
        if (sv->heap[0] == r)
            rl_cond_signal(&sv->wake); /* a new earliest deadline */
        rl_mutex_unlock(&sv->lock);
        return MHD_YES;
    }
    rl_mutex_lock(&sv->lock);
    enum stage stage = r->stage;
    rl_mutex_unlock(&sv->lock);
    if (stage == STAGE_PARKED)
        return MHD_YES; /* not due yet (a call MHD makes on its own) */
    if (stage == STAGE_CUT)
        return MHD_NO; /* stopping: close the connection */

    char code[FLAGS_CODE_MAX] = "";
    size_t n = strlen(name);
    if (n > 4 && n - 4 < sizeof code && strcmp(name + n - 4, ".svg") == 0) {
        memcpy(code, name, n - 4);
        code[n - 4] = '\0';
    }
    int i = code[0] ? code_index(code) : -1;
    enum fate f = i >= 0 && i < cfg->count ? code_fate(cfg, code) : FATE_404;
    switch (f) {
    case FATE_FLAG: {
        char body[FLAGS_BODY_MAX];
        size_t len = flags_body(code, body, sizeof body);
        return answer(conn, MHD_HTTP_OK, "image/svg+xml", body, len);
    }
    case FATE_404:
        return answer_text(conn, MHD_HTTP_NOT_FOUND, "no such flag\n");
    case FATE_500:
        return answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal server error\n");
    case FATE_DROP:
        break;
    }
    return MHD_NO; /* MHD closes the connection: no answer at all */
}

/* MHD: the request is over (answered, dropped, or the client went away). */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*req);
    *req = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req)
{
    struct server *sv = cls;
    if (*req == NULL) { /* the headers are in: answer on the next call */
        *req = calloc(1, sizeof(struct request));
        return *req ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size != 0) { /* a body we do not want */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
        return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
    if (strncmp(url, "/flags/", 7) == 0)
        return flag_request(sv, conn, *req, url + 7);

    char text[256];
    bool reset = strcmp(url, "/reset") == 0;
    if (strcmp(url, "/hello") == 0 || reset) {
        if (reset) {
            /* busy and open are what is happening now: only their maxima
             * start again, from there */
            rl_mutex_lock(&sv->lock);
            sv->requests = 0;
            sv->busy_max = sv->busy;
            sv->open_max = sv->open;
            rl_mutex_unlock(&sv->lock);
        }
        snprintf(text, sizeof text, "racelab flags server: %d flags\n", sv->cfg.count);
        return answer_text(conn, MHD_HTTP_OK, text);
    }
    if (strcmp(url, "/stats") == 0) {
        rl_mutex_lock(&sv->lock);
        snprintf(text, sizeof text,
                 "requests %ld\nbusy %ld\nbusy_max %ld\nopen %ld\nopen_max %ld\n", sv->requests,
                 sv->busy, sv->busy_max, sv->open, sv->open_max);
        rl_mutex_unlock(&sv->lock);
        return answer_text(conn, MHD_HTTP_OK, text);
    }
    return answer_text(conn, MHD_HTTP_NOT_FOUND, "not here: try /hello, /stats, /reset or "
                                                 "/flags/CN.svg\n");
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct server *sv = cls;
    rl_mutex_lock(&sv->lock);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        if (++sv->open > sv->open_max)
            sv->open_max = sv->open;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        sv->open--;
    }
    rl_mutex_unlock(&sv->lock);
}

/* ---- starting and stopping ---------------------------------------------- */

/* A socket listening on 127.0.0.1:port (0: any free port), and its port;
 * or -1 and why. */
static int listen_on(int port, int *bound, char *err, size_t errlen)
{
    if (port < 0 || port > 65535) {
        snprintf(err, errlen, "port %d: not a TCP port (0 to 65535)", port);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "cannot make a socket: %s", strerror(errno));
        return -1;
    }
    /* A port left in TIME_WAIT by the last run is free to take again; one
     * that something listens on is not. */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        int e = errno;
        if (e == EADDRINUSE)
            snprintf(err, errlen, "port %d is in use", port);
        else
            snprintf(err, errlen, "cannot listen on 127.0.0.1:%d: %s", port, strerror(e));
        close(fd);
        return -1;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

static void server_init(struct server *sv, const struct flags_server_config *cfg)
{
    memset(sv, 0, sizeof *sv);
    sv->cfg = *cfg;
    rl_mutex_init(&sv->lock);
    rl_cond_init(&sv->wake);
}

/* Starts serving on the listening socket fd (MHD owns it from here), and
 * the delay thread. */
static struct MHD_Daemon *server_start(struct server *sv, int fd)
{
    flags_raise_fd_limit(FD_WANTED);
    /* No MHD_USE_ERROR_LOG: MHD says nothing on stderr. */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, sv, MHD_OPTION_LISTEN_SOCKET,
                         (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)POOL,
                         MHD_OPTION_NOTIFY_CONNECTION, on_connection, sv,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, sv, MHD_OPTION_END);
    if (d)
        rl_thread_create(&sv->delays, delay_thread, sv);
    return d;
}

/* Resumes every parked request (each then gets no answer) and stops the
 * delay thread, then MHD, which closes every connection. */
static void server_stop(struct server *sv, struct MHD_Daemon *d)
{
    rl_mutex_lock(&sv->lock);
    sv->stopping = true;
    rl_cond_signal(&sv->wake);
    rl_mutex_unlock(&sv->lock);
    rl_thread_join(sv->delays, NULL);
    MHD_stop_daemon(d);
    free(sv->heap);
    rl_cond_destroy(&sv->wake);
    rl_mutex_destroy(&sv->lock);
}

/* The child of flags_server_spawn: serves until SIGTERM. Says "ok" on
 * report, or why it cannot serve. */
_Noreturn static void child(const struct flags_server_config *cfg, int fd, int report,
                            pid_t parent)
{
    /* SIGTERM is awaited, not handled: blocked before MHD's threads exist,
     * so they inherit the mask and only sigwait takes it. Ctrl-C reaches
     * the whole terminal group: the parent alone decides when we end. */
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, NULL);
    signal(SIGINT, SIG_IGN);
    /* Ends with the parent: SIGTERM when it dies, and if it died already,
     * now. (PR_SET_PDEATHSIG follows the forking thread, not the process.) */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        _exit(0);

    struct server sv;
    server_init(&sv, cfg);
    struct MHD_Daemon *d = server_start(&sv, fd);
    const char *msg = d ? "ok\n" : "libmicrohttpd could not start\n";
    ssize_t unused = write(report, msg, strlen(msg));
    (void)unused;
    close(report);
    if (!d)
        _exit(1);
    int sig;
    while (sigwait(&term, &sig) != 0)
        ;
    server_stop(&sv, d);
    /* _exit, not exit: the parent's atexit handlers and stdio buffers are
     * the parent's. */
    _exit(0);
}

/* Reaps pid, killing it if it will not end within timeout_ms. */
static void reap(pid_t pid, long timeout_ms)
{
    int64_t give_up = rl_now_ns() + timeout_ms * 1000000;
    for (;;) {
        pid_t got = waitpid(pid, NULL, WNOHANG);
        if (got == pid || (got < 0 && errno != EINTR))
            return;
        if (rl_now_ns() > give_up) {
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            return;
        }
        nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL);
    }
}

bool flags_server_spawn(const struct flags_server_config *cfg, struct flags_server *s,
                        char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    int port;
    int fd = listen_on(cfg->port, &port, err, errlen);
    if (fd < 0)
        return false;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
        close(fd);
        return false;
    }
    pid_t parent = getpid();
    fflush(NULL); /* or the child would hold a copy of what is buffered */
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start the server process: %s", strerror(errno));
        close(fd);
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (pid == 0) {
        close(p[0]);
        child(cfg, fd, p[1], parent);
    }
    close(fd);
    close(p[1]);

    char line[128];
    size_t len = 0;
    int64_t give_up = rl_now_ns() + (int64_t)START_TIMEOUT_MS * 1000000;
    bool ended = false, timed_out = false;
    while (!memchr(line, '\n', len) && len < sizeof line - 1) {
        long left = (long)((give_up - rl_now_ns()) / 1000000);
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        int r = left > 0 ? poll(&pf, 1, (int)left) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            timed_out = true;
            break;
        }
        ssize_t n = read(p[0], line + len, sizeof line - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ended = true;
            break;
        }
        len += (size_t)n;
    }
    close(p[0]);
    line[len] = '\0';
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = '\0';
    if (nl && strcmp(line, "ok") == 0) {
        s->pid = pid;
        s->port = port;
        snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", port);
        return true;
    }
    if (nl)
        snprintf(err, errlen, "the server did not start: %s", line);
    else if (timed_out)
        snprintf(err, errlen, "the server did not start within %d s", START_TIMEOUT_MS / 1000);
    else
        snprintf(err, errlen, "the server process ended as it started%s",
                 ended ? "" : " (it said too much)");
    kill(pid, SIGKILL);
    reap(pid, STOP_TIMEOUT_MS);
    return false;
}

void flags_server_stop(struct flags_server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    reap(s->pid, STOP_TIMEOUT_MS);
    s->pid = 0;
}

int flags_server_serve(const struct flags_server_config *cfg)
{
    char err[160];
    int port;
    int fd = listen_on(cfg->port, &port, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "flags: %s\n", err);
        return 5;
    }
    /* Blocked before MHD's threads exist, so only sigwait takes them. */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    struct server sv;
    server_init(&sv, cfg);
    struct MHD_Daemon *d = server_start(&sv, fd);
    if (!d) {
        fprintf(stderr, "flags: libmicrohttpd could not serve on 127.0.0.1:%d\n", port);
        rl_cond_destroy(&sv.wake);
        rl_mutex_destroy(&sv.lock);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return 5;
    }
    printf("serving %d flags on http://127.0.0.1:%d/ (delay %g s, errors %g); Ctrl-C stops\n",
           cfg->count, port, (double)cfg->delay_ms / 1000, cfg->errors);
    fflush(stdout);
    int sig;
    while (sigwait(&stop, &sig) != 0)
        ;
    server_stop(&sv, d);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}
