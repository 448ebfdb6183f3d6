/* The human summary of a result: feasibility first (what an operator must act on), then
 * the site load and energy, then how hard the chargers worked. */
#include <stdio.h>

#include <fleetsim/util.h>

#include "cli.h"

static double hours(double s) { return s / 3600.0; }

void cli_print_summary(FILE *f, const fsim_request *req, const fsim_result *res)
{
    const fsim_summary *s = &res->summary;
    char t0[32], peak_at[32];
    fsim_time_format(req->start, t0);
    fprintf(f, "%s: %d day%s from %s, strategy %s, %g °C\n",
            req->name ? req->name : "scenario", req->days, req->days == 1 ? "" : "s", t0,
            fsim_strategy_name(req->strategy),
            req->has_ambient_temperature_c ? req->ambient_temperature_c : 20.0);
    fprintf(f, "  %-12s %s\n", "feasible",
            s->feasible ? "yes: every scheduled trip completed"
                        : "NO: some trips were missed or stranded");
    fprintf(f, "  %-12s %d scheduled: %d completed, %d missed, %d stranded\n", "trips",
            s->trips, s->trips_completed, s->trips_missed, s->trips_stranded);
    fprintf(f, "  %-12s %d, %d stranded; lowest SoC %.1f %%\n", "vehicles", s->vehicles,
            s->vehicles_stranded, 100 * s->min_soc);
    double limit = 0;
    for (size_t d = 0; d < req->n_depots; d++)
        limit += req->depots[d].has_grid_limit_kw ? req->depots[d].grid_limit_kw : 0;
    fprintf(f, "  %-12s %.1f kW", "site peak", s->peak_kw);
    if (s->has_peak_at)
        fprintf(f, " at %s", fsim_time_format(s->peak_at, peak_at));
    if (limit > 0)
        fprintf(f, " (grid limits sum to %g kW)", limit);
    fputc('\n', f);
    fprintf(f, "  %-12s grid %.1f kWh, into batteries %.1f kWh\n", "charging",
            s->grid_energy_kwh, s->charged_energy_kwh);
    fprintf(f, "  %-12s %.1f kWh over %.1f km = %.3f kWh/km (auxiliaries and HVAC %.1f kWh)\n",
            "driving", s->energy_used_kwh, s->distance_km, s->kwh_per_km, s->aux_energy_kwh);
    fprintf(f, "  %-12s %.1f %% utilization, %d sessions; queueing %.1f h in total, "
               "longest wait %.0f min\n",
            "chargers", 100 * s->charger_utilization, s->charging_events,
            hours(s->waiting_seconds_total), s->waiting_seconds_max / 60.0);
    for (size_t i = 0; i < res->metadata.n_warnings; i++)
        fprintf(f, "  warning: %s\n", res->metadata.warnings[i]);
}
