/* The comparison page: one scenario under each strategy, side by side — a table of verdicts
 * and figures, then one bar chart per figure a planner weighs (peak against the grid limit,
 * cost, CO2, waits, trips that failed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report_internal.h"

typedef double (*figure_fn)(const fsim_summary *s, bool *has);

static double peak(const fsim_summary *s, bool *has) { *has = true; return s->peak_kw; }
static double cost(const fsim_summary *s, bool *has) { *has = s->has_total_cost; return s->total_cost; }
static double co2(const fsim_summary *s, bool *has) { *has = s->has_co2_kg; return s->co2_kg; }
static double p95(const fsim_summary *s, bool *has)
{
    *has = s->has_wait_seconds_p95;
    return s->wait_seconds_p95 / 60;
}
static double failed(const fsim_summary *s, bool *has)
{
    *has = true;
    return s->trips_missed + s->trips_stranded;
}

/* One horizontal bar per strategy; `limit` (NaN: none) a dashed line, e.g. the grid limit. */
static void bars(fsim__html *h, const fsim_comparison *cmp, const char *title,
                 const char *caption, const char *axis, figure_fn fn, double limit)
{
    double most = isnan(limit) ? 0 : limit;
    for (size_t i = 0; i < cmp->n_results; i++) {
        bool has;
        most = fmax(most, fn(&cmp->results[i].summary, &has));
    }
    fsim__chart c;
    fsim__chart_begin(&c, h, title, caption, 960, (int)cmp->n_results * 30 + 24 + 44, 0,
                      fsim__nice_ceil(most > 0 ? most * 1.15 : 1), 0, 1);
    c.left = 120;
    c.width = 960 - 120 - 24;
    fsim__chart_value_axis(&c, true, axis);
    for (size_t i = 0; i < cmp->n_results; i++) {
        const fsim_summary *s = &cmp->results[i].summary;
        const char *name = fsim_strategy_name(cmp->results[i].strategy);
        bool has;
        double v = fn(s, &has), y = c.top + (double)i * 30 + 4;
        fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                          c.left - 6, y + 15, name);
        if (!has) {
            fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\">not in the summary</text>\n",
                              c.left + 6, y + 15);
            continue;
        }
        fsim__html_printf(h, "<path class=\"%s\" d=\"M%.1f %.1fH%.1fV%.1fH%.1fZ\"><title>%s "
                             "%.2f</title></path><text x=\"%.1f\" y=\"%.1f\">%.1f</text>\n",
                          s->feasible ? "f-ok" : "f-stranded", c.left, y,
                          fsim__chart_x(&c, v), y + 22, c.left, name, v,
                          fsim__chart_x(&c, v) + 5, y + 15, v);
    }
    if (!isnan(limit)) {
        double x = fsim__chart_x(&c, limit);
        fsim__html_printf(h, "<path class=\"limit\" d=\"M%.1f %.1fV%.1f\"/><text x=\"%.1f\" "
                             "y=\"%.1f\">grid limit</text>\n", x, c.top, c.top + c.height,
                          x + 3, c.top - 6);
    }
    fsim__chart_end(&c);
}

static void table(fsim__html *h, const fsim_comparison *cmp)
{
    fsim__html_put(h, "<table id=\"strategies\">\n<tr><th>strategy</th><th>verdict</th>"
                      "<th class=\"n\">trips completed</th><th class=\"n\">peak kW</th>"
                      "<th class=\"n\">above limit kWh</th><th class=\"n\">total cost</th>"
                      "<th class=\"n\">CO2 kg</th><th class=\"n\">p95 wait</th></tr>\n");
    for (size_t i = 0; i < cmp->n_results; i++) {
        const fsim_summary *s = &cmp->results[i].summary;
        fsim__html_printf(h, "<tr><td>%s</td><td>%s: ",
                          fsim_strategy_name(cmp->results[i].strategy),
                          s->feasible ? "feasible" : "<strong>not feasible</strong>");
        fsim__html_text(h, s->verdict ? s->verdict : "");
        fsim__html_printf(h, "</td><td class=\"n\">%d / %d</td><td class=\"n\">%.1f</td>"
                             "<td class=\"n\">%.1f</td><td class=\"n\">%.2f %s</td>"
                             "<td class=\"n\">%.0f</td><td class=\"n\">%.0f s</td></tr>\n",
                          s->trips_completed, s->trips, s->peak_kw, s->grid_exceeded_kwh,
                          s->total_cost, s->currency ? s->currency : "", s->co2_kg,
                          s->wait_seconds_p95);
    }
    fsim__html_put(h, "</table>\n");
}

fsim_status fsim_report_render_comparison(const fsim_comparison *cmp,
                                          const fsim_request *req, char **html, size_t *len,
                                          fsim_error *err)
{
    *html = NULL;
    if (!cmp || cmp->n_results == 0)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, NULL, "no comparison to render");
    fsim__html h = {0};
    char title[256];
    const char *name = cmp->name ? cmp->name : req && req->name ? req->name : "scenario";
    snprintf(title, sizeof title, "fleetsim strategies: %s", name);
    fsim__page_begin(&h, title);
    fsim__html_put(&h, "<header>\n<h1>Strategies compared: ");
    fsim__html_text(&h, name);
    fsim__html_put(&h, "</h1>\n</header>\n<section id=\"verdict\" aria-label=\"verdicts\">\n");
    table(&h, cmp);
    fsim__html_put(&h, "</section>\n<section id=\"figures\">\n<h2>Side by side</h2>\n");
    /* the scenario's grid limit when it has one depot (several: each its own) */
    double limit = NAN;
    if (req && req->n_depots == 1 && req->depots[0].has_grid_limit_kw)
        limit = req->depots[0].grid_limit_kw;
    bars(&h, cmp, "Site peak by strategy", "Read: the highest site load each strategy reached; "
         "red bars are strategies that are not feasible.", "peak site load (kW)", peak, limit);
    bars(&h, cmp, "Total cost by strategy", "Read: energy + demand + fixed charges over the "
         "horizon.", "total cost (currency of the tariff)", cost, NAN);
    bars(&h, cmp, "Grid CO2 by strategy", "Read: CO2 of the grid energy, by hour.",
         "grid CO2 (kg)", co2, NAN);
    bars(&h, cmp, "95th percentile wait by strategy", "Read: 95 % of the sessions that "
         "queued waited at most this long.", "wait (min)", p95, NAN);
    bars(&h, cmp, "Failed trips by strategy", "Read: trips missed or stranded; zero is the "
         "only good answer.", "trips missed + stranded", failed, NAN);
    fsim__html_put(&h, "</section>\n");
    fsim__page_end(&h);
    return fsim__page_finish(&h, html, len, err);
}
