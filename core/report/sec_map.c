/* Section 7: where vehicles stranded, on a small lon/lat plot over the routes driven. A
 * SimulationResult carries no route geometry: only a caller that has the config passes it
 * (fsim_report_context.routes); without it the points are drawn alone, and the page says so. */
#include <math.h>
#include <stdio.h>

#include "report_internal.h"

typedef struct bounds {
    double lon0, lon1, lat0, lat1;
} bounds;

static void extend(bounds *b, double lon, double lat)
{
    b->lon0 = fmin(b->lon0, lon);
    b->lon1 = fmax(b->lon1, lon);
    b->lat0 = fmin(b->lat0, lat);
    b->lat1 = fmax(b->lat1, lat);
}

/* One route as a grey line, at most FSIM_REPORT_MAX_POINTS of its points (every k-th and
 * the last: a path this small on the page loses nothing visible). */
static void route_line(fsim__chart *c, const fsim_report_route *rt)
{
    size_t step = rt->n > FSIM_REPORT_MAX_POINTS ? (rt->n + FSIM_REPORT_MAX_POINTS - 1)
                                                       / FSIM_REPORT_MAX_POINTS : 1;
    fsim__html_put(c->h, "<path class=\"route\" d=\"");
    for (size_t i = 0; i < rt->n; i += step)
        fsim__html_printf(c->h, "%s%.1f %.1f", i ? "L" : "M", fsim__chart_x(c, rt->lon[i]),
                          fsim__chart_y(c, rt->lat[i]));
    if (rt->n > 1 && (rt->n - 1) % step)
        fsim__html_printf(c->h, "L%.1f %.1f", fsim__chart_x(c, rt->lon[rt->n - 1]),
                          fsim__chart_y(c, rt->lat[rt->n - 1]));
    fsim__html_put(c->h, "\"><title>route ");
    fsim__html_text(c->h, rt->id);
    fsim__html_put(c->h, "</title></path>\n");
}

void fsim__section_map(fsim__html *h, const fsim_result *r, const fsim_report_context *ctx)
{
    bounds b = {INFINITY, -INFINITY, INFINITY, -INFINITY};
    size_t n = 0;
    for (size_t i = 0; i < r->n_trips; i++)
        if (r->trips[i].stranded_at) {
            extend(&b, r->trips[i].stranded_at->lon, r->trips[i].stranded_at->lat);
            n++;
        }
    for (size_t k = 0; k < ctx->n_routes; k++)
        for (size_t i = 0; i < ctx->routes[k].n; i++)
            extend(&b, ctx->routes[k].lon[i], ctx->routes[k].lat[i]);
    if (!isfinite(b.lon0)) /* nothing to place: an empty frame */
        b = (bounds){0, 1, 0, 1};
    /* equal distances look equal: a degree of longitude is cos(latitude) of one of latitude;
     * pad by 8 % and at least ~1 km so a single point sits inside the frame */
    double k = fmax(cos((b.lat0 + b.lat1) / 2 * M_PI / 180), 0.05);
    double pad = fmax(0.01, 0.08 * fmax(b.lat1 - b.lat0, (b.lon1 - b.lon0) * k));
    b = (bounds){b.lon0 - pad / k, b.lon1 + pad / k, b.lat0 - pad, b.lat1 + pad};
    fsim__html_put(h, "<section id=\"map\">\n<h2>Where vehicles stranded</h2>\n");
    char caption[300];
    const char *routes = ctx->n_routes ? "grey lines are the routes driven"
                                       : "the result carries no route geometry, so the points "
                                         "are drawn alone";
    if (n)
        snprintf(caption, sizeof caption, "Read: each red dot is where a vehicle ran out of "
                 "energy (%zu trips); %s.", n, routes);
    else
        snprintf(caption, sizeof caption, "Read: no vehicle stranded, so there is no point to "
                 "draw; %s.", routes);
    /* keep the aspect by widening the data range of the short side, not by narrowing
     * the plot: a north-south route still gets a readable frame */
    const double plot_w = 560 - 62 - 24, plot_h = 400 - 24 - 44;
    double want = (b.lon1 - b.lon0) * k / (b.lat1 - b.lat0);
    if (plot_w / plot_h > want) {
        double half = (b.lat1 - b.lat0) * plot_w / plot_h / k / 2, mid = (b.lon0 + b.lon1) / 2;
        b.lon0 = mid - half;
        b.lon1 = mid + half;
    } else {
        double half = (b.lon1 - b.lon0) * k * plot_h / plot_w / 2, mid = (b.lat0 + b.lat1) / 2;
        b.lat0 = mid - half;
        b.lat1 = mid + half;
    }
    fsim__chart c;
    fsim__chart_begin(&c, h, "Stranding points (lon/lat)", caption, 560, 400, b.lon0, b.lon1,
                      b.lat0, b.lat1);
    fsim__chart_value_axis(&c, true, "longitude (degrees)");
    fsim__chart_value_axis(&c, false, "latitude (degrees)");
    for (size_t i = 0; i < ctx->n_routes; i++)
        route_line(&c, &ctx->routes[i]);
    for (size_t i = 0; i < r->n_trips; i++) {
        const fsim_trip_result *t = &r->trips[i];
        if (!t->stranded_at)
            continue;
        fsim__html_printf(h, "<circle class=\"strand\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\"><title>",
                          fsim__chart_x(&c, t->stranded_at->lon),
                          fsim__chart_y(&c, t->stranded_at->lat));
        fsim__html_text(h, t->vehicle_id);
        fsim__html_put(h, " on ");
        fsim__html_text(h, t->route_id);
        fsim__html_printf(h, " at %.5f, %.5f</title></circle>\n", t->stranded_at->lon,
                          t->stranded_at->lat);
    }
    if (!n)
        fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\">no vehicle stranded</text>\n",
                          c.left + 8, c.top + 14);
    fsim__chart_end(&c);
    fsim__html_put(h, "</section>\n");
}
