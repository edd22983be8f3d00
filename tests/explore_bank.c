/*
 * explore_bank.c - lab 6's explorer scenarios. Each exercise (ordered,
 * trylock) runs four small scenarios over every schedule with up to one
 * preemption (the opposite transfers then over 16 PCT schedules too); every
 * balance must end where the transfers put it, the audit must see the
 * total, and no schedule may leave the threads waiting for each other:
 *
 *   same account   one thread: a transfer from an account to itself (must
 *                  change nothing and not wait for itself), then a normal one;
 *   opposite       transfer(0 -> 1) and transfer(1 -> 0) at once: the
 *                  specimen's deadlock, two locks taken in opposite orders;
 *   one payee      transfer(0 -> 2) and transfer(1 -> 2): a transfer that
 *                  locks only one of its accounts loses the other's update;
 *   audit          an audit beside transfer(0 -> 1): it must return the
 *                  total, and take its locks in the transfers' order.
 *
 * The specimen (unsafe) runs the opposite transfers only: its table is two
 * locks, and the deadlock verdict says who waits for whom.
 *
 * The accounts are allocated one by one (so traces name them acct0,
 * acct1 ...; a balance is acctN+40) and lie in memory in the reverse of
 * their ids, as bank_open's shuffle may put them: a lock order by address
 * is then not an order by id, and a transfer that orders by one while the
 * audit orders by the other deadlocks here. bank_backoff's sleeps are
 * virtual: a trylock teller that backs off costs no wall time.
 */
#include "explore.h"

#include "bank.h"
#include "racelab.h"

#include <stdio.h>
#include <stdlib.h>

/* MAX_STEPS: the longest right schedule here is about 50 steps, and a
 * trylock teller that keeps its first lock retries forever: it ends as a
 * livelock after this many. */
enum { OPENING = 1000, MAX_ACCOUNTS = 3, MAX_STEPS = 300 };

static const struct bank_strategy *strategy;
static struct bank *bank;
static long audited = -1;           /* what the audit returned; by the auditor */

/* A bank of n accounts, each its own allocation, id 0 at the highest
 * address. Never closed: a schedule's heap is left behind, and the
 * explorer's worker is replaced now and then. */
static void open_bank(const char *name, int n)
{
    strategy = bank_find(name);
    bank = calloc(1, sizeof *bank);
    struct bank_account *acct[MAX_ACCOUNTS];
    for (int i = 0; i < n; i++) {
        acct[i] = calloc(1, sizeof *acct[i]);
        if (!acct[i] || !bank)
            abort();
    }
    /* Sort by address, highest first: that order is the ids'. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && acct[j - 1] < acct[j]; j--) {
            struct bank_account *t = acct[j];
            acct[j] = acct[j - 1];
            acct[j - 1] = t;
        }
    bank->naccounts = n;
    bank->opening = OPENING;
    for (int id = 0; id < n; id++) {
        struct bank_account *a = acct[id];
        bank_account_init(bank, a, id, OPENING);
        char label[16];
        snprintf(label, sizeof label, "acct%d", id);
        rlx_name(a, label);
    }
    for (int t = 0; t < BANK_TELLERS; t++)
        atomic_init(&bank->waits_for[t], -1);
    rlx_name(bank, "bank");
}

static void transfer(int from, int to, long amount)
{
    strategy->transfer(bank->account[from], bank->account[to], amount);
}

/* NULL when every balance is want[id]; else which one is not. */
static const char *balances(const long *want)
{
    for (int id = 0; id < bank->naccounts; id++)
        if (bank->account[id]->balance != want[id])
            return rlx_say("account %d holds %ld, expected %ld (total %ld of %ld)", id,
                           bank->account[id]->balance, want[id], bank_total(bank),
                           bank->naccounts * (long)OPENING);
    return NULL;
}

/* ---- same account, then another ------------------------------------------ */

static void same_body(int tid)
{
    bank_be_teller(tid);
    transfer(0, 0, 7);
    transfer(0, 1, 5);
}

static const char *same_check(void)
{
    const long want[] = {OPENING - 5, OPENING + 5};
    return balances(want);
}

/* ---- opposite transfers ---------------------------------------------------- */

static void opposite_body(int tid)
{
    bank_be_teller(tid);
    if (tid == 0)
        transfer(0, 1, 10);
    else
        transfer(1, 0, 20);
}

static const char *opposite_check(void)
{
    const long want[] = {OPENING - 10 + 20, OPENING + 10 - 20};
    return balances(want);
}

/* ---- one payee --------------------------------------------------------------- */

static void payee_body(int tid)
{
    bank_be_teller(tid);
    transfer(tid, 2, 10 + tid);
}

static const char *payee_check(void)
{
    const long want[] = {OPENING - 10, OPENING - 11, OPENING + 21};
    return balances(want);
}

/* ---- an audit beside a transfer ------------------------------------------- */

static void audit_body(int tid)
{
    if (tid == 0) {
        bank_be_teller(0);
        transfer(0, 1, 100);
    } else {
        bank_be_teller(BANK_AUDITOR);
        audited = strategy->audit(bank);
    }
}

static const char *audit_check(void)
{
    if (audited != 2 * OPENING)
        return rlx_say("the audit returned %ld, the total is %d: it must hold every account "
                       "until it has read them all", audited, 2 * OPENING);
    const long want[] = {OPENING - 100, OPENING + 100};
    return balances(want);
}

/* ---- the groups ------------------------------------------------------------ */

#define SETUP(strat, n)                                                        \
    static void setup_##strat##_##n(void) { open_bank(#strat, n); }
#define OPPOSITE(strat)                                                        \
    {.name = "transfer(0 -> 1) and transfer(1 -> 0) at once", .threads = 2,    \
     .setup = setup_##strat##_2, .body = opposite_body, .check = opposite_check, \
     .preemptions = 1, .pct_runs = 16, .max_steps = MAX_STEPS}
#define SCENARIOS(strat)                                                       \
    SETUP(strat, 2)                                                            \
    SETUP(strat, 3)                                                            \
    static const struct rlx_scenario strat##_scenarios[] = {                   \
        {.name = "transfer(0 -> 0), then transfer(0 -> 1)", .threads = 1,      \
         .setup = setup_##strat##_2, .body = same_body, .check = same_check},  \
        OPPOSITE(strat),                                                       \
        {.name = "transfer(0 -> 2) and transfer(1 -> 2) at once", .threads = 2, \
         .setup = setup_##strat##_3, .body = payee_body, .check = payee_check, \
         .preemptions = 1, .max_steps = MAX_STEPS},                            \
        {.name = "an audit beside transfer(0 -> 1)", .threads = 2,             \
         .setup = setup_##strat##_2, .body = audit_body, .check = audit_check, \
         .preemptions = 1, .max_steps = MAX_STEPS},                            \
    };

/* The specimen: just its deadlock (its audit is right). */
SETUP(unsafe, 2)
static const struct rlx_scenario unsafe_scenarios[] = {OPPOSITE(unsafe)};

SCENARIOS(ordered)
SCENARIOS(trylock)

static const struct rlx_group groups[] = {
    RLX_GROUP(unsafe, true),
    RLX_GROUP(ordered, false),
    RLX_GROUP(trylock, false),
};

int main(int argc, char **argv)
{
    return rlx_main(argc, argv, "bank", groups, RLX_COUNT(groups));
}
