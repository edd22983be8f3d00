/*
 * prints_check.c - lab 2's line checker: is this output what the fixed
 * program must print? ThreadSanitizer cannot answer that: two whole
 * printf calls from two threads are not a data race, yet they break a
 * record. This checker reads the output itself.
 *
 * Rules, checked line by line so the first broken place is the one
 * reported:
 *   - every line is whole: "The count is N" or the separator, nothing
 *     else, ending in a newline;
 *   - count lines and separators alternate, starting with a count line:
 *     each record is followed by its own separator;
 *   - each count is within 1 .. N and appears once (N: expected, or the
 *     number of count lines);
 *   - if ordered, the counts are 1, 2, 3, ... in that order;
 *   - at the end, no count of 1 .. N is missing.
 * Used by `prints --check`, `prints --verify`, and the tests.
 */
#define _GNU_SOURCE /* memmem */
#include "prints.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char count_prefix[] = "The count is ";

static bool fail(struct prints_verdict *v, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(struct prints_verdict *v, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->why, sizeof v->why, fmt, ap);
    va_end(ap);
    v->ok = false;
    v->line = line;
    return false;
}

/* Whether [p, p + n) is a count line's text (no newline); sets *count. */
static bool parse_count(const char *p, size_t n, long *count)
{
    size_t k = sizeof count_prefix - 1;
    if (n <= k || memcmp(p, count_prefix, k) != 0 || n - k > 18 || p[k] == '0')
        return false;
    long value = 0;
    for (size_t i = k; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        value = value * 10 + (p[i] - '0');
    }
    *count = value;
    return true;
}

bool prints_check(const char *text, size_t len, long expected, bool ordered,
                  struct prints_verdict *v)
{
    *v = (struct prints_verdict){.ok = true};
    size_t sep_len = strlen(PRINTS_SEPARATOR) - 1; /* without its newline */

    /* First pass: how many records claim to be there. */
    long records = 0;
    for (const char *p = text; (p = memmem(p, (size_t)(text + len - p), count_prefix,
                                           sizeof count_prefix - 1)) != NULL; p++)
        records++;
    long n = expected >= 0 ? expected : records;
    long *first_at = calloc((size_t)n + 1, sizeof *first_at); /* line of each count */
    if (!first_at)
        return fail(v, 0, "out of memory for %ld counts", n);

    long line = 0, last = 0, open_count = 0, open_line = 0;
    bool want_separator = false;
    const char *p = text, *end = text + len;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            fail(v, line, "the last line is cut off (no newline): '%.40s'", p);
            goto done;
        }
        size_t n_chars = (size_t)(nl - p);
        long count;
        if (n_chars == sep_len && memcmp(p, PRINTS_SEPARATOR, sep_len) == 0) {
            if (!want_separator) {
                fail(v, line, "a separator with no record before it (a record split "
                     "by another thread's lines?)");
                goto done;
            }
            want_separator = false;
        } else if (parse_count(p, n_chars, &count)) {
            v->records++;
            if (want_separator) {
                fail(v, line, "the record of count %ld (line %ld) is not followed by "
                     "its separator: another record's line came between", open_count,
                     open_line);
                goto done;
            }
            if (count < 1 || count > n) {
                fail(v, line, "count %ld is outside 1 .. %ld", count, n);
                goto done;
            }
            if (first_at[count]) {
                fail(v, line, "count %ld again (first at line %ld): an update was lost",
                     count, first_at[count]);
                goto done;
            }
            if (ordered && count != last + 1) {
                if (count > last + 1)
                    fail(v, line, "count %ld after count %ld: %ld is missing here "
                         "(counts must ascend one by one)", count, last, last + 1);
                else
                    fail(v, line, "count %ld after count %ld: not ascending", count, last);
                goto done;
            }
            first_at[count] = line;
            last = count;
            open_count = count;
            open_line = line;
            want_separator = true;
        } else {
            fail(v, line, "not a whole line of a record: '%.*s'",
                 (int)(n_chars < 60 ? n_chars : 60), p);
            goto done;
        }
        p = nl + 1;
    }
    if (want_separator) {
        fail(v, line, "the last record (count %ld) has no separator", open_count);
        goto done;
    }
    for (long c = 1; c <= n; c++)
        if (!first_at[c]) {
            fail(v, line + 1, "count %ld never printed (%ld records of %ld)", c,
                 v->records, n);
            goto done;
        }
done:
    free(first_at);
    return v->ok;
}
