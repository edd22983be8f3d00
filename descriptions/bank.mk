# Lab 6, described once (fields: docs/adding-a-lab.md).
LABS += bank
bank_NUMBER := 6
bank_TITLE := the bank that deadlocks
bank_COMMON := bank_run bank_unsafe
# Under TSan the first report takes a while to print (symbols), and the
# thread printing it stands still: the watchdog gets its default 2 s.
bank_DEMO := -t 4 -n 20000 --fuzz --seed 1
bank_MEMCHECK := -n 1000 -a 5 -w 60
# -w 3: under TSan the first report (and the process's exit) waits for
# the symbolizer; a 1 s watchdog on a loaded machine sometimes ended the
# run before the lock-order inversion was counted.
bank_SPECIMEN := -n 20000 -w 3
bank_SHOWS := deadlock
bank_RACE := lock-order
# The watchdog's account on stderr names who waits for whom, and the cycle.
bank_SAYS := a cycle: thread
