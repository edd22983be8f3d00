/*
 * aslr-probe.c - the smallest ThreadSanitizer program. sanitizers/run starts
 * it before a TSan build: TSan from clang < 18 aborts at start-up with
 * "unexpected memory mapping" on kernels that randomise mmap with more bits
 * (vm.mmap_rnd_bits = 32) than it expects; if this probe does, the real
 * program is run under `setarch -R` instead.
 */
int main(void)
{
    return 0;
}
