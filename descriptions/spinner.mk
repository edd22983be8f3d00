# Lab 5, described once (fields: docs/adding-a-lab.md).
LABS += spinner
spinner_NUMBER := 5
spinner_TITLE := a spinner by a thread, a process, an event loop; a done flag
# --cpu reuses lab 4's is_prime.
spinner_COMMON := spinner_run spinner_shared spinner_unsafe spinner_process spinner_loop \
                  spinner_check \
                  pool_prime
spinner_SOPT := -m
spinner_DEMO := --slow 0.5
spinner_MEMCHECK := --slow 0.3
spinner_SPECIMEN := --slow 0.3
# Its race does no visible damage in a release build: TSan is its show.
spinner_SHOWS := ok
spinner_RACE := global 'unsafe_done'
spinner_FUZZ := no
# Its tests fork from a process with threads: only definite leaks count
# under valgrind (the child holds the threads' stacks' bookkeeping).
spinner_LEAKS := definite
