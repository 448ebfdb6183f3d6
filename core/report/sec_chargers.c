/* Section 4: charger occupancy per depot as a Gantt chart — one row per charger (or per
 * bucket of chargers of one type on a big depot), one column per pixel of the horizon — and
 * above it the vehicles queued for a charger, so a queue shows where the rows are full. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

enum { MAX_ROWS = 48, COLUMNS = 874, SVG_W = 960 };

typedef struct row_layout {
    size_t first_row[1000]; /* per charger type: its first row */
    size_t rows[1000];      /* per charger type: its rows */
    int per_row;            /* chargers per row */
    size_t n_rows;
    long chargers;          /* in all */
} row_layout;

/* Which row a chargerId ("north/dc-150kw/3") falls in; false for an id the depot's summary
 * does not list. */
static bool charger_row(const fsim_depot_summary *d, const row_layout *lay, const char *id,
                        size_t *row)
{
    const char *slash = strrchr(id, '/');
    if (!slash)
        return false;
    const char *type = strchr(id, '/');
    type = type && type < slash ? type + 1 : id;
    long index = strtol(slash + 1, NULL, 10);
    for (size_t k = 0; k < d->n_chargers && k < 1000; k++) {
        size_t len = strlen(d->chargers[k].type);
        if (len != (size_t)(slash - type) || strncmp(type, d->chargers[k].type, len) != 0)
            continue;
        if (index < 1 || index > d->chargers[k].count)
            return false;
        *row = lay->first_row[k] + (size_t)(index - 1) / (size_t)lay->per_row;
        return true;
    }
    return false;
}

static void layout(const fsim_depot_summary *d, row_layout *lay)
{
    long total = 0;
    for (size_t k = 0; k < d->n_chargers && k < 1000; k++)
        total += d->chargers[k].count;
    lay->chargers = total;
    lay->per_row = total <= MAX_ROWS ? 1 : (int)((total + MAX_ROWS - 1) / MAX_ROWS);
    lay->n_rows = 0;
    for (size_t k = 0; k < d->n_chargers && k < 1000; k++) {
        lay->first_row[k] = lay->n_rows;
        lay->rows[k] = ((size_t)d->chargers[k].count + (size_t)lay->per_row - 1)
                     / (size_t)lay->per_row;
        lay->n_rows += lay->rows[k];
    }
}

/* The queue over time: vehicles waiting for a charger, from the depot's series. */
static void queue_chart(fsim__html *h, const fsim_result *r, const fsim_depot_summary *d,
                        double start, double end)
{
    size_t n;
    const fsim_time_series_point **pts = fsim__depot_series(r, d->id, &n);
    int most = 0;
    for (size_t i = 0; i < n; i++)
        most = pts[i]->waiting > most ? pts[i]->waiting : most;
    char title[160], caption[300], axis[80];
    snprintf(title, sizeof title, "Vehicles queued for a charger at %s", d->id);
    snprintf(caption, sizeof caption, "Read: orange is the number of vehicles waiting for a "
             "free charger (most at once: %d); none means every arrival found one.", most);
    fsim__chart c;
    fsim__chart_begin(&c, h, title, caption, SVG_W, 170, start, end, 0,
                      fsim__nice_ceil(most > 5 ? most : 5));
    snprintf(axis, sizeof axis, "local time (UTC%+d min)", d->utc_offset_minutes);
    fsim__chart_time_axis(&c, d->utc_offset_minutes, axis);
    fsim__chart_value_axis(&c, false, "queued (vehicles)");
    fsim__html_put(h, "<path class=\"queue\" d=\"");
    double y0 = fsim__chart_y(&c, 0);
    for (size_t i = 0; i < n; i++) {
        if (pts[i]->waiting <= 0)
            continue;
        double t1 = i + 1 < n ? pts[i + 1]->t : end;
        fsim__html_printf(h, "M%.1f %.1fV%.1fH%.1fV%.1fZ", fsim__chart_x(&c, pts[i]->t), y0,
                          fsim__chart_y(&c, pts[i]->waiting), fsim__chart_x(&c, t1), y0);
    }
    fsim__html_put(h, "M0 0\"><title>vehicles queued</title></path>\n");
    fsim__chart_end(&c);
    free(pts);
}

/* Occupied share of each row in each column, from the sessions' start..end. */
static void fill_occupancy(const fsim_result *r, const fsim_depot_summary *d,
                           const row_layout *lay, double start, double end, float *occ)
{
    double col = (end - start) / COLUMNS;
    for (size_t i = 0; i < r->n_charging_events; i++) {
        const fsim_charging_event *ev = &r->charging_events[i];
        size_t row;
        if (strcmp(ev->depot, d->id) != 0 || !charger_row(d, lay, ev->charger_id, &row))
            continue;
        double a = fmax(ev->start, start), b = fmin(ev->end, end);
        if (!(b > a))
            continue;
        long c0 = (long)floor((a - start) / col), c1 = (long)floor((b - start) / col);
        for (long c = c0 < 0 ? 0 : c0; c <= c1 && c < COLUMNS; c++) {
            double from = start + (double)c * col;
            double overlap = fmin(b, from + col) - fmax(a, from);
            if (overlap > 0)
                occ[row * COLUMNS + (size_t)c] += (float)(overlap / col / lay->per_row);
        }
    }
}

static int level(float v)
{
    return v <= 0.02f ? 0 : v < 0.34f ? 1 : v < 0.67f ? 2 : 3;
}

static void gantt_chart(fsim__html *h, const fsim_result *r, const fsim_depot_summary *d,
                        double start, double end, fsim__report_notes *notes)
{
    row_layout *lay = malloc(sizeof *lay);
    float *occ = NULL;
    if (!lay)
        goto oom;
    layout(d, lay);
    if (lay->n_rows == 0)
        goto out;
    if (!(occ = calloc(lay->n_rows * COLUMNS, sizeof *occ)))
        goto oom;
    fill_occupancy(r, d, lay, start, end, occ);
    double row_h = lay->n_rows > 30 ? 8 : 14;
    char title[160], caption[400], axis[80];
    snprintf(title, sizeof title, "Charger occupancy at %s", d->id);
    if (lay->per_row > 1)
        snprintf(caption, sizeof caption, "Read: each row is %d chargers of one type; darker "
                 "blue = more of them occupied (light: under a third, dark: over two thirds). "
                 "Compare with the queue above.", lay->per_row);
    else
        snprintf(caption, sizeof caption, "Read: each row is one charger, blue while a vehicle "
                 "occupies it; full rows while vehicles queue above mean too few chargers.");
    fsim__chart c;
    fsim__chart_begin(&c, h, title, caption, SVG_W,
                      (int)(lay->n_rows * row_h) + 24 + 44, start, end, 0,
                      (double)lay->n_rows);
    c.left = 62;
    c.width = COLUMNS;
    snprintf(axis, sizeof axis, "local time (UTC%+d min)", d->utc_offset_minutes);
    fsim__chart_time_axis(&c, d->utc_offset_minutes, axis);
    static const char *const cls[] = {NULL, "occ1", "occ2", "occ3"};
    for (int lv = 1; lv <= 3; lv++) {
        fsim__html_printf(h, "<path class=\"%s\" d=\"M0 0", cls[lv]);
        for (size_t row = 0; row < lay->n_rows; row++) {
            double y = c.top + (double)row * row_h + 1;
            for (size_t x = 0; x < COLUMNS;) {
                if (level(occ[row * COLUMNS + x]) != lv) {
                    x++;
                    continue;
                }
                size_t run = x;
                while (run < COLUMNS && level(occ[row * COLUMNS + run]) == lv)
                    run++;
                fsim__html_printf(h, "M%zu %.0fh%zuv%.0fh-%zuZ", (size_t)c.left + x, y, run - x,
                                  row_h - 2, run - x);
                x = run;
            }
        }
        fsim__html_printf(h, "\"><title>%s</title></path>\n",
                          lv == 1 ? "occupied, under a third"
                                  : lv == 2 ? "occupied, a third to two thirds"
                                            : "occupied, over two thirds");
    }
    for (size_t k = 0; k < d->n_chargers && k < 1000; k++) {
        double y = c.top + (double)lay->first_row[k] * row_h;
        fsim__html_printf(h, "<path class=\"axis\" d=\"M%.1f %.1fh%d\"/>", c.left - 4, y,
                          COLUMNS + 4);
        fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", c.left - 4,
                          y + fmin(row_h, (double)lay->rows[k] * row_h / 2 + 4));
        fsim__html_text(h, d->chargers[k].type);
        fsim__html_put(h, "</text>\n");
    }
    fsim__chart_end(&c);
    if (lay->per_row > 1) {
        char what[96];
        snprintf(what, sizeof what, "Gantt rows at %s", d->id);
        fsim__note_reduced(notes, what, (size_t)lay->chargers, lay->n_rows,
                           "chargers");
    }
    goto out;
oom:
    h->oom = true;
out:
    free(occ);
    free(lay);
}

void fsim__section_chargers(fsim__html *h, const fsim_result *r, fsim__report_notes *notes)
{
    fsim__html_put(h, "<section id=\"chargers\">\n<h2>Chargers: occupancy and queues</h2>\n");
    double start, end, interval;
    if (fsim__report_horizon(r, &start, &end, &interval))
        for (size_t i = 0; i < r->summary.n_depots; i++) {
            queue_chart(h, r, &r->summary.depots[i], start, end);
            gantt_chart(h, r, &r->summary.depots[i], start, end, notes);
        }
    fsim__html_put(h, "</section>\n");
}
