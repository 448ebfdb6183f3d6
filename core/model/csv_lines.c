/* Feeding libcsv one physical line at a time, shared by the CSV readers of this module
 * (speed traces, EPA test cars): libcsv itself does not count lines, and every error a
 * reader reports must name the line. */
#include <csv.h>
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

/* Length of the physical line starting at s (its terminator included): ends after "\n",
 * "\r\n" or a lone "\r". */
static size_t line_length(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            return i + 1;
        if (s[i] == '\r')
            return (i + 1 < len && s[i + 1] == '\n') ? i + 2 : i + 1;
    }
    return len;
}

const char *fsim__csv_feed(struct csv_parser *parser, const char *p, size_t len,
                           struct fsim__csv_lines *pos, void (*on_field)(void *, size_t, void *),
                           void (*on_row)(int, void *), void *ctx, const fsim_status *st)
{
    size_t at = 0;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        at = 3; /* a UTF-8 byte order mark */
    size_t start = at;
    while (at < len && *st == FSIM_OK) {
        size_t n = line_length(p + at, len - at);
        if (pos->at_row_start) {
            pos->row_start = pos->line;
            pos->at_row_start = false;
        }
        if (csv_parse(parser, p + at, n, on_field, on_row, ctx) != n)
            return "a quote inside an unquoted field, or text after a closing quote";
        at += n;
        pos->line++;
    }
    if (*st != FSIM_OK)
        return NULL;
    if (at > start)
        pos->line--; /* a last row without a line end is flushed by csv_fini */
    if (csv_fini(parser, on_field, on_row, ctx) != 0)
        return "unterminated quote";
    return NULL;
}

void fsim__csv_vfail(fsim_status *st, fsim_error *err, const char *path, int line, int column,
                     const char *name, const char *fmt, va_list ap)
{
    if (*st != FSIM_OK)
        return;
    char msg[400];
    vsnprintf(msg, sizeof msg, fmt, ap);
    *st = fsim_error_set(err, FSIM_INVALID, path, line, column, name, "%s", msg);
}
