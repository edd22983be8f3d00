# Lab 1, described once: the Makefile, `make tsan`, `make test`, the
# grader and the tests all read this. The fields are explained in
# docs/adding-a-lab.md.
LABS += counter
counter_NUMBER := 1
counter_TITLE := the counter that loses updates
counter_COMMON := counter_run counter_unsafe
counter_DEMO := -t 4 -n 5000 --fuzz --seed 1
counter_MEMCHECK := -n 2000
counter_SPECIMEN := -n 20000
counter_SHOWS := broken
counter_RACE := global 'unsafe_count'
# The benchmark's peers, run in the same rounds (bench/peers.h).
counter_BENCH := peer_counters
