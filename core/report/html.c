/* The page as a growing buffer, HTML escaping, and the frame around the sections: one inline
 * style sheet (screen and print), no script, no font or image from anywhere. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/util.h>

#include "report_internal.h"

static void put_n(fsim__html *h, const char *s, size_t n)
{
    if (h->oom || n == 0)
        return;
    if (!fsim_buf_append(&h->data, &h->len, &h->cap, s, n))
        h->oom = true;
}

void fsim__html_put(fsim__html *h, const char *s)
{
    put_n(h, s, strlen(s));
}

void fsim__html_printf(fsim__html *h, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        h->oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        put_n(h, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        h->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    put_n(h, big, (size_t)n);
    free(big);
}

void fsim__html_text(fsim__html *h, const char *s)
{
    if (!s)
        return;
    const char *run = s;
    for (; *s; s++) {
        const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;"
                        : *s == '"' ? "&quot;" : NULL;
        if (!rep)
            continue;
        put_n(h, run, (size_t)(s - run));
        fsim__html_put(h, rep);
        run = s + 1;
    }
    put_n(h, run, (size_t)(s - run));
}

/* Okabe–Ito colours (readable with every common colour-vision deficiency) and, for print,
 * the same charts in a narrower column with no background fills to waste toner. */
static const char style[] =
    ":root{--blue:#0072B2;--orange:#E69F00;--green:#009E73;--red:#D55E00;--purple:#CC79A7;"
    "--sky:#56B4E9;--yellow:#F0E442;--ink:#1a1a1a;--grey:#6b6b6b;--rule:#d0d0d0}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0 auto;max-width:1000px;padding:16px 24px;color:var(--ink);"
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#fff}\n"
    "h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:1.6em 0 .4em;"
    "border-bottom:1px solid var(--rule);padding-bottom:.2em}h3{font-size:1em;margin:.8em 0 .2em}\n"
    "figure{margin:.6em 0 1.2em}figcaption{color:var(--grey);font-size:.9em}\n"
    "svg{display:block;width:100%;height:auto;font-size:11px}\n"
    "svg text{fill:var(--ink)}\n"
    ".verdict{padding:.6em 1em;border-left:6px solid;margin:.8em 0;font-size:1.1em}\n"
    ".verdict.ok{border-color:var(--green);background:#e8f5f0}"
    ".verdict.bad{border-color:var(--red);background:#fbeee6}\n"
    ".verdict strong{display:block;font-size:1.3em}\n"
    ".parts span{display:inline-block;margin-right:1.2em}\n"
    "dl.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));"
    "gap:.4em 1em;margin:.6em 0}\n"
    "dl.figures div{border:1px solid var(--rule);border-radius:4px;padding:.3em .6em}\n"
    "dl.figures dt{color:var(--grey);font-size:.85em}dl.figures dd{margin:0;font-weight:600}\n"
    "table{border-collapse:collapse;margin:.4em 0;font-size:.92em}\n"
    "th,td{border-bottom:1px solid var(--rule);padding:.2em .6em;text-align:left}\n"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".axis{stroke:var(--ink);fill:none;stroke-width:1}.grid{stroke:#e4e4e4;fill:none}\n"
    ".l1{stroke:var(--blue);fill:none;stroke-width:1.5}"
    ".l2{stroke:var(--orange);fill:none;stroke-width:1.5}"
    ".l3{stroke:var(--green);fill:none;stroke-width:1.5}"
    ".l4{stroke:var(--purple);fill:none;stroke-width:1.5}\n"
    ".b1{fill:var(--blue);fill-opacity:.22;stroke:none}"
    ".b2{fill:var(--orange);fill-opacity:.25;stroke:none}\n"
    ".limit{stroke:var(--red);stroke-width:1.5;stroke-dasharray:6 3;fill:none}\n"
    ".reserve{stroke:var(--red);stroke-dasharray:4 3;fill:none}"
    ".target{stroke:var(--green);stroke-dasharray:4 3;fill:none}\n"
    ".excess{fill:var(--red);fill-opacity:.45;stroke:none}\n"
    ".occ1{fill:var(--sky)}.occ2{fill:var(--blue);fill-opacity:.65}.occ3{fill:var(--blue)}\n"
    ".queue{fill:var(--orange);stroke:var(--orange)}\n"
    ".f-ok{fill:var(--blue)}.f-missed{fill:var(--orange)}.f-stranded{fill:var(--red)}"
    ".f-grey{fill:#bdbdbd}.f-green{fill:var(--green)}.f-purple{fill:var(--purple)}"
    ".f-sky{fill:var(--sky)}.f-yellow{fill:var(--yellow)}\n"
    ".route{stroke:var(--grey);fill:none;stroke-width:1.5}\n"
    ".strand{fill:var(--red);stroke:#fff;stroke-width:1}\n"
    ".muted{color:var(--grey)}.small{font-size:.85em}\n"
    "@media print{body{max-width:none;padding:0;font-size:11pt}section{break-inside:avoid}"
    "figure{break-inside:avoid}.verdict.ok,.verdict.bad{background:none}"
    "dl.figures div{border-color:#999}}\n";

void fsim__page_begin(fsim__html *h, const char *title)
{
    fsim__html_put(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
                      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                      "style-src 'unsafe-inline'; img-src data:\">\n"
                      "<link rel=\"icon\" href=\"data:,\">\n<title>");
    fsim__html_text(h, title);
    fsim__html_put(h, "</title>\n<style>\n");
    fsim__html_put(h, style);
    fsim__html_put(h, "</style>\n</head>\n<body>\n<main>\n");
}

void fsim__page_end(fsim__html *h)
{
    fsim__html_put(h, "</main>\n</body>\n</html>\n");
}

/* Hands the finished page to the caller, or FSIM_NOMEM with nothing left to free. */
fsim_status fsim__page_finish(fsim__html *h, char **html, size_t *len, fsim_error *err)
{
    if (h->oom) {
        free(h->data);
        *html = NULL;
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    }
    *html = h->data;
    if (len)
        *len = h->len;
    return FSIM_OK;
}
