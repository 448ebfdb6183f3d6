/* The report's entry point and what every section reads from a result: depots by id, local
 * times, the horizon. The sections themselves live in sec_*.c, one concern each. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

const fsim_depot_summary *fsim__report_depot(const fsim_result *r, const char *id)
{
    for (size_t i = 0; id && i < r->summary.n_depots; i++)
        if (strcmp(r->summary.depots[i].id, id) == 0)
            return &r->summary.depots[i];
    return NULL;
}

int fsim__report_offset(const fsim_result *r, const char *depot)
{
    const fsim_depot_summary *d = fsim__report_depot(r, depot);
    return d ? d->utc_offset_minutes : 0;
}

int fsim__local_hour(double t, int offset_minutes)
{
    double s = fmod(t + offset_minutes * 60.0, 86400.0);
    if (s < 0)
        s += 86400.0;
    return (int)(s / 3600.0) % 24;
}

/* The series says the horizon best (its first point to its last interval's end); a result
 * without one falls back on the span of its charging sessions and trips. */
bool fsim__report_horizon(const fsim_result *r, double *start, double *end, double *interval)
{
    double lo = INFINITY, hi = -INFINITY, step = 0;
    for (size_t i = 0; i < r->n_time_series_data; i++) {
        double t = r->time_series_data[i].t;
        double d = i ? t - r->time_series_data[i - 1].t : 0;
        if (d > 0 && (step == 0 || d < step))
            step = d;
        lo = fmin(lo, t);
        hi = fmax(hi, t);
    }
    if (r->n_time_series_data)
        hi += step;
    for (size_t i = 0; i < r->n_charging_events; i++) {
        lo = fmin(lo, r->charging_events[i].plugged_at);
        hi = fmax(hi, r->charging_events[i].end);
    }
    for (size_t i = 0; i < r->n_trips; i++) {
        lo = fmin(lo, r->trips[i].depart);
        hi = fmax(hi, r->trips[i].has_arrive ? r->trips[i].arrive : r->trips[i].depart);
    }
    *start = lo;
    *end = hi;
    *interval = step;
    return isfinite(lo) && isfinite(hi);
}

const fsim_time_series_point **fsim__depot_series(const fsim_result *r, const char *depot,
                                                  size_t *n)
{
    *n = 0;
    const fsim_time_series_point **out = r->n_time_series_data
        ? malloc(r->n_time_series_data * sizeof *out) : NULL;
    if (!out)
        return NULL;
    for (size_t i = 0; i < r->n_time_series_data; i++)
        if (strcmp(r->time_series_data[i].depot, depot) == 0)
            out[(*n)++] = &r->time_series_data[i];
    if (*n == 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* Buckets keep both extremes so a reduced line still shows every peak and trough. */
size_t fsim__reduce(double *t, double *lo, double *mean, double *hi, size_t n, size_t max)
{
    if (n <= max || max == 0)
        return n;
    size_t per = (n + max - 1) / max, out = 0;
    for (size_t i = 0; i < n; i += per, out++) {
        size_t end = i + per < n ? i + per : n;
        double mn = INFINITY, mx = -INFINITY, sum = 0;
        for (size_t k = i; k < end; k++) {
            mn = fmin(mn, lo ? lo[k] : hi[k]);
            mx = fmax(mx, hi[k]);
            sum += mean ? mean[k] : hi[k];
        }
        t[out] = t[i];
        if (lo)
            lo[out] = mn;
        if (mean)
            mean[out] = sum / (double)(end - i);
        hi[out] = mx;
    }
    return out;
}

void fsim__note_reduced(fsim__report_notes *notes, const char *what, size_t from, size_t to,
                        const char *unit)
{
    size_t used = strlen(notes->reduced);
    snprintf(notes->reduced + used, sizeof notes->reduced - used, "%s%s: %zu %s to %zu",
             used ? "; " : "", what, from, unit, to);
}

/* The closing notes: how the charts were drawn from the result, so a reader can trust
 * what a line hides. */
static void section_notes(fsim__html *h, const fsim_result *r, const fsim_report_context *ctx,
                          const fsim__report_notes *n)
{
    fsim__html_printf(h, "<section id=\"notes\">\n<h2>How this report was made</h2>\n<p "
                         "class=\"small\">Drawn from the SimulationResult%s%s%s (engine ",
                      ctx->request ? ", its scenario" : " alone",
                      ctx->n_routes ? ", the routes' geometry" : "",
                      ctx->n_tariffs ? ", the tariffs" : "");
    fsim__html_text(h, r->metadata.engine_version);
    fsim__html_put(h, ", config ");
    fsim__html_printf(h, "%.12s", r->metadata.config_hash ? r->metadata.config_hash : "?");
    fsim__html_printf(h, "). Every line has at most %d points: a longer series is cut into "
                         "equal buckets of consecutive samples, each drawn as its minimum, "
                         "mean and maximum (site load keeps each bucket's maximum, so no peak "
                         "is hidden). ", FSIM_REPORT_MAX_POINTS);
    if (n->reduced[0]) {
        fsim__html_put(h, "Reduced here: ");
        fsim__html_text(h, n->reduced);
        fsim__html_put(h, ".");
    } else {
        fsim__html_put(h, "No series needed reducing.");
    }
    fsim__html_put(h, " Times are local to each depot. The page loads nothing from anywhere "
                      "and prints as it shows.</p>\n</section>\n");
}

fsim_status fsim_report_render(const fsim_result *r, const fsim_report_context *ctx,
                               char **html, size_t *len, fsim_error *err)
{
    static const fsim_report_context none = {0};
    ctx = ctx ? ctx : &none;
    const fsim_request *req = ctx->request;
    *html = NULL;
    if (!r)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, NULL, "no result to render");
    fsim__html h = {0};
    fsim__report_notes notes = {{0}};
    char title[256];
    snprintf(title, sizeof title, "fleetsim report: %s",
             req && req->name ? req->name : r->simulation_id ? r->simulation_id : "local run");
    fsim__page_begin(&h, title);
    fsim__section_verdict(&h, r, req);
    fsim__section_load(&h, r, &notes);
    fsim__section_soc(&h, r, req, &notes);
    fsim__section_chargers(&h, r, &notes);
    fsim__section_waits(&h, r);
    fsim__section_trips(&h, r);
    fsim__section_energy(&h, r, ctx);
    fsim__section_map(&h, r, ctx);
    section_notes(&h, r, ctx, &notes);
    fsim__page_end(&h);
    return fsim__page_finish(&h, html, len, err);
}
