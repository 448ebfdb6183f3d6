/* The regression side of a fuzz harness: `replay_<target> NAME DIR…` feeds the harness every
 * file of each DIR (its seed corpus, its past crashes), one TAP test point per file, under
 * the test build's ASan+UBSan. A crash that comes back kills the run at the file that
 * brought it, which meson reports as this target failing. A DIR that does not exist holds
 * no files (a target with no past crashes). */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the whole file; NULL when it cannot (the caller reports it as a failed point). */
static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, n;
    unsigned char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            unsigned char *b = realloc(buf, cap);
            if (!b)
                abort();
            buf = b;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    *size = len;
    return buf ? buf : malloc(1);
}

/* Every regular file of `dir` in name order (dot files left out); the count replayed. */
static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        if (!grown || !(grown[n] = strdup(e->d_name)))
            abort();
        names = grown;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    /* test points read "corpus/wire/<file>", "crashes/wire/<file>" */
    const char *label = dir + strlen(dir);
    for (int slashes = 0; label > dir && slashes < 2; label--)
        if (label[-1] == '/' && ++slashes == 2)
            break;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t size = 0;
        unsigned char *data = slurp(path, &size);
        if (data)
            LLVMFuzzerTestOneInput(data, size);
        CHECK(data != NULL, "%.100s/%.200s", label, names[i]);
        free(data);
        free(names[i]);
    }
    free(names);
    return (int)n;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s TARGET CORPUS [CRASHES…]\n", argv[0]);
        return 2;
    }
    int corpus = replay_dir(argv[2]);
    CHECK(corpus > 0, "%s: the seed corpus has files (%d)", argv[1], corpus);
    for (int i = 3; i < argc; i++)
        replay_dir(argv[i]);
    return check_done();
}
