# Lab 3, described once (fields: docs/adding-a-lab.md).
LABS += queue
queue_NUMBER := 3
queue_TITLE := a thread-safe bounded queue
queue_COMMON := queue_run queue_unsafe
queue_DEMO := -p 4 -c 4 -n 2000 --fuzz --seed 1
queue_MEMCHECK := -n 500 ; -n 500 --pills -k 1
queue_SPECIMEN := -n 2000
queue_SHOWS := broken
queue_RACE := heap block
# The size a reference must move exactly, without sanitizers (make test).
queue_STRESS := -p 4 -c 4 -n 250000 -k 64
# The benchmark's peers, run in the same rounds (bench/peers.h).
queue_BENCH := peer_sbuf peer_ck_ring
