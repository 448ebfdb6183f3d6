/* The bundled scenarios end to end through the runner (config → routes → engine → files),
 * checked from the outside, on the result a user gets:
 *   - demo.json: the five files are written, result.json survives decode ∘ encode byte for
 *     byte, the CSVs have one row per record, two runs give identical bytes;
 *   - invariants on the result of every strategy: SoC in [0, 1], grid kWh × efficiency =
 *     battery kWh per event, never more chargers in use than installed, peak_shaving never
 *     above the grid limit, every trip has exactly one outcome;
 *   - strategy behaviour: peak_shaving lowers the peak vs immediate, balanced spreads load;
 *     tight.json: balanced misses trips where immediate completes them all. */
#include <fleetsim/config.h>
#include <fleetsim/runner.h>
#include <fleetsim/util.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/check.h"

static char config_dir[1024];

static fsim_request *load(fsim_arena *arena, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/scenarios/%s", config_dir, name);
    char *text;
    size_t len;
    fsim_request *req = NULL;
    fsim_error err = {0}; /* printed even on success */
    if (fsim_read_file(path, arena, &text, &len, &err) != FSIM_OK ||
        fsim_request_decode(text, len, path, 0, arena, &req, &err) != FSIM_OK) {
        char msg[1200];
        fsim_error_format(&err, msg, sizeof msg);
        printf("# %s\n", msg);
        return NULL;
    }
    return req;
}

static fsim_result *run(fsim_arena *arena, fsim_request *req, fsim_strategy strategy)
{
    req->strategy = strategy;
    fsim_runner_options opts = {.config_dir = config_dir, .source = "test"};
    fsim_result *res = NULL;
    fsim_error err = {0}; /* printed even on success */
    if (fsim_runner_run(req, &opts, arena, &res, &err) != FSIM_OK) {
        char msg[1200];
        fsim_error_format(&err, msg, sizeof msg);
        printf("# run failed: %s\n", msg);
    }
    return res;
}

static char *slurp(fsim_arena *arena, const char *dir, const char *name, size_t *len)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = NULL;
    fsim_error err = {0}; /* printed even on success */
    if (fsim_read_file(path, arena, &text, len, &err) != FSIM_OK)
        return NULL;
    return text;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; text && *text; text++)
        n += *text == '\n';
    return n;
}

/* The sum of one named column of a CSV text without quoted cells (vehicles.csv of the
 * demo): what a planner's spreadsheet would total. */
static double column_sum(const char *csv, const char *name)
{
    int col = -1, k = 0;
    size_t n = strlen(name);
    for (const char *p = csv; *p && *p != '\n'; k++) {
        size_t w = strcspn(p, ",\n");
        if (w == n && strncmp(p, name, n) == 0)
            col = k;
        p += w + (p[w] == ',');
    }
    double sum = 0;
    const char *line = strchr(csv, '\n');
    while (col >= 0 && line && line[1]) {
        const char *p = line + 1;
        for (int i = 0; i < col; i++)
            p += strcspn(p, ",\n") + 1;
        sum += strtod(p, NULL);
        line = strchr(p, '\n');
    }
    return col >= 0 ? sum : -1;
}

static void test_demo_files(fsim_arena *arena, const char *tmp)
{
    fsim_request *req = load(arena, "demo.json");
    CHECK(req != NULL, "demo.json decodes");
    if (!req)
        return;
    fsim_result *res = run(arena, req, req->strategy);
    CHECK(res != NULL, "demo.json runs");
    if (!res)
        return;
    fsim_error err = {0}; /* printed even on success */
    char dir1[1100], dir2[1100];
    snprintf(dir1, sizeof dir1, "%s/one", tmp);
    snprintf(dir2, sizeof dir2, "%s/two/nested", tmp);
    CHECK(fsim_runner_write_files(res, dir1, &err) == FSIM_OK, "the five files are written");
    size_t len = 0, len_csv;
    char *json = slurp(arena, dir1, "result.json", &len);
    CHECK(json != NULL && len > 1000, "result.json exists (%zu bytes)", len);
    if (!json)
        return;
    fsim_result *back = NULL;
    CHECK(fsim_result_decode(json, len, "result.json", 0, arena, &back, &err) == FSIM_OK,
          "result.json decodes with the wire codec (%.100s: %.200s)", err.path,
          err.message);
    if (back) {
        size_t len2;
        char *again = fsim_result_encode(back, 0, &len2);
        CHECK(again && len2 + 1 == len && memcmp(again, json, len2) == 0,
              "decode then encode gives result.json back byte for byte");
        free(again);
        CHECK(fsim_wire_equal(FSIM_WIRE_RESULT, res, back), "the decoded result equals the run's");
    }
    char *csv = slurp(arena, dir1, "trips.csv", &len_csv);
    CHECK(csv && count_lines(csv) == res->n_trips + 1, "trips.csv: a header and one row per trip");
    csv = slurp(arena, dir1, "charging_events.csv", &len_csv);
    CHECK(csv && count_lines(csv) == res->n_charging_events + 1,
          "charging_events.csv: a header and one row per event");
    csv = slurp(arena, dir1, "timeseries.csv", &len_csv);
    CHECK(csv && count_lines(csv) == res->n_time_series_data + 1,
          "timeseries.csv: a header and one row per depot and interval");
    CHECK(res->n_time_series_data == (size_t)(7 * 96), "a week of 15-minute points for one depot");
    csv = slurp(arena, dir1, "vehicles.csv", &len_csv);
    CHECK(csv && count_lines(csv) == (size_t)res->summary.vehicles + 1,
          "vehicles.csv: a header and one row per vehicle (%d)", res->summary.vehicles);
    CHECK(csv && strncmp(csv, "vehicle_id,type,depot,trips_completed,", 38) == 0,
          "vehicles.csv: named columns, the vehicle first");
    if (csv) {
        const fsim_summary *s = &res->summary;
        CHECK(column_sum(csv, "trips_completed") == s->trips_completed &&
                  column_sum(csv, "trips_missed") == s->trips_missed &&
                  column_sum(csv, "trips_stranded") == s->trips_stranded,
              "vehicles.csv: trips per vehicle sum to the summary's");
        CHECK(column_sum(csv, "sessions") == s->charging_events,
              "vehicles.csv: sessions sum to the summary's %d", s->charging_events);
        CHECK_NEAR(column_sum(csv, "distance_km"), s->distance_km, 1e-3,
                   "vehicles.csv: km sum to the summary's");
        CHECK_NEAR(column_sum(csv, "charged_energy_kwh"), s->charged_energy_kwh, 1e-3,
                   "vehicles.csv: kWh charged sum to the summary's");
    }

    /* Determinism: a second, independent run writes the same bytes. */
    fsim_request *req2 = load(arena, "demo.json");
    fsim_result *res2 = req2 ? run(arena, req2, req2->strategy) : NULL;
    CHECK(res2 && fsim_runner_write_files(res2, dir2, &err) == FSIM_OK, "second run written");
    const char *names[] = {"result.json", "timeseries.csv", "charging_events.csv", "trips.csv",
                           "vehicles.csv"};
    for (size_t i = 0; i < 5; i++) {
        size_t a_len, b_len;
        char *a = slurp(arena, dir1, names[i], &a_len), *b = slurp(arena, dir2, names[i], &b_len);
        CHECK(a && b && a_len == b_len && memcmp(a, b, a_len) == 0,
              "two runs: identical %s (%zu bytes)", names[i], a_len);
    }
}

/* The invariants of the engine issue, checked on a result (values are rounded to 6
 * decimals there, hence the tolerances). */
static void check_invariants(const fsim_request *req, const fsim_result *res, const char *label)
{
    bool soc_ok = true, eff_ok = true, outcome_ok = true;
    for (size_t i = 0; i < res->n_trips; i++) {
        const fsim_trip_result *t = &res->trips[i];
        soc_ok &= t->start_soc >= 0 && t->start_soc <= 1 && t->end_soc >= 0 && t->end_soc <= 1;
        outcome_ok &= (t->status == FSIM_TRIP_COMPLETED) == t->has_arrive &&
                      (t->status == FSIM_TRIP_STRANDED) == (t->stranded_at != NULL);
    }
    for (size_t i = 0; i < res->n_time_series_data; i++)
        soc_ok &= res->time_series_data[i].min_soc >= 0 && res->time_series_data[i].mean_soc <= 1;
    fsim_config *config = NULL;
    fsim_error err = {0}; /* printed even on success */
    fsim_config_load(config_dir, NULL, req->overrides, &config, &err);
    for (size_t i = 0; config && i < res->n_charging_events; i++) {
        const fsim_charging_event *e = &res->charging_events[i];
        soc_ok &= e->start_soc >= 0 && e->end_soc <= 1;
        /* charger ids are depot/type/k */
        const char *type = strchr(e->charger_id, '/') + 1;
        char name[80];
        snprintf(name, sizeof name, "%.*s", (int)(strchr(type, '/') - type), type);
        const fsim_charger_type *ct = fsim_config_charger(config, name);
        eff_ok &= ct && fabs(e->grid_energy_kwh * ct->efficiency - e->energy_kwh) <= 2e-6;
    }
    fsim_config_free(config);
    CHECK(soc_ok, "%s: every SoC in the result is within [0, 1]", label);
    CHECK(eff_ok, "%s: grid kWh × efficiency = battery kWh for every event", label);
    CHECK(outcome_ok, "%s: every trip has exactly one outcome, with arrival or stranding "
                      "point to match", label);
    CHECK(res->summary.trips == (int)res->n_trips &&
              res->summary.trips_completed + res->summary.trips_missed +
                      res->summary.trips_stranded == res->summary.trips,
          "%s: completed + missed + stranded = scheduled (%d)", label, res->summary.trips);

    /* Chargers in use over time, by a sweep over plug-in and unplug instants: never more
     * than installed (and never two sessions on one charger at once). */
    bool overlap_ok = true;
    for (size_t i = 0; i < res->n_charging_events; i++)
        for (size_t j = i + 1; j < res->n_charging_events && overlap_ok; j++) {
            const fsim_charging_event *a = &res->charging_events[i], *b = &res->charging_events[j];
            if (strcmp(a->charger_id, b->charger_id) == 0) {
                double a0 = a->plugged_at + a->wait_seconds, b0 = b->plugged_at + b->wait_seconds;
                overlap_ok &= a->end <= b0 || b->end <= a0;
            }
        }
    CHECK(overlap_ok, "%s: no charger holds two vehicles at once, so no depot uses more "
                      "chargers than it has", label);
    int installed = 0;
    for (size_t c = 0; c < req->depots[0].n_chargers; c++)
        installed += req->depots[0].chargers[c].count;
    int max_charging = 0;
    for (size_t i = 0; i < res->n_time_series_data; i++)
        if (res->time_series_data[i].charging > max_charging)
            max_charging = res->time_series_data[i].charging;
    CHECK(max_charging <= installed, "%s: at most %d vehicles charging at any point (saw %d)",
          label, installed, max_charging);
}

static double max_load(const fsim_result *res)
{
    double m = 0;
    for (size_t i = 0; i < res->n_time_series_data; i++)
        m = fmax(m, res->time_series_data[i].load_kw);
    return m;
}

/* Spread: the standard deviation of the 15-minute load. */
static double load_stddev(const fsim_result *res)
{
    double sum = 0, sq = 0, n = (double)res->n_time_series_data;
    for (size_t i = 0; i < res->n_time_series_data; i++) {
        sum += res->time_series_data[i].load_kw;
        sq += res->time_series_data[i].load_kw * res->time_series_data[i].load_kw;
    }
    return sqrt(fmax(0, sq / n - (sum / n) * (sum / n)));
}

static void test_strategies(fsim_arena *arena)
{
    fsim_request *req = load(arena, "demo.json");
    if (!req)
        return;
    fsim_result *imm = run(arena, req, FSIM_STRAT_IMMEDIATE);
    fsim_result *bal = run(arena, req, FSIM_STRAT_BALANCED);
    fsim_result *peak = run(arena, req, FSIM_STRAT_PEAK_SHAVING);
    CHECK(imm && bal && peak, "demo.json runs under all three strategies");
    if (!imm || !bal || !peak)
        return;
    check_invariants(req, imm, "demo immediate");
    check_invariants(req, bal, "demo balanced");
    check_invariants(req, peak, "demo peak_shaving");
    const double limit = req->depots[0].grid_limit_kw;
    CHECK(peak->summary.peak_kw <= limit + 1e-6,
          "peak_shaving: the site never exceeds its %g kW grid limit (peak %g kW)", limit,
          peak->summary.peak_kw);
    CHECK(imm->summary.peak_kw > limit,
          "immediate on the same fleet does exceed it (%g kW), so the limit binds",
          imm->summary.peak_kw);
    CHECK(peak->summary.peak_kw < imm->summary.peak_kw,
          "peak_shaving lowers the peak vs immediate (%g < %g kW)", peak->summary.peak_kw,
          imm->summary.peak_kw);
    CHECK(bal->summary.peak_kw < 0.5 * imm->summary.peak_kw &&
              load_stddev(bal) < load_stddev(imm),
          "balanced spreads load: peak %g vs %g kW, 15-min load std dev %.1f vs %.1f kW",
          bal->summary.peak_kw, imm->summary.peak_kw, load_stddev(bal), load_stddev(imm));
    CHECK(fabs(max_load(imm) - imm->summary.peak_kw) <= imm->summary.peak_kw,
          "the time series' highest interval mean is at most the step peak");
    /* The planner's answer: immediate completes every trip but draws above the site's grid
     * connection, so the verdict is no, naming the depot; the other strategies do the job
     * within it, each at its own cost, and `cost` is the cheapest. */
    CHECK(imm->summary.trips_ok && !imm->summary.grid_ok && !imm->summary.feasible &&
              imm->summary.grid_exceeded_kwh > 0,
          "demo immediate: every trip done but infeasible on the grid (%g kWh above the limit)",
          imm->summary.grid_exceeded_kwh);
    CHECK(imm->summary.verdict && strstr(imm->summary.verdict, "depot north above its 400 kW"),
          "demo immediate: the verdict names the depot and its limit (%s)",
          imm->summary.verdict ? imm->summary.verdict : "none");
    CHECK(peak->summary.feasible && peak->summary.grid_exceeded_kwh == 0,
          "demo peak_shaving: feasible, 0 kWh above the limit");
    CHECK(bal->summary.feasible, "demo balanced: feasible (%s)", bal->summary.verdict);
    fsim_result *cost = run(arena, req, FSIM_STRAT_COST);
    CHECK(cost && cost->summary.feasible &&
              cost->summary.trips_completed == cost->summary.trips,
          "demo cost: feasible, every trip completed");
    if (cost) {
        check_invariants(req, cost, "demo cost");
        CHECK(cost->summary.total_cost < bal->summary.total_cost &&
                  cost->summary.total_cost < imm->summary.total_cost &&
                  cost->summary.total_cost < peak->summary.total_cost,
              "demo cost: the cheapest (%.2f vs balanced %.2f, immediate %.2f, peak_shaving "
              "%.2f %s)",
              cost->summary.total_cost, bal->summary.total_cost, imm->summary.total_cost,
              peak->summary.total_cost, cost->summary.currency);
    }

    fsim_request *tight = load(arena, "tight.json");
    fsim_result *t_imm = tight ? run(arena, tight, FSIM_STRAT_IMMEDIATE) : NULL;
    fsim_result *t_bal = tight ? run(arena, tight, FSIM_STRAT_BALANCED) : NULL;
    CHECK(t_imm && t_bal, "tight.json runs");
    if (!t_imm || !t_bal)
        return;
    check_invariants(tight, t_bal, "tight balanced");
    check_invariants(tight, t_imm, "tight immediate");
    /* Too few fast chargers: balanced must not hold them at low power while others queue. */
    bool kept = true;
    for (size_t i = 0; i < t_imm->n_trips; i++)
        if (t_imm->trips[i].status == FSIM_TRIP_COMPLETED &&
            t_bal->trips[i].status != FSIM_TRIP_COMPLETED)
            kept = false;
    CHECK(kept && t_bal->summary.trips_completed >= t_imm->summary.trips_completed,
          "tight: balanced completes every trip immediate completes (%d and %d of %d)",
          t_bal->summary.trips_completed, t_imm->summary.trips_completed, t_imm->summary.trips);
    CHECK(t_bal->summary.peak_kw <= t_imm->summary.peak_kw,
          "tight: balanced peaks no higher than immediate (%.1f vs %.1f kW)",
          t_bal->summary.peak_kw, t_imm->summary.peak_kw);
    CHECK(t_bal->summary.sessions_waited > 0 && t_bal->summary.wait_seconds_p95 > 0,
          "tight: vehicles do queue for the fast chargers (%d sessions, p95 %.0f s)",
          t_bal->summary.sessions_waited, t_bal->summary.wait_seconds_p95);
}

/* outputs.perVehicleSeries: one SoC series per vehicle, one sample per output interval,
 * agreeing with the depot's mean and min at every interval. */
static void test_vehicle_series(fsim_arena *arena)
{
    fsim_request *req = load(arena, "demo.json");
    if (!req)
        return;
    fsim_request_outputs outputs = {.has_per_vehicle_series = true, .per_vehicle_series = true};
    req->outputs = &outputs;
    fsim_result *res = run(arena, req, req->strategy);
    CHECK(res && res->vehicle_series && res->n_vehicle_series == (size_t)res->summary.vehicles,
          "perVehicleSeries: one series per vehicle (%zu)", res ? res->n_vehicle_series : 0);
    if (!res || !res->vehicle_series)
        return;
    const size_t n = res->n_time_series_data; /* one depot: one point per interval */
    bool lengths = true, stats = true;
    for (size_t v = 0; v < res->n_vehicle_series; v++)
        lengths &= res->vehicle_series[v].n_soc == n &&
                   res->vehicle_series[v].interval_seconds == req->output_interval_seconds;
    for (size_t k = 0; k < n && lengths; k++) {
        double sum = 0, min = 1;
        for (size_t v = 0; v < res->n_vehicle_series; v++) {
            sum += res->vehicle_series[v].soc[k];
            min = fmin(min, res->vehicle_series[v].soc[k]);
        }
        const fsim_time_series_point *p = &res->time_series_data[k];
        stats &= fabs(sum / (double)res->n_vehicle_series - p->mean_soc) <= 1e-5 &&
                 fabs(min - p->min_soc) <= 1e-6;
    }
    CHECK(lengths, "every series has one sample per %d s interval (%zu)",
          req->output_interval_seconds, n);
    CHECK(stats, "at every interval the series' mean and min are the depot's meanSoc and minSoc");
    char *json = fsim_result_encode(res, 0, NULL);
    fsim_result *back = NULL;
    fsim_error err = {0}; /* printed even on success */
    CHECK(json && fsim_result_decode(json, strlen(json), "result", 0, arena, &back, &err) ==
                      FSIM_OK && fsim_wire_equal(FSIM_WIRE_RESULT, res, back),
          "a result with vehicleSeries round-trips through the codec");
    free(json);
}

/* fsim_runner_compare: every strategy's summary equals a separate run's (the threads share
 * the prepared input and nothing else), and the comparison survives the codec. */
static void test_compare(fsim_arena *arena)
{
    fsim_request *req = load(arena, "tight.json");
    CHECK(req != NULL, "compare: tight.json decodes");
    if (!req)
        return;
    fsim_runner_options opts = {.config_dir = config_dir, .source = "test"};
    fsim_comparison *cmp = NULL;
    fsim_error err = {0}; /* printed even on success */
    CHECK(fsim_runner_compare(req, NULL, 0, &opts, arena, &cmp, &err) == FSIM_OK && cmp,
          "compare: tight.json under every strategy");
    if (!cmp)
        return;
    CHECK(cmp->n_results == 4 && cmp->name && strcmp(cmp->name, req->name) == 0,
          "compare: four outcomes, named after the scenario");
    for (size_t i = 0; i < cmp->n_results; i++) {
        const fsim_strategy_outcome *oc = &cmp->results[i];
        CHECK(oc->strategy == (fsim_strategy)i, "compare: outcome %zu is %s", i,
              fsim_strategy_name((fsim_strategy)i));
        fsim_request *alone = load(arena, "tight.json");
        fsim_result *res = alone ? run(arena, alone, oc->strategy) : NULL;
        CHECK(res && fsim_wire_equal(FSIM_WIRE_SUMMARY, &res->summary, &oc->summary),
              "compare: %s's summary equals a separate run's", fsim_strategy_name(oc->strategy));
    }
    size_t len;
    char *json = fsim_wire_encode(FSIM_WIRE_COMPARISON, cmp, 0, &len);
    void *back = NULL;
    CHECK(json && fsim_wire_decode(FSIM_WIRE_COMPARISON, json, len, "comparison", 0, arena,
                                   &back, &err) == FSIM_OK &&
              fsim_wire_equal(FSIM_WIRE_COMPARISON, cmp, back),
          "compare: the StrategyComparison decodes back to itself");
    free(json);
    const fsim_strategy two[] = {FSIM_STRAT_PEAK_SHAVING, FSIM_STRAT_IMMEDIATE};
    CHECK(fsim_runner_compare(req, two, 2, &opts, arena, &cmp, &err) == FSIM_OK &&
              cmp->n_results == 2 && cmp->results[0].strategy == FSIM_STRAT_PEAK_SHAVING &&
              cmp->results[1].strategy == FSIM_STRAT_IMMEDIATE,
          "compare: the strategies asked for, in that order");
}

int main(void)
{
    const char *root = getenv("FSIM_SOURCE_ROOT");
    snprintf(config_dir, sizeof config_dir, "%s/config", root ? root : ".");
    char tmp[] = "/tmp/fsim-scenarios-XXXXXX";
    if (!mkdtemp(tmp))
        return 1;
    fsim_arena *arena = fsim_arena_new();
    test_demo_files(arena, tmp);
    test_strategies(arena);
    test_vehicle_series(arena);
    test_compare(arena);
    fsim_arena_free(arena);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmp);
    return check_done();
}
