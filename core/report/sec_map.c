/* Section 7: where vehicles stranded, on a small lon/lat plot. A SimulationResult carries no
 * route geometry, so the plot shows the stranding points alone and says so. */
#include <math.h>
#include <stdio.h>

#include "report_internal.h"

void fsim__section_map(fsim__html *h, const fsim_result *r)
{
    double lon0 = INFINITY, lon1 = -INFINITY, lat0 = INFINITY, lat1 = -INFINITY;
    size_t n = 0;
    for (size_t i = 0; i < r->n_trips; i++) {
        const fsim_lonlat *p = r->trips[i].stranded_at;
        if (!p)
            continue;
        lon0 = fmin(lon0, p->lon);
        lon1 = fmax(lon1, p->lon);
        lat0 = fmin(lat0, p->lat);
        lat1 = fmax(lat1, p->lat);
        n++;
    }
    if (!n) { /* an empty frame around nothing: a degree around the origin of nothing */
        lon0 = lat0 = 0;
        lon1 = lat1 = 1;
    }
    /* equal distances look equal: a degree of longitude is cos(latitude) of one of latitude;
     * pad to at least ~1 km so a single point sits inside the frame */
    double mid = (lat0 + lat1) / 2, k = cos(mid * M_PI / 180);
    double pad = fmax(0.01, 0.08 * fmax(lat1 - lat0, (lon1 - lon0) * k));
    lat0 -= pad;
    lat1 += pad;
    lon0 -= pad / (k > 0.05 ? k : 0.05);
    lon1 += pad / (k > 0.05 ? k : 0.05);
    fsim__html_put(h, "<section id=\"map\">\n<h2>Where vehicles stranded</h2>\n");
    char caption[300];
    if (n)
        snprintf(caption, sizeof caption, "Read: each red dot is where a vehicle ran out of "
                 "energy (%zu trips); the result carries no route geometry, so the points are "
                 "drawn alone.", n);
    else
        snprintf(caption, sizeof caption, "Read: no vehicle stranded, so there is no point to "
                 "draw (the result carries no route geometry).");
    fsim__chart c;
    fsim__chart_begin(&c, h, "Stranding points (lon/lat)", caption, 560, 400, lon0, lon1, lat0,
                      lat1);
    /* keep the aspect: shrink the wider side of the plot area */
    double want = (lon1 - lon0) * k / (lat1 - lat0);
    if (c.width / c.height > want)
        c.width = c.height * want;
    else
        c.height = c.width / want;
    fsim__chart_value_axis(&c, true, "longitude (degrees)");
    fsim__chart_value_axis(&c, false, "latitude (degrees)");
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
        fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no vehicle "
                             "stranded</text>\n", c.left + c.width / 2, c.top + c.height / 2);
    fsim__chart_end(&c);
    fsim__html_put(h, "</section>\n");
}
