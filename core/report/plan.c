/* The plan page (`fleetsim plan --report`): the answer of a depot search as a planner reads
 * it — the cheapest feasible design and where its money goes, the Pareto fronts of annual
 * cost against site peak and against the p95 wait drawn as scatter charts, the front as a
 * table, and the cheaper designs that fail with their reasons. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

char *fsim_report_design_text(char *buf, size_t size, const fsim_depot_spec *depots,
                              size_t n_depots)
{
    size_t len = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
/* snprintf returns what it would have written: clamp so a long design is cut, not overrun */
#define APPEND(...)                                                                         \
    do {                                                                                    \
        if (len < size) {                                                                   \
            int w_ = snprintf(buf + len, size - len, __VA_ARGS__);                          \
            len = w_ < 0 ? size : len + (size_t)w_;                                         \
        }                                                                                   \
    } while (0)
    for (size_t d = 0; d < n_depots; d++) {
        APPEND("%s%s: ", d ? "; " : "", depots[d].id);
        for (size_t j = 0; j < depots[d].n_chargers; j++)
            APPEND("%s%d %s", j ? " + " : "", depots[d].chargers[j].count,
                   depots[d].chargers[j].type);
        if (depots[d].n_chargers == 0)
            APPEND("no chargers");
        if (depots[d].has_grid_limit_kw)
            APPEND(", grid %g kW", depots[d].grid_limit_kw);
    }
#undef APPEND
    return buf;
}

static double wait_minutes(const fsim_summary *s)
{
    return s->has_wait_seconds_p95 ? s->wait_seconds_p95 / 60 : 0;
}

static double peak_kw(const fsim_summary *s) { return s->peak_kw; }

/* The best design: what it is, its figures and its annual cost split into the parts a
 * planner can act on (chargers, the connection, the energy bill). */
static void section_best(fsim__html *h, const fsim_plan_result *r)
{
    fsim__html_put(h, "<section id=\"best\" aria-label=\"the cheapest feasible design\">\n"
                      "<h2>The cheapest feasible design</h2>\n");
    const fsim_plan_design *b = r->best;
    if (!b) {
        fsim__html_put(h, "<div class=\"verdict bad\"><strong>No feasible design</strong>"
                          "None of the variants run completes every trip within the grid "
                          "limits; the reasons are listed below.</div>\n</section>\n");
        return;
    }
    const fsim_plan_cost *c = &b->cost;
    const char *cur = c->currency ? c->currency : "";
    char design[2048];
    fsim__html_printf(h, "<div class=\"verdict ok\"><strong>%.0f %s a year</strong>"
                         "variant %d: ", c->annual_cost, cur, b->variant);
    fsim__html_text(h, fsim_report_design_text(design, sizeof design, b->depots, b->n_depots));
    fsim__html_printf(h, ", strategy %s</div>\n", fsim_strategy_name(b->strategy));
    fsim__html_printf(h, "<dl class=\"figures\"><div><dt>capital outlay (once)</dt><dd>%.0f %s"
                         "</dd></div><div><dt>site peak</dt><dd>%.1f kW</dd></div><div><dt>p95 "
                         "wait</dt><dd>%.0f min</dd></div><div><dt>trips completed</dt><dd>"
                         "%d / %d</dd></div></dl>\n",
                      c->capital_outlay, cur, b->summary.peak_kw, wait_minutes(&b->summary),
                      b->summary.trips_completed, b->summary.trips);
    const struct {
        const char *name, *cls;
        double v;
    } parts[] = {{"chargers, capital", "f-ok", c->charger_capital},
                 {"chargers, maintenance", "f-sky", c->charger_maintenance},
                 {"grid connection", "f-purple", c->grid_capital},
                 {"energy", "f-green", c->energy_cost},
                 {"demand", "f-missed", c->demand_cost},
                 {"fixed", "f-grey", c->fixed_cost}};
    const size_t n_parts = sizeof parts / sizeof *parts;
    fsim__chart ch;
    fsim__chart_begin(&ch, h, "Where the annual cost goes", "Read: capital recovery and "
                      "maintenance of the chargers and the connection, then the run's bill "
                      "scaled to a year.", 960, 120, 0,
                      fsim__nice_ceil(c->annual_cost > 0 ? c->annual_cost : 1), 0, 1);
    fsim__chart_value_axis(&ch, true, cur[0] ? cur : "cost per year");
    double x = 0;
    for (size_t i = 0; i < n_parts; i++) {
        if (!(parts[i].v > 0))
            continue;
        fsim__html_printf(h, "<path class=\"%s\" d=\"M%.1f %.1fH%.1fV%.1fH%.1fZ\"><title>",
                          parts[i].cls, fsim__chart_x(&ch, x), ch.top + 4,
                          fsim__chart_x(&ch, x + parts[i].v), ch.top + 34, fsim__chart_x(&ch, x));
        fsim__html_printf(h, "%s %.0f</title></path>\n", parts[i].name, parts[i].v);
        x += parts[i].v;
    }
    fsim__chart_end(&ch);
    fsim__html_put(h, "<table id=\"cost\">\n<tr><th>part</th><th class=\"n\">per year</th>"
                      "</tr>\n");
    /* the swatch is the table's legend for the bar above */
    for (size_t i = 0; i < n_parts; i++)
        fsim__html_printf(h, "<tr><td><svg width=\"12\" height=\"12\" role=\"img\" "
                             "aria-label=\"%s\"><title>%s</title><path class=\"%s\" "
                             "d=\"M0 0h12v12H0Z\"/></svg> %s</td><td class=\"n\">%.2f</td>"
                             "</tr>\n", parts[i].name, parts[i].name, parts[i].cls,
                          parts[i].name, parts[i].v);
    fsim__html_printf(h, "<tr><th>annual cost</th><th class=\"n\">%.2f %s</th></tr>\n"
                         "</table>\n</section>\n", c->annual_cost, cur);
}

/* A front as a scatter: each design a dot at (figure, annual cost), joined in cost order as
 * the staircase no design beats; the best one ringed. */
static void front_chart(fsim__html *h, const fsim_plan_result *r, const fsim_plan_design *front,
                        size_t n, const char *title, const char *axis,
                        double (*figure)(const fsim_summary *))
{
    double xmax = 0, ymax = 0;
    for (size_t i = 0; i < n; i++) {
        xmax = fmax(xmax, figure(&front[i].summary));
        ymax = fmax(ymax, front[i].cost.annual_cost);
    }
    fsim__chart ch;
    fsim__chart_begin(&ch, h, title, "Read: each dot is a feasible design no other design "
                      "beats on both figures; lower and further left is better. The ringed "
                      "dot is the cheapest.", 960, 360, 0, fsim__nice_ceil(xmax * 1.1), 0,
                      fsim__nice_ceil(ymax * 1.1));
    fsim__chart_value_axis(&ch, true, axis);
    char y_axis[64];
    snprintf(y_axis, sizeof y_axis, "annual cost%s%s", n && front[0].cost.currency ? ", " : "",
             n && front[0].cost.currency ? front[0].cost.currency : "");
    fsim__chart_value_axis(&ch, false, y_axis);
    double *xs = malloc((n ? n : 1) * sizeof *xs), *ys = malloc((n ? n : 1) * sizeof *ys);
    if (!xs || !ys) {
        h->oom = true;
    } else {
        for (size_t i = 0; i < n; i++) {
            xs[i] = figure(&front[i].summary);
            ys[i] = front[i].cost.annual_cost;
        }
        fsim__chart_line(&ch, xs, ys, n, "l1", "the front");
        for (size_t i = 0; i < n; i++) {
            char design[2048];
            bool best = r->best && front[i].variant == r->best->variant;
            fsim__html_printf(h, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\""
                                 "%s><title>variant %d: ", best ? "f-green" : "f-ok",
                              fsim__chart_x(&ch, xs[i]), fsim__chart_y(&ch, ys[i]),
                              best ? 7 : 4, best ? " stroke=\"#1a1a1a\" stroke-width=\"2\""
                                                 : "", front[i].variant);
            fsim__html_text(h, fsim_report_design_text(design, sizeof design, front[i].depots,
                                                       front[i].n_depots));
            fsim__html_printf(h, ", %s — %.0f a year, %.1f</title></circle>\n",
                              fsim_strategy_name(front[i].strategy), ys[i], xs[i]);
        }
    }
    free(xs);
    free(ys);
    fsim__chart_end(&ch);
}

static void front_table(fsim__html *h, const char *id, const fsim_plan_design *front, size_t n)
{
    fsim__html_printf(h, "<table id=\"%s\">\n<tr><th class=\"n\">variant</th><th>design</th>"
                         "<th>strategy</th><th class=\"n\">annual cost</th><th class=\"n\">"
                         "peak kW</th><th class=\"n\">p95 wait</th></tr>\n", id);
    for (size_t i = 0; i < n; i++) {
        char design[2048];
        fsim__html_printf(h, "<tr><td class=\"n\">%d</td><td>", front[i].variant);
        fsim__html_text(h, fsim_report_design_text(design, sizeof design, front[i].depots,
                                                   front[i].n_depots));
        fsim__html_printf(h, "</td><td>%s</td><td class=\"n\">%.2f</td><td class=\"n\">%.1f"
                             "</td><td class=\"n\">%.0f min</td></tr>\n",
                          fsim_strategy_name(front[i].strategy), front[i].cost.annual_cost,
                          front[i].summary.peak_kw, wait_minutes(&front[i].summary));
    }
    fsim__html_put(h, "</table>\n");
}

static int by_annual_cost(const void *a, const void *b)
{
    const fsim_plan_rejection *x = *(const fsim_plan_rejection *const *)a;
    const fsim_plan_rejection *y = *(const fsim_plan_rejection *const *)b;
    if (x->annual_cost != y->annual_cost)
        return x->annual_cost < y->annual_cost ? -1 : 1;
    return (x->variant > y->variant) - (x->variant < y->variant);
}

/* The infeasible designs a planner asks about are the cheap ones ("why not smaller?"): the
 * cheapest first, each with the verdict that rules it out. */
static void section_rejected(fsim__html *h, const fsim_plan_result *r)
{
    enum { SHOWN = 20 };
    fsim__html_printf(h, "<section id=\"rejected\" aria-label=\"infeasible designs\">\n"
                         "<h2>Designs that fail (%d)</h2>\n", r->infeasible);
    if (r->n_rejected == 0) {
        fsim__html_put(h, "<p>Every design run is feasible.</p>\n</section>\n");
        return;
    }
    const fsim_plan_rejection **order = malloc(r->n_rejected * sizeof *order);
    if (!order) {
        h->oom = true;
        return;
    }
    for (size_t i = 0; i < r->n_rejected; i++)
        order[i] = &r->rejected[i];
    qsort(order, r->n_rejected, sizeof *order, by_annual_cost);
    size_t shown = r->n_rejected < SHOWN ? r->n_rejected : SHOWN;
    fsim__html_printf(h, "<p>The %zu cheapest of %zu, by annual cost; <code>fleetsim plan "
                         "--json</code> lists every one.</p>\n<table>\n<tr><th class=\"n\">"
                         "variant</th><th>design</th><th>strategy</th><th class=\"n\">annual "
                         "cost</th><th>why it fails</th></tr>\n", shown, r->n_rejected);
    for (size_t i = 0; i < shown; i++) {
        char design[2048];
        fsim__html_printf(h, "<tr><td class=\"n\">%d</td><td>", order[i]->variant);
        fsim__html_text(h, fsim_report_design_text(design, sizeof design, order[i]->depots,
                                                   order[i]->n_depots));
        fsim__html_printf(h, "</td><td>%s</td><td class=\"n\">%.2f</td><td>",
                          fsim_strategy_name(order[i]->strategy), order[i]->annual_cost);
        fsim__html_text(h, order[i]->verdict);
        fsim__html_put(h, "</td></tr>\n");
    }
    fsim__html_put(h, "</table>\n</section>\n");
    free(order);
}

fsim_status fsim_report_render_plan(const fsim_plan_result *r, char **html, size_t *len,
                                    fsim_error *err)
{
    *html = NULL;
    if (!r)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, NULL, "no plan to render");
    fsim__html h = {0};
    const char *name = r->name ? r->name : "scenario";
    char title[256];
    snprintf(title, sizeof title, "fleetsim plan: %s", name);
    fsim__page_begin(&h, title);
    fsim__html_put(&h, "<header>\n<h1>Depot plan: ");
    fsim__html_text(&h, name);
    fsim__html_printf(&h, "</h1>\n<p class=\"muted\">%d variants: %d run, %d pruned (their "
                          "capital cost alone is above a feasible design's annual cost), %d "
                          "infeasible.</p>\n", r->variants, r->evaluated, r->pruned,
                      r->infeasible);
    for (size_t i = 0; i < r->n_warnings; i++) {
        fsim__html_put(&h, "<p class=\"small\">warning: ");
        fsim__html_text(&h, r->warnings[i]);
        fsim__html_put(&h, "</p>\n");
    }
    fsim__html_put(&h, "</header>\n");
    section_best(&h, r);
    fsim__html_printf(&h, "<section id=\"front\" aria-label=\"cost against peak\">\n<h2>Annual "
                          "cost against site peak (%zu designs)</h2>\n", r->n_front);
    front_chart(&h, r, r->front, r->n_front, "Pareto front: annual cost vs peak kW",
                "site peak (kW)", peak_kw);
    front_table(&h, "front-table", r->front, r->n_front);
    fsim__html_printf(&h, "</section>\n<section id=\"wait-front\" aria-label=\"cost against "
                          "waiting\">\n<h2>Annual cost against the p95 wait (%zu designs)"
                          "</h2>\n", r->n_wait_front);
    front_chart(&h, r, r->wait_front, r->n_wait_front, "Pareto front: annual cost vs p95 wait",
                "95th percentile wait (min)", wait_minutes);
    front_table(&h, "wait-front-table", r->wait_front, r->n_wait_front);
    fsim__html_put(&h, "</section>\n");
    section_rejected(&h, r);
    fsim__page_end(&h);
    return fsim__page_finish(&h, html, len, err);
}
