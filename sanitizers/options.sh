# options.sh - the sanitizer options every racelab run uses; sourced by
# sanitizers/run. One place, so the tests, `make tsan` and `make check`
# judge programs the same way.
#
# TSan:
#   halt_on_error=0            show every race, not just the first
#   suppress_equal_addresses=0 report each distinct pair of racing lines,
#                              even on an address already reported: the
#                              specimen's read/write race and its
#                              write/write race are two lessons
#   exitcode=66                a run with reports fails, with a status of
#                              its own (1 is "updates lost")
#   second_deadlock_stack=1    lock-order reports show both acquisitions
#   history_size=4             older accesses kept, so both stacks resolve
#   strip_path_prefix          paths as src/counter_unsafe.c:32, not absolute
# ASan/UBSan: stop on the first error with a non-zero status; LeakSanitizer
# is on (ASan's default).
# (sanitizers/run sets racelab_here to its folder; sourced otherwise, this
# file's folder is taken from $0.)
racelab_sanitizers=$(CDPATH= cd -- "${racelab_here:-${0%/*}}" && pwd)
racelab_top=${racelab_sanitizers%/*}
# Paths are quoted for the sanitizers' own parser, so a checkout in a
# folder with spaces works.
export TSAN_OPTIONS="halt_on_error=0 suppress_equal_addresses=0 exitcode=66 second_deadlock_stack=1 history_size=4 strip_path_prefix='$racelab_top/' suppressions='$racelab_sanitizers/tsan.supp' ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1 exitcode=67 strip_path_prefix='$racelab_top/' ${ASAN_OPTIONS:-}"
# No exitcode here: TSan and ASan read UBSAN_OPTIONS too, and it would
# override theirs. UBSan stops at the first error with a non-zero status.
export UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1 ${UBSAN_OPTIONS:-}"
