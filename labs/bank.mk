# Lab 6, described once (fields: docs/adding-a-lab.md).
LABS += bank
bank_NUMBER := 6
bank_TITLE := the bank that deadlocks
bank_COMMON := bank_run bank_unsafe
# Under TSan the first report takes a while to print (symbols), and the
# thread printing it stands still: the watchdog gets its default 2 s.
bank_DEMO := -t 4 -n 20000 --fuzz --seed 1
bank_MEMCHECK := -n 1000 -a 5 -w 60
bank_SPECIMEN := -n 20000 -w 1
bank_SHOWS := deadlock
bank_RACE := lock-order
# The watchdog's account on stderr names who waits for whom, and the cycle.
bank_SAYS := a cycle: thread
