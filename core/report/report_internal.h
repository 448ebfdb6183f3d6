/* core/report internals: the growing page, SVG chart frames, and one function per section.
 * Every number on the page goes through printf's %f / %d in the C locale's format (the core
 * never calls setlocale), so the bytes depend on the input only. */
#ifndef FLEETSIM_REPORT_INTERNAL_H
#define FLEETSIM_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/report.h>
#include <fleetsim/wire.h>

/* ---- The page being written ------------------------------------------------------------ */

typedef struct fsim__html {
    char *data;
    size_t len, cap;
    bool oom; /* an append failed: the page is incomplete, the render returns FSIM_NOMEM */
} fsim__html;

void fsim__html_put(fsim__html *h, const char *s);
void fsim__html_printf(fsim__html *h, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* `s` with & < > " escaped (for text and attribute values); NULL writes nothing. */
void fsim__html_text(fsim__html *h, const char *s);

/* The page around the sections: doctype, <title>, inline CSS, header; and the end. */
void fsim__page_begin(fsim__html *h, const char *title);
void fsim__page_end(fsim__html *h);
/* Hands the finished page to the caller (*html malloc'd, *len), or FSIM_NOMEM with the
 * buffer freed when an append failed. */
fsim_status fsim__page_finish(fsim__html *h, char **html, size_t *len, fsim_error *err);

/* ---- Charts ----------------------------------------------------------------------------- */

/* One SVG chart: a plot area mapping data x0..x1, y0..y1 to pixels, inside a <figure> with
 * a heading, role="img", aria-label and <title>, and a one-line caption below. */
typedef struct fsim__chart {
    fsim__html *h;
    double x0, x1, y0, y1;
    double left, top, width, height; /* the plot area, px */
    const char *caption;
    int n_labels;         /* marker labels so far: close ones are moved apart */
    double last_label_y;
    int label_shift;
} fsim__chart;

void fsim__chart_begin(fsim__chart *c, fsim__html *h, const char *title, const char *caption,
                       int svg_width, int svg_height, double x0, double x1, double y0,
                       double y1);
void fsim__chart_end(fsim__chart *c);
double fsim__chart_x(const fsim__chart *c, double x);
double fsim__chart_y(const fsim__chart *c, double y);
/* Axis lines, ticks and labels. The time axis labels days (or hours on a short horizon) in
 * local time at `offset_minutes` from UTC; `label` names the axis and its unit. */
void fsim__chart_time_axis(fsim__chart *c, int offset_minutes, const char *label);
void fsim__chart_value_axis(fsim__chart *c, bool x_axis, const char *label);
/* A line through n points (x[i], y[i]) with a CSS class; NaN y breaks the line. */
void fsim__chart_line(fsim__chart *c, const double *x, const double *y, size_t n,
                      const char *cls, const char *tooltip);
/* The band between lo[] and hi[] (filled), n points. */
void fsim__chart_band(fsim__chart *c, const double *x, const double *lo, const double *hi,
                      size_t n, const char *cls, const char *tooltip);
/* A horizontal marker line at y with a label at its right end. */
void fsim__chart_hline(fsim__chart *c, double y, const char *cls, const char *label);
/* A legend entry (swatch + text) at the chart's top right, entry `i`. */
void fsim__chart_legend(fsim__chart *c, int i, const char *cls, const char *text);
/* A "nice" upper bound for an axis showing values up to `v` (1, 1.5, 2, 2.5, 3, 4, 5, 6 or
 * 8 × 10^k). */
double fsim__nice_ceil(double v);

/* ---- Reading the result ----------------------------------------------------------------- */

/* The depot summary with this id, or NULL. */
const fsim_depot_summary *fsim__report_depot(const fsim_result *r, const char *id);
/* UTC offset of a depot in minutes (0 when unknown). */
int fsim__report_offset(const fsim_result *r, const char *depot);
/* The horizon: first series point to the last one's end (or the events' and trips' span
 * when there is no series). False when the result holds no time at all. */
bool fsim__report_horizon(const fsim_result *r, double *start, double *end,
                          double *interval);
/* Local hour of day 0..23 of `t` at `offset_minutes`. */
int fsim__local_hour(double t, int offset_minutes);

/* The series points of one depot, in time order: a malloc'd array of pointers into the
 * result (free() it), its length in *n. NULL with *n 0 when there are none or no memory. */
const fsim_time_series_point **fsim__depot_series(const fsim_result *r, const char *depot,
                                                  size_t *n);
/* Reduces n samples in place to at most `max` buckets of consecutive samples: t[j] the
 * bucket's first time, lo[j] its minimum, mean[j] its mean, hi[j] its maximum (lo and mean
 * may be NULL). Returns the new count (n when n <= max). */
size_t fsim__reduce(double *t, double *lo, double *mean, double *hi, size_t n, size_t max);

/* What the page tells its reader about the data behind it (the "How to read" notes). */
typedef struct fsim__report_notes {
    char reduced[512]; /* which series were bucketed, appended as they are */
} fsim__report_notes;
/* Records that `what` was reduced from `from` to `to` `unit` (points, rows). */
void fsim__note_reduced(fsim__report_notes *notes, const char *what, size_t from, size_t to,
                        const char *unit);

/* ---- The sections (each writes one <section> with its charts) ---------------------------- */

void fsim__section_verdict(fsim__html *h, const fsim_result *r, const fsim_request *req);
void fsim__section_load(fsim__html *h, const fsim_result *r, fsim__report_notes *notes);
void fsim__section_soc(fsim__html *h, const fsim_result *r, const fsim_request *req,
                       fsim__report_notes *notes);
void fsim__section_chargers(fsim__html *h, const fsim_result *r, fsim__report_notes *notes);
void fsim__section_waits(fsim__html *h, const fsim_result *r);
void fsim__section_trips(fsim__html *h, const fsim_result *r);
void fsim__section_energy(fsim__html *h, const fsim_result *r, const fsim_report_context *ctx);
void fsim__section_tou(fsim__html *h, const fsim_result *r, const fsim_report_context *ctx);
void fsim__section_map(fsim__html *h, const fsim_result *r, const fsim_report_context *ctx);

#endif
