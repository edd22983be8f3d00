/*
 * test_flags_kit.c - lab 8's own parts, which every mode stands on: the
 * catalogue, the server (a real one, spawned by each test and stopped at
 * its end) and the client's judgement of one download. Servers that
 * misbehave on purpose - one that answers garbage, one that stops in the
 * middle of a body - are raw TCP listeners in a thread here. The servers
 * are spawned by a host process that main forks first (see there).
 *
 * Nothing here asserts a time: a slow machine (valgrind) runs the same
 * checks. Where a count depends on requests overlapping, the test makes
 * them overlap for certain: the server's delay is longer than the test
 * waits, and the test stops the server once it has seen the count.
 */
#define _GNU_SOURCE /* memmem */
#include "rltest.h"

#include "flags.h"
#include "racelab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const book[20] = {
    "CN", "IN", "US", "ID", "BR", "PK", "NG", "BD", "RU", "JP",
    "MX", "PH", "VN", "ET", "EG", "DE", "IR", "TR", "CD", "FR",
};

/* How long a test may wait for something that must come, in ms: 10 s, or
 * more when the watchdog was given more (valgrind). */
static long patience_ms(void)
{
    const char *w = getenv("RACELAB_WATCHDOG_SECONDS");
    long s = w ? atol(w) : 0;
    return s > 20 ? 10000 * s / 20 : 10000;
}

/* A request that must succeed: within patience_ms, a hang's guard and not
 * a speed the test asks for (a 2 s deadline failed once, on a fresh
 * server's first request, under the load of a whole make test), and a
 * failure says why. */
static void get_text(const char *url, const char *path, char *text, size_t cap)
{
    char err[160];
    if (!flags_get_text(url, path, patience_ms(), text, cap, err, sizeof err))
        fail_msg("flags_get_text: %s", err);
}

/* ---- the spawner ---------------------------------------------------------
 *
 * flags_server_spawn forks, and wants a caller with one thread (flags.h);
 * a test has two, for the watchdog runs beside it. A child forked from
 * two threads has only the one that forked: fine for glibc, but TSan
 * stops such a child the moment it starts a thread ("starting new threads
 * after multi-threaded fork is not supported"), and MHD's server is
 * threads. So main forks a host first, while it is the only thread, and
 * every test's spawn and stop run there, each one a request on a socket:
 * the servers are children of a process with one thread, as in the lab
 * program, and TSan watches them whole.
 */
enum host_op { HOST_SPAWN, HOST_STOP };

struct host_request {
    enum host_op op;
    struct flags_server_config cfg;
    struct flags_server s;
};

struct host_reply {
    bool ok;
    struct flags_server s;
    char err[160];
};

static int host_fd = -1; /* main thread only */
static pid_t host_pid;

_Noreturn static void host_main(int fd)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* the tests died: so do we, and so do the servers */
    struct flags_server live[16] = {{0}};
    for (;;) {
        struct host_request q;
        if (recv(fd, &q, sizeof q, 0) != (ssize_t)sizeof q)
            break; /* the tests are over */
        struct host_reply a = {.ok = true};
        if (q.op == HOST_SPAWN) {
            a.ok = flags_server_spawn(&q.cfg, &a.s, a.err, sizeof a.err);
            for (int i = 0; a.ok && i < 16; i++)
                if (live[i].pid == 0) {
                    live[i] = a.s;
                    break;
                }
        } else {
            for (int i = 0; i < 16; i++)
                if (live[i].pid == q.s.pid)
                    live[i].pid = 0;
            flags_server_stop(&q.s);
            a.s = q.s;
        }
        if (send(fd, &a, sizeof a, 0) != (ssize_t)sizeof a)
            break;
    }
    for (int i = 0; i < 16; i++) /* left by a test that failed half-way */
        flags_server_stop(&live[i]);
    _exit(0);
}

static void host_start(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        rl_die_errno("socketpair", errno);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        rl_die_errno("fork", errno);
    if (pid == 0) {
        close(sv[0]);
        host_main(sv[1]);
    }
    close(sv[1]);
    host_fd = sv[0];
    host_pid = pid;
}

static void host_ask(const struct host_request *q, struct host_reply *a)
{
    assert_int_equal(send(host_fd, q, sizeof *q, 0), sizeof *q);
    assert_int_equal(recv(host_fd, a, sizeof *a, 0), sizeof *a);
}

static bool spawn_try(const struct flags_server_config *cfg, struct flags_server *s, char *err,
                      size_t errlen)
{
    struct host_request q = {.op = HOST_SPAWN, .cfg = *cfg};
    struct host_reply a;
    host_ask(&q, &a);
    *s = a.s;
    snprintf(err, errlen, "%s", a.err);
    return a.ok;
}

static void spawn(const struct flags_server_config *cfg, struct flags_server *s)
{
    char err[160];
    if (!spawn_try(cfg, s, err, sizeof err))
        fail_msg("flags_server_spawn: %s", err);
}

/* flags_server_stop, in the host. */
static void stop(struct flags_server *s)
{
    struct host_request q = {.op = HOST_STOP, .s = *s};
    struct host_reply a;
    host_ask(&q, &a);
    *s = a.s;
}

/* ---- helpers ------------------------------------------------------------ */

static struct flags_result fetch(const char *base, const char *code, long timeout_ms)
{
    CURL *easy = curl_easy_init();
    assert_non_null(easy);
    struct flags_result r;
    flags_fetch(easy, base, code, timeout_ms, 7, &r);
    curl_easy_cleanup(easy);
    return r;
}

static struct flags_stats stats(const struct flags_server *s)
{
    struct flags_stats st;
    char err[160];
    if (!flags_get_stats(s->url, patience_ms(), &st, err, sizeof err))
        fail_msg("flags_get_stats: %s", err);
    return st;
}

/* A socket on 127.0.0.1, any free port: listening, or only bound (then a
 * connection to it is refused, and no other process can take the port). */
static int local_socket(bool listening, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    if (listening)
        assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* ---- the catalogue ------------------------------------------------------ */

static int by_code(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void catalogue(void **state)
{
    char code[FLAGS_CODE_MAX];
    for (int i = 0; i < 20; i++) {
        flags_code(i, code);
        assert_string_equal(code, book[i]);
    }
    flags_code(20, code);
    assert_string_equal(code, "AA"); /* not one of the twenty */
    flags_code(20 + 26 * 26 - 20 - 1, code);
    assert_string_equal(code, "ZZ");
    flags_code(20 + 26 * 26 - 20, code);
    assert_string_equal(code, "AAA");

    /* Every code is two or three capitals, and no two are the same. */
    char(*all)[FLAGS_CODE_MAX] = calloc(FLAGS_MAX, sizeof *all);
    assert_non_null(all);
    for (int i = 0; i < FLAGS_MAX; i++)
        flags_code(i, all[i]);
    qsort(all, FLAGS_MAX, sizeof *all, by_code);
    int bad = -1, twice = -1;
    for (int i = 0; i < FLAGS_MAX; i++) {
        size_t n = strlen(all[i]);
        if ((n != 2 && n != 3) || strspn(all[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n)
            bad = i;
        if (i > 0 && strcmp(all[i - 1], all[i]) == 0)
            twice = i;
    }
    free(all);
    assert_int_equal(bad, -1);
    assert_int_equal(twice, -1);

    /* Bodies: the same bytes every time, an SVG titled with the code, of
     * sizes that vary within the documented bounds. */
    static char a[FLAGS_BODY_MAX + 1], b[FLAGS_BODY_MAX + 1];
    size_t smallest = FLAGS_BODY_MAX, largest = 0;
    for (int i = 0; i < 2000; i++) {
        flags_code(i, code);
        size_t n = flags_body(code, a, sizeof a);
        assert_true(n <= FLAGS_BODY_MAX);
        assert_int_equal(flags_body(code, b, sizeof b), n);
        assert_memory_equal(a, b, n);
        a[n] = '\0';
        char title[32];
        snprintf(title, sizeof title, "<title>%s</title>", code);
        if (strncmp(a, "<?xml version=\"1.0\"", 19) != 0 || !strstr(a, "<svg xmlns=") ||
            !strstr(a, title) || strcmp(a + n - 7, "</svg>\n") != 0 || strlen(a) != n)
            fail_msg("the body of %s does not look like its SVG: '%.80s'", code, a);
        /* Its comment holds no "--", which would end it early. */
        const char *open = strstr(a, "<!--"), *close = strstr(a, "-->");
        assert_true(open && close && !memmem(open + 4, (size_t)(close - open - 4), "--", 2));
        smallest = n < smallest ? n : smallest;
        largest = n > largest ? n : largest;
    }
    if (smallest < 300 || smallest > 600 || largest < 1500 || largest > 2200)
        fail_msg("body sizes from %zu to %zu bytes: expected about 300 to 2,000", smallest,
                 largest);
    /* Different codes, different flags. */
    size_t ncn = flags_body("CN", a, sizeof a), nin = flags_body("IN", b, sizeof b);
    assert_false(ncn == nin && memcmp(a, b, ncn) == 0);

    /* cap: at most cap bytes written, the whole length returned. */
    memset(b, '#', sizeof b);
    assert_int_equal(flags_body("CN", b, 10), ncn);
    assert_memory_equal(b, a, 10);
    assert_int_equal(b[10], '#');
    assert_int_equal(flags_body("CN", NULL, 0), ncn);
}

/* ---- the server's own pages --------------------------------------------- */

static void hello_and_stats(void **state)
{
    struct flags_server s;
    spawn(&(struct flags_server_config){.count = 20}, &s);
    assert_true(s.pid > 0);
    char want[64], text[512], err[160];
    snprintf(want, sizeof want, "http://127.0.0.1:%d", s.port);
    assert_string_equal(s.url, want);

    get_text(s.url, "/hello", text, sizeof text);
    assert_string_equal(text, "racelab flags server: 20 flags\n");
    struct flags_stats st = stats(&s);
    assert_int_equal(st.requests, 0);
    assert_int_equal(st.busy_max, 0);

    /* The five counts, one "name value" a line, in this order. */
    get_text(s.url, "/stats", text, sizeof text);
    long requests, busy, busy_max, open, open_max;
    int got = sscanf(text, "requests %ld\nbusy %ld\nbusy_max %ld\nopen %ld\nopen_max %ld\n",
                     &requests, &busy, &busy_max, &open, &open_max);
    if (got != 5)
        fail_msg("/stats said '%s'", text);
    assert_int_equal(busy, 0);
    /* The connection asking is open; the ones before it may not have
     * closed on the server's side yet. */
    assert_true(open >= 1 && open_max >= open);

    struct flags_result r = fetch(s.url, "CN", patience_ms());
    assert_int_equal(r.outcome, FLAGS_OK);
    st = stats(&s);
    assert_int_equal(st.requests, 1);
    assert_int_equal(st.busy_max, 1);

    get_text(s.url, "/reset", text, sizeof text);
    assert_string_equal(text, "racelab flags server: 20 flags\n");
    st = stats(&s);
    assert_int_equal(st.requests, 0);
    assert_int_equal(st.busy_max, 0);
    assert_true(st.open_max >= 1);

    /* Anything else is not found; text is cut to fit, NUL-terminated. */
    assert_false(flags_get_text(s.url, "/nope", patience_ms(), text, sizeof text, err, sizeof err));
    if (!strstr(err, "/nope: http 404"))
        fail_msg("err '%s'", err);
    get_text(s.url, "/hello", text, 9);
    assert_string_equal(text, "racelab ");
    pid_t pid = s.pid;
    stop(&s);
    assert_int_equal(s.pid, 0);
    assert_true(kill(pid, 0) != 0 && errno == ESRCH); /* ended and reaped */
    stop(&s); /* again: nothing to do */
}

/* ---- downloads ---------------------------------------------------------- */

static void flags_download(void **state)
{
    struct flags_server s;
    spawn(&(struct flags_server_config){.count = 20, .delay_ms = 10, .jitter = 0.5}, &s);
    CURL *easy = curl_easy_init(); /* one handle, reused: each fetch sets it up anew */
    assert_non_null(easy);
    char body[FLAGS_BODY_MAX];
    for (int i = 0; i < 20; i++) {
        struct flags_result r;
        flags_fetch(easy, s.url, book[i], patience_ms(), 3, &r);
        if (r.outcome != FLAGS_OK)
            fail_msg("%s: %s, %s: %s", book[i], flags_outcome_name(r.outcome),
                     flags_error_name(r.error), r.why);
        assert_string_equal(r.code, book[i]);
        assert_int_equal(r.error, FLAGS_E_NONE);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.bytes, flags_body(book[i], body, sizeof body));
        assert_int_equal(r.worker, 3);
        assert_true(r.seconds >= 0);
        assert_string_equal(r.why, "");
    }
    curl_easy_cleanup(easy);
    struct flags_stats st = stats(&s);
    assert_int_equal(st.requests, 20);
    stop(&s);
}

/* Codes past count, and names that are no code, are not found. */
static void beyond_count_not_found(void **state)
{
    struct flags_server s;
    spawn(&(struct flags_server_config){.count = 5}, &s);
    char code[FLAGS_CODE_MAX];
    flags_code(4, code);
    assert_int_equal(fetch(s.url, code, patience_ms()).outcome, FLAGS_OK);
    const char *codes[] = {"PK", "ZZ", "AAA", "zz", "C", "CNCN"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        struct flags_result r = fetch(s.url, codes[i], patience_ms());
        if (r.outcome != FLAGS_NOT_FOUND || r.status != 404 || r.error != FLAGS_E_NONE)
            fail_msg("%s: %s (%ld), %s", codes[i], flags_outcome_name(r.outcome), r.status,
                     r.why);
    }
    char text[64], err[160];
    assert_false(flags_get_text(s.url, "/flags/CN.png", patience_ms(), text, sizeof text, err,
                                sizeof err));
    assert_non_null(strstr(err, "http 404"));
    stop(&s);
}

/* What each of the first n codes came to. */
static void fetch_all(const struct flags_server *s, int n, struct flags_result *r)
{
    CURL *easy = curl_easy_init();
    assert_non_null(easy);
    for (int i = 0; i < n; i++) {
        char code[FLAGS_CODE_MAX];
        flags_code(i, code);
        flags_fetch(easy, s->url, code, patience_ms(), 0, &r[i]);
    }
    curl_easy_cleanup(easy);
}

static void injected_errors(void **state)
{
    enum { N = 60 };
    struct flags_result r[N];
    struct flags_server s;
    spawn(&(struct flags_server_config){.count = N, .errors = 1.0, .seed = 1}, &s);
    fetch_all(&s, N, r);
    stop(&s);
    int not_found = 0, status = 0, dropped = 0;
    for (int i = 0; i < N; i++) {
        not_found += r[i].outcome == FLAGS_NOT_FOUND && r[i].status == 404;
        status += r[i].error == FLAGS_E_STATUS && r[i].status == 500 &&
                  strcmp(r[i].why, "http 500") == 0;
        dropped += r[i].error == FLAGS_E_DROPPED && r[i].status == 0;
        if (r[i].outcome == FLAGS_OK)
            fail_msg("%s came, with errors 1.0", r[i].code);
    }
    if (not_found + status + dropped != N || !not_found || !status || !dropped)
        fail_msg("errors 1.0 over %d codes: %d not found, %d http 500, %d dropped", N,
                 not_found, status, dropped);

    /* Half fail: the same ones, the same way, for the same seed; others
     * for another seed. */
    struct flags_result again[N], other[N];
    struct flags_server_config cfg = {.count = N, .errors = 0.5, .seed = 42};
    spawn(&cfg, &s);
    fetch_all(&s, N, r);
    stop(&s);
    spawn(&cfg, &s);
    fetch_all(&s, N, again);
    stop(&s);
    cfg.seed = 43;
    spawn(&cfg, &s);
    fetch_all(&s, N, other);
    stop(&s);
    int failed = 0, differ = 0;
    for (int i = 0; i < N; i++) {
        failed += r[i].outcome != FLAGS_OK;
        if (r[i].outcome != again[i].outcome || r[i].error != again[i].error ||
            r[i].status != again[i].status)
            fail_msg("seed 42, %s: %s then %s", r[i].code, flags_outcome_name(r[i].outcome),
                     flags_outcome_name(again[i].outcome));
        differ += r[i].outcome != other[i].outcome || r[i].status != other[i].status;
    }
    if (failed < N / 4 || failed > 3 * N / 4)
        fail_msg("errors 0.5: %d of %d failed", failed, N);
    assert_true(differ > 0);
}

/* ---- requests at once --------------------------------------------------- */

enum { CLIENTS = 5 };

struct client {
    pthread_t thread;
    const char *base;
    char code[FLAGS_CODE_MAX];
    long timeout_ms;
    struct flags_result r; /* written by the thread, read after its join */
};

static void *client_main(void *arg)
{
    struct client *c = arg;
    CURL *easy = curl_easy_init();
    if (!easy) {
        c->r.outcome = FLAGS_ERROR;
        snprintf(c->r.why, sizeof c->r.why, "curl_easy_init failed");
        return NULL;
    }
    flags_fetch(easy, c->base, c->code, c->timeout_ms, 0, &c->r);
    curl_easy_cleanup(easy);
    return NULL;
}

static void start_clients(struct client *c, const char *base, long timeout_ms)
{
    for (int i = 0; i < CLIENTS; i++) {
        c[i].base = base;
        flags_code(i, c[i].code);
        c[i].timeout_ms = timeout_ms;
        rl_thread_create(&c[i].thread, client_main, &c[i]);
    }
}

static void join_clients(struct client *c)
{
    for (int i = 0; i < CLIENTS; i++)
        assert_int_equal(pthread_join(c[i].thread, NULL), 0);
}

/* The count /stats shows as name, or -1. */
static long stat_line(const char *text, const char *name)
{
    char key[40];
    snprintf(key, sizeof key, "%s ", name);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, key, strlen(key)) == 0)
            return atol(p + strlen(key));
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return -1;
}

static void busy_counts_overlap(void **state)
{
    /* Exactly: a delay longer than the test lasts, so the five wait
     * together for certain; the test watches busy reach 5, then stops the
     * server, which cuts the delays short and drops the five. */
    struct client c[CLIENTS];
    memset(c, 0, sizeof c);
    struct flags_server s;
    spawn(&(struct flags_server_config){.count = 20, .delay_ms = 600000}, &s);
    start_clients(c, s.url, 600000);
    char text[512], err[160] = "";
    long busy = -1;
    int64_t give_up = rl_now_ns() + patience_ms() * 1000000;
    while (busy != CLIENTS && rl_now_ns() < give_up) {
        if (!flags_get_text(s.url, "/stats", patience_ms(), text, sizeof text, err, sizeof err))
            break;
        busy = stat_line(text, "busy");
        if (busy != CLIENTS)
            nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
    }
    struct flags_stats st;
    bool got = flags_get_stats(s.url, patience_ms(), &st, err, sizeof err);
    stop(&s); /* the clients' transfers end here */
    join_clients(c);
    if (busy != CLIENTS)
        fail_msg("busy stayed at %ld of %d (%s)", busy, CLIENTS, err);
    assert_true(got);
    assert_int_equal(st.requests, CLIENTS);
    assert_int_equal(st.busy_max, CLIENTS);
    assert_true(st.open_max >= CLIENTS);
    for (int i = 0; i < CLIENTS; i++)
        if (c[i].r.outcome != FLAGS_ERROR || c[i].r.error != FLAGS_E_DROPPED)
            fail_msg("%s, cut short by the server's stop: %s, %s (%s)", c[i].code,
                     flags_outcome_name(c[i].r.outcome), flags_error_name(c[i].r.error),
                     c[i].r.why);

    /* And as a run has it: short delays that end. How many overlap is up
     * to the scheduler; never more than were sent, and none left busy. */
    memset(c, 0, sizeof c);
    spawn(&(struct flags_server_config){.count = 20, .delay_ms = 200}, &s);
    start_clients(c, s.url, 10000);
    join_clients(c);
    get_text(s.url, "/stats", text, sizeof text);
    stop(&s);
    for (int i = 0; i < CLIENTS; i++)
        if (c[i].r.outcome != FLAGS_OK)
            fail_msg("%s: %s, %s (%s)", c[i].code, flags_outcome_name(c[i].r.outcome),
                     flags_error_name(c[i].r.error), c[i].r.why);
    assert_int_equal(stat_line(text, "requests"), CLIENTS);
    assert_int_equal(stat_line(text, "busy"), 0);
    long busy_max = stat_line(text, "busy_max");
    assert_true(busy_max >= 1 && busy_max <= CLIENTS);
}

/* ---- what goes wrong ---------------------------------------------------- */

static void port_in_use(void **state)
{
    int port;
    int fd = local_socket(true, &port);
    struct flags_server s;
    char err[160], want[64];
    bool ok = spawn_try(&(struct flags_server_config){.port = port, .count = 20}, &s, err,
                        sizeof err);
    close(fd);
    snprintf(want, sizeof want, "port %d is in use", port);
    if (ok) {
        stop(&s);
        fail_msg("a server started on port %d, which was in use", port);
    }
    assert_string_equal(err, want);
    assert_int_equal(s.pid, 0);

    /* A free port is the one it serves on. (Free as its socket closes;
     * another process may take it before the server does, now and then:
     * then try another.) */
    for (int tries = 0;; tries++) {
        fd = local_socket(false, &port);
        close(fd);
        if (spawn_try(&(struct flags_server_config){.port = port, .count = 20}, &s, err,
                      sizeof err) ||
            tries == 4)
            break;
    }
    if (s.pid == 0)
        fail_msg("no server on a free port: %s", err);
    assert_int_equal(s.port, port);
    char text[64];
    get_text(s.url, "/hello", text, sizeof text);
    stop(&s);
}

static void refused(void **state)
{
    int port;
    int fd = local_socket(false, &port); /* bound, not listening */
    char base[64], text[64], err[160];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    bool ok = flags_get_text(base, "/hello", patience_ms(), text, sizeof text, err, sizeof err);
    struct flags_result r = fetch(base, "CN", patience_ms());
    close(fd);
    assert_false(ok);
    char want[128];
    snprintf(want, sizeof want, "cannot connect to %s: Connection refused", base);
    assert_string_equal(err, want);
    assert_int_equal(r.outcome, FLAGS_ERROR);
    assert_int_equal(r.error, FLAGS_E_CONNECT);
    assert_int_equal(r.status, 0);
    assert_true(r.why[0] != '\0');
}

/* A raw TCP server in a thread: for each of its connections, reads the
 * request, writes reply, then closes; or, with hold, waits for the client
 * to close first. */
struct raw {
    int fd, port;
    const char *reply;
    bool hold;
    int connections;
    pthread_t thread;
    int served;            /* written by the thread, read after its join */
    char problem[96];      /* likewise */
};

static bool wait_readable(int fd, long ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    while ((r = poll(&p, 1, (int)ms)) < 0 && errno == EINTR)
        ;
    return r > 0;
}

static void *raw_main(void *arg)
{
    struct raw *w = arg;
    long ms = patience_ms();
    for (int i = 0; i < w->connections; i++) {
        if (!wait_readable(w->fd, ms)) {
            snprintf(w->problem, sizeof w->problem, "connection %d never came", i + 1);
            return NULL;
        }
        int c = accept(w->fd, NULL, NULL);
        if (c < 0) {
            snprintf(w->problem, sizeof w->problem, "accept: %s", strerror(errno));
            return NULL;
        }
        char req[4096];
        size_t len = 0;
        ssize_t n = 1;
        while (len < sizeof req - 1 && !memmem(req, len, "\r\n\r\n", 4) && n > 0 &&
               wait_readable(c, ms))
            if ((n = read(c, req + len, sizeof req - 1 - len)) > 0)
                len += (size_t)n;
        size_t want = strlen(w->reply);
        if (write(c, w->reply, want) != (ssize_t)want)
            snprintf(w->problem, sizeof w->problem, "write: %s", strerror(errno));
        if (w->hold) /* until the client closes: a read of 0 */
            while (wait_readable(c, ms) && read(c, req, sizeof req) > 0)
                ;
        close(c);
        w->served++;
    }
    return NULL;
}

static void raw_start(struct raw *w, const char *reply, bool hold, int connections)
{
    memset(w, 0, sizeof *w);
    w->fd = local_socket(true, &w->port);
    w->reply = reply;
    w->hold = hold;
    w->connections = connections;
    rl_thread_create(&w->thread, raw_main, w);
}

static void raw_stop(struct raw *w)
{
    assert_int_equal(pthread_join(w->thread, NULL), 0);
    close(w->fd);
    if (w->problem[0])
        fail_msg("the raw server: %s", w->problem);
    assert_int_equal(w->served, w->connections);
}

static void garbage_server(void **state)
{
    struct raw w;
    raw_start(&w, "hello garbage\r\n\r\n", false, 2);
    char base[64], text[64], err[160];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", w.port);
    struct flags_result r = fetch(base, "CN", patience_ms());
    bool ok = flags_get_text(base, "/hello", patience_ms(), text, sizeof text, err, sizeof err);
    raw_stop(&w);
    if (r.outcome != FLAGS_ERROR || r.error != FLAGS_E_OTHER)
        fail_msg("a garbage reply: %s, %s (%s)", flags_outcome_name(r.outcome),
                 flags_error_name(r.error), r.why);
    assert_true(r.why[0] != '\0');
    assert_false(ok);
    char want[96];
    snprintf(want, sizeof want, "%s/hello: ", base);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("err '%s'", err);
}

static void stalled_body_times_out(void **state)
{
    struct raw w;
    raw_start(&w,
              "HTTP/1.1 200 OK\r\nContent-Type: image/svg+xml\r\nContent-Length: 1000\r\n\r\n"
              "<?xml vers",
              true, 2);
    char base[64], text[64], err[160];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", w.port);
    struct flags_result r = fetch(base, "CN", 300);
    bool ok = flags_get_text(base, "/hello", 300, text, sizeof text, err, sizeof err);
    raw_stop(&w);
    if (r.outcome != FLAGS_ERROR || r.error != FLAGS_E_TIMEOUT)
        fail_msg("a body that stops: %s, %s (%s)", flags_outcome_name(r.outcome),
                 flags_error_name(r.error), r.why);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.bytes, 10);
    assert_false(ok);
    char want[96];
    snprintf(want, sizeof want, "%s/hello: timed out after 0.3 s", base);
    assert_string_equal(err, want);
}

/* A 200 whose body is not the flag: other bytes, or more than a flag
 * can be (kept up to FLAGS_BODY_MAX, all counted). And /stats from a
 * server that is not this kit's. */
static void wrong_body(void **state)
{
    static char big[256 + 5000];
    int head = snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
    memset(big + head, 'x', 5000);
    const char *replies[2] = {"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<svg/>", big};
    const size_t sizes[2] = {6, 5000};
    for (int k = 0; k < 2; k++) {
        struct raw w;
        raw_start(&w, replies[k], false, k == 0 ? 2 : 1);
        char base[64], err[160];
        snprintf(base, sizeof base, "http://127.0.0.1:%d", w.port);
        struct flags_result r = fetch(base, "CN", patience_ms());
        struct flags_stats st;
        bool stats_ok = k == 0 && flags_get_stats(base, patience_ms(), &st, err, sizeof err);
        raw_stop(&w);
        assert_false(stats_ok);
        if (k == 0 && !strstr(err, "/stats: no requests count: is it a racelab flags server?"))
            fail_msg("err '%s'", err);
        if (r.outcome != FLAGS_ERROR || r.error != FLAGS_E_BODY)
            fail_msg("a body of %zu bytes: %s, %s (%s)", sizes[k],
                     flags_outcome_name(r.outcome), flags_error_name(r.error), r.why);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.bytes, sizes[k]);
        assert_non_null(strstr(r.why, "body is not the flag"));
    }
}

static void names(void **state)
{
    assert_string_equal(flags_outcome_name(FLAGS_OK), "ok");
    assert_string_equal(flags_outcome_name(FLAGS_NOT_FOUND), "not found");
    assert_string_equal(flags_outcome_name(FLAGS_ERROR), "error");
    for (int e = 0; e < FLAGS_ERRORS; e++)
        for (int f = 0; f < e; f++)
            assert_string_not_equal(flags_error_name(e), flags_error_name(f));
    assert_string_equal(flags_error_name(FLAGS_E_STATUS), "http status");
    assert_string_equal(flags_error_name(FLAGS_ERRORS), "?");
}

/* ---- the program, as a student runs it ---------------------------------- */

#define FLAGS_PROGRAM "build/release/solutions/flags"

/* Runs the program with args (NULL-terminated); fails unless it exits with
 * status and its stderr is one line starting with err_prefix (NULL: stderr
 * empty). Returns its stdout (malloc'ed). */
static char *program(const char *const args[], bool close_stdout, int status,
                     const char *err_prefix)
{
    char *argv[16] = {FLAGS_PROGRAM};
    int n = 1;
    for (const char *const *a = args; *a && n < 15; a++)
        argv[n++] = (char *)*a;
    argv[n] = NULL;
    struct rltest_output o;
    int got = rltest_run(argv, close_stdout, 30, &o);
    char err[512];
    snprintf(err, sizeof err, "%s", o.err);
    char *out = o.out;
    free(o.err);
    if (got != status)
        fail_msg("flags %s ...: exit %d, expected %d; stderr: %s", args[0], got, status, err);
    if (!err_prefix && err[0])
        fail_msg("flags %s ...: stderr should be empty: %s", args[0], err);
    if (err_prefix) {
        char *nl = strchr(err, '\n');
        if (strncmp(err, err_prefix, strlen(err_prefix)) != 0 || !nl || nl[1] != '\0')
            fail_msg("flags %s ...: stderr should be one line starting '%s': %s", args[0],
                     err_prefix, err);
    }
    return out;
}

/* The last line of text (which ends with a newline). */
static const char *last_line(const char *text)
{
    size_t len = strlen(text);
    if (len == 0)
        return text;
    const char *p = text + len - 1;
    while (p > text && p[-1] != '\n')
        p--;
    return p;
}

static void program_bad_input(void **state)
{
    static const struct {
        const char *args[5];
        const char *message;
    } cases[] = {
        {{"-m", "nope"},
         "flags: option -m/--mode 'nope': not one of sequential, threads, futures, loop, "
         "coro, unsafe; try 'flags --help'\n"},
        {{"--quota", "3"},
         "flags: --quota is for -m coro: only the coroutines share a quota; try 'flags "
         "--help'\n"},
        {{"--blocking"}, "flags: --blocking goes with --count-async; try 'flags --help'\n"},
        {{"--server", "ftp://x"}, "flags: --server 'ftp://x': not an http:// URL; try 'flags "
                                  "--help'\n"},
        {{"-m", "loop", "-w", "3"},
         "flags: -m loop runs on one thread: --workers is for threads, futures, unsafe; try "
         "'flags --help'\n"},
        {{"-n", "0"},
         "flags: option -n/--flags '0': must be at least 1; try 'flags --help'\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = rltest_usage_error(FLAGS_PROGRAM, cases[i].args, cases[i].message);
        if (why)
            fail_msg("flags %s: %s", cases[i].args[0], why);
    }
}

static void program_runs(void **state)
{
    /* A few flags, some failing: the failures are outcomes, counted; the
     * run is ok, its verdict the last line. */
    const char *args[] = {"-n", "30", "--delay", "0", "--errors", "50", NULL};
    char *out = program(args, false, 0, NULL);
    bool summary = strstr(out, "30 flags in ") != NULL;
    bool errors = strstr(out, " error") != NULL;
    char last[160];
    snprintf(last, sizeof last, "%s", last_line(out));
    free(out);
    if (!summary || !errors)
        fail_msg("no summary line with its errors");
    if (strcmp(last, "verdict: ok: 30 of 30 downloads counted\n") != 0)
        fail_msg("last line: %s", last);

    /* Into a pipe nobody reads: a quiet exit, with the verdict's status. */
    const char *quiet[] = {"-n", "5", "--delay", "0", NULL};
    free(program(quiet, true, 0, NULL));

    /* --list: every mode, its role, its file. */
    const char *list[] = {"--list", NULL};
    out = program(list, false, 0, NULL);
    const char *want = "sequential\tkit\tsrc/flags_run.c\n"
                       "threads\texercise\tsolutions/flags.c\n"
                       "futures\texercise\tsolutions/flags.c\n"
                       "loop\tkit\tsrc/flags_run.c\n"
                       "coro\texercise\tsolutions/flags.c\n"
                       "unsafe\tspecimen\tsrc/flags_unsafe.c\n";
    bool same = strcmp(out, want) == 0;
    char got[512];
    snprintf(got, sizeof got, "%s", out);
    free(out);
    if (!same)
        fail_msg("--list:\n%s", got);
}

/* No server, a refused connection, a port in use, a server that answers
 * garbage, one that hangs mid-answer: one line each, exit 5. */
static void program_server_trouble(void **state)
{
    char url[64], prefix[200], port_arg[16];
    int port;
    int fd = local_socket(false, &port); /* bound, not listening: refused */
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    snprintf(prefix, sizeof prefix, "flags: no flags server at %s: cannot connect", url);
    const char *refused[] = {"--server", url, NULL};
    free(program(refused, false, 5, prefix));
    close(fd);

    fd = local_socket(true, &port); /* listening: in use */
    snprintf(port_arg, sizeof port_arg, "%d", port);
    snprintf(prefix, sizeof prefix, "flags: port %d is in use", port);
    const char *in_use[] = {"--port", port_arg, NULL};
    free(program(in_use, false, 5, prefix));
    close(fd);

    struct raw w;
    raw_start(&w, "hello garbage\r\n\r\n", false, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", w.port);
    snprintf(prefix, sizeof prefix, "flags: no flags server at %s: ", url);
    const char *garbage[] = {"--server", url, NULL};
    free(program(garbage, false, 5, prefix));
    raw_stop(&w);

    raw_start(&w, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nracelab", true, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", w.port);
    snprintf(prefix, sizeof prefix, "flags: no flags server at %s: %s/reset: timed out", url,
             url);
    const char *hangs[] = {"--server", url, NULL};
    free(program(hangs, false, 5, prefix));
    raw_stop(&w);

    /* Someone else's HTTP server: it answers, but not as this kit's does. */
    raw_start(&w, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", w.port);
    const char *foreign[] = {"--server", url, NULL};
    free(program(foreign, false, 5, "flags: not a racelab flags server"));
    raw_stop(&w);
}

int main(int argc, char **argv)
{
    /* Once, before any thread: libcurl's own contract. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "test_flags_kit: curl_global_init failed\n");
        return 1;
    }
    host_start();
    static struct rltest_case cases[] = {
        {"catalogue: the book's twenty, then AA.., every body an SVG of its own"},
        {"/hello, /stats and /reset"},
        {"flags download whole, with the right bytes"},
        {"codes past the count are not found"},
        {"injected errors: 404, 500 and dropped; the same codes for a seed"},
        {"busy counts the requests inside their delay at once"},
        {"a port in use is refused with one line"},
        {"a refused connection"},
        {"a server that answers garbage"},
        {"a body that stops halfway times out"},
        {"a 200 that is not the flag"},
        {"outcome and error names"},
    };
    struct CMUnitTest tests[] = {
        RLTEST(catalogue, &cases[0]),
        RLTEST(hello_and_stats, &cases[1]),
        RLTEST(flags_download, &cases[2]),
        RLTEST(beyond_count_not_found, &cases[3]),
        RLTEST(injected_errors, &cases[4]),
        RLTEST(busy_counts_overlap, &cases[5]),
        RLTEST(port_in_use, &cases[6]),
        RLTEST(refused, &cases[7]),
        RLTEST(garbage_server, &cases[8]),
        RLTEST(stalled_body_times_out, &cases[9]),
        RLTEST(wrong_body, &cases[10]),
        RLTEST(names, &cases[11]),
    };
    static struct rltest_case program_cases[] = {
        {"program: bad input is one line and exit 2"},
        {"program: a run, its verdict last; a closed pipe; --list"},
        {"program: no server, a port in use, garbage, a hang: one line, exit 5"},
    };
    struct CMUnitTest program_tests[] = {
        RLTEST(program_bad_input, &program_cases[0]),
        RLTEST(program_runs, &program_cases[1]),
        RLTEST(program_server_trouble, &program_cases[2]),
    };
    const struct rltest_group groups[] = {
        {"kit", NULL, tests, sizeof tests / sizeof tests[0], false},
        {"program", NULL, program_tests, sizeof program_tests / sizeof program_tests[0], false},
    };
    int status = rltest_main(argc, argv, groups, 2);
    close(host_fd); /* the host stops what is left, and ends */
    waitpid(host_pid, NULL, 0);
    curl_global_cleanup();
    return status;
}
