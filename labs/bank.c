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

/* TODO(lab 6) ordered: make transfers that cannot deadlock. Contract: one
 * global lock order, by account id, used by every function that holds two
 * or more accounts at once (this transfer and the audit below): lock the
 * lower id first. A transfer from an account to itself changes nothing,
 * and must not lock that account twice. Say in a comment which of the four
 * conditions for a deadlock this breaks. */
void bank_ordered_transfer(struct bank_account *from, struct bank_account *to, long amount)
{
    bank_lock(from);
    bank_lock(to);
    from->balance -= amount;
    to->balance += amount;
    bank_unlock(to);
    bank_unlock(from);
}

/* TODO(lab 6) ordered: the audit reads every balance with no lock: a
 * transfer can be half done under its eyes. Contract: hold every
 * account's lock at once while summing, taken in the same order as the
 * transfers; then release them. */
long bank_ordered_audit(struct bank *b)
{
    long total = 0;
    for (int id = 0; id < b->naccounts; id++)
        total += b->account[id]->balance;
    return total;
}

/* ---- trylock ------------------------------------------------------------- */

/* TODO(lab 6) trylock: make transfers that cannot deadlock, without a lock
 * order. Contract: lock from with bank_lock(), then try to with
 * bank_trylock(); if to is busy, unlock from, call bank_backoff(attempt)
 * and start again, so that a teller never waits while it holds a lock. A
 * transfer to the same account changes nothing and locks nothing twice.
 * Say in a comment which of the four conditions for a deadlock this
 * breaks. */
void bank_trylock_transfer(struct bank_account *from, struct bank_account *to, long amount)
{
    bank_lock(from);
    bank_lock(to);
    from->balance -= amount;
    to->balance += amount;
    bank_unlock(to);
    bank_unlock(from);
}

/* TODO(lab 6) trylock: the audit, as for ordered: every account's lock
 * held at once while summing. May it wait for a lock while it holds
 * others, here? (docs/bank.md asks.) */
long bank_trylock_audit(struct bank *b)
{
    long total = 0;
    for (int id = 0; id < b->naccounts; id++)
        total += b->account[id]->balance;
    return total;
}
