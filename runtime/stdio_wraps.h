/*
 * stdio_wraps.h - stdio's output calls, wrapped at link time
 * (-Wl,--wrap=NAME): the shake build pauses before each one, the explorer
 * makes each a scheduling point. Written once here for both.
 *
 * Include it after defining the two things to do before the real call:
 *     static void stdio_before(const char *text, size_t n);       n bytes
 *     static void stdio_before_format(const char *fmt, va_list ap);
 * The list of names is in the Makefile (SHAKE_WRAPS, EXPLORE_WRAPS).
 */
#ifndef STDIO_WRAPS_H
#define STDIO_WRAPS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define STDIO_WRAP(ret, name, params)                                         \
    __attribute__((visibility("default"))) ret __real_##name params;          \
    __attribute__((visibility("default"))) ret __wrap_##name params;          \
    ret __wrap_##name params

STDIO_WRAP(int, fputs, (const char *s, FILE *f))
{
    stdio_before(s, strlen(s));
    return __real_fputs(s, f);
}

STDIO_WRAP(int, puts, (const char *s))
{
    stdio_before(s, strlen(s));
    return __real_puts(s);
}

STDIO_WRAP(size_t, fwrite, (const void *p, size_t size, size_t n, FILE *f))
{
    stdio_before(p, size * n);
    return __real_fwrite(p, size, n, f);
}

STDIO_WRAP(int, fputc, (int c, FILE *f))
{
    char ch = (char)c;
    stdio_before(&ch, 1);
    return __real_fputc(c, f);
}

STDIO_WRAP(int, putc, (int c, FILE *f))
{
    char ch = (char)c;
    stdio_before(&ch, 1);
    return __real_putc(c, f);
}

STDIO_WRAP(int, putchar, (int c))
{
    char ch = (char)c;
    stdio_before(&ch, 1);
    return __real_putchar(c);
}

STDIO_WRAP(int, vfprintf, (FILE *f, const char *fmt, va_list ap))
{
    stdio_before_format(fmt, ap);
    return __real_vfprintf(f, fmt, ap);
}

STDIO_WRAP(int, vprintf, (const char *fmt, va_list ap))
{
    stdio_before_format(fmt, ap);
    return __real_vfprintf(stdout, fmt, ap);
}

/* The variadic ones print through the real vfprintf. */
#define STDIO_WRAP_VARIADIC(name, params, file, last)                         \
    STDIO_WRAP(int, name, params)                                             \
    {                                                                         \
        va_list ap;                                                           \
        va_start(ap, last);                                                   \
        stdio_before_format(fmt, ap);                                         \
        int n = __real_vfprintf(file, fmt, ap);                               \
        va_end(ap);                                                           \
        return n;                                                             \
    }

STDIO_WRAP_VARIADIC(fprintf, (FILE *f, const char *fmt, ...), f, fmt)
STDIO_WRAP_VARIADIC(printf, (const char *fmt, ...), stdout, fmt)
/* _FORTIFY_SOURCE (Ubuntu's gcc turns it on) calls these instead. */
STDIO_WRAP_VARIADIC(__fprintf_chk, (FILE *f, int flag, const char *fmt, ...), f, fmt)
STDIO_WRAP_VARIADIC(__printf_chk, (int flag, const char *fmt, ...), stdout, fmt)

#endif /* STDIO_WRAPS_H */
