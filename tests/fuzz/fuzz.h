/* Shared by the fuzz harnesses (tests/fuzz/fuzz_<target>.c): the libFuzzer entry point each
 * defines, and the few things several need — a scratch folder for parsers that read files,
 * and a NUL-terminated copy for those that take C strings. Harness code aborts on a broken
 * environment (cannot write /tmp) rather than report a false finding. */
#ifndef FLEETSIM_TEST_FUZZ_H
#define FLEETSIM_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Each harness: parse `data` with the real entry point, free everything, return 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* A harness with a slow setup (keys made, the configuration loaded) defines this: libFuzzer
 * calls it once before the first input, so the setup is not timed as that input's run (a
 * loaded machine made the RSA key generation overrun -timeout=10 on the first, empty input).
 * The harness still sets up on its first input when nothing called this (replay.c). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* "<scratch>/<name>", malloc'd; the scratch folder is made on first use (mkdtemp under
 * $TMPDIR, else /dev/shm, else /tmp) and removed with its contents at exit. */
char *fuzz_path(const char *name);
/* Replaces the file at `path` with `size` bytes of `data`. */
void fuzz_write(const char *path, const void *data, size_t size);
/* `data` as a C string (malloc'd; an embedded NUL ends it early, as it would a header). */
char *fuzz_cstr(const uint8_t *data, size_t size);

#endif
