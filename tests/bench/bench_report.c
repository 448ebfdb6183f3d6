/* Benchmark of the HTML report (figures, no time thresholds): config/scenarios/large.json
 * (1,000 vehicles, a week) run once, then its report rendered several times — with and
 * without per-vehicle series (outputs.perVehicleSeries). Prints the median render time and
 * the page's size. Fails only when the page breaks its contract: over 2 MB, or two renders
 * of the same result that differ.
 *
 *   bench_report [RUNS] */
#include <fleetsim/report.h>
#include <fleetsim/runner.h>
#include <fleetsim/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BYTES (2u * 1024 * 1024)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs the scenario, renders its report `runs` times; 0 when the contract holds. */
static int bench(const fsim_request *req, const char *label, int runs)
{
    fsim_runner_options opts = {.source = "large.json"};
    char config_dir[1024];
    const char *root = getenv("FSIM_SOURCE_ROOT");
    snprintf(config_dir, sizeof config_dir, "%s/config", root ? root : ".");
    opts.config_dir = config_dir;
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    fsim_error_clear(&err);
    fsim_result *res = NULL;
    int rc = 1;
    if (fsim_runner_run(req, &opts, arena, &res, &err) != FSIM_OK) {
        char msg[1200];
        fsim_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "bench_report: %s\n", msg);
        goto out;
    }
    double times[32];
    char *first = NULL;
    size_t first_len = 0;
    bool same = true;
    for (int i = 0; i < runs; i++) {
        char *html = NULL;
        size_t len = 0;
        double t0 = now_s();
        const fsim_report_context ctx = {.request = req};
        if (fsim_report_render(res, &ctx, &html, &len, &err) != FSIM_OK)
            goto out;
        times[i] = now_s() - t0;
        if (!first) {
            first = html;
            first_len = len;
        } else {
            same = same && len == first_len && memcmp(html, first, len) == 0;
            free(html);
        }
    }
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    printf("report %s: %d vehicles x %d days, %zu series points, %zu sessions, %zu trips -> "
           "%zu bytes (%.2f MB, limit 2 MB) in %.1f ms (median of %d, min %.1f ms)%s\n",
           label, res->summary.vehicles, req->days, res->n_time_series_data,
           res->n_charging_events, res->n_trips, first_len, first_len / 1048576.0,
           times[runs / 2] * 1e3, runs, times[0] * 1e3,
           same ? ", renders byte-identical" : ", RENDERS DIFFER");
    rc = first_len <= MAX_BYTES && same ? 0 : 1;
    free(first);
out:
    fsim_arena_free(arena);
    return rc;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    runs = runs < 1 ? 1 : runs > 32 ? 32 : runs;
    const char *root = getenv("FSIM_SOURCE_ROOT");
    char scenario[1100];
    snprintf(scenario, sizeof scenario, "%s/config/scenarios/large.json", root ? root : ".");
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    fsim_error_clear(&err);
    char *text;
    size_t len;
    fsim_request *req;
    if (fsim_read_file(scenario, arena, &text, &len, &err) != FSIM_OK ||
        fsim_request_decode(text, len, scenario, 0, arena, &req, &err) != FSIM_OK) {
        fprintf(stderr, "bench_report: %s\n", err.message);
        return 1;
    }
    int rc = bench(req, "large.json", runs);
    fsim_request_outputs with_series = {.has_per_vehicle_series = true,
                                        .per_vehicle_series = true};
    req->outputs = &with_series;
    rc |= bench(req, "large.json + perVehicleSeries", runs);
    fsim_arena_free(arena);
    return rc;
}
