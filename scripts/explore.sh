#!/bin/sh
# explore.sh - `make explore`: runs each lab's scenarios under the schedule
# explorer (tests/explore_LAB.c, built as build/explore/IMPL/explore_LAB).
#
#   scripts/explore.sh IMPL EX REPLAY LAB...
#
# EX (or empty) picks one exercise; REPLAY (or empty) replays one schedule
# from the token a failure printed, and prints its trace. Exit status: 0
# when every graded schedule was right, 1 when one was not, 2 on a usage
# error (an unknown lab or exercise lists the valid ones).
set -u
impl=$1 ex=$2 replay=$3
shift 3
# An IMPL outside the tree builds under build/explore/ext/ABSPATH (Makefile).
case $impl in /*) bimpl=ext$impl ;; *) bimpl=$impl ;; esac
have=$(make -s --no-print-directory print-explore-labs)
all=$(make -s --no-print-directory print-labs)
for lab in "$@"; do
    case " $all " in
    *" $lab "*) ;;
    *) echo "make explore: no lab '$lab' (labs: $all)" >&2; exit 2 ;;
    esac
done
if [ -n "$replay" ] && [ $# != 1 ]; then
    echo "make explore: REPLAY= replays one lab's schedule: name it with LAB= (a token is GROUP/N/CHOICES)" >&2
    exit 2
fi
status=0
for lab in "$@"; do
    case " $have " in
    *" $lab "*) ;;
    *) [ $# = 1 ] && { echo "make explore: lab $lab has no explorer scenarios yet (labs with: $have)" >&2; exit 2; }
       continue ;;
    esac
    bin=build/explore/$bimpl/explore_$lab
    set -- "$bin"
    [ -n "$ex" ] && set -- "$@" --only "$ex"
    [ -n "$replay" ] && set -- "$@" --replay "$replay"
    echo "racelab explore: $impl/$lab.c"
    "$@"
    rc=$?
    [ $rc = 2 ] && exit 2
    [ $rc != 0 ] && status=1
done
exit $status
