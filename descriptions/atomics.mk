# Lab 7, described once (fields: docs/adding-a-lab.md). Its program takes
# a CASE first, and each case has its own specimen.
LABS += atomics
atomics_NUMBER := 7
atomics_TITLE := atomics and memory order: publication, double-checked locking, volatile
atomics_COMMON := atomics_run atomics_unsafe
atomics_CASES := publish once volatile
atomics_DEMO := -t 4 -n 2000 --fuzz --seed 1
atomics_MEMCHECK := -n 500
atomics_SPECIMEN := -n 200
# publish's race does no visible damage on x86: TSan is its show.
atomics_publish_SHOWS := ok
atomics_publish_RACE := global 'unsafe_slots'
atomics_once_SHOWS := broken
atomics_once_RACE := global 'unsafe_instance'
atomics_volatile_SPECIMEN := -n 20000
atomics_volatile_SHOWS := broken
atomics_volatile_RACE := global 'unsafe_count'
# A round of once is a new config and every thread's gets: fewer of them.
atomics_once_DEMO := -t 4 -n 200 --fuzz --seed 1
