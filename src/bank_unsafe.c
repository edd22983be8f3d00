/*
 * bank_unsafe.c - lab 6's specimen, broken on purpose: a transfer locks
 * the account it takes from, then the account it pays into, in argument
 * order. Thread A moving money from 3 to 7 holds 3 and waits for 7; thread
 * B moving money from 7 to 3 holds 7 and waits for 3. Neither lets go:
 * a deadlock, and the whole bank stops.
 *
 * Each lock is safe on its own, and the balances are always guarded: the
 * bug is only in the order. With --fuzz, bank_lock() may pause a thread
 * just after it took its first lock, which is when another thread takes
 * the second: the program deadlocks on every run (its watchdog reports who
 * waits for whom and exits 3). ThreadSanitizer sees the two orders in its
 * lock graph even on a run that got lucky, and reports a
 * "lock-order-inversion (potential deadlock)".
 *
 * The test for the TSan report finds the two locking lines by their
 * "LOCK:" comments below; keep those on the calls.
 */
#include "bank.h"

void bank_unsafe_transfer(struct bank_account *from, struct bank_account *to, long amount)
{
    if (from == to)
        return; /* nothing moves; and locking one mutex twice would hang */
    bank_lock(from);                /* LOCK: first */
    bank_lock(to);                  /* LOCK: second */
    from->balance -= amount;
    to->balance += amount;
    bank_unlock(to);
    bank_unlock(from);
}

/* The audit is right: it holds every lock at once, taken by id. */
long bank_unsafe_audit(struct bank *b)
{
    long total = 0;
    for (int id = 0; id < b->naccounts; id++)
        bank_lock(b->account[id]);
    for (int id = 0; id < b->naccounts; id++)
        total += b->account[id]->balance;
    for (int id = b->naccounts - 1; id >= 0; id--)
        bank_unlock(b->account[id]);
    return total;
}
