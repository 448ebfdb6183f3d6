/* The human summary of a result: the verdict first (what an operator must act on), then the
 * grid, the load and energy, how long vehicles queued and how hard the chargers worked,
 * and what it costs. Lines whose figures the result does not carry are left out. */
#include <stdio.h>
#include <string.h>

#include <fleetsim/util.h>

#include "cli.h"

static double hours(double s) { return s / 3600.0; }

const char *cli_verdict_reason(const fsim_summary *s, char *buf, size_t size)
{
    if (s->verdict)
        return s->verdict;
    if (s->trips_missed || s->trips_stranded)
        snprintf(buf, size, "%d trip%s missed, %d stranded", s->trips_missed,
                 s->trips_missed == 1 ? "" : "s", s->trips_stranded);
    else
        snprintf(buf, size, "not feasible");
    return buf;
}

/* "north 634.2 kW (limit 400 kW, +234.2 kW, 3.5 h above, 120.5 kWh over)" per depot; the
 * site's peak against the sum of the limits when the result has no per-depot figures. */
static void print_grid(FILE *f, const fsim_request *req, const fsim_summary *s)
{
    char at[32];
    if (s->depots && s->n_depots) {
        for (size_t d = 0; d < s->n_depots; d++) {
            const fsim_depot_summary *ds = &s->depots[d];
            fprintf(f, "  %-12s %s peak %.1f kW", d ? "" : "grid", ds->id, ds->peak_kw);
            if (ds->has_peak_at)
                fprintf(f, " at %s", fsim_time_format(ds->peak_at, at));
            if (ds->has_grid_limit_kw)
                fprintf(f, ", limit %g kW", ds->grid_limit_kw);
            if (ds->grid_exceeded_kwh > 0)
                fprintf(f, ": above it %.1f h, %.1f kWh over, worst +%.1f kW",
                        ds->grid_exceeded_minutes / 60.0, ds->grid_exceeded_kwh,
                        ds->grid_peak_over_kw);
            fputc('\n', f);
        }
    } else {
        double limit = 0;
        for (size_t d = 0; req && d < req->n_depots; d++)
            limit += req->depots[d].has_grid_limit_kw ? req->depots[d].grid_limit_kw : 0;
        fprintf(f, "  %-12s %.1f kW", "site peak", s->peak_kw);
        if (s->has_peak_at)
            fprintf(f, " at %s", fsim_time_format(s->peak_at, at));
        if (limit > 0)
            fprintf(f, " (grid limits sum to %g kW)", limit);
        fputc('\n', f);
    }
    /* the site's total only adds something above one depot's line */
    if (s->has_grid_exceeded_kwh && s->n_depots != 1)
        fprintf(f, "  %-12s %.1f kWh above the limits over %.1f h (worst +%.1f kW)\n",
                "grid excess", s->grid_exceeded_kwh,
                s->has_grid_exceeded_minutes ? s->grid_exceeded_minutes / 60.0 : 0.0,
                s->has_grid_peak_over_kw ? s->grid_peak_over_kw : 0.0);
}

static void print_chargers(FILE *f, const fsim_summary *s)
{
    fprintf(f, "  %-12s", "waits");
    if (s->has_sessions_waited)
        fprintf(f, " %d of %d sessions waited,", s->sessions_waited, s->charging_events);
    if (s->has_wait_seconds_p50 && s->has_wait_seconds_p95)
        fprintf(f, " p50 %.0f s, p95 %.0f s,", s->wait_seconds_p50, s->wait_seconds_p95);
    fprintf(f, " longest %.0f min, %.1f h in total\n", s->waiting_seconds_max / 60.0,
            hours(s->waiting_seconds_total));
    fprintf(f, "  %-12s %d sessions", "chargers", s->charging_events);
    if (s->has_charger_time_utilization)
        fprintf(f, ", occupied %.1f %% of the time", 100 * s->charger_time_utilization);
    if (s->has_charger_energy_utilization)
        fprintf(f, ", %.1f %% of rated energy", 100 * s->charger_energy_utilization);
    if (!s->has_charger_time_utilization && !s->has_charger_energy_utilization)
        fprintf(f, ", %.1f %% utilization", 100 * s->charger_utilization);
    fputc('\n', f);
}

static void print_costs(FILE *f, const fsim_summary *s)
{
    const char *cur = s->currency ? s->currency : "";
    if (s->has_total_cost) {
        fprintf(f, "  %-12s %.2f %s", "cost", s->total_cost, cur);
        if (s->has_energy_cost || s->has_demand_cost || s->has_fixed_cost) {
            const char *sep = " (";
            if (s->has_energy_cost)
                fprintf(f, "%senergy %.2f", sep, s->energy_cost), sep = ", ";
            if (s->has_demand_cost)
                fprintf(f, "%sdemand %.2f", sep, s->demand_cost), sep = ", ";
            if (s->has_fixed_cost)
                fprintf(f, "%sfixed %.2f", sep, s->fixed_cost);
            fputc(')', f);
        }
        if (s->has_cost_per_km)
            fprintf(f, ", %.3f %s/km", s->cost_per_km, cur);
        fputc('\n', f);
    } else if (s->has_energy_cost) {
        fprintf(f, "  %-12s energy %.2f %s\n", "cost", s->energy_cost, cur);
    }
    if (s->has_co2_kg)
        fprintf(f, "  %-12s %.3f kg\n", "CO2", s->co2_kg);
}

void cli_print_summary(FILE *f, const fsim_request *req, const fsim_result *res)
{
    const fsim_summary *s = &res->summary;
    char t0[32], reason[160];
    if (req) {
        fsim_time_format(req->start, t0);
        fprintf(f, "%s: %d day%s from %s, strategy %s, %g °C\n",
                req->name ? req->name : "scenario", req->days, req->days == 1 ? "" : "s", t0,
                fsim_strategy_name(req->strategy),
                req->has_ambient_temperature_c ? req->ambient_temperature_c : 20.0);
    }
    if (s->feasible)
        fprintf(f, "  %-12s yes\n", "feasible");
    else
        fprintf(f, "  %-12s NO: %s\n", "feasible",
                cli_verdict_reason(s, reason, sizeof reason));
    print_grid(f, req, s);
    fprintf(f, "  %-12s %d scheduled: %d completed, %d missed, %d stranded\n", "trips",
            s->trips, s->trips_completed, s->trips_missed, s->trips_stranded);
    fprintf(f, "  %-12s %d, %d stranded; lowest SoC %.1f %%\n", "vehicles", s->vehicles,
            s->vehicles_stranded, 100 * s->min_soc);
    fprintf(f, "  %-12s grid %.1f kWh, into batteries %.1f kWh\n", "charging",
            s->grid_energy_kwh, s->charged_energy_kwh);
    fprintf(f, "  %-12s %.1f kWh over %.1f km = %.3f kWh/km (auxiliaries and HVAC %.1f kWh)\n",
            "driving", s->energy_used_kwh, s->distance_km, s->kwh_per_km, s->aux_energy_kwh);
    print_chargers(f, s);
    print_costs(f, s);
    for (size_t i = 0; i < res->metadata.n_warnings; i++)
        fprintf(f, "  warning: %s\n", res->metadata.warnings[i]);
}

void cli_print_written(FILE *f, const char *dir, bool report)
{
    fprintf(f, "  %-12s %s/{result.json, timeseries.csv, charging_events.csv, trips.csv, "
               "vehicles.csv%s}\n", "written", dir, report ? ", report.html" : "");
}
