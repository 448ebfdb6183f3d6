/* Whole-file reading into an arena, whole-buffer writing to a descriptor (see
 * fleetsim/util.h). */
#include <fleetsim/util.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

fsim_status fsim_read_file(const char *path, fsim_arena *arena, char **data, size_t *len,
                           fsim_error *err)
{
    fsim_status st = FSIM_OK;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fsim_error_set(err, errno == ENOENT ? FSIM_NOT_FOUND : FSIM_IO, path, 0, 0, NULL,
                              "could not open \"%s\": %s", path, strerror(errno));
    size_t cap = 8192, used = 0;
    char *buf = fsim_arena_alloc(arena, cap);
    if (!buf) {
        st = fsim_error_set(err, FSIM_NOMEM, path, 0, 0, NULL, "out of memory");
        goto out;
    }
    for (;;) {
        if (used + 1 >= cap) {
            char *bigger = fsim_arena_alloc(arena, cap * 2);
            if (!bigger) {
                st = fsim_error_set(err, FSIM_NOMEM, path, 0, 0, NULL, "out of memory");
                goto out;
            }
            memcpy(bigger, buf, used);
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + used, 1, cap - 1 - used, f);
        used += got;
        if (got == 0) {
            if (ferror(f)) {
                st = fsim_error_set(err, FSIM_IO, path, 0, 0, NULL, "could not read \"%s\": %s",
                                    path, strerror(errno));
                goto out;
            }
            break;
        }
    }
    buf[used] = '\0';
    *data = buf;
    if (len)
        *len = used;
out:
    fclose(f);
    return st;
}

bool fsim_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}
