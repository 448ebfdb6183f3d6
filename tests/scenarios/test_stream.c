/* Streaming sinks against the in-memory result, on the bundled scenarios:
 *   - every strategy of demo.json and tight.json, and large.json: the five files streamed
 *     as the engine produces the rows (fsim_runner_run_files) are byte for byte the files
 *     written from the whole result kept in memory (fsim_runner_run + write_files);
 *   - outputs off: the tables of the kinds turned off are not written (and a stale one is
 *     removed), result.json's arrays are empty, the summary is the same;
 *   - depots in parallel: large.json split into 5 depots gives the same five files on 1
 *     and on 2 threads, byte for byte;
 *   - all or nothing: a run killed midway (SIGKILL from its progress callback, after rows
 *     were written) leaves none of the five files, and the previous run's files intact;
 *   - a write that fails on a formatting thread (the file size limit): the run fails naming
 *     the reason, and leaves no file, final or temporary. */
#include <fleetsim/runner.h>
#include <fleetsim/util.h>

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../unit/check.h"

static char config_dir[1024];
static const char *const files[] = {"result.json", "timeseries.csv", "charging_events.csv",
                                    "trips.csv", "vehicles.csv"};

static fsim_request *load(fsim_arena *arena, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/scenarios/%s", config_dir, name);
    char *text;
    size_t len;
    fsim_request *req = NULL;
    fsim_error err = {0};
    if (fsim_read_file(path, arena, &text, &len, &err) != FSIM_OK ||
        fsim_request_decode(text, len, path, 0, arena, &req, &err) != FSIM_OK) {
        printf("# %s\n", err.message);
        return NULL;
    }
    return req;
}

static bool same_file(const char *a_dir, const char *b_dir, const char *name)
{
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/%s", a_dir, name);
    snprintf(b, sizeof b, "%s/%s", b_dir, name);
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static bool exists(const char *dir, const char *name)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0;
}

/* One scenario under one strategy: memory files in <tmp>/m, streamed in <tmp>/s. */
static void compare(const char *tmp, const char *scenario, fsim_strategy strategy, int days)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_request *req = load(arena, scenario);
    if (!req) {
        CHECK(false, "%s loads", scenario);
        fsim_arena_free(arena);
        return;
    }
    req->strategy = strategy;
    if (days)
        req->days = days;
    char mdir[1100], sdir[1100];
    snprintf(mdir, sizeof mdir, "%s/m", tmp);
    snprintf(sdir, sizeof sdir, "%s/s", tmp);
    fsim_runner_options opts = {.config_dir = config_dir, .source = scenario};
    fsim_result *mres = NULL, *sres = NULL;
    fsim_error err = {0};
    bool ok = fsim_runner_run(req, &opts, arena, &mres, &err) == FSIM_OK &&
              fsim_runner_write_files(mres, mdir, &err) == FSIM_OK &&
              fsim_runner_run_files(req, &opts, sdir, true, NULL, arena, &sres, &err) == FSIM_OK;
    if (!ok)
        printf("# %s\n", err.message);
    bool same = ok;
    for (size_t i = 0; same && i < sizeof files / sizeof files[0]; i++)
        if (!same_file(mdir, sdir, files[i])) {
            printf("# %s differs\n", files[i]);
            same = false;
        }
    CHECK(same, "%s %s: the streamed files equal the in-memory ones byte for byte (%zu trips, "
          "%zu sessions)", scenario, fsim_strategy_name(strategy), mres ? mres->n_trips : 0,
          mres ? mres->n_charging_events : 0);
    fsim_arena_free(arena);
}

/* Trips and charging events off: their tables are not there, the summary is unchanged. */
static void outputs_off(const char *tmp)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_request *req = load(arena, "demo.json");
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/s", tmp); /* holds all five files from compare() */
    fsim_request_outputs outs = {.has_trips = true, .trips = false,
                                 .has_charging_events = true, .charging_events = false};
    fsim_runner_options opts = {.config_dir = config_dir, .source = "demo.json"};
    fsim_result *full = NULL, *part = NULL;
    fsim_error err = {0};
    bool ok = req && fsim_runner_run(req, &opts, arena, &full, &err) == FSIM_OK;
    if (req)
        req->outputs = &outs;
    ok = ok && fsim_runner_run_files(req, &opts, dir, true, NULL, arena, &part, &err) == FSIM_OK;
    CHECK(ok, "demo.json runs with trips and chargingEvents off");
    CHECK(ok && !exists(dir, "trips.csv") && !exists(dir, "charging_events.csv") &&
              exists(dir, "timeseries.csv") && exists(dir, "vehicles.csv") &&
              exists(dir, "result.json"),
          "only result.json, timeseries.csv and vehicles.csv are there");
    size_t len = 0;
    char *text = NULL;
    char path[1200];
    snprintf(path, sizeof path, "%s/result.json", dir);
    fsim_result *back = NULL;
    ok = ok && fsim_read_file(path, arena, &text, &len, &err) == FSIM_OK &&
         fsim_result_decode(text, len, path, 0, arena, &back, &err) == FSIM_OK;
    CHECK(ok && back->n_trips == 0 && back->n_charging_events == 0 &&
              back->n_time_series_data > 0 && back->n_vehicles > 0,
          "result.json: trips and chargingEvents empty, the series and vehicles there");
    CHECK(ok && fsim_wire_equal(FSIM_WIRE_SUMMARY, &full->summary, &back->summary),
          "the summary is the one of the run with every output");
    fsim_arena_free(arena);
}

/* large.json's depot and groups copied into `n` depots, the vehicles shared among them. */
static void split_depots(fsim_arena *arena, fsim_request *req, int n)
{
    size_t nd = req->n_depots, ng = req->n_vehicles;
    fsim_depot_spec *depots = fsim_arena_calloc(arena, nd * (size_t)n, sizeof *depots);
    fsim_vehicle_group *groups = fsim_arena_calloc(arena, ng * (size_t)n, sizeof *groups);
    for (int k = 0; k < n; k++) {
        for (size_t d = 0; d < nd; d++) {
            depots[(size_t)k * nd + d] = req->depots[d];
            depots[(size_t)k * nd + d].id = fsim_arena_sprintf(arena, "%s-%d", req->depots[d].id, k);
        }
        for (size_t g = 0; g < ng; g++) {
            fsim_vehicle_group *gg = &groups[(size_t)k * ng + g];
            *gg = req->vehicles[g];
            gg->count = req->vehicles[g].count / n / 4 + 1;
            gg->depot = fsim_arena_sprintf(arena, "%s-%d", req->vehicles[g].depot, k);
        }
    }
    req->depots = depots;
    req->n_depots = nd * (size_t)n;
    req->vehicles = groups;
    req->n_vehicles = ng * (size_t)n;
}

/* Depots on threads: one thread and two give the same bytes. */
static void threads_same(const char *tmp)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_request *req = load(arena, "large.json");
    bool ok = req != NULL;
    if (ok) {
        split_depots(arena, req, 5);
        req->days = 2;
    }
    char d1[1100], d2[1100];
    snprintf(d1, sizeof d1, "%s/t1", tmp);
    snprintf(d2, sizeof d2, "%s/t2", tmp);
    fsim_runner_options o1 = {.config_dir = config_dir, .source = "large.json", .threads = 1};
    fsim_runner_options o2 = o1;
    o2.threads = 2;
    fsim_result *r1 = NULL, *r2 = NULL;
    fsim_error err = {0};
    ok = ok && fsim_runner_run_files(req, &o1, d1, true, NULL, arena, &r1, &err) == FSIM_OK &&
         fsim_runner_run_files(req, &o2, d2, true, NULL, arena, &r2, &err) == FSIM_OK;
    if (!ok)
        printf("# %s\n", err.message);
    bool same = ok;
    for (size_t i = 0; same && i < sizeof files / sizeof files[0]; i++)
        same = same_file(d1, d2, files[i]);
    CHECK(same, "5 depots: 1 and 2 threads give the same five files byte for byte (%d trips)",
          r1 ? r1->summary.trips : 0);
    /* and the in-memory result of the split run equals its streamed files */
    fsim_result *m = NULL;
    char dm[1100];
    snprintf(dm, sizeof dm, "%s/tm", tmp);
    ok = ok && fsim_runner_run(req, &o2, arena, &m, &err) == FSIM_OK &&
         fsim_runner_write_files(m, dm, &err) == FSIM_OK;
    same = ok;
    for (size_t i = 0; same && i < sizeof files / sizeof files[0]; i++)
        same = same_file(d1, dm, files[i]);
    CHECK(same, "5 depots: the in-memory result equals the streamed files byte for byte");
    /* the depots' rows merged in time order: trips by departure, sessions by end */
    bool ordered = m && m->n_trips > 0 && m->n_charging_events > 0;
    for (size_t i = 1; ordered && i < m->n_trips; i++)
        ordered = m->trips[i - 1].depart <= m->trips[i].depart;
    for (size_t i = 1; ordered && i < m->n_charging_events; i++)
        ordered = m->charging_events[i - 1].end <= m->charging_events[i].end;
    CHECK(ordered, "5 depots: trips in departure order, sessions in end order (%zu, %zu)",
          m ? m->n_trips : 0, m ? m->n_charging_events : 0);
    fsim_arena_free(arena);
}

static bool kill_on_day(void *user, int day, int days)
{
    (void)user;
    (void)days;
    if (day == 1)
        raise(SIGKILL);
    return true;
}

/* A run killed midway: the previous files stay, no new one appears under a final name. */
static void killed(const char *tmp)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/k", tmp);
    fsim_arena *arena = fsim_arena_new();
    fsim_request *req = load(arena, "demo.json");
    fsim_runner_options opts = {.config_dir = config_dir, .source = "demo.json"};
    fsim_result *res = NULL;
    fsim_error err = {0};
    /* before: only vehicles.csv, from an older run, so a new file would show */
    bool ok = req && fsim_runner_run_files(req, &opts, dir, true, NULL, arena, &res, &err) == FSIM_OK;
    for (size_t i = 0; ok && i < 4; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        opts.progress = kill_on_day;
        fsim_runner_run_files(req, &opts, dir, true, NULL, arena, &res, &err);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(ok && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "the run was killed after its first day");
    bool none = true;
    for (size_t i = 0; i < 4; i++)
        none &= !exists(dir, files[i]);
    CHECK(none && exists(dir, "vehicles.csv"),
          "no file of the killed run under its final name; the older vehicles.csv intact");
    fsim_arena_free(arena);
}

/* Files the folder holds (temporary ones included). */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

/* A write refused midway (RLIMIT_FSIZE: EFBIG on the pool's threads, which format and
 * write the rows): the run stops with the system's reason, nothing is left behind. */
static void write_fails(const char *tmp)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/f", tmp);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fsim_arena *arena = fsim_arena_new();
        fsim_request *req = load(arena, "large.json");
        if (!req)
            _exit(3);
        req->days = 2; /* about 3 MB of CSV and 4 MB of JSON */
        fsim_runner_options opts = {.config_dir = config_dir, .source = "large.json"};
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {256 << 10, 256 << 10};
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(3);
        fsim_result *res = NULL;
        fsim_error err = {0};
        fsim_status st = fsim_runner_run_files(req, &opts, dir, true, NULL, arena, &res, &err);
        printf("# %s\n", err.message);
        fflush(stdout);
        _exit(st == FSIM_IO && strstr(err.message, "File too large") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "a write refused on a formatting thread fails the run with the system's reason");
    CHECK(count_entries(dir) == 0, "and leaves no file in the folder, final or temporary "
          "(%d there)", count_entries(dir));
}

int main(void)
{
    const char *root = getenv("FSIM_SOURCE_ROOT");
    snprintf(config_dir, sizeof config_dir, "%s/config", root ? root : ".");
    char tmp[] = "/tmp/fsim-stream-XXXXXX";
    if (!mkdtemp(tmp))
        return 1;
    const fsim_strategy all[] = {FSIM_STRAT_IMMEDIATE, FSIM_STRAT_BALANCED,
                                 FSIM_STRAT_PEAK_SHAVING, FSIM_STRAT_COST};
    for (size_t s = 0; s < 4; s++) {
        compare(tmp, "demo.json", all[s], 0);
        compare(tmp, "tight.json", all[s], 0);
    }
    compare(tmp, "large.json", FSIM_STRAT_BALANCED, 2);
    /* two weeks: result.json's charging events (12 MB) outgrow the memory a fragment is
     * kept in and go through a temporary file */
    compare(tmp, "large.json", FSIM_STRAT_BALANCED, 14);
    outputs_off(tmp);
    threads_same(tmp);
    killed(tmp);
    write_fails(tmp);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmp);
    return check_done();
}
