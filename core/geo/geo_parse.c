/* GeoJSON → route path: cJSON reads the text, a walker checks every member and position
 * (each error names the member path), GEOS builds the geometries and judges their validity,
 * and geo_path.c does the arithmetic. See fleetsim/geo.h for what forms the path.
 *
 * GEOS is used only through its reentrant API, with one context handle per call, so that
 * parsing is safe from any thread and touches no global state. */
#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include <cjson/cJSON.h>

#include <fleetsim/lazy.h>
#include <fleetsim/util.h>

#include "geo_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHERE_SIZE 256

#define ELEVATION_MIN_M (-1000.0)
#define ELEVATION_MAX_M 10000.0
#define SPEED_MAX_KPH 200.0

/* The walker's state for one parse. */
typedef struct walk {
    const char *source;
    fsim_error *err;
    GEOSContextHandle_t geos;
    char geos_msg[256]; /* last message from GEOS's error handler */

    fsim__geo_points points; /* the path from lines */
    size_t line_parts;       /* LineString parts seen */
    char start_where[WHERE_SIZE];
    int path_dim; /* 2 or 3 once the first path position is read; 0 before */
    char path_dim_where[WHERE_SIZE];

    fsim__geo_points ring; /* exterior ring of the first non-depot Polygon */
    size_t ring_polys;
    char ring_where[WHERE_SIZE];
    char second_ring_where[WHERE_SIZE];
    char ring_start_where[WHERE_SIZE];

    GEOSGeometry *depot; /* owned; destroyed at the end of the parse */
    char depot_where[WHERE_SIZE];
    int depot_dim;
    char depot_dim_where[WHERE_SIZE];
} walk;

/* ------------------------------------------------------------------------------------------
 * Small helpers */

static void where_fmt(char *dst, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Builds a member path into a WHERE_SIZE buffer (truncating very deep paths). */
static void where_fmt(char *dst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, WHERE_SIZE, fmt, ap);
    va_end(ap);
    if (n < 0)
        dst[0] = '\0';
}

/* "features[2].geometry" + "coordinates" → "features[2].geometry.coordinates". */
static void where_member(char *dst, const char *base, const char *member)
{
    where_fmt(dst, "%s%s%s", base, base[0] ? "." : "", member);
}

static fsim_status fail(walk *w, const char *where, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static fsim_status vfail(walk *w, const char *where, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 0)))
#endif
    ;

/* Records an input error at `where` (a member path; "" for the whole document). */
static fsim_status vfail(walk *w, const char *where, const char *fmt, va_list ap)
{
    char msg[512];
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        msg[0] = '\0';
    return fsim_error_set(w->err, FSIM_INVALID, w->source, 0, 0, where, "%s", msg);
}

static fsim_status fail(walk *w, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fsim_status st = vfail(w, where, fmt, ap);
    va_end(ap);
    return st;
}

static fsim_status fail_nomem(walk *w)
{
    return fsim_error_set(w->err, FSIM_NOMEM, w->source, 0, 0, NULL, "out of memory");
}

/* GEOS returned NULL or 2 (an exception); its handler left the reason in geos_msg. */
static fsim_status fail_geos(walk *w, const char *where)
{
    return fsim_error_set(w->err, FSIM_INTERNAL, w->source, 0, 0, where,
                          "geometry library failed: %s",
                          w->geos_msg[0] ? w->geos_msg : "unknown error");
}

static void geos_on_error(const char *message, void *userdata)
{
    walk *w = userdata;
    snprintf(w->geos_msg, sizeof w->geos_msg, "%s", message ? message : "");
}

static void geos_on_notice(const char *message, void *userdata)
{
    (void)message;
    (void)userdata;
}

/* "a number", "an array", … for messages about the wrong JSON type. */
static const char *json_kind(const cJSON *v)
{
    if (!v)
        return "nothing";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "an invalid value";
}

static const char *get_type(const cJSON *obj)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "type");
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

/* ------------------------------------------------------------------------------------------
 * Positions */

/* The member path of position `i` of the array at `parent` ("…coordinates[5]"), and of its
 * number k ("…coordinates[5][1]", k >= 0). Why a helper instead of a buffer per position:
 * the path is formatted only when an error names it (or a first position is remembered),
 * not for each of the thousands of positions a route file holds. Formatted in two steps, as
 * it always was, so that truncation of very deep paths stays the same. */
static void position_where(char *dst, const char *parent, size_t i, int k)
{
    char pos[WHERE_SIZE];
    where_fmt(k < 0 ? dst : pos, "%s[%zu]", parent, i);
    if (k >= 0)
        where_fmt(dst, "%s[%d]", pos, k);
}

/* An error about position i of `parent` (k < 0) or one of its numbers (k >= 0). */
static fsim_status fail_at(walk *w, const char *parent, size_t i, int k, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static fsim_status fail_at(walk *w, const char *parent, size_t i, int k, const char *fmt, ...)
{
    char at[WHERE_SIZE];
    position_where(at, parent, i, k);
    va_list ap;
    va_start(ap, fmt);
    fsim_status st = vfail(w, at, fmt, ap);
    va_end(ap);
    return st;
}

/* One position, element i of the array at `parent`: an array of 2 or 3 finite numbers, in
 * range; all positions of one role (path or depot) share a dimension. Writes lon, lat,
 * elevation (0 for 2-D) into xyz. */
static fsim_status read_position(walk *w, const cJSON *pos, const char *parent, size_t i,
                                 int *dim, char *dim_where, double xyz[3])
{
    if (!cJSON_IsArray(pos)) {
        if (cJSON_IsNumber(pos))
            return fail_at(w, parent, i, -1,
                           "a position must be an array of 2 or 3 numbers, got a number "
                           "(coordinates nested one level too shallow?)");
        return fail_at(w, parent, i, -1, "a position must be an array of 2 or 3 numbers, got %s",
                       json_kind(pos));
    }
    const cJSON *first = pos->child;
    if (first && cJSON_IsArray(first))
        return fail_at(w, parent, i, -1,
                       "a position must be an array of 2 or 3 numbers, got an array of arrays "
                       "(coordinates nested one level too deep?)");
    int count = cJSON_GetArraySize(pos);
    if (count < 2 || count > 3)
        return fail_at(w, parent, i, -1, "a position must have 2 or 3 numbers, got %d", count);
    int k = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, pos)
    {
        if (!cJSON_IsNumber(v))
            return fail_at(w, parent, i, k, "must be a number, got %s", json_kind(v));
        if (!isfinite(v->valuedouble))
            return fail_at(w, parent, i, k, "must be a finite number");
        xyz[k++] = v->valuedouble;
    }
    if (count == 2)
        xyz[2] = 0.0;
    double lon = xyz[0], lat = xyz[1];
    bool swapped = fabs(lat) > 90.0 && fabs(lat) <= 180.0 && fabs(lon) <= 90.0;
    if (lon < -180.0 || lon > 180.0)
        return fail_at(w, parent, i, 0, "longitude must be between -180 and 180, got %g", lon);
    if (lat < -90.0 || lat > 90.0)
        return fail_at(w, parent, i, 1, "latitude must be between -90 and 90, got %g%s", lat,
                       swapped ? " (longitude and latitude swapped? GeoJSON is [lon, lat])" : "");
    if (count == 3 && (xyz[2] < ELEVATION_MIN_M || xyz[2] > ELEVATION_MAX_M))
        return fail_at(w, parent, i, 2, "elevation must be between %g and %g m, got %g",
                       ELEVATION_MIN_M, ELEVATION_MAX_M, xyz[2]);
    if (*dim == 0) {
        *dim = count;
        position_where(dim_where, parent, i, -1);
    } else if (*dim != count) {
        return fail_at(w, parent, i, -1,
                       "mixes 2-D and 3-D positions: this one has %d numbers, \"%s\" has %d",
                       count, dim_where, *dim);
    }
    return FSIM_OK;
}

/* An array of positions into a malloc'd buffer of n × (lon, lat, elevation). `kind` names
 * the geometry in the "empty" message. */
static fsim_status read_positions(walk *w, const cJSON *arr, const char *where, const char *kind,
                                  int *dim, char *dim_where, double **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (!cJSON_IsArray(arr))
        return fail(w, where, "must be an array of positions, got %s", json_kind(arr));
    int n = cJSON_GetArraySize(arr);
    if (n == 0)
        return fail(w, where, "empty %s", kind);
    double *buf = malloc((size_t)n * 3 * sizeof *buf);
    if (!buf)
        return fail_nomem(w);
    size_t i = 0;
    const cJSON *pos;
    cJSON_ArrayForEach(pos, arr)
    {
        fsim_status st = read_position(w, pos, where, i, dim, dim_where, buf + 3 * i);
        if (st != FSIM_OK) {
            free(buf);
            return st;
        }
        i++;
    }
    *out = buf;
    *n_out = (size_t)n;
    return FSIM_OK;
}

/* Points left after dropping zero-length segments, as the path will count them. */
static size_t distinct_points(const double *xyz, size_t n)
{
    size_t distinct = n ? 1 : 0;
    for (size_t i = 1; i < n; i++)
        if (fsim_geo_haversine_m(xyz[3 * i - 3], xyz[3 * i - 2], xyz[3 * i], xyz[3 * i + 1]) >=
            FSIM__GEO_MIN_SEGMENT_M)
            distinct++;
    return distinct;
}

static fsim_status push_all(walk *w, fsim__geo_points *p, const double *xyz, size_t n,
                            double kph)
{
    for (size_t i = 0; i < n; i++)
        if (!fsim__geo_points_push(p, xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2], kph))
            return fail_nomem(w);
    return FSIM_OK;
}

/* Asks GEOS whether `g` is valid; an invalid geometry is an input error quoting its reason. */
static fsim_status check_valid(walk *w, const GEOSGeometry *g, const char *kind,
                               const char *where)
{
    char valid = GEOSisValid_r(w->geos, g);
    if (valid == 1)
        return FSIM_OK;
    if (valid != 0)
        return fail_geos(w, where);
    char *reason = GEOSisValidReason_r(w->geos, g);
    if (!reason)
        return fail_geos(w, where);
    fsim_status st = fail(w, where, "invalid %s: %s", kind, reason);
    GEOSFree_r(w->geos, reason);
    return st;
}

/* ------------------------------------------------------------------------------------------
 * Geometries */

/* One LineString (or MultiLineString part): checked, built in GEOS, appended to the path. */
static fsim_status line_part(walk *w, const cJSON *coords, const char *where, double kph)
{
    double *xyz = NULL;
    size_t n = 0;
    GEOSGeometry *line = NULL;
    fsim_status st = read_positions(w, coords, where, "LineString", &w->path_dim,
                                    w->path_dim_where, &xyz, &n);
    if (st != FSIM_OK)
        goto out;
    if (n < 2) {
        st = fail(w, where, "a LineString needs at least two positions, got %zu", n);
        goto out;
    }
    if (distinct_points(xyz, n) < 2) {
        st = fail(w, where, "a LineString needs at least two distinct points");
        goto out;
    }
    GEOSCoordSequence *seq = GEOSCoordSeq_copyFromBuffer_r(w->geos, xyz, (unsigned)n, 1, 0);
    if (!seq || !(line = GEOSGeom_createLineString_r(w->geos, seq))) {
        st = fail_geos(w, where);
        goto out;
    }
    st = check_valid(w, line, "LineString", where);
    if (st != FSIM_OK)
        goto out;
    if (w->line_parts++ == 0)
        where_fmt(w->start_where, "%s[0]", where);
    st = push_all(w, &w->points, xyz, n, kph);
out:
    if (line)
        GEOSGeom_destroy_r(w->geos, line);
    free(xyz);
    return st;
}

/* The parts of a MultiLineString, joined in order (see fsim__geo_points_push for joins). */
static fsim_status multi_line(walk *w, const cJSON *coords, const char *where, double kph)
{
    if (!cJSON_IsArray(coords))
        return fail(w, where, "must be an array of LineStrings, got %s", json_kind(coords));
    if (!coords->child)
        return fail(w, where, "empty MultiLineString");
    char at[WHERE_SIZE];
    size_t i = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, coords)
    {
        where_fmt(at, "%s[%zu]", where, i++);
        fsim_status st = line_part(w, part, at, kph);
        if (st != FSIM_OK)
            return st;
    }
    return FSIM_OK;
}

/* A Polygon: rings closed, ≥ 4 positions, valid per GEOS. On success *poly (owned by the
 * caller) is the GEOS polygon and, for a non-depot Polygon, its exterior ring is collected
 * as a path candidate. */
static fsim_status polygon(walk *w, const cJSON *coords, const char *where, bool is_depot,
                           double kph, GEOSGeometry **poly)
{
    *poly = NULL;
    if (!cJSON_IsArray(coords))
        return fail(w, where, "must be an array of linear rings, got %s", json_kind(coords));
    int nrings = cJSON_GetArraySize(coords);
    if (nrings == 0)
        return fail(w, where, "empty Polygon");
    fsim_status st = FSIM_OK;
    GEOSGeometry **rings = calloc((size_t)nrings, sizeof *rings);
    double *shell = NULL;
    size_t shell_n = 0;
    int *dim = is_depot ? &w->depot_dim : &w->path_dim;
    char *dim_where = is_depot ? w->depot_dim_where : w->path_dim_where;
    if (!rings) {
        st = fail_nomem(w);
        goto out;
    }
    char at[WHERE_SIZE];
    int r = 0;
    const cJSON *ring;
    cJSON_ArrayForEach(ring, coords)
    {
        double *xyz = NULL;
        size_t n = 0;
        where_fmt(at, "%s[%d]", where, r);
        st = read_positions(w, ring, at, "Polygon ring", dim, dim_where, &xyz, &n);
        if (st != FSIM_OK)
            goto out;
        if (n < 4) {
            free(xyz);
            st = fail(w, at, "a Polygon ring needs at least 4 positions, got %zu", n);
            goto out;
        }
        if (xyz[0] != xyz[3 * n - 3] || xyz[1] != xyz[3 * n - 2]) {
            free(xyz);
            st = fail(w, at, "a Polygon ring must be closed: its last position must equal "
                             "its first");
            goto out;
        }
        GEOSCoordSequence *seq = GEOSCoordSeq_copyFromBuffer_r(w->geos, xyz, (unsigned)n, 1, 0);
        if (seq)
            rings[r] = GEOSGeom_createLinearRing_r(w->geos, seq);
        if (r == 0) {
            shell = xyz;
            shell_n = n;
        } else {
            free(xyz);
        }
        if (!rings[r]) {
            st = fail_geos(w, at);
            goto out;
        }
        r++;
    }
    /* GEOSGeom_createPolygon_r takes the rings (and frees them on failure too). */
    GEOSGeometry *shell_ring = rings[0];
    rings[0] = NULL;
    *poly = GEOSGeom_createPolygon_r(w->geos, shell_ring, rings + 1, (unsigned)(nrings - 1));
    for (int k = 1; k < nrings; k++)
        rings[k] = NULL;
    if (!*poly) {
        st = fail_geos(w, where);
        goto out;
    }
    st = check_valid(w, *poly, "Polygon", where);
    if (st != FSIM_OK)
        goto out;
    if (!is_depot) {
        if (w->ring_polys++ == 0) {
            snprintf(w->ring_where, WHERE_SIZE, "%s", where);
            where_fmt(w->ring_start_where, "%s[0][0]", where);
            st = push_all(w, &w->ring, shell, shell_n, kph);
        } else if (w->ring_polys == 2) {
            snprintf(w->second_ring_where, WHERE_SIZE, "%s", where);
        }
    }
out:
    if (rings)
        for (int k = 0; k < nrings; k++)
            if (rings[k])
                GEOSGeom_destroy_r(w->geos, rings[k]);
    free(rings);
    free(shell);
    if (st != FSIM_OK && *poly) {
        GEOSGeom_destroy_r(w->geos, *poly);
        *poly = NULL;
    }
    return st;
}

/* Any geometry object at `where` ("" for a bare geometry): dispatches on its type. */
static fsim_status geometry(walk *w, const cJSON *g, const char *where, double kph,
                            bool is_depot)
{
    char at[WHERE_SIZE];
    if (!cJSON_IsObject(g))
        return fail(w, where, "a geometry must be an object, got %s", json_kind(g));
    const char *type = get_type(g);
    if (!type) {
        where_member(at, where, "type");
        return fail(w, at, "missing geometry type");
    }
    bool line = strcmp(type, "LineString") == 0, multi = strcmp(type, "MultiLineString") == 0;
    bool poly = strcmp(type, "Polygon") == 0;
    if (!line && !multi && !poly) {
        where_member(at, where, "type");
        if (!strcmp(type, "Point") || !strcmp(type, "MultiPoint") ||
            !strcmp(type, "MultiPolygon") || !strcmp(type, "GeometryCollection"))
            return fail(w, at, "unsupported geometry type \"%s\"; a route is a LineString, a "
                               "MultiLineString or a Polygon",
                        type);
        return fail(w, at, "unknown geometry type \"%s\"", type);
    }
    if (is_depot && !poly) {
        where_member(at, where, "type");
        return fail(w, at, "a depot area must be a Polygon, got a %s", type);
    }
    const cJSON *coords = cJSON_GetObjectItemCaseSensitive(g, "coordinates");
    where_member(at, where, "coordinates");
    if (!coords)
        return fail(w, at, "missing");
    if (line)
        return line_part(w, coords, at, kph);
    if (multi)
        return multi_line(w, coords, at, kph);
    if (is_depot && w->depot)
        return fail(w, where, "a second depot area; \"%s\" is already one", w->depot_where);
    GEOSGeometry *p = NULL;
    fsim_status st = polygon(w, coords, at, is_depot, kph, &p);
    if (st != FSIM_OK)
        return st;
    if (is_depot) {
        w->depot = p;
        snprintf(w->depot_where, WHERE_SIZE, "%s", where);
    } else {
        GEOSGeom_destroy_r(w->geos, p);
    }
    return FSIM_OK;
}

/* A Feature at `where` ("" when it is the document): properties, then its geometry. */
static fsim_status feature(walk *w, const cJSON *f, const char *where)
{
    char at[WHERE_SIZE];
    if (!cJSON_IsObject(f))
        return fail(w, where, "expected a Feature object, got %s", json_kind(f));
    const char *type = get_type(f);
    if (!type || strcmp(type, "Feature") != 0) {
        where_member(at, where, "type");
        if (!type)
            return fail(w, at, "missing; expected \"Feature\"");
        return fail(w, at, "expected \"Feature\", got \"%s\"", type);
    }
    double kph = NAN;
    bool is_depot = false;
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(f, "properties");
    where_member(at, where, "properties");
    if (props && !cJSON_IsNull(props) && !cJSON_IsObject(props))
        return fail(w, at, "must be an object or null, got %s", json_kind(props));
    if (cJSON_IsObject(props)) {
        char pat[WHERE_SIZE];
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(props, "role");
        if (role) {
            where_member(pat, at, "role");
            if (!cJSON_IsString(role))
                return fail(w, pat, "must be a string, got %s", json_kind(role));
            is_depot = strcmp(role->valuestring, "depot") == 0;
        }
        const cJSON *speed = cJSON_GetObjectItemCaseSensitive(props, "speed_kph");
        if (speed) {
            where_member(pat, at, "speed_kph");
            if (!cJSON_IsNumber(speed))
                return fail(w, pat, "must be a number in (0, %g] km/h, got %s", SPEED_MAX_KPH,
                            json_kind(speed));
            kph = speed->valuedouble;
            if (!(kph > 0.0 && kph <= SPEED_MAX_KPH))
                return fail(w, pat, "must be a number in (0, %g] km/h, got %g", SPEED_MAX_KPH,
                            kph);
        }
    }
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(f, "geometry");
    where_member(at, where, "geometry");
    if (!g)
        return fail(w, at, "missing; a Feature needs a geometry");
    if (cJSON_IsNull(g))
        return fail(w, at, "is null; a route Feature needs a geometry");
    return geometry(w, g, at, kph, is_depot);
}

/* The document: a FeatureCollection (features in order), a Feature, or a bare geometry. */
static fsim_status document(walk *w, const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return fail(w, "", "GeoJSON must be an object, got %s", json_kind(root));
    const char *type = get_type(root);
    if (!type)
        return fail(w, "type", "missing; expected FeatureCollection, Feature or a geometry");
    if (strcmp(type, "Feature") == 0)
        return feature(w, root, "");
    if (strcmp(type, "FeatureCollection") != 0)
        return geometry(w, root, "", NAN, false);
    const cJSON *features = cJSON_GetObjectItemCaseSensitive(root, "features");
    if (!features)
        return fail(w, "features", "missing");
    if (!cJSON_IsArray(features))
        return fail(w, "features", "must be an array, got %s", json_kind(features));
    char at[WHERE_SIZE];
    size_t i = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, features)
    {
        where_fmt(at, "features[%zu]", i++);
        fsim_status st = feature(w, f, at);
        if (st != FSIM_OK)
            return st;
    }
    return FSIM_OK;
}

/* ------------------------------------------------------------------------------------------
 * The parse */

/* 1-based line and column (in bytes) of `offset` in text. */
static void line_column(const char *text, size_t offset, int *line, int *column)
{
    int l = 1;
    size_t start = 0;
    for (size_t i = 0; i < offset; i++)
        if (text[i] == '\n') {
            l++;
            start = i + 1;
        }
    *line = l;
    *column = (int)(offset - start) + 1;
}

/* A JSON syntax error with line:column, quoting the byte where cJSON stopped. */
static fsim_status json_error(walk *w, const char *text, size_t len, size_t offset,
                              const char *what)
{
    int line, column;
    if (offset > len)
        offset = len;
    line_column(text, offset, &line, &column);
    unsigned char c = offset < len ? (unsigned char)text[offset] : 0;
    if (offset >= len)
        return fsim_error_set(w->err, FSIM_INVALID, w->source, line, column, NULL,
                              "invalid JSON: %s at the end of the input", what);
    if (c >= 0x20 && c < 0x7f)
        return fsim_error_set(w->err, FSIM_INVALID, w->source, line, column, NULL,
                              "invalid JSON: %s at '%c'", what, c);
    return fsim_error_set(w->err, FSIM_INVALID, w->source, line, column, NULL,
                          "invalid JSON: %s at byte 0x%02x", what, c);
}

/* Whether the route starts within FSIM_GEO_DEPOT_RADIUS_M of the depot area: the distance
 * to the nearest point of the area (planar in degrees to find the point, haversine for the
 * metres, which is plenty at this scale). */
static fsim_status check_depot(walk *w, fsim_route_path *path, const char *start_where)
{
    fsim_status st = FSIM_OK;
    GEOSGeometry *centroid = NULL, *start = NULL;
    GEOSCoordSequence *nearest = NULL;
    double cx, cy, nx, ny;
    if (!(centroid = GEOSGetCentroid_r(w->geos, w->depot)) ||
        !GEOSGeomGetX_r(w->geos, centroid, &cx) || !GEOSGeomGetY_r(w->geos, centroid, &cy)) {
        st = fail_geos(w, w->depot_where);
        goto out;
    }
    path->has_depot = true;
    path->depot_lon = cx;
    path->depot_lat = cy;
    if (!(start = GEOSGeom_createPointFromXY_r(w->geos, path->lon[0], path->lat[0])) ||
        !(nearest = GEOSNearestPoints_r(w->geos, w->depot, start)) ||
        !GEOSCoordSeq_getXY_r(w->geos, nearest, 0, &nx, &ny)) {
        st = fail_geos(w, start_where);
        goto out;
    }
    double d = fsim_geo_haversine_m(path->lon[0], path->lat[0], nx, ny);
    if (d > FSIM_GEO_DEPOT_RADIUS_M)
        st = fail(w, start_where,
                  "the route starts %.0f m from the depot area \"%s\"; it must start within "
                  "%.0f m",
                  d, w->depot_where, FSIM_GEO_DEPOT_RADIUS_M);
out:
    if (nearest)
        GEOSCoordSeq_destroy_r(w->geos, nearest);
    if (start)
        GEOSGeom_destroy_r(w->geos, start);
    if (centroid)
        GEOSGeom_destroy_r(w->geos, centroid);
    return st;
}

/* JSON syntax first (cJSON), then the walk, then the choice of path (lines, or a lone
 * Polygon's ring), the arithmetic, and finally the depot check on the finished path. */
fsim_status fsim_geo_parse(const char *geojson, size_t len, const char *source, fsim_arena *arena,
                           fsim_route_path *out, fsim_error *err)
{
    walk w = {.source = source, .err = err};
    cJSON *root = NULL;
    fsim_status st;
    if (out)
        memset(out, 0, sizeof *out);
    if (!geojson || !arena || !out) {
        st = fsim_error_set(err, FSIM_INTERNAL, source, 0, 0, NULL,
                            "geojson parse called without its inputs");
        goto out;
    }
    size_t skip = len >= 3 && memcmp(geojson, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* UTF-8 BOM */
    size_t rest = skip;
    while (rest < len && geojson[rest] && strchr(" \t\r\n", geojson[rest]))
        rest++;
    if (rest == len) {
        st = fsim_error_set(err, FSIM_INVALID, source, 0, 0, NULL, "empty GeoJSON document");
        goto out;
    }
    const char *end = NULL;
    root = cJSON_ParseWithLengthOpts(geojson + skip, len - skip, &end, 0);
    size_t offset = end ? (size_t)(end - geojson) : skip;
    if (!root) {
        st = json_error(&w, geojson, len, offset, "syntax error");
        goto out;
    }
    while (offset < len && geojson[offset] && strchr(" \t\r\n", geojson[offset]))
        offset++;
    if (offset < len) {
        st = json_error(&w, geojson, len, offset, "unexpected text after the document");
        goto out;
    }

    if ((st = fsim_lazy_need(FSIM_LAZY_GEOS, "route GeoJSON", err)) != FSIM_OK)
        goto out;
    if (!(w.geos = GEOS_init_r())) {
        st = fsim_error_set(err, FSIM_NOMEM, source, 0, 0, NULL,
                            "could not start the geometry library");
        goto out;
    }
    GEOSContext_setErrorMessageHandler_r(w.geos, geos_on_error, &w);
    GEOSContext_setNoticeMessageHandler_r(w.geos, geos_on_notice, &w);

    st = document(&w, root);
    if (st != FSIM_OK)
        goto out;

    const char *start_where = w.start_where;
    fsim__geo_points *pts = &w.points;
    if (w.line_parts > 0 && w.ring_polys > 0) {
        st = fail(&w, w.ring_where, "a Polygon beside lines is ambiguous; mark a depot area "
                                    "with \"role\": \"depot\" in its properties");
        goto out;
    }
    if (w.ring_polys > 1) {
        st = fail(&w, w.second_ring_where, "only one Polygon can form a route, \"%s\" already "
                                           "does; mark a depot area with \"role\": \"depot\"",
                  w.ring_where);
        goto out;
    }
    if (w.line_parts == 0 && w.ring_polys == 0) {
        st = fail(&w, "", w.depot ? "no route: the GeoJSON holds only a depot area"
                                  : "no route: the GeoJSON holds no LineString, "
                                    "MultiLineString or Polygon");
        goto out;
    }
    if (w.line_parts == 0) {
        pts = &w.ring;
        start_where = w.ring_start_where;
    }
    if (pts->n < 2) {
        st = fail(&w, start_where, "the route needs at least two distinct points, got %zu",
                  pts->n);
        goto out;
    }
    st = fsim__geo_build_path(pts, arena, out, err);
    if (st != FSIM_OK)
        goto out;
    if (w.depot)
        st = check_depot(&w, out, start_where);
out:
    if (st != FSIM_OK && out)
        memset(out, 0, sizeof *out);
    if (w.depot)
        GEOSGeom_destroy_r(w.geos, w.depot);
    if (w.geos)
        GEOS_finish_r(w.geos);
    fsim__geo_points_release(&w.points);
    fsim__geo_points_release(&w.ring);
    cJSON_Delete(root);
    return st;
}
