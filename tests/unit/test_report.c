/* core/report: a result in, one self-contained page out — the same bytes every time, every
 * section there with drawn paths, names escaped, nothing that would load from elsewhere.
 * Input: tests/data/report/strained_result.json (a run of strained.json: missed and stranded
 * trips, load above the grid limit, queues) and its scenario. */
#include <stdlib.h>
#include <string.h>

#include <fleetsim/report.h>
#include <fleetsim/util.h>

#include "check.h"

static const char *data_dir;

static char *read_data(fsim_arena *arena, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/report/%s", data_dir, name);
    char *text = NULL;
    fsim_error err;
    fsim_error_clear(&err);
    if (fsim_read_file(path, arena, &text, len, &err) != FSIM_OK) {
        printf("# %s\n", err.message);
        return NULL;
    }
    return text;
}

/* The text of the <section id="id"> … </section>, or NULL. */
static char *section(const char *html, const char *id)
{
    char open[64];
    snprintf(open, sizeof open, "<section id=\"%s\"", id);
    const char *a = strstr(html, open), *b = a ? strstr(a, "</section>") : NULL;
    return b ? strndup(a, (size_t)(b - a)) : NULL;
}

/* Whether the section holds a <path> whose d draws more than a move. */
static bool has_drawn_path(const char *sec)
{
    for (const char *p = strstr(sec, "<path "); p; p = strstr(p + 1, "<path ")) {
        const char *d = strstr(p, " d=\"");
        if (d && strcspn(d + 4, "\"") > 8)
            return true;
    }
    return false;
}

static void test_result_page(const fsim_result *res, const fsim_request *req)
{
    /* a made-up route around the stranding points: the map draws it under them */
    static const double lon[] = {-79.5, -79.3, -79.4}, lat[] = {43.6, 43.7, 43.8};
    const fsim_report_route route = {.id = "ring", .n = 3, .lon = lon, .lat = lat};
    /* and a one-window tariff under the depot's tariff name */
    fsim_tariff tariff = {.name = res->summary.depots[0].tariff, .currency = "EUR",
                          .n_weekday = 1, .n_weekend = 1,
                          .weekday = {{.from_minute = 0, .price = 0.5}},
                          .weekend = {{.from_minute = 0, .price = 0.25}}};
    for (int hr = 0; hr < 24; hr++)
        tariff.co2_g_per_kwh[hr] = 400;
    const fsim_report_context ctx = {.request = req, .routes = &route, .n_routes = 1,
                                     .tariffs = &tariff, .n_tariffs = 1};
    char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    fsim_error err;
    fsim_error_clear(&err);
    CHECK(fsim_report_render(res, &ctx, &a, &la, &err) == FSIM_OK, "the strained run renders");
    CHECK(fsim_report_render(res, &ctx, &b, &lb, &err) == FSIM_OK, "and renders again");
    if (!a || !b)
        goto out;
    CHECK(la == lb && memcmp(a, b, la) == 0, "two renders are byte-identical (%zu bytes)", la);
    CHECK(strlen(a) == la, "the length is the text's");
    static const char *const ids[] = {"verdict", "load", "soc", "chargers", "waits", "trips",
                                      "energy", "map"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char *sec = section(a, ids[i]);
        CHECK(sec != NULL, "section %s is there", ids[i]);
        if (!sec)
            continue;
        if (strcmp(ids[i], "verdict") != 0) {
            CHECK(has_drawn_path(sec), "section %s draws a path", ids[i]);
            CHECK(strstr(sec, "role=\"img\" aria-label=\"") && strstr(sec, "<title>") &&
                      strstr(sec, "<figcaption>Read: "),
                  "section %s's charts have a label, a title and a caption", ids[i]);
        }
        free(sec);
    }
    char want[600];
    snprintf(want, sizeof want, "<p id=\"verdict-text\">%s</p>", res->summary.verdict);
    CHECK(strstr(a, "Not feasible") && strstr(a, "8 of 16 trips missed and 4 stranded"),
          "the verdict says why not");
    CHECK(strstr(a, "strained &lt;depot&gt; &amp; friends") && !strstr(a, "<depot>"),
          "the scenario's name is escaped");
    CHECK(strstr(a, "reserve 10 %") && strstr(a, "target 90 %"),
          "with the scenario, reserve and target are marked");
    CHECK(strstr(a, "class=\"excess\"") && strstr(a, "class=\"strand\""),
          "load above the limit is shaded and stranded vehicles are plotted");
    CHECK(strstr(a, "<title>route ring</title>") && strstr(a, "grey lines are the routes"),
          "the route given is drawn under the stranding points");
    CHECK(strstr(a, "by time-of-use window at north") &&
              strstr(a, ">weekday 00:00-24:00 (0.500)</text>"),
          "with the tariff, energy cost and CO2 are split by its windows");
    CHECK(!strstr(a, "<script") && !strstr(a, "src=") && !strstr(a, "url(") &&
              !strstr(a, "@import") && !strstr(a, "https:"),
          "nothing on the page loads from elsewhere");
    const char *http = a;
    int foreign = 0;
    while ((http = strstr(http, "http:"))) {
        foreign += strncmp(http, "http://www.w3.org/2000/svg", 26) != 0;
        http++;
    }
    CHECK(foreign == 0, "the only http: is the SVG namespace");
out:
    free(a);
    free(b);
}

static void test_without_scenario(const fsim_result *res)
{
    char *html = NULL;
    fsim_error err;
    fsim_error_clear(&err);
    CHECK(fsim_report_render(res, NULL, &html, NULL, &err) == FSIM_OK, "a result alone renders");
    CHECK(html && strstr(html, "reserve and target are not in a result"),
          "without the scenario the page says reserve and target are unknown");
    CHECK(html && strstr(html, "no route geometry, so the points are drawn alone"),
          "without routes the map says the points are drawn alone");
    CHECK(html && strstr(html, "need the tariff's windows, which a result does not carry"),
          "without tariffs the page says why there is no split by window");
    free(html);
    CHECK(fsim_report_render(NULL, NULL, &html, NULL, &err) == FSIM_INVALID && !html,
          "no result: FSIM_INVALID");
}

static void test_comparison(const fsim_result *res)
{
    fsim_strategy_outcome outcomes[2] = {{.strategy = FSIM_STRAT_IMMEDIATE, .summary = res->summary},
                                         {.strategy = FSIM_STRAT_COST, .summary = res->summary}};
    outcomes[1].summary.feasible = true;
    fsim_comparison cmp = {.name = "two <ways>", .results = outcomes, .n_results = 2};
    char *html = NULL;
    size_t len = 0;
    fsim_error err;
    fsim_error_clear(&err);
    CHECK(fsim_report_render_comparison(&cmp, NULL, &html, &len, &err) == FSIM_OK,
          "a comparison renders");
    CHECK(html && strstr(html, "two &lt;ways&gt;") && strstr(html, ">immediate<") &&
              strstr(html, ">cost<") && strstr(html, "not feasible"),
          "the comparison names both strategies and the infeasible one");
    free(html);
}

int main(void)
{
    data_dir = getenv("FSIM_TEST_DATA");
    if (!data_dir)
        data_dir = "tests/data";
    fsim_arena *arena = fsim_arena_new();
    size_t len = 0, req_len = 0;
    char *json = read_data(arena, "strained_result.json", &len);
    char *req_json = read_data(arena, "strained.json", &req_len);
    fsim_result *res = NULL;
    fsim_request *req = NULL;
    fsim_error err;
    fsim_error_clear(&err);
    CHECK(json && fsim_result_decode(json, len, "strained_result.json", 0, arena, &res, &err)
                      == FSIM_OK, "the fixture decodes");
    CHECK(req_json && fsim_request_decode(req_json, req_len, "strained.json", 0, arena, &req,
                                          &err) == FSIM_OK, "its scenario decodes");
    if (res && req) {
        test_result_page(res, req);
        test_without_scenario(res);
        test_comparison(res);
    }
    fsim_arena_free(arena);
    return check_done();
}
