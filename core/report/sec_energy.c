/* Section 6: where the energy went (grid → chargers → batteries → driving / auxiliaries and
 * HVAC), what it cost and emitted per depot, and when in the day it was drawn (the hours a
 * time-of-use tariff prices). */
#include <math.h>
#include <stdio.h>

#include "report_internal.h"

/* One horizontal segment [a, b] of row `row` (0 at the top) with a label inside or after. */
static void segment(fsim__html *h, const fsim__chart *c, int row, double a, double b,
                    const char *cls, const char *label)
{
    double y = c->top + 12 + row * 70, x0 = fsim__chart_x(c, a), x1 = fsim__chart_x(c, b);
    fsim__html_printf(h, "<path class=\"%s\" d=\"M%.1f %.1fH%.1fV%.1fH%.1fZ\"><title>", cls, x0,
                      y, x1, y + 30, x0);
    fsim__html_text(h, label);
    fsim__html_printf(h, "</title></path><text x=\"%.1f\" y=\"%.1f\">", x0 + 3, y + 44);
    fsim__html_text(h, label);
    fsim__html_put(h, "</text>\n");
}

static void flow_chart(fsim__html *h, const fsim_summary *s)
{
    double grid = s->grid_energy_kwh, into = s->charged_energy_kwh;
    double used = s->energy_used_kwh, aux = s->aux_energy_kwh, drive = used - aux;
    double top = fsim__nice_ceil(fmax(grid, fmax(into, used)) * 1.02);
    char caption[300], label[96];
    snprintf(caption, sizeof caption, "Read: top, the grid energy split into what reached the "
             "batteries and what the chargers lost; bottom, the battery energy spent driving and "
             "on auxiliaries and HVAC; the band is the flow between them.");
    fsim__chart c;
    fsim__chart_begin(&c, h, "Energy flow", caption, 960, 220, 0, top, 0, 1);
    c.left = 120;
    c.width = 960 - 120 - 24;
    fsim__chart_value_axis(&c, true, "energy over the horizon (kWh)");
    fsim__html_printf(h, "<text x=\"114\" y=\"%.1f\" text-anchor=\"end\">grid &#8594; chargers"
                         "</text><text x=\"114\" y=\"%.1f\" text-anchor=\"end\">batteries &#8594;"
                         "</text>\n", c.top + 32, c.top + 102);
    snprintf(label, sizeof label, "into batteries %.0f kWh", into);
    segment(h, &c, 0, 0, fmin(into, grid), "f-ok", label);
    snprintf(label, sizeof label, "charger losses %.0f kWh", fmax(grid - into, 0));
    segment(h, &c, 0, fmin(into, grid), grid, "f-grey", "");
    fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\">", fsim__chart_x(&c, grid) + 6,
                      c.top + 31);
    fsim__html_text(h, label);
    fsim__html_put(h, "</text>\n");
    /* the flow: the batteries' share of the grid bar down to the bottom row */
    fsim__html_printf(h, "<path class=\"b1\" d=\"M%.1f %.1fH%.1fL%.1f %.1fH%.1fZ\"/>\n",
                      fsim__chart_x(&c, 0), c.top + 42, fsim__chart_x(&c, into),
                      fsim__chart_x(&c, fmax(used, 0)), c.top + 82, fsim__chart_x(&c, 0));
    snprintf(label, sizeof label, "driving %.0f kWh", fmax(drive, 0));
    segment(h, &c, 1, 0, fmax(drive, 0), "f-green", label);
    snprintf(label, sizeof label, "aux + HVAC %.0f kWh", aux);
    segment(h, &c, 1, fmax(drive, 0), fmax(drive, 0) + aux, "f-purple", label);
    fsim__chart_end(&c);
}

/* Stacked cost per depot (energy, demand, fixed), CO2 in the label. */
static void cost_chart(fsim__html *h, const fsim_result *r)
{
    const fsim_summary *s = &r->summary;
    double most = 0;
    for (size_t i = 0; i < s->n_depots; i++)
        most = fmax(most, s->depots[i].total_cost);
    char caption[300];
    snprintf(caption, sizeof caption, "Read: per depot, energy (blue), demand (orange) and "
             "fixed (grey) charges in %s, prorated to the horizon; the grid CO2 is at the end of "
             "each bar.", s->currency ? s->currency : "the tariff's currency");
    fsim__chart c;
    fsim__chart_begin(&c, h, "Cost and CO2 by depot", caption, 960,
                      (int)s->n_depots * 36 + 24 + 44, 0, fsim__nice_ceil(most * 1.25), 0, 1);
    c.left = 120;
    c.width = 960 - 120 - 24;
    char axis[64];
    snprintf(axis, sizeof axis, "cost over the horizon (%s)", s->currency ? s->currency : "");
    fsim__chart_value_axis(&c, true, axis);
    for (size_t i = 0; i < s->n_depots; i++) {
        const fsim_depot_summary *d = &s->depots[i];
        const double parts[3] = {d->energy_cost, d->demand_cost, d->fixed_cost};
        static const char *const cls[3] = {"f-ok", "f-missed", "f-grey"};
        static const char *const names[3] = {"energy", "demand", "fixed"};
        double y = c.top + (double)i * 36 + 6, at = 0;
        fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", c.left - 6,
                          y + 16);
        fsim__html_text(h, d->id);
        fsim__html_put(h, "</text>\n");
        for (int k = 0; k < 3; k++) {
            fsim__html_printf(h, "<path class=\"%s\" d=\"M%.1f %.1fH%.1fV%.1fH%.1fZ\"><title>"
                                 "%s %.2f</title></path>\n", cls[k], fsim__chart_x(&c, at), y,
                              fsim__chart_x(&c, at + parts[k]), y + 24, fsim__chart_x(&c, at),
                              names[k], parts[k]);
            at += parts[k];
        }
        fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\">%.2f total, %.0f kg CO2</text>\n",
                          fsim__chart_x(&c, at) + 6, y + 16, d->total_cost, d->co2_kg);
    }
    fsim__chart_legend(&c, 0, "f-ok", "energy");
    fsim__chart_legend(&c, 1, "f-missed", "demand");
    fsim__chart_legend(&c, 2, "f-grey", "fixed");
    fsim__chart_end(&c);
}

/* Grid energy per local hour of day, summed over the horizon, per depot. */
static void hour_chart(fsim__html *h, const fsim_result *r)
{
    enum { MAX_DEPOTS = 4 };
    static const char *const cls[MAX_DEPOTS] = {"f-ok", "f-missed", "f-green", "f-purple"};
    double kwh[MAX_DEPOTS][24] = {{0}}, most = 0, start, end, interval;
    size_t nd = r->summary.n_depots < MAX_DEPOTS ? r->summary.n_depots : MAX_DEPOTS;
    fsim__report_horizon(r, &start, &end, &interval);
    for (size_t i = 0; i < r->n_time_series_data; i++) {
        const fsim_time_series_point *p = &r->time_series_data[i];
        for (size_t d = 0; d < nd; d++)
            if (fsim__report_depot(r, p->depot) == &r->summary.depots[d]) {
                int hr = fsim__local_hour(p->t, r->summary.depots[d].utc_offset_minutes);
                kwh[d][hr] += p->load_kw * interval / 3600;
            }
    }
    for (size_t d = 0; d < nd; d++)
        for (int hr = 0; hr < 24; hr++)
            most = fmax(most, kwh[d][hr]);
    fsim__chart c;
    fsim__chart_begin(&c, h, "Grid energy by hour of day", "Read: energy drawn in each local "
                      "hour, summed over the horizon, per depot: the hours a time-of-use tariff "
                      "prices.", 960, 260, 0, 24, 0, fsim__nice_ceil(most > 0 ? most : 1));
    fsim__chart_value_axis(&c, true, "local hour of day (depot time, h)");
    fsim__chart_value_axis(&c, false, "grid energy (kWh)");
    double bw = c.width / 24 / (double)(nd ? nd : 1);
    for (size_t d = 0; d < nd; d++) {
        fsim__html_printf(h, "<path class=\"%s\" d=\"M0 0", cls[d]);
        for (int hr = 0; hr < 24; hr++)
            if (kwh[d][hr] > 0)
                fsim__html_printf(h, "M%.1f %.1fV%.1fh%.1fV%.1fZ",
                                  fsim__chart_x(&c, hr) + 1 + bw * (double)d,
                                  fsim__chart_y(&c, 0), fsim__chart_y(&c, kwh[d][hr]), bw - 2,
                                  fsim__chart_y(&c, 0));
        fsim__html_put(h, "\"><title>grid energy at ");
        fsim__html_text(h, r->summary.depots[d].id);
        fsim__html_put(h, "</title></path>\n");
        fsim__chart_legend(&c, (int)d, cls[d], r->summary.depots[d].id);
    }
    fsim__chart_end(&c);
}

void fsim__section_energy(fsim__html *h, const fsim_result *r, const fsim_report_context *ctx)
{
    fsim__html_put(h, "<section id=\"energy\">\n<h2>Energy, cost and CO2</h2>\n");
    flow_chart(h, &r->summary);
    if (r->summary.has_total_cost && r->summary.n_depots)
        cost_chart(h, r);
    else
        fsim__html_put(h, "<p class=\"muted\">This result carries no cost figures.</p>\n");
    fsim__section_tou(h, r, ctx);
    hour_chart(h, r);
    fsim__html_put(h, "</section>\n");
}
