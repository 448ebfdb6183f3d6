/* Shortest round-tripping decimal formatting (see fleetsim/util.h). */
#include <fleetsim/util.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

/* Writes the decimal digits of u at p; returns the end. */
static char *put_digits(char *p, uint64_t u)
{
    char digits[24];
    int len = 0;
    do {
        digits[len++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (len)
        *p++ = digits[--len];
    return p;
}

/* The fast exact path, for the values results are made of (kWh, kW, SoC rounded to 6
 * decimals): |value| in [1e-4, 1e9) that is exactly the double nearest to n / 10^6 for an
 * integer n. Then the decimal n / 10^6 reads back to `value` (IEEE division and strtod both
 * round correctly), it has at most 15 significant digits, and printing it in plain
 * notation with trailing zeros dropped is character for character what the %.15g loop
 * below prints — about 20 times faster. False when the value does not qualify. */
static bool format_micro(double value, char *buf)
{
    double a = fabs(value);
    if (!(a >= 1e-4 && a < 1e9))
        return false;
    double n = nearbyint(a * 1e6);
    if (n / 1e6 != a)
        return false;
    uint64_t u = (uint64_t)n, frac = u % 1000000;
    char *p = buf;
    if (value < 0)
        *p++ = '-';
    p = put_digits(p, u / 1000000);
    if (frac) {
        *p++ = '.';
        char f[6];
        for (int i = 5; i >= 0; i--, frac /= 10)
            f[i] = (char)('0' + frac % 10);
        int last = 5;
        while (f[last] == '0')
            last--;
        for (int i = 0; i <= last; i++)
            *p++ = f[i];
    }
    *p = '\0';
    return true;
}

/* Why a loop over precisions: "%.17g" always round-trips but prints 0.1 as
 * 0.10000000000000001; encoders must be deterministic *and* readable, so we take the
 * first precision that reads back exactly. Starting at 15 (DBL_DIG) gives the same text
 * as starting at 1 for normal numbers — any decimal of <= 15 digits survives a round trip
 * through a normal double, and %g drops trailing zeros — at a quarter of the cost. */
char *fsim_format_double(double value, char buf[FSIM_NUMBER_BUF])
{
    if (!isfinite(value)) {
        snprintf(buf, FSIM_NUMBER_BUF, "null");
        return buf;
    }
    if (value == 0) {
        snprintf(buf, FSIM_NUMBER_BUF, "0");
        return buf;
    }
    if (fabs(value) < 1e15 && value == nearbyint(value)) {
        char *p = buf;
        if (value < 0)
            *p++ = '-';
        *put_digits(p, (uint64_t)fabs(value)) = '\0';
        return buf;
    }
    if (format_micro(value, buf))
        return buf;
    /* subnormals carry fewer than DBL_DIG digits: they need the loop from 1 */
    for (int precision = fabs(value) >= DBL_MIN ? DBL_DIG : 1; precision <= 17; precision++) {
        snprintf(buf, FSIM_NUMBER_BUF, "%.*g", precision, value);
        if (strtod(buf, NULL) == value)
            return buf;
    }
    return buf; /* %.17g always round-trips */
}
