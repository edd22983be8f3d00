/*
 * pool_prime.c - lab 4's work: is n prime? Trial division, exact for every
 * 64-bit number, and the book's 20 numbers with their answers.
 */
#include "pool.h"

/* Fluent Python's NUMBERS (primes.py), answers checked by this function
 * and by the book's table. */
const struct pool_known pool_book[POOL_BOOK_COUNT] = {
    {2, true},
    {142702110479723, true},
    {299593572317531, true},
    {3333333333333301, true},
    {3333333333333333, false},
    {3333335652092209, false},
    {4444444444444423, true},
    {4444444444444444, false},
    {4444444488888889, false},
    {5555553133149889, false},
    {5555555555555503, true},
    {5555555555555555, false},
    {6666666666666666, false},
    {6666666666666719, true},
    {6666667141414921, false},
    {7777777536340681, false},
    {7777777777777753, true},
    {7777777777777777, false},
    {9999999999999917, true},
    {9999999999999999, false},
};

uint32_t pool_isqrt(uint64_t n)
{
    /* Digit by digit in base 2 (the schoolbook method): two bits of n per
     * step, 32 steps, integers only. */
    uint64_t root = 0, rem = n, bit = (uint64_t)1 << 62;
    while (bit > rem)
        bit >>= 2;
    while (bit != 0) {
        if (rem >= root + bit) {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)root; /* < 2^32 for every 64-bit n */
}

bool pool_is_prime(uint64_t n)
{
    if (n < 2)
        return false;
    if (n < 4)
        return true;
    if (n % 2 == 0)
        return false;
    /* d <= root < 2^32: d never overflows, d * d is never computed. */
    uint64_t root = pool_isqrt(n);
    for (uint64_t d = 3; d <= root; d += 2)
        if (n % d == 0)
            return false;
    return true;
}

struct pool_result pool_check(uint64_t n)
{
    int64_t t0 = rl_now_ns();
    bool prime = pool_is_prime(n);
    return (struct pool_result){
        .n = n, .prime = prime, .seconds = (double)(rl_now_ns() - t0) / 1e9};
}
