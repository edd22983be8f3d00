# racelab - one Makefile for every lab, build variant and check.
# `make help` lists the targets. Local overrides go in an untracked config.mak.
#
# Build variants, each in its own directory under build/:
#   release  -O2, no sanitizer: the programs and the benchmarks
#   tsan     ThreadSanitizer: programs and tests (with sanitizers/c11threads.c,
#            so TSan sees C11 mtx_t locks too); the tests link the exercise
#            as the shake build compiled it (the same instrumentation, at
#            -O2 as graded: one compile fewer per graded file)
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer: tests
#   shake    -O2 tests whose exercise file is compiled with TSan's
#            instrumentation but linked with runtime/shake.c, which turns every
#            shared access into a race-window amplifier point (see there)
#   explore  the schedule explorer's scenarios (tests/explore_LAB.c): the
#            exercise file (the shake build's object) and the specimens,
#            compiled with TSan's instrumentation, linked with runtime/explore.c,
#            which makes every access and every wrapped call a point where it
#            picks who runs
# Each variant builds labs/ and solutions/ (or IMPL=DIR) side by side:
#   build/release/labs/counter, build/tsan/solutions/test_counter, ...

# Each lab is described once, in descriptions/LAB.mk (docs/adding-a-lab.md): the
# src/ files it links, its program, the arguments of its demo and of its
# specimen's runs, and what the specimen must show. Listed in lab order.
LAB_FILES := $(wildcard descriptions/*.mk)
include $(LAB_FILES)
LABS := $(strip $(foreach n,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16,\
            $(foreach l,$(LABS),$(if $(filter $(n),$($(l)_NUMBER)),$(l)))))
LAB ?= $(LABS)
IMPL ?= labs
BENCH_IMPL ?= solutions

CPPFLAGS += -Iinclude -Iruntime
CFLAGS ?= -g
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter
BASE_CFLAGS = -std=gnu11 -pthread $(WARNINGS) $(if $(filter 1,$(WERROR)),-Werror)
LDLIBS := -pthread
CMOCKA_LIBS := -lcmocka

Q := @
ifeq ($(V),1)
Q :=
endif

-include config.mak

# Any directory can be graded (IMPL=DIR): one inside the tree is named
# relative to it; one outside builds under build/VARIANT/ext/ABSPATH.
override IMPL := $(patsubst $(CURDIR)/%,%,$(abspath $(IMPL)))
override BENCH_IMPL := $(patsubst $(CURDIR)/%,%,$(abspath $(BENCH_IMPL)))
bdir = $(if $(filter /%,$(1)),ext$(1),$(1))

# A mistyped LAB or IMPL is one line that lists what there is.
ifneq ($(filter tsan check explore bench bench-docs diff detectors,$(MAKECMDGOALS)),)
ifneq ($(filter-out $(LABS),$(LAB)),)
$(error no lab '$(firstword $(filter-out $(LABS),$(LAB)))': LAB is one or more of: $(LABS))
endif
endif
ifneq ($(filter tsan check explore,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(IMPL)/.),)
$(error IMPL=$(IMPL): no such directory (IMPL is labs, solutions, or a directory of LAB.c files))
endif
endif
ifneq ($(filter bench bench-docs,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(BENCH_IMPL)/.),)
$(error BENCH_IMPL=$(BENCH_IMPL): no such directory (labs, solutions, or a directory of LAB.c files))
endif
endif

# Installs what the goals need (clang, cmocka, ...) and picks the sanitizer
# compiler; scripts/deps.sh says what it does. Not for help, clean, diff.
DEPS_GOALS := $(filter tsan check test bench explore detectors,$(MAKECMDGOALS) \
                $(if $(filter bench-docs warnings,$(MAKECMDGOALS)),bench)) \
              $(if $(filter all build/release/%,$(or $(MAKECMDGOALS),all)),build) \
              $(if $(filter test-%,$(MAKECMDGOALS)),test) \
              $(if $(filter build/tsan/% build/asan/% build/shake/% build/explore/%,$(MAKECMDGOALS)),check)
# make grade: make check's tools, and the sandbox's.
DEPS_GOALS += $(filter grade,$(MAKECMDGOALS))
# `make test` checks once and exports RACELAB_DEPS=checked, so the hundred
# make runs inside it reuse build/deps.mk instead of probing again.
ifneq ($(strip $(DEPS_GOALS)),)
ifneq ($(RACELAB_DEPS)$(wildcard build/deps.mk),checkedbuild/deps.mk)
$(shell mkdir -p build && scripts/deps.sh $(sort $(DEPS_GOALS)) > build/deps.mk)
endif
include build/deps.mk
ifdef DEPS_ERROR
$(error $(DEPS_ERROR))
endif
endif
# A goal that needs no sanitizer compiler keeps the one last probed.
ifndef SAN_CC
-include build/san-cc.mk
endif
SAN_CC ?= clang

CC_release := $(CC)
CFLAGS_release := -O2
CC_tsan := $(SAN_CC)
CFLAGS_tsan := -O1 -fsanitize=thread -fno-omit-frame-pointer
# No build id: TSan would print it on every line of every report.
LDFLAGS_tsan := -fsanitize=thread -Wl,--build-id=none
CC_asan := $(SAN_CC)
CFLAGS_asan := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
LDFLAGS_asan := -fsanitize=address,undefined
CC_shake := $(SAN_CC)
CFLAGS_shake := -O2
# The grader judges the exercise as it would ship: without asserts, so a
# lock taken inside assert() is seen to vanish.
IMPLFLAGS_shake := -fsanitize=thread -DNDEBUG -fno-optimize-sibling-calls
IMPLFLAGS_tsan := -DNDEBUG
EXTRA_shake = build/shake/runtime/shake.o
# Calls that runtime/shake.c wraps with fuzz points (see there).
SHAKE_WRAPS := pthread_cond_wait pthread_cond_timedwait pthread_cond_clockwait \
               cnd_wait cnd_timedwait pthread_mutex_lock pthread_mutex_unlock \
               mtx_lock mtx_unlock flockfile funlockfile fputs puts fwrite fputc \
               putc putchar vfprintf vprintf fprintf printf __fprintf_chk __printf_chk
LDFLAGS_shake := $(SHAKE_WRAPS:%=-Wl,--wrap=%)
EXTRA_tsan = build/tsan/sanitizers/c11threads.o build/tsan/sanitizers/stdio_locks.o
# The explore binaries link the exercise as the shake build compiled it
# (the same instrumentation, one compile fewer per graded file); no sibling
# calls there, so a call in tail position keeps its caller's frame and a
# trace places an unlock on the exercise's line.
CC_explore := $(SAN_CC)
CFLAGS_explore := -O1
IMPLFLAGS_explore := -fsanitize=thread -DNDEBUG -fno-optimize-sibling-calls
EXTRA_explore = build/explore/runtime/explore.o
# Calls that runtime/explore.c models (see there): whatever blocks, waits,
# sleeps, yields, reads the clock or starts a thread.
EXPLORE_WRAPS := pthread_mutex_lock pthread_mutex_trylock pthread_mutex_unlock \
                 pthread_spin_lock pthread_spin_trylock pthread_spin_unlock \
                 pthread_rwlock_rdlock pthread_rwlock_wrlock pthread_rwlock_tryrdlock \
                 pthread_rwlock_trywrlock pthread_rwlock_unlock \
                 pthread_cond_init pthread_cond_wait pthread_cond_timedwait pthread_cond_clockwait \
                 pthread_cond_signal pthread_cond_broadcast pthread_create pthread_join \
                 pthread_exit pthread_once call_once mtx_lock mtx_trylock mtx_unlock cnd_wait \
                 cnd_timedwait cnd_signal cnd_broadcast thrd_create thrd_join sem_init sem_wait \
                 sem_trywait sem_timedwait sem_post sched_yield thrd_yield nanosleep \
                 clock_nanosleep usleep sleep thrd_sleep clock_gettime flockfile funlockfile \
                 ftrylockfile fputs puts fwrite fputc putc putchar vfprintf vprintf fprintf \
                 printf __fprintf_chk __printf_chk
LDFLAGS_explore := $(EXPLORE_WRAPS:%=-Wl,--wrap=%) -ldl
# The labs that have explorer scenarios.
EXPLORE_LABS = $(foreach l,$(LABS),$(if $(wildcard tests/explore_$(l).c),$(l)))

VARIANTS := release tsan asan shake explore

# Each variant remembers the compiler and flags that built it, in
# build/VARIANT/flags, rewritten only when they change: objects depend on
# it, so switching compilers (clang or the gcc fallback) or flags
# (CFLAGS=...) rebuilds instead of mixing old and new objects. -Werror
# (WERROR=1) changes no object, so it does not count: make test's runs with
# and without it share their objects.
# (Read and written by make itself, no shell: make check runs make several
# times per lab, and on a virtual machine each process started costs.)
define remember_flags
FLAGS_$(1) := $(CC_$(1)) $(CPPFLAGS) $(filter-out -Werror,$(BASE_CFLAGS)) $(CFLAGS) $(CFLAGS_$(1)) | $(IMPLFLAGS_$(1)) | $(LDFLAGS) $(LDFLAGS_$(1))
ifneq ($$(file < build/$(1)/flags),$$(FLAGS_$(1)))
$$(shell mkdir -p build/$(1))
$$(file > build/$(1)/flags,$$(FLAGS_$(1)))
endif
STAMP_$(1) := build/$(1)/flags
endef
ifneq ($(filter-out help clean diff print-labs,$(or $(MAKECMDGOALS),all)),)
$(foreach v,$(VARIANTS),$(eval $(call remember_flags,$(v))))
endif
IMPLS := $(sort labs solutions $(IMPL) $(BENCH_IMPL))

# The kit's own tests, linked with the runtime and the KIT_OBJS they name.
# (and the libraries in _LIBS).
KIT_TESTS := test_runtime test_specimens test_primes test_spinner_program test_flags_kit \
             test_flags_coro
test_primes_KIT_OBJS := pool_prime pool_processes
test_spinner_program_KIT_OBJS := spinner_check
test_flags_kit_KIT_OBJS := flags_catalog flags_server flags_client flags_coro
test_flags_kit_LIBS = $(flags_LIBS)
test_flags_coro_KIT_OBJS := flags_catalog flags_client flags_coro
test_flags_coro_LIBS = $(flags_LIBS)

# The program of a lab (its name, unless LAB_PROG says otherwise), and the
# option that picks a strategy.
prog = $(or $($(1)_PROG),$(1))
sopt = $(or $($(1)_SOPT),-s)

.DELETE_ON_ERROR:
.PRECIOUS: %/
.SECONDEXPANSION:
.DEFAULT_GOAL := all

# $(call compile,VARIANT,EXTRA_FLAGS)
compile = @echo "  CC      $@"; $(if $(Q),,set -x;) \
          $(CC_$(1)) $(CPPFLAGS) $(BASE_CFLAGS) $(CFLAGS) $(CFLAGS_$(1)) $(2) \
          -MMD -MP -c $< -o $@
# $(call link,VARIANT,LIBS)
link = @echo "  LINK    $@"; $(if $(Q),,set -x;) \
       $(CC_$(1)) $(BASE_CFLAGS) $(CFLAGS) $(CFLAGS_$(1)) $(LDFLAGS) \
       $(LDFLAGS_$(1)) $^ $(LDLIBS) $(2) -o $@

define variant_rules
build/$(1)/common/%.o: src/%.c $(STAMP_$(1)) | $$$$(@D)/
	$$(call compile,$(1))
build/$(1)/runtime/%.o: runtime/%.c $(STAMP_$(1)) | $$$$(@D)/
	$$(call compile,$(1))
build/$(1)/tests/%.o: tests/%.c $(STAMP_$(1)) | $$$$(@D)/
	$$(call compile,$(1))
build/$(1)/bench/%.o: bench/%.c $(STAMP_$(1)) | $$$$(@D)/
	$$(call compile,$(1))
build/$(1)/sanitizers/%.o: sanitizers/%.c $(STAMP_$(1)) | $$$$(@D)/
	$$(call compile,$(1))
$(KIT_TESTS:%=build/$(1)/%): build/$(1)/%: build/$(1)/tests/%.o build/$(1)/runtime/rltest.o \
                         $$$$(addsuffix .o,$$$$(addprefix build/$(1)/common/,$$$$($$$$*_KIT_OBJS))) \
                         build/$(1)/runtime/racelab.o $(EXTRA_$(1)) | $$$$(@D)/
	$$(call link,$(1),$(CMOCKA_LIBS) $$($$*_LIBS))
endef

# $(call impl_rules,VARIANT,IMPL_DIR)
define impl_rules
build/$(1)/$(call bdir,$(2))/%.o: $(2)/%.c $(STAMP_$(1)) | $$$$(@D)/
	$$(call compile,$(1),$(IMPLFLAGS_$(1)))
# Which directory the programs' exercise files came from, for --list.
build/$(1)/$(call bdir,$(2))/impl_dir.o: runtime/impl_dir.c $(STAMP_$(1)) | $$$$(@D)/
	$$(call compile,$(1),-DRL_IMPL_DIR='"$(2)"')
endef

# $(call lab_rules,VARIANT,IMPL_DIR,LAB): the lab's program, its tests,
# its explorer scenarios and its benchmark, built from IMPL_DIR's LAB.c
# (and the files of the labs it USES), with the src/ files it names.
define lab_rules
$(eval B := build/$(1)/$(call bdir,$(2)))
$(eval EX_OBJS := $(3:%=$(B)/%.o) $($(3)_USES:%=$(B)/%.o))
$(eval KIT_OBJS := $($(3)_COMMON:%=build/$(1)/common/%.o) build/$(1)/runtime/racelab.o)
$(eval LAB_LIBS := $($(3)_LIBS) $(foreach u,$($(3)_USES),$($(u)_LIBS)))
$(eval SHAKE_EX_OBJS := $(3:%=build/shake/$(call bdir,$(2))/%.o) \
                        $($(3)_USES:%=build/shake/$(call bdir,$(2))/%.o))
$(B)/$(call prog,$(3)): build/$(1)/common/$(3)_main.o $(EX_OBJS) $(B)/impl_dir.o \
                        $(KIT_OBJS) $(EXTRA_$(1)) | $$$$(@D)/
	$$(call link,$(1),$(LAB_LIBS))
$(B)/test_$(3): build/$(1)/tests/test_$(3).o build/$(1)/runtime/rltest.o \
                $(if $(filter tsan,$(1)),$(SHAKE_EX_OBJS),$(EX_OBJS)) \
                $(KIT_OBJS) $(EXTRA_$(1)) | $$$$(@D)/
	$$(call link,$(1),$(CMOCKA_LIBS) $(LAB_LIBS))
$(B)/explore_$(3): build/$(1)/tests/explore_$(3).o $(SHAKE_EX_OBJS) \
                   $(KIT_OBJS) $(EXTRA_$(1)) | $$$$(@D)/
	$$(call link,$(1),$(LAB_LIBS))
$(B)/bench_$(3): build/$(1)/bench/bench_$(3).o $($(3)_BENCH:%=build/$(1)/bench/%.o) $(EX_OBJS) \
                $(KIT_OBJS) | $$$$(@D)/
	$$(call link,$(1),$(LAB_LIBS) $($(3)_BENCH_FLAGS))
endef

$(foreach v,$(VARIANTS),$(eval $(call variant_rules,$(v))))
# A benchmark whose peer needs a compiler flag (lab 4's OpenMP) gets it.
$(foreach v,$(VARIANTS),$(foreach l,$(LABS),$(if $($(l)_BENCH_FLAGS),\
    $(eval build/$(v)/bench/bench_$(l).o: CFLAGS_$(v) += $($(l)_BENCH_FLAGS)))))
$(foreach v,$(VARIANTS),$(foreach i,$(IMPLS),$(eval $(call impl_rules,$(v),$(i)))))
$(foreach v,$(VARIANTS),$(foreach i,$(IMPLS),$(foreach l,$(LABS),\
    $(eval $(call lab_rules,$(v),$(i),$(l))))))

# The explorer sees the specimens' accesses too: they are what it shows.
build/explore/common/%_unsafe.o: src/%_unsafe.c $(STAMP_explore) | $$(@D)/
	$(call compile,explore,$(IMPLFLAGS_explore))

# The explorer's own tests, on small programs compiled like an exercise.
build/explore/tests/explorer_cases.o: tests/explorer_cases.c $(STAMP_explore) | $$(@D)/
	$(call compile,explore,$(IMPLFLAGS_explore))
build/explore/test_explorer: build/explore/tests/test_explorer.o build/explore/tests/explorer_cases.o \
                             build/explore/runtime/rltest.o build/explore/runtime/racelab.o \
                             $(EXTRA_explore) | $$(@D)/
	$(call link,explore,$(CMOCKA_LIBS))

# A tiny TSan program: sanitizers/run starts it first to learn whether this
# kernel's address-space randomisation breaks TSan.
build/tsan/aslr-probe: sanitizers/aslr-probe.c $(STAMP_tsan) | $$(@D)/
	@echo "  LINK    $@"
	$(Q)$(CC_tsan) $(CFLAGS_tsan) $(LDFLAGS_tsan) $< -o $@

%/:
	@mkdir -p $@

# Sources that moved: a build/ from before names them in its .d files, and
# must rebuild, not stop at "No rule to make target".
src/racelab.c src/shake.c src/explore.c src/impl_dir.c src/stdio_wraps.h tests/rltest.c \
tests/rltest.h:

# The header dependencies of what this run can build: the kit's objects
# and those of the IMPL directories in play (not every graded directory's
# under build/: make test grades a hundred).
-include $(wildcard $(foreach v,$(VARIANTS),$(foreach d,common runtime tests bench sanitizers \
                        $(foreach i,$(IMPLS),$(call bdir,$(i))),build/$(v)/$(d)/*.d)))

## all: build every lab program, exercise (labs/) and reference (solutions/), -O2
.PHONY: all
all: $(foreach i,labs solutions,$(foreach l,$(LABS),build/release/$(i)/$(call prog,$(l))))

## tsan: build the lab programs with ThreadSanitizer and show their races [LAB= IMPL= V=1]
.PHONY: tsan
tsan: $(foreach l,$(LAB),build/tsan/$(call bdir,$(IMPL))/$(call prog,$(l))) build/tsan/aslr-probe \
      build/labs.table
	@V="$(V)" scripts/tsan-demo.sh "$(IMPL)" $(LAB)

## check: grade the exercises, one line each: PASS, or FAIL with a hint [LAB= EX= IMPL= FORMAT=]
# scripts/check.sh builds each lab's tests itself, so a lab that does not
# compile is graded FAIL and the others still are; its makes share this
# one's jobs (-j) and dependency check. EXERCISE= is the old name of EX=.
# FORMAT=json|junit|tap: that report alone on stdout (scripts/report.sh),
# so the probe's build line goes to stderr.
.PHONY: check
check:
	@RACELAB_DEPS=checked $(MAKE) -s --no-print-directory build/tsan/aslr-probe >&2
	@MAKE="$(MAKE)" RACELAB_DEPS=checked EXERCISE="$(or $(EX),$(EXERCISE))" \
	    RACELAB_LABS="$(LABS)" RACELAB_EXPLORE_LABS="$(EXPLORE_LABS)" FORMAT="$(FORMAT)" \
	    scripts/check.sh "$(IMPL)" $(LAB)

## explore: run the exercises' scenarios under the schedule explorer [LAB= EX= IMPL= REPLAY=]
.PHONY: explore
explore: $(foreach l,$(filter $(EXPLORE_LABS),$(LAB)),build/explore/$(call bdir,$(IMPL))/explore_$(l))
	@scripts/explore.sh "$(IMPL)" "$(EX)" "$(REPLAY)" $(LAB)

## detectors: specimens and references under TSan, Helgrind, DRD, shake, explorer: a matrix [LAB=]
# scripts/detectors.sh runs what this builds (the reference's programs and
# tests, each variant) and writes build/detectors/matrix.csv and the logs.
.PHONY: detectors
detectors: $(foreach l,$(LAB),build/release/solutions/$(call prog,$(l)) \
               build/tsan/solutions/$(call prog,$(l)) build/shake/solutions/test_$(l)) \
           $(foreach l,$(filter $(EXPLORE_LABS),$(LAB)),build/explore/solutions/explore_$(l)) \
           build/tsan/aslr-probe build/labs.table
	@scripts/detectors.sh $(LAB)

## test: the kit's own test suite; each section alone: make test-SECTION
.PHONY: test
test:
	@scripts/test.sh
TEST_SECTIONS := build runtime explorer specimens programs solutions valgrind exercises \
                 mutants tsan detectors bench grader format grade
.PHONY: $(TEST_SECTIONS:%=test-%)
$(TEST_SECTIONS:%=test-%): test-%:
	@scripts/test.sh $*

## bench: throughput of each strategy and its peers, in one run [LAB= BENCH_IMPL=]
# scripts/bench.sh says under what conditions each ran, and leaves
# build/bench/LAB.csv and, with gnuplot, LAB.svg: made on demand, not kept
# in git, since a picture of another machine's numbers would mislead.
.PHONY: bench
bench: $(LAB:%=build/release/$(call bdir,$(BENCH_IMPL))/bench_%) | build/bench/
	@scripts/bench.sh build/release/$(call bdir,$(BENCH_IMPL)) $(LAB)

## bench-docs: run the benchmarks and write each run into its lab's page [LAB=]
.PHONY: bench-docs
bench-docs: $(LAB:%=build/release/solutions/bench_%) | build/bench/
	@scripts/bench.sh --docs build/release/solutions $(LAB)

## diff: show the exercise: labs/LAB.c against solutions/LAB.c [LAB=]
.PHONY: diff
diff:
	@for l in $(LAB); do diff -u labs/$$l.c solutions/$$l.c; done; true

## warnings: compile every source with -Werror, no output (CC=gcc or CC=clang)
.PHONY: warnings
warnings:
	@ls runtime/*.c src/*.c labs/*.c solutions/*.c tests/*.c bench/*.c sanitizers/*.c | \
	    xargs -P "$$(nproc)" -I{} $(CC) $(CPPFLAGS) -DRL_IMPL_DIR='"labs"' $(BASE_CFLAGS) $(CFLAGS) -O2 -Werror \
	        -c {} -o /dev/null && echo "  $(CC): no warnings"

## grade: grade a class: each of SUBMISSIONS=DIR in a sandboxed copy [LAB= JOBS= OUT=]
# scripts/grade.sh; the instructor's page is docs/grading.md.
.PHONY: grade
grade:
	@[ -n "$(SUBMISSIONS)" ] || { echo "make grade: which submissions? make grade SUBMISSIONS=DIR" >&2; exit 2; }
	@MAKE="$(MAKE)" scripts/grade.sh --labs "$(LAB)" $(if $(JOBS),--jobs "$(JOBS)") \
	    $(if $(OUT),--out "$(OUT)") "$(SUBMISSIONS)"

## compdb: write compile_commands.json, each source's flags for clangd and clang-tidy
.PHONY: compdb
compdb:
	@scripts/compdb.sh $(CC) $(CPPFLAGS) $(filter-out -Werror,$(BASE_CFLAGS)) $(CFLAGS)

## clean: remove build/
.PHONY: clean
clean:
	rm -rf build

# For scripts and tests: one line per lab (per case, for a lab with cases),
# its fields from descriptions/LAB.mk separated by '|':
#   lab|case|program|option|demo|memcheck|specimen|shows|race|says|fuzz|leaks|stress|number|title
# (case "-" when the lab has none; memcheck: runs separated by ';').
field = $(strip $(or $($(1)_$(2)_$(3)),$($(1)_$(3))))
table_row = $(1)|$(or $(2),-)|$(call prog,$(1))|$(call sopt,$(1))|$(call field,$(1),$(2),DEMO)|$(call field,$(1),$(2),MEMCHECK)|$(call field,$(1),$(2),SPECIMEN)|$(call field,$(1),$(2),SHOWS)|$(call field,$(1),$(2),RACE)|$(call field,$(1),$(2),SAYS)|$(or $(call field,$(1),$(2),FUZZ),yes)|$(or $(call field,$(1),$(2),LEAKS),all)|$(call field,$(1),$(2),STRESS)|$($(1)_NUMBER)|$($(1)_TITLE)
build/labs.table: $(LAB_FILES) Makefile | build/
	@{ $(foreach l,$(LABS),$(foreach c,$(or $($(l)_CASES),-),\
	    printf '%s\n' "$(call table_row,$(l),$(filter-out -,$(c)))";)) } >$@

.PHONY: print-labs print-explore-labs
print-labs:
	@echo $(LABS)
print-explore-labs:
	@echo $(EXPLORE_LABS)

## help: list the targets
.PHONY: help
help:
	@echo "racelab: labs for race conditions and locking. Targets:"
	@sed -n 's/^## \([a-z-]*\): /  make \1  -  /p' $(MAKEFILE_LIST)
	@echo "  LAB=$(LABS)   IMPL=labs|solutions|DIR (default labs)   V=1 shows commands"
	@echo "  test sections: $(TEST_SECTIONS)"
