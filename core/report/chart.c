/* SVG chart frames: the figure around a chart (heading, role="img", aria-label, <title>,
 * caption), the mapping from data to pixels, axes with ticks and units, lines, bands and
 * markers. Coordinates are written with one decimal: enough for a screen, small on disk. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report_internal.h"

void fsim__chart_begin(fsim__chart *c, fsim__html *h, const char *title, const char *caption,
                       int svg_width, int svg_height, double x0, double x1, double y0, double y1)
{
    *c = (fsim__chart){.h = h, .x0 = x0, .x1 = x1 > x0 ? x1 : x0 + 1, .y0 = y0,
                       .y1 = y1 > y0 ? y1 : y0 + 1, .left = 62, .top = 24,
                       .width = svg_width - 62 - 24, .height = svg_height - 24 - 44,
                       .caption = caption};
    fsim__html_put(h, "<figure>\n<h3>");
    fsim__html_text(h, title);
    /* a small chart keeps its size instead of stretching to the page's width */
    fsim__html_printf(h, "</h3>\n<svg viewBox=\"0 0 %d %d\" style=\"max-width:%dpx\" "
                         "role=\"img\" aria-label=\"", svg_width, svg_height, svg_width);
    fsim__html_text(h, title);
    fsim__html_put(h, "\" xmlns=\"http://www.w3.org/2000/svg\">\n<title>");
    fsim__html_text(h, title);
    fsim__html_put(h, "</title>\n");
}

void fsim__chart_end(fsim__chart *c)
{
    fsim__html_put(c->h, "</svg>\n<figcaption>");
    fsim__html_text(c->h, c->caption);
    fsim__html_put(c->h, "</figcaption>\n</figure>\n");
}

double fsim__chart_x(const fsim__chart *c, double x)
{
    return c->left + (x - c->x0) / (c->x1 - c->x0) * c->width;
}

double fsim__chart_y(const fsim__chart *c, double y)
{
    double v = c->top + (1 - (y - c->y0) / (c->y1 - c->y0)) * c->height;
    return v < c->top - 4 ? c->top - 4 : v > c->top + c->height + 4 ? c->top + c->height + 4 : v;
}

double fsim__nice_ceil(double v)
{
    if (!(v > 0))
        return 1;
    double p = pow(10, floor(log10(v)));
    static const double steps[] = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (v <= steps[i] * p * (1 + 1e-9))
            return steps[i] * p;
    return 10 * p;
}

/* Tick spacing giving about five ticks over `span`: 1, 2 or 5 × 10^k. */
static double tick_step(double span)
{
    double v = span / 5, p = v > 0 ? pow(10, floor(log10(v))) : 1;
    return v <= p ? p : v <= 2 * p ? 2 * p : v <= 5 * p ? 5 * p : 10 * p;
}

/* Tick labels: no decimals unless the step needs them. */
static void tick_label(char *buf, size_t size, double v, double step)
{
    int decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
    snprintf(buf, size, "%.*f", decimals, fabs(v) < step * 1e-6 ? 0.0 : v);
}

void fsim__chart_value_axis(fsim__chart *c, bool x_axis, const char *label)
{
    fsim__html *h = c->h;
    double lo = x_axis ? c->x0 : c->y0, hi = x_axis ? c->x1 : c->y1;
    double step = tick_step(hi - lo);
    char text[32];
    fsim__html_put(h, "<path class=\"grid\" d=\"");
    for (double v = ceil(lo / step) * step; v <= hi + step * 1e-6; v += step) {
        if (x_axis)
            fsim__html_printf(h, "M%.1f %.1fv%.1f", fsim__chart_x(c, v), c->top, c->height);
        else
            fsim__html_printf(h, "M%.1f %.1fh%.1f", c->left, fsim__chart_y(c, v), c->width);
    }
    fsim__html_put(h, "\"/>\n");
    for (double v = ceil(lo / step) * step; v <= hi + step * 1e-6; v += step) {
        tick_label(text, sizeof text, v, step);
        if (x_axis)
            fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                              fsim__chart_x(c, v), c->top + c->height + 14, text);
        else
            fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                              c->left - 5, fsim__chart_y(c, v) + 4, text);
    }
    fsim__html_printf(h, "\n<path class=\"axis\" d=\"M%.1f %.1fV%.1fH%.1f\"/>\n", c->left,
                      c->top, c->top + c->height, c->left + c->width);
    if (x_axis)
        fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                          c->left + c->width / 2, c->top + c->height + 34);
    else
        fsim__html_printf(h, "<text transform=\"translate(14 %.1f) rotate(-90)\" "
                             "text-anchor=\"middle\">", c->top + c->height / 2);
    fsim__html_text(h, label);
    fsim__html_put(h, "</text>\n");
}

void fsim__chart_time_axis(fsim__chart *c, int offset_minutes, const char *label)
{
    static const char *const wday[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    fsim__html *h = c->h;
    double off = offset_minutes * 60.0, span = c->x1 - c->x0;
    /* a tick per local midnight; per 6 hours under two days, per hour under six hours */
    double step = span > 16 * 86400.0 ? 7 * 86400.0 : span > 2 * 86400.0 ? 86400.0
                : span > 6 * 3600.0 ? 6 * 3600.0 : 3600.0;
    double first = ceil((c->x0 + off) / step) * step - off;
    fsim__html_put(h, "<path class=\"grid\" d=\"");
    for (double t = first; t <= c->x1; t += step)
        fsim__html_printf(h, "M%.1f %.1fv%.1f", fsim__chart_x(c, t), c->top, c->height);
    fsim__html_put(h, "\"/>\n");
    /* a label centred on the right edge would be cut off: the last one stops short of it */
    for (double t = first; t <= c->x1 - step * 0.25; t += step) {
        time_t local = (time_t)llround(t + off);
        struct tm tm;
        gmtime_r(&local, &tm);
        char text[32];
        if (step >= 86400.0)
            snprintf(text, sizeof text, "%s %02d %s", wday[tm.tm_wday], tm.tm_mday,
                     mon[tm.tm_mon]);
        else
            snprintf(text, sizeof text, "%02d:%02d", tm.tm_hour, tm.tm_min);
        fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                          fsim__chart_x(c, t), c->top + c->height + 14, text);
    }
    fsim__html_printf(h, "\n<path class=\"axis\" d=\"M%.1f %.1fH%.1f\"/>\n", c->left,
                      c->top + c->height, c->left + c->width);
    fsim__html_printf(h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                      c->left + c->width / 2, c->top + c->height + 34);
    fsim__html_text(h, label);
    fsim__html_put(h, "</text>\n");
}

static void open_path(fsim__chart *c, const char *cls)
{
    fsim__html_printf(c->h, "<path class=\"%s\" d=\"", cls);
}

static void close_path(fsim__chart *c, const char *tooltip)
{
    if (tooltip) {
        fsim__html_put(c->h, "\"><title>");
        fsim__html_text(c->h, tooltip);
        fsim__html_put(c->h, "</title></path>\n");
    } else {
        fsim__html_put(c->h, "\"/>\n");
    }
}

void fsim__chart_line(fsim__chart *c, const double *x, const double *y, size_t n,
                      const char *cls, const char *tooltip)
{
    open_path(c, cls);
    bool pen = false;
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i])) {
            pen = false;
            continue;
        }
        fsim__html_printf(c->h, "%s%.1f %.1f", pen ? "L" : "M", fsim__chart_x(c, x[i]),
                          fsim__chart_y(c, y[i]));
        pen = true;
    }
    close_path(c, tooltip);
}

void fsim__chart_band(fsim__chart *c, const double *x, const double *lo, const double *hi,
                      size_t n, const char *cls, const char *tooltip)
{
    if (n == 0)
        return;
    open_path(c, cls);
    for (size_t i = 0; i < n; i++)
        fsim__html_printf(c->h, "%s%.1f %.1f", i ? "L" : "M", fsim__chart_x(c, x[i]),
                          fsim__chart_y(c, hi[i]));
    for (size_t i = n; i-- > 0;)
        fsim__html_printf(c->h, "L%.1f %.1f", fsim__chart_x(c, x[i]), fsim__chart_y(c, lo[i]));
    fsim__html_put(c->h, "Z");
    close_path(c, tooltip);
}

void fsim__chart_hline(fsim__chart *c, double y, const char *cls, const char *label)
{
    double py = fsim__chart_y(c, y);
    fsim__html_printf(c->h, "<path class=\"%s\" d=\"M%.1f %.1fh%.1f\"/>", cls, c->left, py,
                      c->width);
    if (label) {
        /* a label within a line's height of the previous one moves left instead of over it */
        double x = c->left + c->width - 2;
        if (c->n_labels++ && fabs(py - c->last_label_y) < 12)
            x -= 90.0 * ++c->label_shift;
        else
            c->label_shift = 0;
        c->last_label_y = py;
        fsim__html_printf(c->h, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x,
                          py - 3);
        fsim__html_text(c->h, label);
        fsim__html_put(c->h, "</text>");
    }
    fsim__html_put(c->h, "\n");
}

void fsim__chart_legend(fsim__chart *c, int i, const char *cls, const char *text)
{
    double x = c->left + 8 + i * 150, y = 8;
    fsim__html_printf(c->h, "<path class=\"%s\" d=\"M%.1f %.1fh18v10h-18Z\"/>", cls, x, y);
    fsim__html_printf(c->h, "<text x=\"%.1f\" y=\"%.1f\">", x + 24, y + 9);
    fsim__html_text(c->h, text);
    fsim__html_put(c->h, "</text>\n");
}
