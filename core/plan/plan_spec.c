/* The --vary grammar (docs/plan.md):
 *
 *     DEPOT.CHARGER=VALUES   chargers of one type at one depot: whole numbers >= 0
 *     DEPOT.grid=VALUES      the depot's gridLimitKw: numbers > 0
 *     strategy=all | NAME[,NAME…]
 *
 * VALUES is LO..HI (step 1), LO..HI/STEP, one value, or a list a,b,c. Every error names the
 * spec and the part of it that is wrong, and says what would work. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/util.h>

#include "plan_internal.h"

static const char usage_text[] =
    "expected DEPOT.CHARGER=LO..HI[/STEP], DEPOT.grid=LO..HI[/STEP] or strategy=all|NAME,…";

static fsim_status bad(fsim_error *err, const char *source, const char *label, const char *spec,
                       const char *what)
{
    return fsim_error_set(err, FSIM_INVALID, source, 0, 0, label, "\"%s\": %s", spec, what);
}

/* "a, b, c" for "unknown …" messages. */
static const char *join(fsim_arena *arena, const char *const *names, size_t n, size_t stride)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(*(const char *const *)((const char *)names + i * stride)) + 2;
    char *s = fsim_arena_alloc(arena, len);
    if (!s)
        return "";
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, ", ");
        strcat(s, *(const char *const *)((const char *)names + i * stride));
    }
    return s;
}

static bool parse_number(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (*end != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* VALUES of a count or a grid axis into a new array: the range or list as written. */
static fsim_status parse_values(const char *rhs, bool whole, const char *spec, const char *label,
                                const char *source, fsim_arena *arena, fsim__plan_axis *axis,
                                fsim_error *err)
{
    const double lo_ok = whole ? 0 : 1e-9, hi_ok = whole ? 10000 : 1e6;
    const char *unit = whole ? "a whole number of chargers, 0..10000" : "kW, above 0, at most 1e6";
    char msg[300];
    const char *dots = strstr(rhs, "..");
    double lo, hi, step = 1;
    size_t n;
    if (dots) {
        const char *slash = strchr(dots, '/');
        const char *hi_end = slash ? slash : dots + strlen(dots);
        if (!parse_number(rhs, (size_t)(dots - rhs), &lo) ||
            !parse_number(dots + 2, (size_t)(hi_end - dots - 2), &hi) ||
            (slash && !parse_number(slash + 1, strlen(slash + 1), &step))) {
            snprintf(msg, sizeof msg, "\"%s\" is not a range LO..HI or LO..HI/STEP", rhs);
            return bad(err, source, label, spec, msg);
        }
        if (step <= 0) {
            snprintf(msg, sizeof msg, "the step of \"%s\" must be above 0", rhs);
            return bad(err, source, label, spec, msg);
        }
        if (lo > hi) {
            snprintf(msg, sizeof msg, "empty range \"%s\" (its first value is above its last)",
                     rhs);
            return bad(err, source, label, spec, msg);
        }
        double count = floor((hi - lo) / step + 1e-9) + 1;
        if (count > FSIM_PLAN_MAX_VALUES) {
            snprintf(msg, sizeof msg, "range \"%s\" has %.0f values (at most %d)", rhs, count,
                     FSIM_PLAN_MAX_VALUES);
            return bad(err, source, label, spec, msg);
        }
        n = (size_t)count;
    } else {
        n = 1;
        for (const char *c = rhs; *c; c++)
            n += *c == ',';
        if (n > FSIM_PLAN_MAX_VALUES) {
            snprintf(msg, sizeof msg, "%zu values (at most %d)", n, FSIM_PLAN_MAX_VALUES);
            return bad(err, source, label, spec, msg);
        }
    }
    axis->values = fsim_arena_calloc(arena, n, sizeof *axis->values);
    if (!axis->values)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    axis->n_values = n;
    const char *item = rhs;
    for (size_t k = 0; k < n; k++) {
        double v;
        if (dots) {
            v = lo + (double)k * step;
        } else {
            const char *comma = strchr(item, ',');
            size_t len = comma ? (size_t)(comma - item) : strlen(item);
            if (!parse_number(item, len, &v)) {
                snprintf(msg, sizeof msg, "\"%.*s\" is not a number (%s)", (int)len, item, unit);
                return bad(err, source, label, spec, msg);
            }
            item = comma ? comma + 1 : item + len;
        }
        if (v < lo_ok || v > hi_ok || (whole && v != floor(v))) {
            char buf[FSIM_NUMBER_BUF];
            snprintf(msg, sizeof msg, "%s is out of range (%s)", fsim_format_double(v, buf),
                     unit);
            return bad(err, source, label, spec, msg);
        }
        for (size_t j = 0; j < k; j++)
            if (axis->values[j] == v) {
                char buf[FSIM_NUMBER_BUF];
                snprintf(msg, sizeof msg, "%s is listed twice", fsim_format_double(v, buf));
                return bad(err, source, label, spec, msg);
            }
        axis->values[k] = v;
    }
    return FSIM_OK;
}

/* strategy=all, or a list of strategy names. */
static fsim_status parse_strategies(const char *rhs, const char *spec, const char *label,
                                    const char *source, fsim_arena *arena,
                                    fsim__plan_axis *axis, fsim_error *err)
{
    enum { N_STRATEGIES = 4 };
    axis->kind = FSIM__AXIS_STRATEGY;
    axis->values = fsim_arena_calloc(arena, N_STRATEGIES, sizeof *axis->values);
    if (!axis->values)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    if (strcmp(rhs, "all") == 0) {
        for (int s = 0; s < N_STRATEGIES; s++)
            axis->values[s] = s;
        axis->n_values = N_STRATEGIES;
        return FSIM_OK;
    }
    const char *item = rhs;
    while (item) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        char name[32] = "";
        fsim_strategy s;
        if (len < sizeof name)
            memcpy(name, item, len);
        char msg[300];
        if (len >= sizeof name || !fsim_strategy_parse(name, &s)) {
            snprintf(msg, sizeof msg,
                     "unknown strategy \"%.*s\" (known: all, immediate, balanced, "
                     "peak_shaving, cost)",
                     (int)(len > 64 ? 64 : len), item);
            return bad(err, source, label, spec, msg);
        }
        for (size_t j = 0; j < axis->n_values; j++)
            if (axis->values[j] == (double)s) {
                snprintf(msg, sizeof msg, "\"%s\" is listed twice", name);
                return bad(err, source, label, spec, msg);
            }
        if (axis->n_values == N_STRATEGIES)
            return bad(err, source, label, spec, "too many strategies");
        axis->values[axis->n_values++] = s;
        item = comma ? comma + 1 : NULL;
    }
    return FSIM_OK;
}

/* The depot whose id, followed by '.', starts `lhs` (ids may hold dots; the longest wins). */
static bool find_depot(const fsim_request *req, const char *lhs, size_t *depot)
{
    size_t best_len = 0;
    bool found = false;
    for (size_t d = 0; d < req->n_depots; d++) {
        size_t len = strlen(req->depots[d].id);
        if (strncmp(lhs, req->depots[d].id, len) == 0 && lhs[len] == '.' && len > best_len) {
            *depot = d;
            best_len = len;
            found = true;
        }
    }
    return found;
}

fsim_status fsim__plan_parse_axis(const char *spec, const char *label, const fsim_request *req,
                                  const char *const *names, size_t n_names, const char *source,
                                  fsim_arena *arena, fsim__plan_axis *axis, fsim_error *err)
{
    memset(axis, 0, sizeof *axis);
    axis->label = label;
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        return bad(err, source, label, spec, usage_text);
    char *lhs = fsim_arena_strndup(arena, spec, (size_t)(eq - spec));
    if (!lhs)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    const char *rhs = eq + 1;
    if (strcmp(lhs, "strategy") == 0)
        return parse_strategies(rhs, spec, label, source, arena, axis, err);
    char msg[700];
    const char *dot = strchr(lhs, '.');
    if (!dot)
        return bad(err, source, label, spec, usage_text);
    if (!find_depot(req, lhs, &axis->depot)) {
        snprintf(msg, sizeof msg, "unknown depot \"%.*s\" (known: %s)", (int)(dot - lhs), lhs,
                 join(arena, (const char *const *)&req->depots[0].id, req->n_depots,
                      sizeof *req->depots));
        return bad(err, source, label, spec, msg);
    }
    const char *key = lhs + strlen(req->depots[axis->depot].id) + 1;
    if (strcmp(key, "grid") == 0) {
        axis->kind = FSIM__AXIS_GRID;
        return parse_values(rhs, false, spec, label, source, arena, axis, err);
    }
    for (size_t i = 0; i < n_names; i++)
        if (strcmp(names[i], key) == 0) {
            axis->kind = FSIM__AXIS_CHARGERS;
            axis->type = names[i];
            return parse_values(rhs, true, spec, label, source, arena, axis, err);
        }
    snprintf(msg, sizeof msg, "unknown charger type \"%.64s\" (known: grid, %s)", key,
             join(arena, names, n_names, sizeof *names));
    return bad(err, source, label, spec, msg);
}
