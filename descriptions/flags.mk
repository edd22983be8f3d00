# Lab 8, described once (fields: docs/adding-a-lab.md). Its program runs
# its own HTTP server (a child process) and downloads from it; threads run
# on lab 3's queue and futures on lab 4's executor, from the same directory.
LABS += flags
flags_NUMBER := 8
flags_TITLE := waiting, not computing: flags downloads and count_async
flags_COMMON := flags_run flags_unsafe flags_catalog flags_server flags_client flags_coro \
                pool_futures pool_run pool_unsafe pool_prime pool_processes queue_run queue_unsafe
flags_USES := queue pool
flags_LIBS := -lcurl -lmicrohttpd
flags_SOPT := -m
flags_DEMO := -n 40 --delay 0.01 --timeout 2 --fuzz --seed 1
flags_MEMCHECK := -n 12 --delay 0.01 --limit 2
flags_SPECIMEN := -n 200 --delay 0
flags_SHOWS := broken
flags_RACE := global 'unsafe_tally'
