# Lab 4, described once (fields: docs/adding-a-lab.md).
LABS += pool
pool_NUMBER := 4
pool_TITLE := a home-made worker pool checking primes
# It runs on lab 3's queue, from the same directory; its program is called
# primes and picks a strategy with -m (a mode).
pool_COMMON := pool_run pool_unsafe pool_prime pool_futures pool_processes \
               queue_run queue_unsafe
pool_USES := queue
pool_PROG := primes
pool_SOPT := -m
pool_DEMO := -w 4 --fuzz --seed 1 1000000007 1000000011 10000000019 10000000021 \
             99999999977 99999999999 999999999989 999999999999 4294967291 4294967297 \
             2147483647 2147483649 100000000003 100000000005 1000000000039 1000000000041
pool_MEMCHECK := -w 3 1000003 1000033 1000037 1000039 1000081 1000099 7 8 9 10
pool_SPECIMEN := -w 4 1009 1013 1019 1021 1031 1033 1039 1049 1051 1061 1063 1069 1087 \
                 1091 1093 1097 1000003 1000033 1000037 1000039
pool_SHOWS := broken
# Its race is on a decision, not on memory: every access goes through the
# queue's lock, and TSan rightly reports nothing.
pool_RACE := none
# The benchmark's peer, OpenMP, is in bench_pool.c itself (bench/peers.h).
pool_BENCH_FLAGS := -fopenmp
