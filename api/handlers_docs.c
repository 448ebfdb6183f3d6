/* The API documentation in a browser, served whole by this process: GET /docs (Swagger UI,
 * whose "try it out" calls this server), GET /docs/redoc (Redoc) and GET /docs/assets/{name}
 * (their files). Nothing on either page comes from anywhere else — no CDN, no web font —
 * and each page's Content-Security-Policy says so to the browser too.
 *
 * The viewers are the npm packages pinned in api/docs-assets/ (package.json and its lock
 * file), installed at build time by api/docs-assets/install.sh. At start-up (docs on) the
 * files are read once into memory with their gzip'ed copies and an ETag each; the pages
 * name every asset with ?v=<its ETag>, so an asset asked for with its current tag may be
 * cached for a year (immutable), and an upgrade changes the URLs. Where the folder is:
 * FLEETSIM_API_DOCS_ASSETS, else docs-assets/ beside the binary (a build tree), else
 * ../share/fleetsim/docs-assets/ from it (an installed tree, the image). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>

#include <fleetsim/settings.h>
#include <fleetsim/util.h>

#include "api.h"

/* One file under /docs/assets/: read from the folder, or made here (the two start-up
 * scripts: a page with an inline script would need 'unsafe-inline' in its policy). */
typedef struct docs_file {
    const char *name;
    const char *content_type;
    bool from_folder;
    bool gzipped;      /* the folder also holds name.gz */
    const char *made;  /* the text of a file made here */
    char *body;        /* in the docs arena */
    size_t len;
    char *gz;
    size_t gz_len;
    char tag[17];      /* 16 hex digits of the body's SHA-256 */
    char etag[20];     /* the same, quoted */
} docs_file;

static const char swagger_init_js[] =
    "// Swagger UI on this server's /openapi.json: \"try it out\" sends the requests here.\n"
    "window.addEventListener('load', function () {\n"
    "  window.ui = SwaggerUIBundle({\n"
    "    url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true,\n"
    "    validatorUrl: null, displayOperationId: true, docExpansion: 'list',\n"
    "    defaultModelsExpandDepth: 0, persistAuthorization: false,\n"
    "    presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout'\n"
    "  });\n"
    "});\n";

static const char redoc_init_js[] =
    "// Redoc on this server's /openapi.json (its standalone bundle loads no font).\n"
    "Redoc.init('/openapi.json', {expandResponses: '200,201,202', hideHostname: true},\n"
    "           document.getElementById('redoc'));\n";

enum { SWAGGER_JS, SWAGGER_CSS, REDOC_JS, VERSIONS, LICENSES, SWAGGER_INIT, REDOC_INIT, N_FILES };

static const docs_file file_table[N_FILES] = {
    [SWAGGER_JS] = {"swagger-ui-bundle.js", "text/javascript; charset=utf-8", true, true, NULL},
    [SWAGGER_CSS] = {"swagger-ui.css", "text/css; charset=utf-8", true, true, NULL},
    [REDOC_JS] = {"redoc.standalone.js", "text/javascript; charset=utf-8", true, true, NULL},
    [VERSIONS] = {"versions.json", "application/json", true, false, NULL},
    [LICENSES] = {"LICENSES.txt", "text/plain; charset=utf-8", true, false, NULL},
    [SWAGGER_INIT] = {"swagger-init.js", "text/javascript; charset=utf-8", false, false,
                      swagger_init_js},
    [REDOC_INIT] = {"redoc-init.js", "text/javascript; charset=utf-8", false, false,
                    redoc_init_js},
};

struct api_docs {
    fsim_arena *arena;
    const char *folder;     /* where the files were found, or NULL: not installed */
    docs_file files[N_FILES];
    char *swagger_page;     /* GET /docs */
    char *redoc_page;       /* GET /docs/redoc */
};

/* Only this server, and what the viewers themselves need: styled-components (Redoc) and
 * Swagger UI write inline styles, Redoc's search runs in a worker made from a blob. */
static const char page_policy[] =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/* ---- Start-up ------------------------------------------------------------------------ */

/* The folder the binary is in ("" when /proc/self/exe cannot be read). */
static void exe_folder(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    buf[n > 0 ? (size_t)n : 0] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    else
        buf[0] = '\0';
}

/* True when `folder` holds every file the pages need. */
static bool has_assets(const char *folder)
{
    char path[PATH_MAX];
    for (int i = 0; i < N_FILES; i++) {
        if (!file_table[i].from_folder)
            continue;
        int n = snprintf(path, sizeof path, "%s/%s", folder, file_table[i].name);
        if (n < 0 || (size_t)n >= sizeof path || access(path, R_OK) != 0)
            return false; /* a path too long to name is not a folder we can serve */
    }
    return true;
}

static void tag_file(docs_file *f)
{
    char hex[65];
    fsim_sha256_hex(f->body, f->len, hex);
    memcpy(f->tag, hex, 16);
    f->tag[16] = '\0';
    snprintf(f->etag, sizeof f->etag, "\"%s\"", f->tag);
}

/* The value of "key" in versions.json's one flat object ("?" when it is not there). */
static const char *version_of(fsim_arena *arena, const char *json, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\": \"", key);
    const char *p = json ? strstr(json, pattern) : NULL;
    if (!p)
        return "?";
    p += strlen(pattern);
    size_t n = strcspn(p, "\"");
    return n > 0 && n < 32 ? fsim_arena_strndup(arena, p, n) : "?";
}

/* One page: `title`, the viewer's stylesheet (or none), its element and scripts. */
static char *make_page(api_docs *d, const char *title, const char *other_href,
                       const char *other_name, int css, const char *element, int js, int init)
{
    const docs_file *f = d->files;
    char css_link[160] = "";
    if (css >= 0)
        snprintf(css_link, sizeof css_link,
                 "<link rel=\"stylesheet\" href=\"/docs/assets/%s?v=%s\">\n", f[css].name,
                 f[css].tag);
    const char *vj = f[VERSIONS].body;
    size_t size = 4096;
    char *page = fsim_arena_alloc(d->arena, size);
    if (!page)
        return NULL;
    snprintf(page, size,
             "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<title>fleetsim API — %s</title>\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             "<link rel=\"icon\" href=\"data:,\">\n%s"
             "</head>\n<body>\n"
             "<nav class=\"fleetsim-docs-nav\" style=\"font: 14px sans-serif; padding: 6px 12px; "
             "border-bottom: 1px solid #ddd\">fleetsim API: <b>%s</b> · <a href=\"%s\">%s</a> · "
             "<a href=\"/openapi.json\">openapi.json</a> · <a href=\"/docs/assets/LICENSES.txt?v=%s\">"
             "swagger-ui-dist %s, redoc %s</a></nav>\n"
             "%s\n"
             "<script src=\"/docs/assets/%s?v=%s\"></script>\n"
             "<script src=\"/docs/assets/%s?v=%s\"></script>\n"
             "</body>\n</html>\n",
             title, css_link, title, other_href, other_name, f[LICENSES].tag,
             version_of(d->arena, vj, "swagger-ui-dist"), version_of(d->arena, vj, "redoc"),
             element, f[js].name, f[js].tag, f[init].name, f[init].tag);
    return page;
}

api_docs *api_docs_load(const char *setting, fsim_error *err)
{
    api_docs *d = calloc(1, sizeof *d);
    if (!d || !(d->arena = fsim_arena_new())) {
        free(d);
        fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        return NULL;
    }
    memcpy(d->files, file_table, sizeof file_table);
    char exe[PATH_MAX - 64], candidate[PATH_MAX];
    if (setting) {
        if (!has_assets(setting)) {
            fsim_error_set(err, FSIM_USAGE, "FLEETSIM_API_DOCS_ASSETS", 0, 0, NULL,
                           "\"%s\" does not hold the documentation viewers (%s, %s, …): "
                           "install them with api/docs-assets/install.sh",
                           setting, file_table[SWAGGER_JS].name, file_table[REDOC_JS].name);
            goto fail;
        }
        d->folder = fsim_arena_strdup(d->arena, setting);
    } else {
        exe_folder(exe, sizeof exe);
        const char *tries[] = {"/docs-assets", "/../share/fleetsim/docs-assets"};
        for (size_t i = 0; exe[0] && i < sizeof tries / sizeof *tries && !d->folder; i++) {
            snprintf(candidate, sizeof candidate, "%s%s", exe, tries[i]);
            if (has_assets(candidate))
                d->folder = fsim_arena_strdup(d->arena, candidate);
        }
        if (!d->folder)
            return d; /* not installed: /docs says so, /openapi.json still works */
    }
    for (int i = 0; i < N_FILES; i++) {
        docs_file *f = &d->files[i];
        if (!f->from_folder) {
            f->body = (char *)f->made;
            f->len = strlen(f->made);
        } else {
            snprintf(candidate, sizeof candidate, "%s/%s", d->folder, f->name);
            if (fsim_read_file(candidate, d->arena, &f->body, &f->len, err) != FSIM_OK)
                goto fail;
            snprintf(candidate, sizeof candidate, "%s/%s.gz", d->folder, f->name);
            if (f->gzipped && access(candidate, R_OK) == 0 &&
                fsim_read_file(candidate, d->arena, &f->gz, &f->gz_len, err) != FSIM_OK)
                goto fail;
        }
        tag_file(f);
    }
    d->swagger_page = make_page(d, "Swagger UI", "/docs/redoc", "Redoc", SWAGGER_CSS,
                                "<div id=\"swagger-ui\"></div>", SWAGGER_JS, SWAGGER_INIT);
    d->redoc_page = make_page(d, "Redoc", "/docs", "Swagger UI (try it out)", -1,
                              "<div id=\"redoc\"></div>", REDOC_JS, REDOC_INIT);
    if (!d->swagger_page || !d->redoc_page) {
        fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto fail;
    }
    return d;
fail:
    api_docs_free(d);
    return NULL;
}

const char *api_docs_folder(const api_docs *docs)
{
    return docs ? docs->folder : NULL;
}

void api_docs_free(api_docs *docs)
{
    if (!docs)
        return;
    fsim_arena_free(docs->arena);
    free(docs);
}

/* ---- Handlers (HTTP thread: everything is in memory) --------------------------------- */

/* 404 when the docs are off, 503 when they are on but the viewers are not installed. */
static bool docs_unavailable(api_request *req)
{
    if (!req->server->openapi_json)
        return api_error(req, 404, "not_found", NULL,
                         "the API documentation is off (set FLEETSIM_API_DOCS=1)");
    if (!req->server->docs || !req->server->docs->folder)
        return api_error(req, 503, "docs_not_installed", NULL,
                         "the documentation viewers are not installed: build with npm "
                         "(meson -Ddocs_assets=enabled) or set FLEETSIM_API_DOCS_ASSETS; "
                         "/openapi.json is served");
    return false;
}

static bool respond_page(api_request *req, const char *page)
{
    api_add_header(req, "Content-Security-Policy", page_policy);
    api_add_header(req, "X-Content-Type-Options", "nosniff");
    api_add_header(req, "Referrer-Policy", "no-referrer");
    return api_respond_copy(req, 200, "text/html; charset=utf-8", page);
}

bool api_handle_docs(api_request *req)
{
    if (docs_unavailable(req))
        return true;
    return respond_page(req, req->server->docs->swagger_page);
}

bool api_handle_docs_redoc(api_request *req)
{
    if (docs_unavailable(req))
        return true;
    return respond_page(req, req->server->docs->redoc_page);
}

/* An If-None-Match list holds `etag` (or is "*"). */
static bool etag_matches(const char *if_none_match, const char *etag)
{
    if (!if_none_match)
        return false;
    if (strcmp(if_none_match, "*") == 0)
        return true;
    const char *p = strstr(if_none_match, etag);
    return p != NULL;
}

bool api_handle_docs_asset(api_request *req)
{
    if (docs_unavailable(req))
        return true;
    api_docs *d = req->server->docs;
    const char *name = req->params[0];
    const docs_file *f = NULL;
    for (int i = 0; i < N_FILES && !f; i++)
        if (strcmp(d->files[i].name, name) == 0)
            f = &d->files[i];
    if (!f)
        return api_error(req, 404, "not_found", NULL, "no documentation asset \"%s\"", name);
    /* the URL the pages use (?v=<tag>) names these bytes for good; any other, a while */
    const char *v = api_query(req, "v");
    api_add_header(req, "Cache-Control", v && strcmp(v, f->tag) == 0
                                             ? "public, max-age=31536000, immutable"
                                             : "public, max-age=300");
    api_add_header(req, "ETag", f->etag);
    api_add_header(req, "X-Content-Type-Options", "nosniff");
    if (f->gz)
        api_add_header(req, "Vary", "Accept-Encoding");
    struct MHD_Response *resp;
    if (etag_matches(api_header(req, "If-None-Match"), f->etag)) {
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        return resp ? api_respond_response(req, 304, NULL, resp, 0) : false;
    }
    bool gz = f->gz && api_accepts_gzip(api_header(req, "Accept-Encoding"));
    if (gz)
        api_add_header(req, "Content-Encoding", "gzip");
    size_t len = gz ? f->gz_len : f->len;
    /* the bytes live until the process ends (released after the daemon has stopped) */
    resp = MHD_create_response_from_buffer(len, gz ? f->gz : f->body, MHD_RESPMEM_PERSISTENT);
    return resp ? api_respond_response(req, 200, f->content_type, resp, len) : false;
}
