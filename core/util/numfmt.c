/* Shortest round-tripping decimal formatting (see fleetsim/util.h). */
#include <fleetsim/util.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* "00".."99": two digits per division (results print hundreds of thousands of numbers). */
static const char pairs[201] = "0001020304050607080910111213141516171819"
                               "2021222324252627282930313233343536373839"
                               "4041424344454647484950515253545556575859"
                               "6061626364656667686970717273747576777879"
                               "8081828384858687888990919293949596979899";

static int count_digits(uint64_t u)
{
    int n = 1;
    for (; u >= 10000; u /= 10000)
        n += 4;
    return n + (u >= 10) + (u >= 100) + (u >= 1000);
}

/* Writes the decimal digits of u at p, back to front in place (no copy through a scratch
 * buffer: a variable-length memcpy is a library call); returns the end. */
static char *put_digits(char *p, uint64_t u)
{
    char *end = p + count_digits(u), *d = end;
    while (u >= 100) {
        d -= 2;
        memcpy(d, pairs + 2 * (u % 100), 2);
        u /= 100;
    }
    if (u >= 10)
        memcpy(d - 2, pairs + 2 * u, 2);
    else
        d[-1] = (char)('0' + u);
    return end;
}

/* The fast exact path, for the values results are made of (kWh, kW, SoC rounded to 6
 * decimals): |value| in [1e-4, 1e9) that is exactly the double nearest to n / 10^6 for an
 * integer n. Then the decimal n / 10^6 reads back to `value` (IEEE division and strtod both
 * round correctly), it has at most 15 significant digits, and printing it in plain
 * notation with trailing zeros dropped is character for character what the %.15g loop
 * below prints — about 20 times faster. False when the value does not qualify. */
static size_t format_micro(double value, char *buf)
{
    double a = fabs(value);
    if (!(a >= 1e-4 && a < 1e9))
        return 0;
    /* round half up, not nearbyint (a library call): at an exact half neither neighbour
     * divided by 10^6 gives `a` back (its ulp is below 5e-7 here), so both fail below */
    double n = (double)(int64_t)(a * 1e6 + 0.5);
    if (n / 1e6 != a)
        return 0;
    uint64_t u = (uint64_t)n;
    unsigned frac = (unsigned)(u % 1000000);
    char *p = buf;
    if (value < 0)
        *p++ = '-';
    p = put_digits(p, u / 1000000);
    if (frac) {
        *p = '.';
        memcpy(p + 1, pairs + 2 * (frac / 10000), 2);
        memcpy(p + 3, pairs + 2 * (frac / 100 % 100), 2);
        memcpy(p + 5, pairs + 2 * (frac % 100), 2);
        p += 7;
        while (p[-1] == '0')
            p--;
    }
    *p = '\0';
    return (size_t)(p - buf);
}

/* Why a loop over precisions: "%.17g" always round-trips but prints 0.1 as
 * 0.10000000000000001; encoders must be deterministic *and* readable, so we take the
 * first precision that reads back exactly. Starting at 15 (DBL_DIG) gives the same text
 * as starting at 1 for normal numbers — any decimal of <= 15 digits survives a round trip
 * through a normal double, and %g drops trailing zeros — at a quarter of the cost. */
size_t fsim_format_number(double value, char buf[FSIM_NUMBER_BUF])
{
    if (!isfinite(value)) {
        memcpy(buf, "null", 5);
        return 4;
    }
    if (fabs(value) < 1e15 && value == (double)(int64_t)value) { /* zero too */
        char *p = buf;
        if (value < 0)
            *p++ = '-';
        p = put_digits(p, (uint64_t)fabs(value));
        *p = '\0';
        return (size_t)(p - buf);
    }
    size_t n = format_micro(value, buf);
    if (n)
        return n;
    /* subnormals carry fewer than DBL_DIG digits: they need the loop from 1 */
    for (int precision = fabs(value) >= DBL_MIN ? DBL_DIG : 1; precision <= 17; precision++) {
        int len = snprintf(buf, FSIM_NUMBER_BUF, "%.*g", precision, value);
        if (strtod(buf, NULL) == value || precision == 17) /* %.17g always round-trips */
            return (size_t)len;
    }
    return strlen(buf);
}

char *fsim_format_double(double value, char buf[FSIM_NUMBER_BUF])
{
    fsim_format_number(value, buf);
    return buf;
}
