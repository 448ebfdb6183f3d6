/* Section 5a: how long vehicles waited for a charger — a histogram of the sessions that
 * queued, with the summary's median and 95th percentile marked. */
#include <math.h>
#include <stdio.h>

#include "report_internal.h"

enum { MAX_BINS = 24 };

void fsim__section_waits(fsim__html *h, const fsim_result *r)
{
    const fsim_summary *s = &r->summary;
    size_t waited = 0;
    double longest = 0;
    for (size_t i = 0; i < r->n_charging_events; i++)
        if (r->charging_events[i].wait_seconds > 0) {
            waited++;
            longest = fmax(longest, r->charging_events[i].wait_seconds / 60);
        }
    double width = fsim__nice_ceil(fmax(longest, 1) / MAX_BINS); /* minutes per bin */
    size_t bins[MAX_BINS + 1] = {0}, most = 0;
    for (size_t i = 0; i < r->n_charging_events; i++) {
        double w = r->charging_events[i].wait_seconds / 60;
        if (w <= 0)
            continue;
        size_t b = (size_t)(w / width);
        b = b > MAX_BINS ? MAX_BINS : b;
        if (++bins[b] > most)
            most = bins[b];
    }
    fsim__html_put(h, "<section id=\"waits\">\n<h2>Waiting for a charger</h2>\n");
    char caption[400];
    if (waited)
        snprintf(caption, sizeof caption, "Read: each bar counts the sessions that waited that "
                 "long (%zu of %zu sessions waited); dashed: median %.0f min, 95th percentile "
                 "%.0f min.", waited, r->n_charging_events,
                 s->has_wait_seconds_p50 ? s->wait_seconds_p50 / 60 : 0,
                 s->has_wait_seconds_p95 ? s->wait_seconds_p95 / 60 : 0);
    else
        snprintf(caption, sizeof caption, "Read: no session waited: all %zu found a free "
                 "charger on arrival, so there are no bars.", r->n_charging_events);
    fsim__chart c;
    fsim__chart_begin(&c, h, "Wait-time distribution", caption, 960, 260, 0,
                      width * (MAX_BINS + 1), 0, fsim__nice_ceil(most > 5 ? (double)most : 5));
    fsim__chart_value_axis(&c, true, "wait before charging started (min)");
    fsim__chart_value_axis(&c, false, "sessions");
    fsim__html_put(h, "<path class=\"f-missed\" d=\"M0 0");
    for (size_t b = 0; b <= MAX_BINS; b++)
        if (bins[b])
            fsim__html_printf(h, "M%.1f %.1fV%.1fH%.1fV%.1fZ", fsim__chart_x(&c, b * width) + 1,
                              fsim__chart_y(&c, 0), fsim__chart_y(&c, (double)bins[b]),
                              fsim__chart_x(&c, (b + 1) * width) - 1, fsim__chart_y(&c, 0));
    fsim__html_put(h, "\"><title>sessions per wait bin</title></path>\n");
    if (waited && s->has_wait_seconds_p50 && s->has_wait_seconds_p95) {
        const double marks[2] = {s->wait_seconds_p50 / 60, s->wait_seconds_p95 / 60};
        static const char *const names[2] = {"p50", "p95"};
        for (int k = 0; k < 2; k++) {
            double x = fsim__chart_x(&c, marks[k]);
            fsim__html_printf(h, "<path class=\"limit\" d=\"M%.1f %.1fV%.1f\"/><text x=\"%.1f\" "
                                 "y=\"%.1f\">%s</text>\n", x, c.top, c.top + c.height, x + 3,
                              c.top + 10 + 12 * k, names[k]);
        }
    }
    fsim__chart_end(&c);
    fsim__html_put(h, "</section>\n");
}
