/* Small helpers of the program. */
#include <ctype.h>
#include <string.h>

#include "api.h"

/* 8-4-4-4-12 hex digits, either case: what PostgreSQL's uuid type reads. Checked before
 * any query so a bad path segment is a 400, not a database error. */
bool api_is_uuid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

double api_seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}
