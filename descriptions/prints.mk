# Lab 2, described once (fields: docs/adding-a-lab.md).
LABS += prints
prints_NUMBER := 2
prints_TITLE := prints that interleave
# The printer strategy runs on lab 3's queue, from the same directory.
prints_COMMON := prints_run prints_unsafe prints_check queue_run queue_unsafe
prints_USES := queue
prints_DEMO := -t 4 -n 200 --fuzz --seed 1 --verify
prints_MEMCHECK := -n 200
prints_SPECIMEN := -n 200 --verify
prints_SHOWS := broken
prints_RACE := global 'unsafe_count'
