/*
 * flags_catalog.c - lab 8's catalogue: which codes there are, and the
 * file the server serves for each. Both sides compute it: the server to
 * answer, the client to check that what came is the flag, byte for byte.
 *
 * Nothing is stored: flags_code() computes the i-th code and flags_body()
 * draws the flag from a hash of its code, so the same code always gives
 * the same bytes, in any process, with no table to share or lock.
 */
#include "flags.h"

#include "racelab.h"

#include <stdio.h>
#include <string.h>

/* The book's twenty, the countries with the most people, in its order. */
static const char top20[20][3] = {
    "CN", "IN", "US", "ID", "BR", "PK", "NG", "BD", "RU", "JP",
    "MX", "PH", "VN", "ET", "EG", "DE", "IR", "TR", "CD", "FR",
};

enum { TWO_LETTER = 26 * 26, THREE_LETTER = 26 * 26 * 26 };

/* A two-letter code's place in AA..ZZ. */
static int pair_index(const char *c)
{
    return (c[0] - 'A') * 26 + (c[1] - 'A');
}

void flags_code(int i, char code[FLAGS_CODE_MAX])
{
    code[0] = '\0';
    if (i < 0 || i >= FLAGS_MAX)
        return;
    if (i < 20) {
        memcpy(code, top20[i], 3);
        return;
    }
    int j = i - 20;
    if (j < TWO_LETTER - 20) {
        /* The j-th pair that is not one of the twenty: step over each of
         * them at or below it, in increasing order. */
        int taken[20];
        for (int t = 0; t < 20; t++) {
            int v = pair_index(top20[t]), k = t;
            for (; k > 0 && taken[k - 1] > v; k--)
                taken[k] = taken[k - 1];
            taken[k] = v;
        }
        for (int t = 0; t < 20; t++)
            if (taken[t] <= j)
                j++;
        code[0] = (char)('A' + j / 26);
        code[1] = (char)('A' + j % 26);
        code[2] = '\0';
        return;
    }
    j -= TWO_LETTER - 20; /* < THREE_LETTER, since FLAGS_MAX is */
    code[0] = (char)('A' + j / 676);
    code[1] = (char)('A' + j / 26 % 26);
    code[2] = (char)('A' + j % 26);
    code[3] = '\0';
}

_Static_assert(FLAGS_MAX <= 20 + (TWO_LETTER - 20) + THREE_LETTER, "codes run out");

/* The flag: an SVG of three stripes (across or down), colours from
 * the hash; the code as its title; a comment of letters from the hash, so
 * that files are from about 350 to about 2,000 bytes. */
size_t flags_body(const char *code, char *buf, size_t cap)
{
    /* The code as written in the file: letters and digits only (a code
     * from the catalogue always is), at most FLAGS_CODE_MAX - 1 of them. */
    char name[FLAGS_CODE_MAX];
    size_t n = 0;
    for (; code[n] && n < FLAGS_CODE_MAX - 1; n++) {
        char c = code[n];
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        name[n] = plain ? c : '_';
    }
    name[n] = '\0';

    uint64_t h = 1469598103934665603u; /* FNV-1a of the code, then splitmix */
    for (const char *p = code; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211u;
    uint64_t state = h;
    unsigned colour[3];
    for (int s = 0; s < 3; s++)
        colour[s] = (unsigned)(rl_random(&state) & 0xffffff);
    bool down = rl_random(&state) & 1;
    size_t padding = (size_t)(rl_random(&state) % 1650);

    char out[FLAGS_BODY_MAX];
    size_t len = (size_t)snprintf(
        out, sizeof out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"200\""
        " viewBox=\"0 0 3 3\" preserveAspectRatio=\"none\">\n"
        "<title>%s</title>\n"
        "<!-- racelab flag %s\n",
        name, name);
    /* Lower-case letters, 63 to a line: never "--", which ends a comment. */
    for (size_t k = 0; k < padding; k++)
        out[len++] = k % 64 == 63 ? '\n' : (char)('a' + rl_random(&state) % 26);
    len += (size_t)snprintf(out + len, sizeof out - len, "\n-->\n");
    for (int s = 0; s < 3; s++)
        len += (size_t)snprintf(out + len, sizeof out - len,
                                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\""
                                " fill=\"#%06x\"/>\n",
                                down ? s : 0, down ? 0 : s, down ? 1 : 3, down ? 3 : 1, colour[s]);
    len += (size_t)snprintf(out + len, sizeof out - len, "</svg>\n");
    if (cap > 0)
        memcpy(buf, out, len < cap ? len : cap);
    return len;
}
