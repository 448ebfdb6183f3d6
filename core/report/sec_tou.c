/* Part of section 6: each depot's grid energy, energy cost and CO2 by time-of-use window of
 * its tariff. A result names each depot's tariff but not its windows, prices or CO2 by hour:
 * only a caller with the config passes them (fsim_report_context.tariffs). The figures come
 * from the depot's series (mean load × interval), so they match the summary's energy cost
 * up to the series' resolution. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

enum { ROW_H = 30 };

typedef struct window_sum {
    bool weekend;
    int from, to; /* minutes after local midnight */
    double price, kwh, cost, co2_kg;
} window_sum;

static const fsim_tariff *find_tariff(const fsim_report_context *ctx, const char *name)
{
    for (size_t i = 0; i < ctx->n_tariffs; i++)
        if (strcmp(ctx->tariffs[i].name, name) == 0)
            return &ctx->tariffs[i];
    return NULL;
}

/* The windows of one day kind as rows, each running to the next one's start (or 24:00). */
static size_t add_windows(window_sum *rows, size_t n, const fsim_tariff_window *w, size_t nw,
                          bool weekend)
{
    for (size_t i = 0; i < nw; i++)
        rows[n++] = (window_sum){.weekend = weekend, .from = w[i].from_minute,
                                 .to = i + 1 < nw ? w[i + 1].from_minute : 1440,
                                 .price = w[i].price};
    return n;
}

/* Sums the depot's series into its windows; false when the depot has no series. */
static bool sum_windows(const fsim_result *r, const fsim_depot_summary *d,
                        const fsim_tariff *tf, window_sum *rows, size_t n_rows)
{
    double start, end, interval;
    size_t n;
    if (!fsim__report_horizon(r, &start, &end, &interval))
        return false;
    const fsim_time_series_point **pts = fsim__depot_series(r, d->id, &n);
    for (size_t i = 0; i < n; i++) {
        double local = pts[i]->t + d->utc_offset_minutes * 60.0;
        long day = (long)floor(local / 86400);
        int dow = (int)(((day + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday; 0 Sunday */
        bool weekend = dow == 0 || dow == 6;
        int minute = (int)((local - (double)day * 86400) / 60);
        double kwh = pts[i]->load_kw * interval / 3600;
        for (size_t k = 0; k < n_rows; k++)
            if (rows[k].weekend == weekend && minute >= rows[k].from && minute < rows[k].to) {
                rows[k].kwh += kwh;
                rows[k].cost += kwh * rows[k].price;
                rows[k].co2_kg += kwh * tf->co2_g_per_kwh[minute / 60 % 24] / 1000;
                break;
            }
    }
    free(pts);
    return n > 0;
}

static void depot_chart(fsim__html *h, const fsim_result *r, const fsim_depot_summary *d,
                        const fsim_tariff *tf)
{
    window_sum rows[2 * FSIM_TARIFF_WINDOWS_MAX];
    size_t n = add_windows(rows, 0, tf->weekday, tf->n_weekday, false);
    n = add_windows(rows, n, tf->weekend, tf->n_weekend, true);
    if (!sum_windows(r, d, tf, rows, n))
        return;
    double most = 0;
    for (size_t k = 0; k < n; k++)
        most = fmax(most, rows[k].cost);
    char title[160], caption[400], axis[80];
    snprintf(title, sizeof title, "Energy cost and CO2 by time-of-use window at %s", d->id);
    snprintf(caption, sizeof caption, "Read: the energy charge of each window of tariff %s "
             "(price per kWh in brackets), with its grid energy and CO2; demand and fixed "
             "charges are in the chart above.", tf->name);
    fsim__chart c;
    fsim__chart_begin(&c, h, title, caption, 960, (int)n * ROW_H + 24 + 44, 0,
                      fsim__nice_ceil(most > 0 ? most * 1.6 : 1), 0, 1);
    c.left = 230;
    c.width = 960 - 230 - 24;
    snprintf(axis, sizeof axis, "energy cost over the horizon (%s)", tf->currency);
    fsim__chart_value_axis(&c, true, axis);
    for (size_t k = 0; k < n; k++) {
        const window_sum *w = &rows[k];
        double y = c.top + (double)k * ROW_H + 4;
        fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s %02d:%02d-"
                             "%02d:%02d (%.3f)</text>", c.left - 6, y + 15,
                          w->weekend ? "weekend" : "weekday", w->from / 60, w->from % 60,
                          w->to / 60, w->to % 60, w->price);
        fsim__html_printf(h, "<path class=\"%s\" d=\"M%.1f %.1fH%.1fV%.1fH%.1fZ\"><title>"
                             "energy charge %.2f</title></path><text x=\"%.1f\" y=\"%.1f\">"
                             "%.2f, %.0f kWh, %.0f kg CO2</text>\n",
                          w->weekend ? "f-sky" : "f-ok", c.left, y, fsim__chart_x(&c, w->cost),
                          y + 22, c.left, w->cost, fsim__chart_x(&c, w->cost) + 5, y + 15,
                          w->cost, w->kwh, w->co2_kg);
    }
    fsim__chart_end(&c);
}

void fsim__section_tou(fsim__html *h, const fsim_result *r, const fsim_report_context *ctx)
{
    bool drawn = false;
    for (size_t i = 0; i < r->summary.n_depots; i++) {
        const fsim_tariff *tf = find_tariff(ctx, r->summary.depots[i].tariff);
        if (tf) {
            depot_chart(h, r, &r->summary.depots[i], tf);
            drawn = true;
        }
    }
    if (!drawn)
        fsim__html_put(h, "<p class=\"muted\">Cost and CO2 by time-of-use window need the "
                          "tariff's windows, which a result does not carry: render with the "
                          "scenario (fleetsim report --scenario) to see them.</p>\n");
}
