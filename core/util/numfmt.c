/* Shortest round-tripping decimal formatting (see fleetsim/util.h). */
#include <fleetsim/util.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Why a loop over precisions: "%.17g" always round-trips but prints 0.1 as
 * 0.10000000000000001; encoders must be deterministic *and* readable, so we take the
 * first precision that reads back exactly. Starting at 15 (DBL_DIG) gives the same text
 * as starting at 1 — any decimal of <= 15 digits survives a round trip through a double,
 * and %g drops trailing zeros — at a quarter of the cost. */
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
        snprintf(buf, FSIM_NUMBER_BUF, "%.0f", value);
        return buf;
    }
    for (int precision = DBL_DIG; precision <= 17; precision++) {
        snprintf(buf, FSIM_NUMBER_BUF, "%.*g", precision, value);
        if (strtod(buf, NULL) == value)
            return buf;
    }
    return buf; /* %.17g always round-trips */
}
