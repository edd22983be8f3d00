/*
 * explorer_cases.h - programs with known bugs for test_explorer.c (see
 * explorer_cases.c). Each body function is one thread's work (tid 0 or 1).
 */
#ifndef EXPLORER_CASES_H
#define EXPLORER_CASES_H

void cases_count_reset(void);
void cases_count_inc(void);
long cases_count_total(void);
void cases_opposite(int tid);
void cases_lost_wakeup(int tid);
void cases_if_wait(int tid);
void cases_while_wait(int tid);
long cases_if_wait_taken(void);
void cases_spin_forever(int tid);
void cases_busy_forever(int tid);
void cases_crash(int tid);
void cases_time_reset(void);
void cases_time(int tid);
long long cases_time_woke_at(void);
long long cases_time_timed_out_at(void);
void cases_timeout_reset(void);
void cases_timeout_race(int tid);
int cases_timeout_result(void);
void cases_trylock_yield(int tid);
long cases_both(void);
void cases_poll_under_lock(int tid);

#endif /* EXPLORER_CASES_H */
