/* Section 3: the state-of-charge envelope (min / mean / max) per vehicle group over time,
 * with the group's reserve and target marked. Groups are vehicle type × depot when the
 * result carries each vehicle's series (vehicleSeries + vehicles); otherwise each depot's
 * series gives its min and mean (no max: the result does not hold it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

enum { MAX_GROUPS = 24, MAX_MARKS = 3 };

typedef struct envelope {
    const char *type;  /* NULL: the whole depot */
    const char *depot;
    double start, interval;
    size_t n;          /* samples */
    double *lo, *sum, *hi, *count;
    int vehicles;
} envelope;

/* Reserve and target SoC of the request's groups that match (type NULL: any type). */
static void marks(const fsim_request *req, const char *type, const char *depot,
                  double reserve[MAX_MARKS], size_t *n_res, double target[MAX_MARKS],
                  size_t *n_tgt)
{
    *n_res = *n_tgt = 0;
    for (size_t i = 0; req && i < req->n_vehicles; i++) {
        const fsim_vehicle_group *g = &req->vehicles[i];
        if (strcmp(g->depot, depot) != 0 || (type && strcmp(g->type, type) != 0))
            continue;
        bool seen = false;
        for (size_t k = 0; k < *n_tgt; k++)
            seen |= target[k] == g->target_soc;
        if (!seen && *n_tgt < MAX_MARKS)
            target[(*n_tgt)++] = g->target_soc;
        seen = !g->has_reserve_soc;
        for (size_t k = 0; k < *n_res && !seen; k++)
            seen = reserve[k] == g->reserve_soc;
        if (!seen && *n_res < MAX_MARKS)
            reserve[(*n_res)++] = g->reserve_soc;
    }
}

static void chart(fsim__html *h, const fsim_result *r, const fsim_request *req,
                  const envelope *e, bool has_max, fsim__report_notes *notes)
{
    size_t n = e->n;
    double *t = malloc(n * sizeof *t), *lo = malloc(n * sizeof *lo);
    double *mean = malloc(n * sizeof *mean), *hi = malloc(n * sizeof *hi);
    if (!t || !lo || !mean || !hi) {
        h->oom = true;
        goto out;
    }
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (e->count[k] <= 0)
            continue;
        t[m] = e->start + (double)k * e->interval;
        lo[m] = e->lo[k];
        mean[m] = e->sum[k] / e->count[k];
        hi[m++] = e->hi[k];
    }
    size_t reduced = fsim__reduce(t, lo, mean, hi, m, FSIM_REPORT_MAX_POINTS);
    if (reduced < m)
        fsim__note_reduced(notes, "SoC envelope", m, reduced, "points");
    m = reduced;
    if (m == 0)
        goto out;
    double reserve[MAX_MARKS], target[MAX_MARKS];
    size_t n_res, n_tgt;
    marks(req, e->type, e->depot, reserve, &n_res, target, &n_tgt);
    char title[200], caption[400], axis[80];
    if (e->type)
        snprintf(title, sizeof title, "State of charge: %s at %s (%d vehicles)", e->type,
                 e->depot, e->vehicles);
    else
        snprintf(title, sizeof title, "State of charge: vehicles of depot %s", e->depot);
    snprintf(caption, sizeof caption, "Read: the shaded band spans the %s SoC of the group, the "
             "blue line is its mean%s%s.", has_max ? "lowest to highest" : "lowest to mean",
             has_max ? "" : " (this result has no per-vehicle series, so no maximum)",
             req ? "; dashed: reserve (red) and target (green)"
                 : "; reserve and target are not in a result: render with the scenario to "
                   "mark them");
    int off = fsim__report_offset(r, e->depot);
    fsim__chart c;
    fsim__chart_begin(&c, h, title, caption, 960, 250, t[0], t[m - 1] + e->interval, 0, 100);
    snprintf(axis, sizeof axis, "local time (UTC%+d min)", off);
    fsim__chart_time_axis(&c, off, axis);
    fsim__chart_value_axis(&c, false, "state of charge (%)");
    for (size_t k = 0; k < m; k++) {
        lo[k] *= 100;
        mean[k] *= 100;
        hi[k] *= 100;
    }
    fsim__chart_band(&c, t, lo, has_max ? hi : mean, m, "b1",
                     has_max ? "min to max SoC" : "min to mean SoC");
    fsim__chart_line(&c, t, lo, m, "l2", "lowest SoC");
    fsim__chart_line(&c, t, mean, m, "l1", "mean SoC");
    for (size_t k = 0; k < n_res; k++) {
        char label[48];
        snprintf(label, sizeof label, "reserve %.0f %%", reserve[k] * 100);
        fsim__chart_hline(&c, reserve[k] * 100, "reserve", label);
    }
    for (size_t k = 0; k < n_tgt; k++) {
        char label[48];
        snprintf(label, sizeof label, "target %.0f %%", target[k] * 100);
        fsim__chart_hline(&c, target[k] * 100, "target", label);
    }
    fsim__chart_legend(&c, 0, "l1", "mean");
    fsim__chart_legend(&c, 1, "l2", "lowest");
    fsim__chart_legend(&c, 2, "b1", has_max ? "min to max" : "min to mean");
    fsim__chart_end(&c);
out:
    free(t);
    free(lo);
    free(mean);
    free(hi);
}

static bool envelope_init(envelope *e, size_t n)
{
    e->n = n;
    e->lo = malloc(n * sizeof *e->lo);
    e->sum = calloc(n, sizeof *e->sum);
    e->hi = malloc(n * sizeof *e->hi);
    e->count = calloc(n, sizeof *e->count);
    if (!e->lo || !e->sum || !e->hi || !e->count)
        return false;
    for (size_t k = 0; k < n; k++) {
        e->lo[k] = INFINITY;
        e->hi[k] = -INFINITY;
    }
    return true;
}

static void envelope_release(envelope *e)
{
    free(e->lo);
    free(e->sum);
    free(e->hi);
    free(e->count);
}

static void envelope_add(envelope *e, size_t k, double soc)
{
    if (k >= e->n)
        return;
    e->lo[k] = fmin(e->lo[k], soc);
    e->hi[k] = fmax(e->hi[k], soc);
    e->sum[k] += soc;
    e->count[k] += 1;
}

/* The type of a vehicle: vehicles[] is in the series' order, so index i is tried first. */
static const char *vehicle_type(const fsim_result *r, size_t i, const char *id)
{
    if (i < r->n_vehicles && strcmp(r->vehicles[i].vehicle_id, id) == 0)
        return r->vehicles[i].type;
    for (size_t k = 0; k < r->n_vehicles; k++)
        if (strcmp(r->vehicles[k].vehicle_id, id) == 0)
            return r->vehicles[k].type;
    return "vehicles";
}

/* Per-vehicle series → one envelope per type × depot, sampled on the first series' grid. */
static void from_vehicles(fsim__html *h, const fsim_result *r, const fsim_request *req,
                          fsim__report_notes *notes)
{
    envelope groups[MAX_GROUPS];
    size_t n_groups = 0;
    double start = INFINITY, end = -INFINITY, interval = r->vehicle_series[0].interval_seconds;
    for (size_t i = 0; i < r->n_vehicle_series; i++) {
        const fsim_vehicle_series *v = &r->vehicle_series[i];
        start = fmin(start, v->start);
        end = fmax(end, v->start + (double)v->n_soc * v->interval_seconds);
    }
    size_t n = (size_t)ceil((end - start) / interval);
    for (size_t i = 0; i < r->n_vehicle_series; i++) {
        const fsim_vehicle_series *v = &r->vehicle_series[i];
        const char *type = vehicle_type(r, i, v->vehicle_id);
        envelope *e = NULL;
        for (size_t g = 0; g < n_groups && !e; g++)
            if (strcmp(groups[g].type, type) == 0 && strcmp(groups[g].depot, v->depot) == 0)
                e = &groups[g];
        if (!e && n_groups < MAX_GROUPS) {
            e = &groups[n_groups++];
            *e = (envelope){.type = type, .depot = v->depot, .start = start,
                            .interval = interval};
            if (!envelope_init(e, n)) {
                h->oom = true;
                goto out;
            }
        }
        if (!e)
            continue; /* more groups than a page can show: the first MAX_GROUPS */
        e->vehicles++;
        for (size_t k = 0; k < v->n_soc; k++)
            envelope_add(e, (size_t)llround((v->start + (double)k * v->interval_seconds - start)
                                            / interval), v->soc[k]);
    }
    for (size_t g = 0; g < n_groups; g++)
        chart(h, r, req, &groups[g], true, notes);
out:
    for (size_t g = 0; g < n_groups; g++)
        envelope_release(&groups[g]);
}

/* Depot series → one envelope per depot (min and mean). */
static void from_depots(fsim__html *h, const fsim_result *r, const fsim_request *req,
                        fsim__report_notes *notes)
{
    double start, end, interval;
    if (!fsim__report_horizon(r, &start, &end, &interval) || interval <= 0)
        return;
    for (size_t i = 0; i < r->summary.n_depots; i++) {
        size_t n;
        const fsim_time_series_point **pts = fsim__depot_series(r, r->summary.depots[i].id, &n);
        if (!pts)
            continue;
        envelope e = {.depot = r->summary.depots[i].id, .start = start, .interval = interval};
        if (envelope_init(&e, (size_t)ceil((end - start) / interval))) {
            for (size_t k = 0; k < n; k++) {
                size_t idx = (size_t)llround((pts[k]->t - start) / interval);
                if (idx >= e.n)
                    continue;
                envelope_add(&e, idx, pts[k]->min_soc);
                e.sum[idx] += pts[k]->mean_soc - pts[k]->min_soc; /* the line is the mean */
            }
            chart(h, r, req, &e, false, notes);
        } else {
            h->oom = true;
        }
        envelope_release(&e);
        free(pts);
    }
}

void fsim__section_soc(fsim__html *h, const fsim_result *r, const fsim_request *req,
                       fsim__report_notes *notes)
{
    fsim__html_put(h, "<section id=\"soc\">\n<h2>State of charge</h2>\n");
    if (r->vehicle_series && r->n_vehicle_series)
        from_vehicles(h, r, req, notes);
    else
        from_depots(h, r, req, notes);
    fsim__html_put(h, "</section>\n");
}
