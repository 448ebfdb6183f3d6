/* fleetsim routes fetch — resolves the routes.yaml entries given as waypoints into GeoJSON
 * files with elevation (routing + elevation services, docs/services.md), so a domain expert
 * reviews the route as a file and every later run reads the file, never the service. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fleetsim/geo.h>
#include <fleetsim/settings.h>

#include "cli.h"

static const char usage[] = "fleetsim routes fetch [ID…] [--config DIR] [--offline]";

static const char help[] =
    "  ID…            routes of routes.yaml to fetch (default: every route with waypoints)\n"
    "  --config DIR   the YAML config (default: $FLEETSIM_CONFIG_DIR, else config)\n"
    "  --offline      answer from the cache only (FLEETSIM_CACHE_DIR; also FLEETSIM_OFFLINE=1)\n"
    "Asks the routing service (FLEETSIM_ROUTING_URL: Mapbox Directions with\n"
    "MAPBOX_ACCESS_TOKEN, or an OSRM server) for the road between each route's waypoints and\n"
    "the elevation service (FLEETSIM_ELEVATION_URL) for its heights, and writes the route's\n"
    "GeoJSON (its `geojson`, default <config>/routes/<ID>.geojson). Every answer is cached, so\n"
    "a rerun writes the same bytes offline.\n"
    "exit codes: 0 written, 1 a service did not answer (retry later), 2 bad usage, a route\n"
    "without waypoints, no token, refused token, no route, or offline and not cached\n";

/* Writes under a temporary name and renames, so a failed fetch leaves the old file. */
static fsim_status write_file(const char *path, const char *text, fsim_error *err)
{
    size_t len = strlen(path) + 32;
    char *tmp = malloc(len);
    if (!tmp)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    snprintf(tmp, len, "%s.%ld.tmp", path, (long)getpid());
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash) {
        *slash = '\0';
        mkdir(dir, 0755);
    }
    free(dir);
    fsim_status st = FSIM_OK;
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fputs(text, f) >= 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        st = fsim_error_set(err, FSIM_IO, path, 0, 0, NULL, "could not write \"%s\": %s", path,
                            strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return st;
}

/* One route: fetch, check that the file parses as a route, write it, say what it is. */
static fsim_status fetch_one(const fsim_route_def *r, fsim_svc *svc, fsim_error *err)
{
    char *text = NULL;
    double service_m = 0;
    const char *label = fsim_setting_text(FSIM_SETTING_ROUTING_URL);
    fsim_status st = fsim_runner_route_fetch(r, svc, label, &text, &service_m, err);
    fsim_arena *arena = st == FSIM_OK ? fsim_arena_new() : NULL;
    fsim_route_path path;
    if (st == FSIM_OK && !arena)
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    if (st == FSIM_OK)
        st = fsim_geo_parse(text, strlen(text), r->geojson_path, arena, &path, err);
    if (st == FSIM_OK)
        st = write_file(r->geojson_path, text, err);
    if (st == FSIM_OK) {
        double lo = path.elevation_m[0], hi = lo;
        for (size_t i = 1; i < path.n; i++) {
            lo = path.elevation_m[i] < lo ? path.elevation_m[i] : lo;
            hi = path.elevation_m[i] > hi ? path.elevation_m[i] : hi;
        }
        printf("%s: %zu points, %.3f km (service: %.3f km, %+.2f %%), elevation %.1f..%.1f m "
               "-> %s\n",
               r->id, path.n, path.length_m / 1000.0, service_m / 1000.0,
               service_m > 0 ? (path.length_m / service_m - 1) * 100 : 0.0, lo, hi,
               r->geojson_path);
    }
    fsim_arena_free(arena);
    free(text);
    return st;
}

int cmd_routes(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'C'},
                                             {"offline", no_argument, NULL, 'O'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config_opt = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'C': config_opt = optarg; break;
        case 'O': cli_services_offline(); break;
        case 'h': cli_help(usage, help); return 0;
        default:
            return cli_option_error("routes", usage, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("routes", usage, "missing sub-command (fetch)");
    if (strcmp(argv[optind], "fetch") != 0)
        return cli_usage("routes", usage, "unknown sub-command \"%s\" (known: fetch)",
                         argv[optind]);
    optind++;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_config *cfg = NULL;
    int rc = 0;
    fsim_svc *svc = cli_services(&err);
    if (!svc || cli_load_config(cli_config_dir(config_opt), NULL, &cfg, &err) != FSIM_OK)
        return cli_fail("routes fetch", &err);
    size_t done = 0;
    for (int i = optind; i < argc; i++)
        if (!fsim_config_route(cfg, argv[i])) {
            fsim_error_set(&err, FSIM_INVALID, "routes.yaml", 0, 0, NULL,
                           "unknown route \"%s\"", argv[i]);
            rc = cli_fail("routes fetch", &err);
            goto out;
        }
    for (size_t k = 0; k < cfg->n_routes; k++) {
        const fsim_route_def *r = &cfg->routes[k];
        bool named = optind >= argc;
        for (int i = optind; i < argc && !named; i++)
            named = strcmp(argv[i], r->id) == 0;
        if (!named || (optind >= argc && !r->n_waypoints))
            continue;
        if (!r->n_waypoints) {
            fsim_error_set(&err, FSIM_INVALID, "routes.yaml", 0, 0, r->id,
                           "route \"%s\" has no waypoints: its file is the route", r->id);
            rc = cli_fail("routes fetch", &err);
            goto out;
        }
        if (fetch_one(r, svc, &err) != FSIM_OK) {
            rc = cli_fail("routes fetch", &err);
            goto out;
        }
        done++;
    }
    if (!done)
        fprintf(stderr, "fleetsim routes fetch: no route in routes.yaml has waypoints\n");
out:
    fsim_config_free(cfg);
    return rc;
}
