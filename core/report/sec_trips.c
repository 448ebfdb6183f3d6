/* Section 5b: trip outcomes by route and local hour of departure — a grid whose cells are
 * blue when every trip completed and orange / red when one was missed / stranded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

enum { MAX_ROUTES = 40 };

typedef struct cell {
    int trips, missed, stranded;
} cell;

void fsim__section_trips(fsim__html *h, const fsim_result *r)
{
    const char *routes[MAX_ROUTES];
    size_t n_routes = 0;
    cell (*grid)[24] = calloc(MAX_ROUTES, sizeof *grid);
    if (!grid) {
        h->oom = true;
        return;
    }
    int most = 0;
    for (size_t i = 0; i < r->n_trips; i++) {
        const fsim_trip_result *t = &r->trips[i];
        size_t k = 0;
        while (k < n_routes && strcmp(routes[k], t->route_id) != 0)
            k++;
        if (k == n_routes) {
            if (n_routes == MAX_ROUTES)
                continue; /* the first MAX_ROUTES routes: a page has room for no more */
            routes[n_routes++] = t->route_id;
        }
        cell *c = &grid[k][fsim__local_hour(t->depart, fsim__report_offset(r, t->depot))];
        c->trips++;
        c->missed += t->status == FSIM_TRIP_MISSED;
        c->stranded += t->status == FSIM_TRIP_STRANDED;
        most = c->trips > most ? c->trips : most;
    }
    fsim__html_put(h, "<section id=\"trips\">\n<h2>Trip outcomes</h2>\n");
    char caption[300];
    snprintf(caption, sizeof caption, "Read: one cell per route and local hour of departure, "
             "the number is its trips; blue: all completed (darker = more trips), orange: some "
             "missed, red: some stranded (%d missed, %d stranded in all).",
             r->summary.trips_missed, r->summary.trips_stranded);
    double row_h = 28;
    fsim__chart c;
    fsim__chart_begin(&c, h, "Trip outcomes by route and hour", caption, 960,
                      (int)(n_routes * row_h) + 24 + 44, 0, 24, 0,
                      n_routes ? (double)n_routes : 1);
    c.left = 130;
    c.width = 960 - 130 - 24;
    fsim__chart_value_axis(&c, true, "local hour of departure (depot time, h)");
    for (size_t k = 0; k < n_routes; k++) {
        double y = c.top + (double)k * row_h;
        fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", c.left - 6,
                          y + row_h / 2 + 4);
        fsim__html_text(h, routes[k]);
        fsim__html_put(h, "</text>\n");
        for (int hr = 0; hr < 24; hr++) {
            const cell *e = &grid[k][hr];
            if (!e->trips)
                continue;
            double x = fsim__chart_x(&c, hr);
            const char *cls = e->stranded ? "f-stranded" : e->missed ? "f-missed" : "f-ok";
            double opacity = e->stranded || e->missed ? 1 : 0.3 + 0.7 * e->trips / (double)most;
            fsim__html_printf(h, "<path class=\"%s\" fill-opacity=\"%.2f\" d=\"M%.1f %.1fh%.1f"
                                 "v%.1fh%.1fZ\"><title>", cls, opacity, x + 1, y + 1,
                              c.width / 24 - 2, row_h - 2, -(c.width / 24 - 2));
            fsim__html_text(h, routes[k]);
            fsim__html_printf(h, ", %02d:00-%02d:59: %d trips, %d completed, %d missed, %d "
                                 "stranded</title></path><text x=\"%.1f\" y=\"%.1f\" "
                                 "text-anchor=\"middle\"%s>%d</text>\n", hr, hr, e->trips,
                              e->trips - e->missed - e->stranded, e->missed, e->stranded,
                              x + c.width / 48, y + row_h / 2 + 4,
                              opacity > 0.6 && !e->missed ? " style=\"fill:#fff\"" : "",
                              e->trips);
        }
    }
    if (!n_routes)
        fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\">no trips scheduled</text>\n",
                          c.left + 10, c.top + 16);
    fsim__chart_end(&c);
    fsim__html_put(h, "</section>\n");
    free(grid);
}
