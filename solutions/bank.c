/*
 * bank.c - lab 6: two ways to make transfers that cannot deadlock, each
 * fixing the specimen in src/bank_unsafe.c. The contract of every function
 * is in include/bank.h.
 *
 * labs/bank.c is the exercise (grade it: make check LAB=bank),
 * solutions/bank.c the reference fix; `make diff LAB=bank` shows the
 * difference. bank_lock() and friends are fuzz points already: with
 * --fuzz, a thread may pause just after it takes a lock.
 */
#include "bank.h"

/* ---- ordered ------------------------------------------------------------- */

/* A deadlock needs four things at once: mutual exclusion (one holder per
 * lock), hold and wait (a thread holds one lock while it waits for
 * another), no preemption (nobody takes a lock away), and a circular
 * wait. This strategy breaks the circular wait: every thread that holds
 * two accounts took the lower id first, so a chain of waits can only climb
 * the ids, and can never come back around to close a cycle. */

void bank_ordered_transfer(struct bank_account *from, struct bank_account *to, long amount)
{
    /* One account: nothing moves, and locking it twice would wait forever
     * for ourselves. */
    if (from == to)
        return;
    struct bank_account *first = from->id < to->id ? from : to;
    struct bank_account *second = first == from ? to : from;
    bank_lock(first);
    bank_lock(second);
    from->balance -= amount;
    to->balance += amount;
    bank_unlock(second);
    bank_unlock(first);
}

/* The sum of every balance at one moment: every account held at once,
 * taken in the same order as the transfers, by id. */
static long sum_holding_all(struct bank *b)
{
    for (int id = 0; id < b->naccounts; id++)
        bank_lock(b->account[id]);
    long total = 0;
    for (int id = 0; id < b->naccounts; id++)
        total += b->account[id]->balance;
    for (int id = b->naccounts - 1; id >= 0; id--)
        bank_unlock(b->account[id]);
    return total;
}

long bank_ordered_audit(struct bank *b)
{
    return sum_holding_all(b);
}

/* ---- trylock ------------------------------------------------------------- */

/* This strategy breaks hold and wait instead: a teller that cannot have
 * its second account at once lets go of the first, so it never waits
 * while it holds anything. Two tellers can still collide over and over;
 * the random, growing back-off makes them fall out of step. */

void bank_trylock_transfer(struct bank_account *from, struct bank_account *to, long amount)
{
    if (from == to)
        return;
    for (unsigned attempt = 0;; attempt++) {
        bank_lock(from); /* holding nothing: waiting here is safe */
        if (bank_trylock(to))
            break;
        bank_unlock(from);
        bank_backoff(attempt);
    }
    from->balance -= amount;
    to->balance += amount;
    bank_unlock(to);
    bank_unlock(from);
}

/* The same audit as ordered's. The auditor may wait while it holds
 * accounts: the tellers never do, so whoever holds the account it waits
 * for lets go soon. */
long bank_trylock_audit(struct bank *b)
{
    return sum_holding_all(b);
}
