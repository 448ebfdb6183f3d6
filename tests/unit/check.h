/* A minimal TAP producer for fleetsim's C tests. Each CHECK is one TAP test point, so
 * `meson test` (protocol: 'tap') and ./dev.sh count every assertion a user cares about,
 * not just executables. Usage:
 *
 *     int main(void) {
 *         CHECK(x == 1, "x is one");
 *         CHECK_NEAR(e, 1.234, 1e-9, "energy on a flat road");
 *         return check_done();
 *     }
 */
#ifndef FLEETSIM_TEST_CHECK_H
#define FLEETSIM_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check__count;
static int check__failed;

static inline int check__report(int ok, const char *file, int line, const char *what)
{
    check__count++;
    if (!ok)
        check__failed++;
    printf("%s %d - %s\n", ok ? "ok" : "not ok", check__count, what);
    if (!ok)
        printf("# failed at %s:%d\n", file, line);
    fflush(stdout);
    return ok;
}

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        char check__what[512];                                                  \
        snprintf(check__what, sizeof check__what, __VA_ARGS__);                 \
        check__report(!!(cond), __FILE__, __LINE__, check__what);               \
    } while (0)

/* |actual − expected| <= tol; prints both on failure. */
#define CHECK_NEAR(actual, expected, tol, ...)                                  \
    do {                                                                        \
        double check__a = (actual), check__e = (expected);                      \
        char check__what[512];                                                  \
        snprintf(check__what, sizeof check__what, __VA_ARGS__);                 \
        if (!check__report(fabs(check__a - check__e) <= (tol), __FILE__,        \
                           __LINE__, check__what))                              \
            printf("# got %.12g, expected %.12g (tolerance %g)\n", check__a,    \
                   check__e, (double)(tol));                                    \
    } while (0)

#define CHECK_STR(actual, expected, ...)                                        \
    do {                                                                        \
        const char *check__a = (actual), *check__e = (expected);                \
        char check__what[512];                                                  \
        snprintf(check__what, sizeof check__what, __VA_ARGS__);                 \
        int check__ok = check__a && check__e && strcmp(check__a, check__e) == 0;\
        if (!check__report(check__ok, __FILE__, __LINE__, check__what))         \
            printf("# got \"%s\", expected \"%s\"\n",                           \
                   check__a ? check__a : "(null)", check__e ? check__e : "(null)"); \
    } while (0)

/* Prints the TAP plan and returns the exit code. */
static inline int check_done(void)
{
    printf("1..%d\n", check__count);
    return check__failed ? 1 : 0;
}

#endif
