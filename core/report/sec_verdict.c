/* Section 1: the verdict (feasible, or why not), the headline figures and the scenario's
 * parameters — what a reader needs before any chart. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <fleetsim/util.h>

#include "report_internal.h"

static void figure(fsim__html *h, const char *label, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* One headline figure: a label and its value (already with its unit). */
static void figure(fsim__html *h, const char *label, const char *fmt, ...)
{
    char value[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    fsim__html_put(h, "<div><dt>");
    fsim__html_text(h, label);
    fsim__html_put(h, "</dt><dd>");
    fsim__html_text(h, value);
    fsim__html_put(h, "</dd></div>\n");
}

static void verdict_part(fsim__html *h, bool has, bool ok, const char *what)
{
    if (!has)
        return;
    fsim__html_printf(h, "<span>%s %s</span>", ok ? "&#10003;" : "&#10007;", what);
}

static void headline(fsim__html *h, const fsim_summary *s)
{
    char t[32];
    const char *cur = s->currency ? s->currency : "";
    fsim__html_put(h, "<dl class=\"figures\">\n");
    figure(h, "trips completed", "%d of %d", s->trips_completed, s->trips);
    figure(h, "trips missed / stranded", "%d / %d", s->trips_missed, s->trips_stranded);
    figure(h, "vehicles (stranded)", "%d (%d)", s->vehicles, s->vehicles_stranded);
    figure(h, "lowest SoC", "%.1f %%", s->min_soc * 100);
    figure(h, "distance", "%.0f km", s->distance_km);
    figure(h, "energy used", "%.0f kWh (%.3f kWh/km)", s->energy_used_kwh, s->kwh_per_km);
    figure(h, "grid energy", "%.0f kWh", s->grid_energy_kwh);
    figure(h, "site peak", "%.1f kW%s%s", s->peak_kw, s->has_peak_at ? " at " : "",
           s->has_peak_at ? fsim_time_format(s->peak_at, t) : "");
    if (s->has_grid_exceeded_kwh)
        figure(h, "above grid limits", "%.1f kWh over %.0f min", s->grid_exceeded_kwh,
               s->has_grid_exceeded_minutes ? s->grid_exceeded_minutes : 0);
    if (s->has_wait_seconds_p50)
        figure(h, "wait p50 / p95", "%.0f s / %.0f s", s->wait_seconds_p50,
               s->has_wait_seconds_p95 ? s->wait_seconds_p95 : 0);
    figure(h, "sessions (waited)", "%d (%d)", s->charging_events,
           s->has_sessions_waited ? s->sessions_waited : 0);
    figure(h, "charger time utilization", "%.1f %%",
           (s->has_charger_time_utilization ? s->charger_time_utilization
                                            : s->charger_utilization) * 100);
    if (s->has_total_cost)
        figure(h, "total cost", "%.2f %s", s->total_cost, cur);
    if (s->has_cost_per_km)
        figure(h, "cost per km", "%.3f %s", s->cost_per_km, cur);
    if (s->has_co2_kg)
        figure(h, "grid CO2", "%.0f kg", s->co2_kg);
    fsim__html_put(h, "</dl>\n");
}

/* The scenario as the result knows it (depots, chargers, fleet, horizon) and, with the
 * request, what only the request knows (name, strategy, step, groups' SoC limits). */
static void parameters(fsim__html *h, const fsim_result *r, const fsim_request *req)
{
    double start, end, interval;
    char t0[32], t1[32];
    fsim__html_put(h, "<h3>Scenario</h3>\n<table>\n");
    if (fsim__report_horizon(r, &start, &end, &interval))
        fsim__html_printf(h, "<tr><th>horizon</th><td>%s to %s (%.1f days), series every "
                             "%.0f min</td></tr>\n", fsim_time_format(start, t0),
                          fsim_time_format(end, t1), (end - start) / 86400, interval / 60);
    if (req) {
        fsim__html_put(h, "<tr><th>strategy</th><td>");
        fsim__html_text(h, fsim_strategy_name(req->strategy));
        fsim__html_printf(h, "</td></tr>\n<tr><th>step</th><td>%d s</td></tr>\n",
                          req->step_seconds);
        if (req->has_ambient_temperature_c)
            fsim__html_printf(h, "<tr><th>ambient</th><td>%.1f &#176;C</td></tr>\n",
                              req->ambient_temperature_c);
    }
    fsim__html_printf(h, "<tr><th>fleet</th><td>%d vehicles, %d trips scheduled</td></tr>\n",
                      r->summary.vehicles, r->summary.trips);
    if (r->simulation_id) {
        fsim__html_put(h, "<tr><th>simulation</th><td>");
        fsim__html_text(h, r->simulation_id);
        fsim__html_put(h, "</td></tr>\n");
    }
    fsim__html_put(h, "</table>\n<table>\n<tr><th>depot</th><th>UTC offset</th><th class=\"n\">"
                      "grid limit</th><th>tariff</th><th>chargers</th></tr>\n");
    for (size_t i = 0; i < r->summary.n_depots; i++) {
        const fsim_depot_summary *d = &r->summary.depots[i];
        fsim__html_put(h, "<tr><td>");
        fsim__html_text(h, d->id);
        fsim__html_printf(h, "</td><td>%+d min</td><td class=\"n\">", d->utc_offset_minutes);
        if (d->has_grid_limit_kw)
            fsim__html_printf(h, "%.0f kW", d->grid_limit_kw);
        else
            fsim__html_put(h, "none");
        fsim__html_put(h, "</td><td>");
        fsim__html_text(h, d->tariff);
        fsim__html_put(h, "</td><td>");
        for (size_t k = 0; k < d->n_chargers; k++) {
            fsim__html_printf(h, "%s%d &#215; ", k ? ", " : "", d->chargers[k].count);
            fsim__html_text(h, d->chargers[k].type);
            fsim__html_printf(h, " (%.0f kW)", d->chargers[k].power_kw);
        }
        fsim__html_put(h, "</td></tr>\n");
    }
    fsim__html_put(h, "</table>\n");
    if (!req)
        return;
    fsim__html_put(h, "<table>\n<tr><th>vehicle group</th><th>depot</th><th>route</th>"
                      "<th class=\"n\">vehicles</th><th class=\"n\">departures/day</th>"
                      "<th class=\"n\">initial SoC</th><th class=\"n\">target SoC</th>"
                      "<th class=\"n\">reserve SoC</th></tr>\n");
    for (size_t i = 0; i < req->n_vehicles; i++) {
        const fsim_vehicle_group *g = &req->vehicles[i];
        fsim__html_put(h, "<tr><td>");
        fsim__html_text(h, g->type);
        fsim__html_put(h, "</td><td>");
        fsim__html_text(h, g->depot);
        fsim__html_put(h, "</td><td>");
        fsim__html_text(h, g->route_id);
        fsim__html_printf(h, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                             "<td class=\"n\">%.0f %%</td><td class=\"n\">%.0f %%</td>",
                          g->has_count ? (size_t)g->count : g->n_vins, g->n_departures,
                          g->initial_soc * 100, g->target_soc * 100);
        if (g->has_reserve_soc)
            fsim__html_printf(h, "<td class=\"n\">%.0f %%</td></tr>\n", g->reserve_soc * 100);
        else
            fsim__html_put(h, "<td class=\"n\">type default</td></tr>\n");
    }
    fsim__html_put(h, "</table>\n");
}

void fsim__section_verdict(fsim__html *h, const fsim_result *r, const fsim_request *req)
{
    const fsim_summary *s = &r->summary;
    fsim__html_put(h, "<header>\n<h1>");
    fsim__html_text(h, req && req->name ? req->name : "Simulation report");
    fsim__html_put(h, "</h1>\n</header>\n<section id=\"verdict\" aria-label=\"verdict\">\n");
    fsim__html_printf(h, "<div class=\"verdict %s\" role=\"status\"><strong>%s</strong>\n",
                      s->feasible ? "ok" : "bad", s->feasible ? "Feasible" : "Not feasible");
    fsim__html_put(h, "<p id=\"verdict-text\">");
    if (s->verdict)
        fsim__html_text(h, s->verdict);
    else
        fsim__html_printf(h, "%d of %d trips completed, %d missed, %d stranded",
                          s->trips_completed, s->trips, s->trips_missed, s->trips_stranded);
    fsim__html_put(h, "</p>\n<p class=\"parts\">");
    verdict_part(h, s->has_trips_ok, s->trips_ok, "every trip");
    verdict_part(h, s->has_grid_ok, s->grid_ok, "within grid limits");
    verdict_part(h, s->has_energy_ok, s->energy_ok, "batteries not run down");
    fsim__html_put(h, "</p></div>\n");
    headline(h, s);
    parameters(h, r, req);
    if (r->metadata.n_warnings) {
        fsim__html_put(h, "<h3>Warnings</h3>\n<ul>\n");
        for (size_t i = 0; i < r->metadata.n_warnings; i++) {
            fsim__html_put(h, "<li>");
            fsim__html_text(h, r->metadata.warnings[i]);
            fsim__html_put(h, "</li>\n");
        }
        fsim__html_put(h, "</ul>\n");
    }
    fsim__html_put(h, "</section>\n");
}
