/*
 * test_bank.c - lab 6's tests: transfers that never deadlock and never
 * lose money, and audits that see one consistent moment.
 *
 * Each exercise (ordered, trylock) gets the same five tests:
 *   same account   a transfer to itself changes nothing and returns; a
 *                  normal one moves the amount the right way;
 *   opposite       two transfers between the same two accounts in opposite
 *                  directions, each paused just after its first lock until
 *                  the other has taken its own first lock (or is waiting
 *                  for one): the schedule that deadlocks the specimen,
 *                  forced on the first try;
 *   one payee      two transfers into one account, paused the same way: a
 *                  transfer that locks only one of its accounts writes the
 *                  payee's balance at the same time as the other (TSan);
 *   mid-audit      the audit is paused just after it releases its first
 *                  lock while a transfer runs: an audit that lets go of an
 *                  account before it has read them all counts the moved
 *                  money twice, or not at all;
 *   random         1, 2, 4 and 8 threads doing random transfers among five
 *                  accounts beside the auditor, with the amplifier on.
 * A run that stops moving fails within seconds, with the books' account
 * of who waits for whom. Under ThreadSanitizer, a lock-order inversion
 * (one order in the transfer, another in the audit) or an unguarded
 * balance fails too. The watchdog group (not an exercise) tests how the
 * books describe a deadlock.
 *
 * Workers only transfer and record; the main thread asserts after the join.
 * Shared test data lives on the heap (TSan does not always see stack
 * objects handed to other threads).
 */
#include "rltest.h"

#include "bank.h"
#include "racelab.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SEED = 6000, STUCK_MS = 2000, OPENING = 1000 };
#define STUCK_SECONDS (STUCK_MS / 1000.0)
#ifdef UNDER_TSAN
enum { TRANSFERS = 150 };
#else
enum { TRANSFERS = 400 };
#endif

enum kind { SAME_ACCOUNT, OPPOSITE, ONE_PAYEE, MID_AUDIT, RANDOM };

struct bank_case {
    struct rltest_case base;        /* base.name points to name */
    const struct bank_strategy *s;
    enum kind kind;
    int threads;                    /* RANDOM */
    char name[80];
};

static void pause_briefly(void)
{
    const struct timespec ts = {0, 20 * 1000};
    nanosleep(&ts, NULL);
}

/* ---- schedules the test controls ---------------------------------------- */

/* What the installed hook schedules: set while no worker runs. */
static void *_Atomic scheduled;

/* Runs run(arg) under the watch (nothing may stand still for STUCK_MS),
 * with fuzzing on and hook installed, reading its state from arg. True
 * when run returned. */
static bool run_scheduled(rl_fuzz_hook *hook, void (*run)(void *), void *arg, uint64_t seed)
{
    atomic_store_explicit(&scheduled, arg, memory_order_relaxed);
    rl_fuzz_set_hook(hook);
    rl_fuzz_enable(seed);
    bool finished = rltest_run_watched(run, arg, NULL, STUCK_SECONDS);
    rl_fuzz_disable();
    rl_fuzz_set_hook(NULL);
    atomic_store_explicit(&scheduled, NULL, memory_order_relaxed);
    return finished;
}

/* True when teller t waits for an account another thread holds: it is
 * blocked, or about to be (not merely on its way to a free lock). */
static bool waits_on_other(struct bank *b, int t)
{
    int w = atomic_load_explicit(&b->waits_for[t], memory_order_relaxed);
    if (w < 0)
        return false;
    int h = atomic_load_explicit(&b->account[w]->holder, memory_order_relaxed);
    return h >= 0 && h != t;
}

/* The books' account on one line ("who; who; a cycle: ..."), so that
 * `make check` shows it whole on its FAIL line. */
static const char *one_line(const char *report)
{
    static char line[2048];
    size_t n = 0;
    for (const char *p = report; *p && n + 3 < sizeof line; p++) {
        if (*p == '\n') {
            while (p[1] == ' ')
                p++;
            if (p[1])
                line[n++] = ';', line[n++] = ' ';
        } else if (n > 0 || *p != ' ') {
            line[n++] = *p;
        }
    }
    line[n] = '\0';
    return line;
}

static const char *describe(struct bank *b)
{
    static char report[2048];
    bank_describe(b, report, sizeof report);
    return one_line(report);
}

/* ---- same account ------------------------------------------------------- */

struct single {
    const struct bank_strategy *s;
    struct bank *b;
};

static void single_run(void *arg)
{
    struct single *one = arg;
    bank_be_teller(0);
    one->s->transfer(one->b->account[0], one->b->account[0], 7);
    one->s->transfer(one->b->account[0], one->b->account[1], 5);
}

static void test_same_account(const struct bank_case *c)
{
    struct single *one = calloc(1, sizeof *one); /* leaked if the run hangs */
    assert_non_null(one);
    one->s = c->s;
    one->b = bank_open(3, OPENING, SEED);
    if (!rltest_run_watched(single_run, one, NULL, STUCK_SECONDS))
        fail_msg("%s: transfer(account 0 -> account 0, 7), then (0 -> 1, 5), one thread: "
                 "not back after %.0f s: %s", c->s->name, STUCK_SECONDS, describe(one->b));
    long a0 = one->b->account[0]->balance, a1 = one->b->account[1]->balance;
    if (a0 != OPENING - 5 || a1 != OPENING + 5)
        fail_msg("%s: after transfer(0 -> 0, 7) and transfer(0 -> 1, 5), account 0 holds "
                 "%ld and account 1 %ld; expected %d and %d", c->s->name, a0, a1,
                 OPENING - 5, OPENING + 5);
    bank_close(one->b);
    free(one);
}

/* ---- two transfers, each paused after its first lock -------------------- */

struct duo {
    const struct bank_strategy *s;
    struct bank *b;
    struct bank_account *from[2], *to[2];
    _Atomic bool paused[2];     /* relaxed, all: no lock ordering from here */
    _Atomic bool arrived[2];
    _Atomic bool done[2];
};

/* Teller t (0 or 1), having taken its first lock, waits until the other
 * has taken its own first lock, waits for a lock held, or is done. Plain
 * relaxed flags: the pause must not order the tellers' accesses for TSan. */
static void duo_hook(const char *point, unsigned stream, enum rl_fuzz_action action)
{
    (void)action;
    struct duo *d = atomic_load_explicit(&scheduled, memory_order_relaxed);
    if (!d || stream > 1 || strcmp(point, "bank: locked") != 0)
        return;
    if (atomic_exchange_explicit(&d->paused[stream], true, memory_order_relaxed))
        return; /* only the first lock of the run */
    atomic_store_explicit(&d->arrived[stream], true, memory_order_relaxed);
    unsigned o = 1 - stream;
    while (!atomic_load_explicit(&d->arrived[o], memory_order_relaxed) &&
           !atomic_load_explicit(&d->done[o], memory_order_relaxed) &&
           !waits_on_other(d->b, (int)o))
        pause_briefly();
}

static void duo_teller(int index, void *arg)
{
    struct duo *d = arg;
    bank_be_teller(index);
    d->s->transfer(d->from[index], d->to[index], 10 + index);
    atomic_store_explicit(&d->done[index], true, memory_order_relaxed);
}

static void duo_run(void *arg)
{
    rl_run_workers(2, duo_teller, arg);
}

static void test_duo(const struct bank_case *c, uint64_t seed)
{
    struct duo *d = calloc(1, sizeof *d); /* leaked if the run hangs */
    assert_non_null(d);
    d->s = c->s;
    d->b = bank_open(5, OPENING, SEED);
    struct bank_account **acc = d->b->account;
    const char *what;
    if (c->kind == OPPOSITE) {
        d->from[0] = acc[1], d->to[0] = acc[3];
        d->from[1] = acc[3], d->to[1] = acc[1];
        what = "transfer(1 -> 3) and transfer(3 -> 1) at once";
    } else {
        d->from[0] = acc[0], d->to[0] = acc[4];
        d->from[1] = acc[1], d->to[1] = acc[4];
        what = "transfer(0 -> 4) and transfer(1 -> 4) at once";
    }
    if (!run_scheduled(duo_hook, duo_run, d, seed))
        fail_msg("%s: %s, each thread paused after its first lock until the other took its "
                 "own: no progress for %.0f s: %s", c->s->name, what, STUCK_SECONDS,
                 describe(d->b));
    long want[5] = {OPENING, OPENING, OPENING, OPENING, OPENING};
    for (int t = 0; t < 2; t++) {
        want[d->from[t]->id] -= 10 + t;
        want[d->to[t]->id] += 10 + t;
    }
    for (int id = 0; id < 5; id++)
        if (acc[id]->balance != want[id])
            fail_msg("%s: after %s, account %d holds %ld, expected %ld", c->s->name, what,
                     id, acc[id]->balance, want[id]);
    bank_close(d->b);
    free(d);
}

/* ---- an audit paused half way ------------------------------------------- */

struct mid {
    const struct bank_strategy *s;
    struct bank *b;
    _Atomic bool paused_once, paused, go, audited, moved; /* relaxed */
    long total;                 /* the audit's; read after the join */
};

/* The auditor, just after it released its first lock, waits for go. */
static void mid_hook(const char *point, unsigned stream, enum rl_fuzz_action action)
{
    (void)action;
    struct mid *m = atomic_load_explicit(&scheduled, memory_order_relaxed);
    if (!m || stream != BANK_AUDITOR || strcmp(point, "bank: unlocked") != 0)
        return;
    if (atomic_exchange_explicit(&m->paused_once, true, memory_order_relaxed))
        return;
    atomic_store_explicit(&m->paused, true, memory_order_relaxed);
    while (!atomic_load_explicit(&m->go, memory_order_relaxed))
        pause_briefly();
}

static void *mid_auditor(void *arg)
{
    struct mid *m = arg;
    bank_be_teller(BANK_AUDITOR);
    m->total = m->s->audit(m->b);
    atomic_store_explicit(&m->audited, true, memory_order_relaxed);
    return NULL;
}

static void *mid_teller(void *arg)
{
    struct mid *m = arg;
    bank_be_teller(0);
    m->s->transfer(m->b->account[0], m->b->account[m->b->naccounts - 1], 100);
    atomic_store_explicit(&m->moved, true, memory_order_relaxed);
    return NULL;
}

/* The auditor runs until its first unlock; then a transfer from the first
 * account to the last runs until it is done or waits for a lock held;
 * then the auditor goes on. */
static void mid_run(void *arg)
{
    struct mid *m = arg;
    pthread_t auditor, teller;
    rl_thread_create(&auditor, mid_auditor, m);
    while (!atomic_load_explicit(&m->paused, memory_order_relaxed) &&
           !atomic_load_explicit(&m->audited, memory_order_relaxed))
        pause_briefly();
    rl_thread_create(&teller, mid_teller, m);
    while (!atomic_load_explicit(&m->moved, memory_order_relaxed) &&
           !waits_on_other(m->b, 0))
        pause_briefly();
    atomic_store_explicit(&m->go, true, memory_order_relaxed);
    rl_thread_join(auditor, NULL);
    rl_thread_join(teller, NULL);
}

static void test_mid_audit(const struct bank_case *c, uint64_t seed)
{
    struct mid *m = calloc(1, sizeof *m); /* leaked if the run hangs */
    assert_non_null(m);
    m->s = c->s;
    m->b = bank_open(4, OPENING, SEED);
    if (!run_scheduled(mid_hook, mid_run, m, seed))
        fail_msg("%s: an audit, paused after its first unlock while transfer(0 -> 3, 100) "
                 "ran: no progress for %.0f s: %s", c->s->name, STUCK_SECONDS,
                 describe(m->b));
    if (m->total != 4 * OPENING)
        fail_msg("%s: an audit, paused after its first unlock while transfer(0 -> 3, 100) "
                 "ran, returned %ld instead of %d: it must hold every account until it has "
                 "read them all", c->s->name, m->total, 4 * OPENING);
    if (bank_total(m->b) != 4 * OPENING)
        fail_msg("%s: the total is %ld after one transfer, expected %d", c->s->name,
                 bank_total(m->b), 4 * OPENING);
    bank_close(m->b);
    free(m);
}

/* ---- random transfers beside the auditor -------------------------------- */

static void test_random(const struct bank_case *c, uint64_t seed)
{
    const struct bank_config cfg = {
        .threads = c->threads, .accounts = 5, .transfers = TRANSFERS,
        .opening = OPENING, .seed = seed, .audit = true, .stuck_ms = STUCK_MS,
    };
    rl_fuzz_enable(seed);
    struct bank_result *r = malloc(sizeof *r);
    assert_non_null(r);
    *r = bank_run(c->s, &cfg);
    rl_fuzz_disable();
    const char *name = c->s->name, *plural = c->threads == 1 ? "" : "s";
    if (r->stuck)
        fail_msg("%s, %d thread%s: no transfer for %.0f s (%ld of %ld done): %s", name,
                 c->threads, plural, STUCK_SECONDS, r->transfers,
                 (long)c->threads * TRANSFERS, one_line(r->report));
    if (r->total != r->expected)
        fail_msg("%s, %d thread%s: the total went from %ld to %ld", name, c->threads, plural,
                 r->expected, r->total);
    if (r->bad_audits > 0)
        fail_msg("%s, %d thread%s: %ld of %ld audits were wrong (the first saw %ld of %ld)",
                 name, c->threads, plural, r->bad_audits, r->audits, r->first_bad,
                 r->expected);
    assert_int_equal(r->transfers, (long)c->threads * TRANSFERS);
    free(r);
}

static void test_exercise(void **state)
{
    const struct bank_case *c = *state;
    uint64_t seed = SEED + (uint64_t)c->kind * 10 + (uint64_t)c->threads;
    switch (c->kind) {
    case SAME_ACCOUNT: test_same_account(c); break;
    case OPPOSITE:
    case ONE_PAYEE: test_duo(c, seed); break;
    case MID_AUDIT: test_mid_audit(c, seed); break;
    case RANDOM: test_random(c, seed); break;
    }
}

/* ---- the watchdog's account of the books -------------------------------- */

static void set_books(struct bank *b, const int holder[], const int waits[][2], int nwaits)
{
    for (int id = 0; id < b->naccounts; id++)
        atomic_store_explicit(&b->account[id]->holder, holder[id], memory_order_relaxed);
    for (int i = 0; i < nwaits; i++)
        atomic_store_explicit(&b->waits_for[waits[i][0]], waits[i][1], memory_order_relaxed);
}

static void expect_text(const char *report, const char *text)
{
    if (!strstr(report, text))
        fail_msg("the books' account does not say '%s':\n%s", text, report);
}

static void describe_cycle(void **state)
{
    (void)state;
    struct bank *b = bank_open(4, OPENING, SEED);
    const int holder[4] = {-1, 0, 2, BANK_AUDITOR};
    const int waits[][2] = {{0, 2}, {2, 3}, {BANK_AUDITOR, 1}, {5, 0}};
    set_books(b, holder, waits, 4);
    char report[2048];
    assert_true(bank_describe(b, report, sizeof report));
    expect_text(report, "  thread 0 holds account 1 and waits for account 2, "
                        "held by thread 2\n");
    expect_text(report, "  thread 2 holds account 2 and waits for account 3, "
                        "held by the auditor\n");
    expect_text(report, "  the auditor holds account 3 and waits for account 1, "
                        "held by thread 0\n");
    expect_text(report, "  thread 5 waits for account 0\n");
    expect_text(report, "  a cycle: thread 0 -> thread 2 -> the auditor -> thread 0\n");
    bank_close(b);
}

static void describe_self(void **state)
{
    (void)state;
    struct bank *b = bank_open(2, OPENING, SEED);
    const int holder[2] = {-1, 3};
    const int waits[][2] = {{3, 1}};
    set_books(b, holder, waits, 1);
    char report[2048];
    assert_true(bank_describe(b, report, sizeof report));
    expect_text(report, "  thread 3 holds account 1 and waits for account 1, "
                        "which it holds itself\n");
    bank_close(b);
}

static void describe_no_cycle(void **state)
{
    (void)state;
    struct bank *b = bank_open(3, OPENING, SEED);
    const int holder[3] = {1, -1, -1};
    const int waits[][2] = {{0, 0}};
    set_books(b, holder, waits, 1);
    char report[2048];
    assert_false(bank_describe(b, report, sizeof report));
    expect_text(report, "  thread 0 waits for account 0, held by thread 1\n");
    expect_text(report, "  thread 1 holds account 0\n");
    const int none[3] = {-1, -1, -1};
    const int no_wait[][2] = {{0, -1}};
    set_books(b, none, no_wait, 1);
    assert_false(bank_describe(b, report, sizeof report));
    expect_text(report, "livelock");
    bank_close(b);
}

/* Accounts lie in memory in another order than their ids: ordering locks
 * by address is not ordering them by id (the lab's trap, kept honest). */
static void layout_is_shuffled(void **state)
{
    (void)state;
    struct bank *b = bank_open(5, OPENING, SEED);
    int disagree = 0;
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            disagree += b->account[i] > b->account[j];
    if (disagree == 0)
        fail_msg("accounts 0..4 lie in memory in id order");
    assert_int_equal(bank_total(b), 5 * OPENING);
    bank_close(b);
}

static const struct {
    const char *strategy;
    const char *hint;
} exercises[] = {
    {"ordered", "TODO(lab 6) ordered: lock the lower id first, in the transfer and the "
                "audit alike; a transfer to itself locks once, or not at all"},
    {"trylock", "TODO(lab 6) trylock: lock from, try to; if busy, unlock from, back off, "
                "retry; the audit holds every lock while it reads"},
};
enum { NEXERCISES = sizeof exercises / sizeof exercises[0] };

static const int thread_counts[] = {1, 2, 4, 8};
enum { NCOUNTS = sizeof thread_counts / sizeof thread_counts[0], PER_GROUP = 4 + NCOUNTS };

int main(int argc, char **argv)
{
    static struct bank_case cases[NEXERCISES][PER_GROUP];
    static struct CMUnitTest tests[NEXERCISES][PER_GROUP];
    struct rltest_group groups[NEXERCISES + 1];
    static const char *const kind_names[] = {
        [SAME_ACCOUNT] = "a transfer to the same account, then to another",
        [OPPOSITE] = "two opposite transfers, each paused after its first lock",
        [ONE_PAYEE] = "two transfers into one account, each paused after its first lock",
        [MID_AUDIT] = "an audit paused after its first unlock, while a transfer runs",
    };

    for (int e = 0; e < NEXERCISES; e++) {
        const struct bank_strategy *s = bank_find(exercises[e].strategy);
        for (int k = 0; k < PER_GROUP; k++) {
            struct bank_case *c = &cases[e][k];
            c->s = s;
            c->kind = k < RANDOM ? (enum kind)k : RANDOM;
            c->threads = c->kind == RANDOM ? thread_counts[k - RANDOM] : 1;
            if (c->kind == RANDOM)
                snprintf(c->name, sizeof c->name, "%s, %d thread%s, random transfers and "
                         "audits", s->name, c->threads, c->threads == 1 ? "" : "s");
            else
                snprintf(c->name, sizeof c->name, "%s: %s", s->name, kind_names[c->kind]);
            c->base.name = c->name;
            tests[e][k] = (struct CMUnitTest)RLTEST(test_exercise, c);
        }
        groups[e] = (struct rltest_group){s->name, exercises[e].hint, tests[e], PER_GROUP,
                                          false};
    }
    static struct rltest_case books[] = {
        {"the books: a cycle of waits, named"},
        {"the books: a thread that waits for itself"},
        {"the books: waits without a cycle, and no waits at all"},
        {"the bank: accounts lie in memory out of id order"},
    };
    static struct CMUnitTest book_tests[4];
    void (*book_fns[4])(void **) = {describe_cycle, describe_self, describe_no_cycle,
                                    layout_is_shuffled};
    for (int i = 0; i < 4; i++) {
        struct rltest_case *bc = &books[i];
        book_tests[i] = (struct CMUnitTest)RLTEST(book_fns[i], bc);
    }
    groups[NEXERCISES] = (struct rltest_group){"watchdog", NULL, book_tests, 4, false};
    return rltest_main(argc, argv, groups, NEXERCISES + 1);
}
