/*
 * test_flags_coro.c - lab 8's coroutines (src/flags_coro.c): the
 * scheduler's turns, sleeps, awaited transfers, early returns and
 * deadlocks, on a fake io whose clock moves only when the scheduler waits
 * (so no test depends on how fast this machine is); the curl io on real
 * transfers that fail at once (a port that refuses); and count_async, in
 * real time, judged on its order only.
 */
#include "rltest.h"

#include "flags.h"
#include "racelab.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- what the coroutines did, in order ----------------------------------- */

struct trace {
    char text[256]; /* words separated by single spaces */
};

static void note(struct trace *tr, const char *word)
{
    size_t len = strlen(tr->text);
    snprintf(tr->text + len, sizeof tr->text - len, "%s%s", len ? " " : "", word);
}

static void note_n(struct trace *tr, const char *name, int n)
{
    char word[32];
    snprintf(word, sizeof word, "%s%d", name, n);
    note(tr, word);
}

/* ---- the fake io ----------------------------------------------------------- */

/* Transfers end only in wait, one per call, in the order the test chose;
 * time moves only in wait, by exactly the time-out asked for, and only
 * when no transfer is in flight. It records every time-out it is asked. */
enum { FAKE_MAX = 16 };

struct fake_io {
    struct co_io io;
    int64_t now_ns;
    struct flags_xfer *started[FAKE_MAX];
    int nstarted, nfinished;
    const int *finish_order;    /* indexes into started[]; NULL: start order */
    long timeouts[FAKE_MAX];    /* what each wait was asked */
    int nwaits;
};

static void fake_start(void *ctx, struct flags_xfer *x)
{
    struct fake_io *f = ctx;
    if (f->nstarted < FAKE_MAX)
        f->started[f->nstarted++] = x;
}

static int fake_wait(void *ctx, long timeout_ms)
{
    struct fake_io *f = ctx;
    if (f->nwaits < FAKE_MAX)
        f->timeouts[f->nwaits] = timeout_ms;
    f->nwaits++;
    if (f->nfinished < f->nstarted) {
        int i = f->finish_order ? f->finish_order[f->nfinished] : f->nfinished;
        struct flags_xfer *x = f->started[i];
        x->result.outcome = FLAGS_OK;
        x->done = true;
        f->nfinished++;
    } else if (timeout_ms > 0) {
        f->now_ns += (int64_t)timeout_ms * 1000000;
    }
    return f->nstarted - f->nfinished;
}

static int64_t fake_now(void *ctx)
{
    return ((struct fake_io *)ctx)->now_ns;
}

static void fake_init(struct fake_io *f)
{
    memset(f, 0, sizeof *f);
    f->io = (struct co_io){fake_start, fake_wait, fake_now, f};
}

/* ---- turns ------------------------------------------------------------------ */

struct yielder {
    struct co co;
    struct co_sched *sched;
    struct trace *trace;
    const char *name;
    int i;
    struct yielder *child;      /* spawned at its first step, if not NULL */
};

/* Notes name1, yields, notes name2 (a loop: it comes back to the same
 * CO_YIELD, so its line alone cannot tell a scheduler it moved). */
static int yielder(void *arg)
{
    struct yielder *t = arg;
    CO_BEGIN(&t->co);
    for (t->i = 1; t->i <= 2; t->i++) {
        note_n(t->trace, t->name, t->i);
        if (t->child && t->i == 1)
            co_spawn(t->sched, yielder, t->child);
        CO_YIELD(&t->co);
    }
    CO_END(&t->co);
}

static void coro_test_turns(void **state)
{
    (void)state;
    struct fake_io f;
    fake_init(&f);
    struct trace tr = {""};
    struct co_sched *s = co_sched_create(&f.io);
    struct yielder t[3] = {{.name = "a"}, {.name = "b"}, {.name = "c"}};
    for (int i = 0; i < 3; i++) {
        t[i].sched = s;
        t[i].trace = &tr;
        co_spawn(s, yielder, &t[i]);
    }
    int left = co_sched_run(s);
    co_sched_destroy(s);
    assert_int_equal(left, 0);
    assert_string_equal(tr.text, "a1 b1 c1 a2 b2 c2");
    for (int i = 0; i < 3; i++)
        assert_int_equal(t[i].co.line, -1);
    assert_int_equal(f.nwaits, 0); /* no transfer, no sleep: nothing to wait on */
}

static void coro_test_spawn_during_run(void **state)
{
    (void)state;
    struct fake_io f;
    fake_init(&f);
    struct trace tr = {""};
    struct co_sched *s = co_sched_create(&f.io);
    struct yielder x = {.name = "x", .trace = &tr};
    struct yielder a = {.name = "a", .trace = &tr, .child = &x};
    struct yielder b = {.name = "b", .trace = &tr};
    a.sched = b.sched = x.sched = s;
    co_spawn(s, yielder, &a);
    co_spawn(s, yielder, &b);
    int left = co_sched_run(s);
    co_sched_destroy(s);
    assert_int_equal(left, 0);
    /* x is spawned by a's first step: it runs after b, in the same turn. */
    assert_string_equal(tr.text, "a1 b1 x1 a2 b2 x2");
}

/* ---- a wake-up from later in the turn ------------------------------------- */

struct player {
    struct co co;
    struct trace *trace;
    int *turn;                  /* whose turn: 0 ping, 1 pong */
    int me;
    int i;
};

/* Five times: awaits its turn, notes its name, hands the turn over. Pong
 * is spawned first, so each turn it waits before ping, later in the same
 * turn, wakes it: the scheduler must run another turn, not block. */
static int player(void *arg)
{
    struct player *p = arg;
    CO_BEGIN(&p->co);
    for (p->i = 0; p->i < 5; p->i++) {
        CO_AWAIT(&p->co, *p->turn == p->me);
        note(p->trace, p->me == 0 ? "ping" : "pong");
        *p->turn = !p->me;
    }
    CO_END(&p->co);
}

static void coro_test_wake_later_in_turn(void **state)
{
    (void)state;
    struct fake_io f;
    fake_init(&f);
    struct trace tr = {""};
    int turn = 0;
    struct co_sched *s = co_sched_create(&f.io);
    struct player pong = {.trace = &tr, .turn = &turn, .me = 1};
    struct player ping = {.trace = &tr, .turn = &turn, .me = 0};
    co_spawn(s, player, &pong);
    co_spawn(s, player, &ping);
    int left = co_sched_run(s);
    co_sched_destroy(s);
    if (left != 0)
        fail_msg("%d coroutines reported deadlocked after '%s': a wake-up by a coroutine "
                 "later in the turn was missed",
                 left, tr.text);
    assert_string_equal(tr.text, "ping pong ping pong ping pong ping pong ping pong");
    assert_int_equal(f.nwaits, 0);
}

/* ---- sleeps on virtual time ------------------------------------------------ */

struct sleeper {
    struct co co;
    struct co_sched *sched;
    struct trace *trace;
    int n;
    long ms;
};

static int sleeper(void *arg)
{
    struct sleeper *t = arg;
    CO_BEGIN(&t->co);
    CO_SLEEP(&t->co, t->sched, t->ms);
    note_n(t->trace, "s", t->n);
    CO_END(&t->co);
}

static void coro_test_sleeps(void **state)
{
    (void)state;
    struct fake_io f;
    fake_init(&f);
    struct trace tr = {""};
    struct co_sched *s = co_sched_create(&f.io);
    struct sleeper t[3] = {{.n = 1, .ms = 30}, {.n = 2, .ms = 10}, {.n = 3, .ms = 20}};
    for (int i = 0; i < 3; i++) {
        t[i].sched = s;
        t[i].trace = &tr;
        co_spawn(s, sleeper, &t[i]);
    }
    int left = co_sched_run(s);
    co_sched_destroy(s);
    assert_int_equal(left, 0);
    assert_string_equal(tr.text, "s2 s3 s1");
    assert_int_equal(f.now_ns, 30 * 1000000);
    /* It slept to each deadline in turn: no polling, no oversleeping. */
    assert_int_equal(f.nwaits, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(f.timeouts[i], 10);
}

/* ---- awaited transfers ------------------------------------------------------ */

struct fetcher {
    struct co co;
    struct co_sched *sched;
    struct trace *trace;
    const char *name;
    struct flags_xfer x;
};

static int fetcher(void *arg)
{
    struct fetcher *t = arg;
    CO_BEGIN(&t->co);
    CO_AWAIT_FETCH(&t->co, t->sched, &t->x);
    note(t->trace, t->x.result.outcome == FLAGS_OK ? t->name : "?");
    CO_END(&t->co);
}

static void coro_test_fetch_order(void **state)
{
    (void)state;
    static const int reverse[] = {2, 1, 0};
    struct fake_io f;
    fake_init(&f);
    f.finish_order = reverse;
    struct trace tr = {""};
    struct co_sched *s = co_sched_create(&f.io);
    static struct fetcher t[3]; /* struct flags_xfer is large: not on the stack */
    const char *names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        t[i] = (struct fetcher){.sched = s, .trace = &tr, .name = names[i]};
        t[i].x.done = true; /* stale: co_fetch_start must clear it */
        t[i].x.result.outcome = FLAGS_ERROR;
        co_spawn(s, fetcher, &t[i]);
    }
    int left = co_sched_run(s);
    co_sched_destroy(s);
    assert_int_equal(left, 0);
    assert_int_equal(f.nstarted, 3);
    assert_ptr_equal(f.started[0], &t[0].x); /* started in spawn order */
    assert_ptr_equal(f.started[2], &t[2].x);
    assert_string_equal(tr.text, "c b a"); /* each went on as its transfer ended */
    assert_int_equal(f.now_ns, 0);
}

/* ---- CO_RETURN -------------------------------------------------------------- */

struct quitter {
    struct co co;
    struct trace *trace;
    const char *name;
    bool quit;
};

static int quitter(void *arg)
{
    struct quitter *t = arg;
    CO_BEGIN(&t->co);
    note_n(t->trace, t->name, 1);
    CO_YIELD(&t->co);
    if (t->quit)
        CO_RETURN(&t->co);
    note_n(t->trace, t->name, 2);
    CO_END(&t->co);
}

static void coro_test_return_early(void **state)
{
    (void)state;
    struct fake_io f;
    fake_init(&f);
    struct trace tr = {""};
    struct co_sched *s = co_sched_create(&f.io);
    struct quitter early = {.trace = &tr, .name = "e", .quit = true};
    struct quitter late = {.trace = &tr, .name = "l"};
    co_spawn(s, quitter, &early);
    co_spawn(s, quitter, &late);
    int left = co_sched_run(s);
    co_sched_destroy(s);
    assert_int_equal(left, 0);
    assert_string_equal(tr.text, "e1 l1 l2");
    assert_int_equal(early.co.line, -1);
    /* Resumed once ended, it ends again and does nothing. */
    assert_int_equal(quitter(&early), CO_DONE);
    assert_string_equal(tr.text, "e1 l1 l2");
}

/* ---- a deadlock of coroutines ---------------------------------------------- */

struct flag_waiter {
    struct co co;
    const bool *flag;
};

static int flag_waiter(void *arg)
{
    struct flag_waiter *t = arg;
    CO_BEGIN(&t->co);
    CO_AWAIT(&t->co, *t->flag);
    CO_END(&t->co);
}

static void coro_test_deadlock(void **state)
{
    (void)state;
    struct fake_io f;
    fake_init(&f);
    struct trace tr = {""};
    bool flag = false; /* nobody sets it */
    struct co_sched *s = co_sched_create(&f.io);
    struct flag_waiter w[2] = {{.flag = &flag}, {.flag = &flag}};
    struct sleeper z = {.sched = s, .trace = &tr, .n = 1, .ms = 50};
    co_spawn(s, flag_waiter, &w[0]);
    co_spawn(s, sleeper, &z);
    co_spawn(s, flag_waiter, &w[1]);
    int left = co_sched_run(s);
    co_sched_destroy(s);
    assert_int_equal(left, 2);
    assert_string_equal(tr.text, "s1");
    assert_true(w[0].co.line > 0 && w[1].co.line > 0); /* still at their await */
    /* It slept for the sleeper, then gave up: never a wait without end. */
    assert_int_equal(f.nwaits, 1);
    assert_int_equal(f.timeouts[0], 50);
}

/* ---- the curl io, on transfers that fail at once --------------------------- */

/* A TCP port bound but not listening: a connection to it is refused at
 * once, so transfers end without a server, in a few milliseconds. */
static int refusing_port(int *fd)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(*fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    return ntohs(a.sin_port);
}

struct done_log {
    struct flags_xfer *xs;
    int order[4];
    int n;
};

static void log_done(void *ctx, struct flags_xfer *x)
{
    struct done_log *d = ctx;
    if (d->n < 4)
        d->order[d->n] = (int)(x - d->xs);
    d->n++;
}

static void coro_test_curl_io(void **state)
{
    (void)state;
    int fd, port = refusing_port(&fd);
    if (port < 0)
        fail_msg("no local port to refuse connections");
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);

    /* A limit of 1: the three run one after another, in start order. */
    static struct flags_xfer xs[3];
    struct done_log d = {.xs = xs};
    struct co_io *io = co_io_curl_create(1, log_done, &d);
    for (int i = 0; i < 3; i++) {
        CURL *easy = curl_easy_init();
        assert_non_null(easy);
        flags_xfer_setup(&xs[i], easy, base, "CN", 5000, -1);
        io->start(io->ctx, &xs[i]);
    }
    int in_flight = 3, waits = 0;
    while (in_flight > 0 && waits++ < 1000)
        in_flight = io->wait(io->ctx, -1);
    int idle = io->wait(io->ctx, -1); /* nothing in flight: at once */
    co_io_curl_destroy(io);

    /* The same through the scheduler: fetchers awaiting the curl io. */
    static struct fetcher t[3];
    struct trace tr = {""};
    io = co_io_curl_create(0, NULL, NULL);
    struct co_sched *s = co_sched_create(io);
    for (int i = 0; i < 3; i++) {
        t[i] = (struct fetcher){.sched = s, .trace = &tr, .name = "x"};
        CURL *easy = curl_easy_init();
        assert_non_null(easy);
        flags_xfer_setup(&t[i].x, easy, base, "IN", 5000, -1);
        co_spawn(s, fetcher, &t[i]);
    }
    int left = co_sched_run(s);
    co_sched_destroy(s);
    co_io_curl_destroy(io);

    for (int i = 0; i < 3; i++) {
        curl_easy_cleanup(xs[i].easy);
        curl_easy_cleanup(t[i].x.easy);
    }
    curl_global_cleanup();
    close(fd);

    assert_int_equal(in_flight, 0);
    assert_int_equal(idle, 0);
    assert_int_equal(d.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(d.order[i], i);
        assert_true(xs[i].done);
        assert_int_equal(xs[i].result.outcome, FLAGS_ERROR);
        assert_int_equal(xs[i].result.error, FLAGS_E_CONNECT);
    }
    assert_int_equal(left, 0);
    for (int i = 0; i < 3; i++) {
        assert_true(t[i].x.done);
        assert_int_equal(t[i].x.result.error, FLAGS_E_CONNECT);
    }
    assert_string_equal(tr.text, "? ? ?"); /* refused: not FLAGS_OK */
}

/* ---- count_async, in real time ---------------------------------------------- */

struct count_case {
    struct rltest_case base;
    bool blocking;
    const char *lines;          /* what it must print first */
    bool together;              /* what it must return */
};

static void coro_test_count_async(void **state)
{
    const struct count_case *c = *state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    double seconds = -1;
    bool together = flags_count_async(out, c->blocking, &seconds);
    fclose(out);
    bool lines_ok = strncmp(text, c->lines, strlen(c->lines)) == 0 &&
                    strncmp(text + strlen(c->lines), "count_async: 3 tasks in ", 24) == 0;
    char shown[128];
    snprintf(shown, sizeof shown, "%s", text);
    free(text);
    if (!lines_ok)
        fail_msg("it printed '%s', expected '%s' then 'count_async: 3 tasks in ...'", shown,
                 c->lines);
    assert_int_equal(together, c->together);
    assert_true(seconds >= 0); /* set; its value is this machine's business */
}

/* ---- the tests -------------------------------------------------------------- */

static struct rltest_case coro_cases[] = {
    {"coro: turns resume every coroutine, in spawn order"},
    {"coro: a coroutine spawned in a turn runs later in it"},
    {"coro: a wake-up later in the turn is not a deadlock"},
    {"coro: sleeps wake in deadline order, on the io's clock"},
    {"coro: awaited transfers go on in the order they end"},
    {"coro: CO_RETURN ends a coroutine early"},
    {"coro: a deadlock of coroutines returns how many are left"},
    {"coro: the curl io, a limit of 1, and the scheduler on it"},
};

static struct count_case count_cases[] = {
    {{"coro: count_async awaiting: One One One Two Two Two"}, false,
     "One\nOne\nOne\nTwo\nTwo\nTwo\n", true},
    {{"coro: count_async blocking: One Two One Two One Two"}, true,
     "One\nTwo\nOne\nTwo\nOne\nTwo\n", false},
};

enum { CORO_NTESTS = 10 };

/* Fills tests[CORO_NTESTS] with this file's tests; returns how many. */
static size_t coro_test_entries(struct CMUnitTest *tests)
{
    static void (*const fns[])(void **) = {
        coro_test_turns,      coro_test_spawn_during_run, coro_test_wake_later_in_turn,
        coro_test_sleeps,     coro_test_fetch_order,      coro_test_return_early,
        coro_test_deadlock,   coro_test_curl_io,
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        tests[n++] = (struct CMUnitTest)RLTEST(fns[i], &coro_cases[i]);
    for (size_t i = 0; i < sizeof count_cases / sizeof count_cases[0]; i++)
        tests[n++] = (struct CMUnitTest)RLTEST(coro_test_count_async, &count_cases[i]);
    return n;
}

int main(int argc, char **argv)
{
    static struct CMUnitTest tests[CORO_NTESTS];
    size_t n = coro_test_entries(tests);
    const struct rltest_group groups[] = {{"coro", NULL, tests, n, false}};
    return rltest_main(argc, argv, groups, 1);
}
