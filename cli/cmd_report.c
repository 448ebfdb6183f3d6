/* fleetsim report — a stored result as the HTML page a person reads (core/report renders it;
 * this file reads the JSON, gathers what the page may add — the scenario and its routes'
 * geometry — and writes the page). `run --report` and `compare --report` write through
 * the same helpers. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/geo.h>
#include <fleetsim/report.h>
#include <fleetsim/util.h>

#include "cli.h"

static const char usage[] =
    "fleetsim report RESULT.json [-o report.html] [--scenario FILE [--config DIR]]";

static const char help[] =
    "  RESULT.json       a SimulationResult (result.json of `run`, or `fetch`'s)\n"
    "  -o, --out FILE    where the page goes (default: report.html beside RESULT.json;\n"
    "                    - for stdout)\n"
    "  --scenario FILE   the SimulationRequest it came from: adds the scenario's name,\n"
    "                    strategy and groups, marks reserve and target SoC, draws its\n"
    "                    routes under the stranding points and prices its time-of-use\n"
    "                    windows\n"
    "  --config DIR      the YAML config of the routes (default: $FLEETSIM_CONFIG_DIR, else\n"
    "                    config)\n"
    "exit codes: 0 written, 1 runtime failure, 2 bad input or usage\n";

/* report.html in the folder of `result_path`. */
static const char *default_out(const char *result_path, fsim_arena *arena)
{
    const char *slash = strrchr(result_path, '/');
    if (!slash)
        return "report.html";
    return fsim_arena_sprintf(arena, "%.*s/report.html", (int)(slash - result_path),
                              result_path);
}

fsim_status cli_report_context(const char *config_dir, const fsim_request *req,
                               fsim_arena *arena, fsim_report_context *ctx, fsim_error *err)
{
    *ctx = (fsim_report_context){.request = req};
    fsim_config *cfg = NULL;
    fsim_report_route *routes = fsim_arena_calloc(arena, req->n_vehicles, sizeof *routes);
    fsim_status st = routes ? cli_load_config(config_dir, req->overrides, &cfg, err)
                            : fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    size_t n = 0;
    for (size_t g = 0; g < req->n_vehicles && st == FSIM_OK; g++) {
        const char *id = req->vehicles[g].route_id;
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen |= strcmp(routes[k].id, id) == 0;
        /* a route this config lacks is left off the map (`run` would have named it) */
        const fsim_route_def *def = seen ? NULL : fsim_config_route(cfg, id);
        fsim_route_path path;
        if (!def || (st = fsim_geo_load_file(def->geojson_path, arena, &path, err)) != FSIM_OK)
            continue;
        routes[n++] = (fsim_report_route){.id = fsim_arena_strdup(arena, id), .n = path.n,
                                          .lon = path.lon, .lat = path.lat};
    }
    /* the tariffs outlive the config: copied into the arena */
    fsim_tariff *tariffs = st == FSIM_OK && cfg->n_tariffs
        ? fsim_arena_calloc(arena, cfg->n_tariffs, sizeof *tariffs) : NULL;
    for (size_t i = 0; tariffs && i < cfg->n_tariffs; i++) {
        tariffs[i] = cfg->tariffs[i];
        tariffs[i].name = fsim_arena_strdup(arena, cfg->tariffs[i].name);
        tariffs[i].currency = fsim_arena_strdup(arena, cfg->tariffs[i].currency);
    }
    ctx->tariffs = tariffs;
    ctx->n_tariffs = tariffs ? cfg->n_tariffs : 0;
    fsim_config_free(cfg);
    ctx->routes = routes;
    ctx->n_routes = n;
    return st;
}

fsim_status cli_write_page(const char *path, const char *html, size_t len, fsim_error *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!f)
        return fsim_error_set(err, FSIM_IO, path, 0, 0, NULL, "could not create: %s",
                              strerror(errno));
    bool ok = fwrite(html, 1, len, f) == len;
    int e = errno;
    ok = (f == stdout ? fflush(f) == 0 : fclose(f) == 0) && ok;
    if (!ok)
        return fsim_error_set(err, FSIM_IO, path, 0, 0, NULL, "could not write: %s",
                              strerror(errno ? errno : e));
    return FSIM_OK;
}

fsim_status cli_write_report(const char *path, const fsim_result *res,
                             const fsim_report_context *ctx, const fsim_comparison *cmp,
                             size_t *len, fsim_error *err)
{
    char *html = NULL;
    size_t n = 0;
    fsim_status st = cmp ? fsim_report_render_comparison(cmp, ctx ? ctx->request : NULL, &html,
                                                         &n, err)
                         : fsim_report_render(res, ctx, &html, &n, err);
    if (st == FSIM_OK)
        st = cli_write_page(path, html, n, err);
    free(html);
    if (len)
        *len = n;
    return st;
}

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
                                             {"scenario", required_argument, NULL, 's'},
                                             {"config", required_argument, NULL, 'C'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *out = NULL, *scenario = NULL, *config = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 's': scenario = optarg; break;
        case 'C': config = optarg; break;
        case 'h': cli_help(usage, help); return 0;
        default: return cli_option_error("report", usage, c, argv);
        }
    }
    if (argc - optind == 0)
        return cli_usage("report", usage, "RESULT.json is missing");
    if (argc - optind > 1)
        return cli_usage("report", usage, "unexpected argument \"%s\"", argv[optind + 1]);
    const char *path = argv[optind];
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return fprintf(stderr, "fleetsim report: out of memory\n"), 1;
    fsim_error err;
    fsim_error_clear(&err);
    char *json = NULL;
    size_t json_len = 0, html_len = 0;
    fsim_result *res = NULL;
    fsim_request *req = NULL;
    fsim_report_context ctx = {0};
    int rc = 1;
    /* unknown keys are an error: a foreign JSON names its first field that is not ours */
    if (fsim_read_file(path, arena, &json, &json_len, &err) != FSIM_OK ||
        fsim_result_decode(json, json_len, path, 0, arena, &res, &err) != FSIM_OK ||
        (scenario && (cli_load_request(scenario, arena, &req, &err) != FSIM_OK ||
                      cli_report_context(cli_config_dir(config), req, arena, &ctx, &err)
                          != FSIM_OK)))
        goto fail;
    if (!out)
        out = default_out(path, arena);
    if (cli_write_report(out, res, &ctx, NULL, &html_len, &err) != FSIM_OK)
        goto fail;
    if (strcmp(out, "-") != 0)
        printf("  %-12s %s (%zu bytes)\n", "written", out, html_len);
    rc = fflush(stdout) == 0 ? 0 : 1;
    goto out;
fail:
    rc = cli_fail("report", &err);
out:
    fsim_arena_free(arena);
    return rc;
}
