/*
 * prints_run.c - lab 2's driver: the table of strategies, the robust
 * output stream, the worker loop, and the capture through a pipe that the
 * tests and `prints --verify` use. The program (prints_main.c), the tests
 * and the benchmark all go through prints_run(), so they run the same
 * thing.
 */
#define _GNU_SOURCE /* fopencookie */
#include "prints.h"
#include "racelab.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct prints_strategy prints_strategies[] = {
    {"unsafe", prints_unsafe_start, prints_unsafe_record, prints_unsafe_finish, false},
    {"mutex", prints_mutex_start, prints_mutex_record, prints_mutex_finish, true},
    {"stdio", prints_stdio_start, prints_stdio_record, prints_stdio_finish, true},
    {"printer", prints_printer_start, prints_printer_record, prints_printer_finish, true},
    {NULL, NULL, NULL, NULL, false},
};

const struct prints_strategy *prints_find(const char *name)
{
    for (const struct prints_strategy *s = prints_strategies; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

/* ---- output that survives signals, short writes and a vanished reader -- */

static atomic_bool output_gone; /* atomic, relaxed: a flag, orders nothing */

bool prints_output_gone(void)
{
    return atomic_load_explicit(&output_gone, memory_order_relaxed);
}

/* stdio calls this with the lock of the FILE held, whenever its buffer must
 * go out. write(2) may write less than asked (a pipe with little room, a
 * signal mid-way) or fail with EINTR before writing anything: both are
 * retried until everything is out. EPIPE means the reader has gone: say
 * so once, and swallow everything from then on, so the program can stop
 * quietly. */
static ssize_t output_write(void *cookie, const char *buf, size_t size)
{
    int fd = (int)(intptr_t)cookie;
    if (prints_output_gone())
        return (ssize_t)size;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, buf + done, size - done);
        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EPIPE) {
            atomic_store_explicit(&output_gone, true, memory_order_relaxed);
            return (ssize_t)size;
        } else {
            return -1; /* a real error: stdio marks the stream, rl_exit reports it */
        }
    }
    return (ssize_t)size;
}

static int output_close(void *cookie)
{
    return close((int)(intptr_t)cookie);
}

FILE *prints_open_output(int fd)
{
    cookie_io_functions_t io = {.write = output_write, .close = output_close};
    FILE *f = fopencookie((void *)(intptr_t)fd, "w", io);
    if (!f)
        rl_die_errno("fopencookie", errno);
    if (isatty(fd))
        setvbuf(f, NULL, _IOLBF, 0);
    return f;
}

/* ---- the run ----------------------------------------------------------- */

static atomic_long progress; /* atomic, relaxed: records done, for watchers */

long prints_progress(void)
{
    return atomic_load_explicit(&progress, memory_order_relaxed);
}

struct job {
    const struct prints_strategy *s; /* read-only while workers run */
    long records;
    int nworkers;
};

static void worker(int index, void *arg)
{
    const struct job *job = arg;
    long mine = job->records / job->nworkers + (index < job->records % job->nworkers);
    for (long i = 0; i < mine && !prints_output_gone(); i++) {
        job->s->record(index);
        atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    }
}

double prints_run(const struct prints_strategy *s, FILE *out, int nworkers, long records)
{
    struct job job = {s, records, nworkers};
    s->start(out, nworkers);
    int64_t t0 = rl_now_ns();
    rl_run_workers(nworkers, worker, &job);
    int lost = s->finish();
    double seconds = (double)(rl_now_ns() - t0) / 1e9;
    return lost ? -1 : seconds;
}

struct reader {
    int fd;
    char *text;     /* written by the reader thread, read after the join */
    size_t len;
};

static void *read_all(void *arg)
{
    struct reader *r = arg;
    size_t cap = 1 << 16;
    r->text = malloc(cap);
    if (!r->text)
        rl_die_errno("malloc", ENOMEM);
    for (;;) {
        if (r->len + 4096 + 1 > cap) {
            cap *= 2;
            char *grown = realloc(r->text, cap);
            if (!grown)
                rl_die_errno("realloc", ENOMEM);
            r->text = grown;
        }
        ssize_t n = read(r->fd, r->text + r->len, cap - r->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rl_die_errno("read", errno);
        if (n == 0)
            break;
        r->len += (size_t)n;
    }
    r->text[r->len] = '\0';
    return NULL;
}

char *prints_capture(const struct prints_strategy *s, int nworkers, long records,
                     size_t *len, double *seconds)
{
    int fds[2];
    if (pipe(fds) != 0)
        rl_die_errno("pipe", errno);
    struct reader r = {.fd = fds[0]};
    pthread_t reader;
    rl_thread_create(&reader, read_all, &r); /* drains the pipe while we write */
    FILE *out = prints_open_output(fds[1]);
    *seconds = prints_run(s, out, nworkers, records);
    if (fclose(out) != 0) /* flushes, then closes the write end: EOF */
        rl_die_errno("fclose", errno);
    rl_thread_join(reader, NULL);
    close(fds[0]);
    *len = r.len;
    return r.text;
}
