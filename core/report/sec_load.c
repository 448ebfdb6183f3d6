/* Section 2: each depot's site load over the horizon against its grid limit, the excess
 * shaded. The load is a mean per output interval, so it is drawn as steps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report_internal.h"

/* One depot's chart; its series (t, kW) may already be reduced to bucket maxima. */
static void depot_chart(fsim__html *h, const fsim_depot_summary *d, const double *t,
                        const double *kw, size_t n, double end)
{
    double top = 0;
    for (size_t i = 0; i < n; i++)
        top = fmax(top, kw[i]);
    bool limit = d->has_grid_limit_kw;
    if (limit)
        top = fmax(top, d->grid_limit_kw);
    char title[160], caption[400], axis[80];
    snprintf(title, sizeof title, "Site load at depot %s", d->id);
    if (limit)
        snprintf(caption, sizeof caption, "Read: the blue line is the depot's load; red shading "
                 "is load above the %.0f kW grid limit (dashed): %.1f kWh over %.0f min, worst "
                 "+%.1f kW.", d->grid_limit_kw, d->grid_exceeded_kwh, d->grid_exceeded_minutes,
                 d->grid_peak_over_kw);
    else
        snprintf(caption, sizeof caption, "Read: the blue line is the depot's load (peak %.1f "
                 "kW); the depot has no grid limit set.", d->peak_kw);
    fsim__chart c;
    fsim__chart_begin(&c, h, title, caption, 960, 300, t[0], end, 0,
                      fsim__nice_ceil(top * 1.08));
    snprintf(axis, sizeof axis, "local time (UTC%+d min)", d->utc_offset_minutes);
    fsim__chart_time_axis(&c, d->utc_offset_minutes, axis);
    fsim__chart_value_axis(&c, false, "site load (kW)");
    if (limit) {
        /* one rectangle per interval above the limit, all in one path */
        fsim__html_put(h, "<path class=\"excess\" d=\"");
        double yl = fsim__chart_y(&c, d->grid_limit_kw);
        for (size_t i = 0; i < n; i++) {
            if (kw[i] <= d->grid_limit_kw)
                continue;
            double x0 = fsim__chart_x(&c, t[i]);
            double x1 = fsim__chart_x(&c, i + 1 < n ? t[i + 1] : end);
            fsim__html_printf(h, "M%.1f %.1fH%.1fV%.1fH%.1fZ", x0, yl, x1,
                              fsim__chart_y(&c, kw[i]), x0);
        }
        fsim__html_put(h, "\"><title>load above the grid limit</title></path>\n");
    }
    fsim__html_put(h, "<path class=\"l1\" d=\"");
    for (size_t i = 0; i < n; i++) {
        double x1 = fsim__chart_x(&c, i + 1 < n ? t[i + 1] : end), y = fsim__chart_y(&c, kw[i]);
        if (i == 0)
            fsim__html_printf(h, "M%.1f %.1fH%.1f", fsim__chart_x(&c, t[0]), y, x1);
        else
            fsim__html_printf(h, "V%.1fH%.1f", y, x1);
    }
    fsim__html_put(h, "\"><title>site load, kW</title></path>\n");
    fsim__chart_legend(&c, 0, "l1", "site load");
    if (limit) {
        fsim__chart_hline(&c, d->grid_limit_kw, "limit", "grid limit");
        fsim__chart_legend(&c, 1, "excess", "above the limit");
    }
    fsim__chart_end(&c);
}

void fsim__section_load(fsim__html *h, const fsim_result *r, fsim__report_notes *notes)
{
    fsim__html_put(h, "<section id=\"load\">\n<h2>Site load against the grid limit</h2>\n");
    double start, end, interval;
    bool any = false;
    fsim__report_horizon(r, &start, &end, &interval);
    for (size_t i = 0; i < r->summary.n_depots; i++) {
        const fsim_depot_summary *d = &r->summary.depots[i];
        size_t n;
        const fsim_time_series_point **pts = fsim__depot_series(r, d->id, &n);
        double *t = pts ? malloc(n * sizeof *t) : NULL, *kw = t ? malloc(n * sizeof *kw) : NULL;
        if (kw) {
            for (size_t k = 0; k < n; k++) {
                t[k] = pts[k]->t;
                kw[k] = pts[k]->load_kw;
            }
            size_t m = fsim__reduce(t, NULL, NULL, kw, n, FSIM_REPORT_MAX_POINTS);
            if (m < n)
                fsim__note_reduced(notes, "site load", n, m, "points");
            depot_chart(h, d, t, kw, m, end);
            any = true;
        } else if (pts) {
            h->oom = true;
        }
        free(kw);
        free(t);
        free(pts);
    }
    if (!any)
        fsim__html_put(h, "<p class=\"muted\">The result holds no time series.</p>\n");
    fsim__html_put(h, "</section>\n");
}
