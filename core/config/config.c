/* core/config: loads vehicles.yaml, chargers.yaml and routes.yaml, deep-merges the JSON
 * overrides over them and validates the merged tree into the typed structs of config.h.
 *
 * Validation runs on the merged tree, not on each file, so an override that completes or
 * breaks an entry is judged as a whole, and every error points at the text (file or
 * override label, line, column) that supplied the winning value. */
#include <fleetsim/config.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>


#include <fleetsim/util.h>
#include <fleetsim/wire.h>

#include "cfgnode.h"

/* ---- sections ----------------------------------------------------------------------- */

enum { SEC_VEHICLES, SEC_CHARGERS, SEC_ROUTES, SEC_TARIFFS, SEC_COUNT };
static const char *const section_names[SEC_COUNT] = {"vehicles", "chargers", "routes",
                                                     "tariffs"};

/* The public struct plus what only this file needs; `pub` first so the pointers convert. */
typedef struct config_impl {
    fsim_config pub;
    const char *section_json[SEC_COUNT];
} config_impl;

typedef struct vctx {
    fsim_arena *arena;
    const char *dir;
    fsim_error *err;
} vctx;

/* ---- error helpers ------------------------------------------------------------------ */

static fsim_status vfail_at(fsim_error *err, const char *source, int line, int column,
                            const char *path, const char *fmt, va_list ap)
{
    char msg[sizeof err->message];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return fsim_error_set(err, FSIM_INVALID, source, line, column, path, "%s", msg);
}

/* An error at a value: its own position. */
static fsim_status fail(const vctx *v, const fsim__cfg_node *n, const char *path,
                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static fsim_status fail(const vctx *v, const fsim__cfg_node *n, const char *path,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fsim_status st = vfail_at(v->err, n->source, n->line, n->column, path, fmt, ap);
    va_end(ap);
    return st;
}

/* An error at a key: where the key is written. */
static fsim_status fail_key(const vctx *v, const fsim__cfg_entry *e, const char *path,
                            const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static fsim_status fail_key(const vctx *v, const fsim__cfg_entry *e, const char *path,
                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fsim_status st = vfail_at(v->err, e->value->source, e->key_line, e->key_column, path, fmt, ap);
    va_end(ap);
    return st;
}

static fsim_status nomem(const vctx *v)
{
    return fsim_error_set(v->err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
}

/* ---- scalar readers ----------------------------------------------------------------- */

typedef enum range { R_POS, R_NONNEG, R_EFF, R_UNIT, R_ANY, R_COP } range;

static fsim_status read_number(const vctx *v, const fsim__cfg_node *n, const char *path,
                               double *out)
{
    if (n->kind != FSIM__CFG_NUMBER)
        return fail(v, n, path, "must be a number (found %s)", fsim__cfg_kind_name(n->kind));
    if (!isfinite(n->number))
        return fail(v, n, path, "must be a finite number");
    *out = n->number;
    return FSIM_OK;
}

static fsim_status check_range(const vctx *v, const fsim__cfg_node *n, const char *path,
                               double x, range r)
{
    switch (r) {
    case R_POS:
        if (!(x > 0))
            return fail(v, n, path, "must be > 0");
        break;
    case R_NONNEG:
        if (!(x >= 0))
            return fail(v, n, path, "must be >= 0");
        break;
    case R_EFF:
        if (!(x > 0 && x <= 1))
            return fail(v, n, path, "must be > 0 and <= 1");
        break;
    case R_UNIT:
        if (!(x >= 0 && x <= 1))
            return fail(v, n, path, "must be between 0 and 1");
        break;
    case R_ANY:
        break;
    case R_COP:
        if (!(x >= 1))
            return fail(v, n, path, "must be >= 1 (1 is a resistive heater)");
        break;
    }
    return FSIM_OK;
}

static fsim_status read_string(const vctx *v, const fsim__cfg_node *n, const char *path,
                               const char **out)
{
    if (n->kind != FSIM__CFG_STRING || !n->text[0])
        return fail(v, n, path, "must be a non-empty string");
    *out = n->text;
    return FSIM_OK;
}

/* ---- per-key field tables ----------------------------------------------------------- */

typedef struct field field;
typedef fsim_status (*field_fn)(const vctx *v, const field *f, const fsim__cfg_node *n,
                                const char *path, void *base);
struct field {
    const char *key;
    field_fn read;
    size_t offset; /* where the value goes inside the entry struct */
    range range;
    bool optional; /* absent: a number field takes `dflt`, any other keeps its zero */
    double dflt;
};

static fsim_status field_number(const vctx *v, const field *f, const fsim__cfg_node *n,
                                const char *path, void *base)
{
    double x = 0;
    fsim_status st = read_number(v, n, path, &x);
    if (st == FSIM_OK)
        st = check_range(v, n, path, x, f->range);
    if (st == FSIM_OK)
        *(double *)((char *)base + f->offset) = x;
    return st;
}

static fsim_status field_comfort_band(const vctx *v, const field *f, const fsim__cfg_node *n,
                                      const char *path, void *base)
{
    fsim_vehicle_params *p = &((fsim_vehicle_type *)base)->params;
    double band[2];
    if (n->kind != FSIM__CFG_SEQ || n->len != 2)
        return fail(v, n, path, "must be a list of two numbers [low, high] in degrees C");
    for (size_t i = 0; i < 2; i++) {
        char ipath[300];
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        fsim_status st = read_number(v, n->items[i], ipath, &band[i]);
        if (st != FSIM_OK)
            return st;
    }
    if (band[0] > band[1])
        return fail(v, n->items[0], path, "low (%g) must be <= high (%g)", band[0], band[1]);
    p->comfort_low_c = band[0];
    p->comfort_high_c = band[1];
    return FSIM_OK;
}

/* What one kind of curve is called in its messages and what its y must be. */
struct curve_spec {
    const char *pair;  /* "[soc, kW]" */
    const char *x;     /* "soc" */
    const char *at0;   /* "an empty battery" */
    const char *at1;   /* "a full battery" */
    size_t max;
    bool (*ok_y)(double);
    const char *y_rule; /* "must be >= 0" */
};

/* A list of 2..max [x, y] pairs with x strictly ascending from exactly 0 to exactly 1 and
 * y passing the spec's check: the shape the charge curve and the motor efficiency curve
 * share, so interpolation is defined over the whole range. */
static fsim_status read_curve(const vctx *v, const fsim__cfg_node *n, const char *path,
                              const struct curve_spec *c, double *xs, double *ys, size_t *len)
{
    const char *pair = c->pair;
    size_t max = c->max;
    if (n->kind != FSIM__CFG_SEQ)
        return fail(v, n, path, "must be a list of %s points", pair);
    if (n->len < 2 || n->len > max)
        return fail(v, n, path, "must have 2 to %zu points (has %zu)", max, n->len);
    for (size_t i = 0; i < n->len; i++) {
        const fsim__cfg_node *pt = n->items[i];
        char ppath[300], xpath[310], ypath[310];
        double x = 0, y = 0;
        snprintf(ppath, sizeof ppath, "%s[%zu]", path, i);
        snprintf(xpath, sizeof xpath, "%s[0]", ppath);
        snprintf(ypath, sizeof ypath, "%s[1]", ppath);
        if (pt->kind != FSIM__CFG_SEQ || pt->len != 2)
            return fail(v, pt, ppath, "must be a %s pair", pair);
        fsim_status st = read_number(v, pt->items[0], xpath, &x);
        if (st == FSIM_OK)
            st = read_number(v, pt->items[1], ypath, &y);
        if (st != FSIM_OK)
            return st;
        if (i == 0 && x != 0)
            return fail(v, pt->items[0], xpath, "must be 0 (the curve starts at %s)", c->at0);
        if (i > 0 && !(x > xs[i - 1]))
            return fail(v, pt->items[0], xpath, "must be greater than the previous point's %s",
                        c->x);
        if (i == n->len - 1 && x != 1)
            return fail(v, pt->items[0], xpath, "must be 1 (the curve ends at %s)", c->at1);
        if (!c->ok_y(y))
            return fail(v, pt->items[1], ypath, "%s", c->y_rule);
        xs[i] = x;
        ys[i] = y;
    }
    *len = n->len;
    return FSIM_OK;
}

static bool nonneg(double x) { return x >= 0; }
static bool efficiency(double x) { return x > 0 && x <= 1; }

/* [[soc, kW], ...]: from an empty battery (0) to a full one (1), kW >= 0. */
static fsim_status field_charge_curve(const vctx *v, const field *f, const fsim__cfg_node *n,
                                      const char *path, void *base)
{
    fsim_vehicle_params *p = &((fsim_vehicle_type *)base)->params;
    static const struct curve_spec spec = {"[soc, kW]", "soc", "an empty battery",
                                           "a full battery", FSIM_CHARGE_CURVE_MAX, nonneg,
                                           "must be >= 0"};
    return read_curve(v, n, path, &spec, p->charge_curve_soc, p->charge_curve_kw,
                      &p->charge_curve_len);
}

/* [[fraction of motorKw, efficiency], ...]: from no load (0) to rated power (1). */
static fsim_status field_motor_curve(const vctx *v, const field *f, const fsim__cfg_node *n,
                                     const char *path, void *base)
{
    fsim_vehicle_params *p = &((fsim_vehicle_type *)base)->params;
    static const struct curve_spec spec = {"[fraction, efficiency]", "fraction", "no load",
                                           "rated power", FSIM_MOTOR_CURVE_MAX, efficiency,
                                           "must be > 0 and <= 1"};
    return read_curve(v, n, path, &spec, p->motor_curve_frac, p->motor_curve_eff,
                      &p->motor_curve_len);
}

static fsim_status field_current(const vctx *v, const field *f, const fsim__cfg_node *n,
                                 const char *path, void *base)
{
    fsim_charger_type *c = base;
    if (n->kind == FSIM__CFG_STRING && strcmp(n->text, "ac") == 0)
        c->current = FSIM_CURRENT_AC;
    else if (n->kind == FSIM__CFG_STRING && strcmp(n->text, "dc") == 0)
        c->current = FSIM_CURRENT_DC;
    else
        return fail(v, n, path, "must be \"ac\" or \"dc\"");
    return FSIM_OK;
}

/* Relative to the config dir; the file must exist now, so a typo fails at load and not
 * half-way through a run. */
static fsim_status field_geojson(const vctx *v, const field *f, const fsim__cfg_node *n,
                                 const char *path, void *base)
{
    fsim_route_def *r = base;
    const char *rel = NULL;
    struct stat sb;
    fsim_status st = read_string(v, n, path, &rel);
    if (st != FSIM_OK)
        return st;
    const char *full = rel[0] == '/' ? fsim_arena_strdup(v->arena, rel)
                                     : fsim_arena_sprintf(v->arena, "%s/%s", v->dir, rel);
    if (!full)
        return nomem(v);
    r->geojson_path = full;
    if (r->n_waypoints && stat(full, &sb) != 0) {
        r->geojson_missing = true; /* `fleetsim routes fetch` writes it */
        return FSIM_OK;
    }
    if (stat(full, &sb) != 0)
        return fail(v, n, path, "could not find \"%s\": %s", full, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return fail(v, n, path, "\"%s\" is not a file", full);
    r->geojson_path = full;
    return FSIM_OK;
}

/* [[lon, lat], …]: at least two, in WGS84 degrees (GeoJSON's order). */
static fsim_status field_waypoints(const vctx *v, const field *f, const fsim__cfg_node *n,
                                   const char *path, void *base)
{
    fsim_route_def *r = base;
    char ipath[340];
    if (n->kind != FSIM__CFG_SEQ || n->len < 2 || n->len > 1000)
        return fail(v, n, path, "must be a list of 2 to 1000 [lon, lat] points");
    r->waypoints = fsim_arena_calloc(v->arena, n->len, sizeof *r->waypoints);
    if (!r->waypoints)
        return nomem(v);
    for (size_t i = 0; i < n->len; i++) {
        const fsim__cfg_node *pt = n->items[i];
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        if (pt->kind != FSIM__CFG_SEQ || pt->len != 2 ||
            pt->items[0]->kind != FSIM__CFG_NUMBER || pt->items[1]->kind != FSIM__CFG_NUMBER)
            return fail(v, pt, ipath, "must be [lon, lat]");
        double lon = pt->items[0]->number, lat = pt->items[1]->number;
        if (!(lon >= -180 && lon <= 180) || !(lat >= -90 && lat <= 90))
            return fail(v, pt, ipath, "must be [lon, lat] in degrees (lon -180..180, "
                                      "lat -90..90)");
        r->waypoints[i][0] = lon;
        r->waypoints[i][1] = lat;
    }
    r->n_waypoints = n->len;
    return FSIM_OK;
}

static fsim_status field_depot(const vctx *v, const field *f, const fsim__cfg_node *n,
                               const char *path, void *base)
{
    return read_string(v, n, path, &((fsim_route_def *)base)->depot);
}

#define VNUM(k, member, r)                                                                 \
    {.key = k, .read = field_number, .offset = offsetof(fsim_vehicle_type, params.member),     \
     .range = r}
#define VOPT(k, member, r, d)                                                              \
    {.key = k, .read = field_number, .offset = offsetof(fsim_vehicle_type, params.member),     \
     .range = r, .optional = true, .dflt = d}
static const field vehicle_fields[] = {
    VNUM("batteryKwh", battery_kwh, R_POS),
    VNUM("massKg", mass_kg, R_POS),
    VNUM("payloadKg", payload_kg, R_NONNEG),
    VNUM("dragCoefficient", drag_coefficient, R_POS),
    VNUM("frontalAreaM2", frontal_area_m2, R_POS),
    VNUM("rollingResistance", rolling_resistance, R_NONNEG),
    VNUM("rotationalInertiaFactor", rotational_inertia_factor, R_NONNEG),
    VNUM("drivetrainEfficiency", drivetrain_efficiency, R_EFF),
    VNUM("regenEfficiency", regen_efficiency, R_EFF),
    VNUM("maxRegenKw", max_regen_kw, R_NONNEG),
    VNUM("auxKw", aux_kw, R_NONNEG),
    VNUM("hvacKwPerDegC", hvac_kw_per_degc, R_NONNEG),
    {.key = "comfortBandC", .read = field_comfort_band, .offset = 0, .range = R_POS},
    VNUM("maxAcKw", max_ac_kw, R_NONNEG),
    VNUM("maxDcKw", max_dc_kw, R_NONNEG),
    {.key = "chargeCurve", .read = field_charge_curve, .offset = 0, .range = R_POS},
    VNUM("reserveSoc", reserve_soc, R_UNIT),
    /* the optional operating-point powertrain (fleetsim/model.h, docs/energy-model.md) */
    VOPT("motorKw", motor_kw, R_NONNEG, 0),
    {.key = "motorEfficiency", .read = field_motor_curve, .range = R_POS, .optional = true},
    VOPT("gearboxEfficiency", gearbox_efficiency, R_EFF, FSIM_DEFAULT_GEARBOX_EFFICIENCY),
    VOPT("packVoltage", pack_voltage, R_POS, FSIM_DEFAULT_PACK_VOLTAGE),
    VOPT("internalResistanceOhm", internal_resistance_ohm, R_NONNEG,
         FSIM_DEFAULT_INTERNAL_RESISTANCE),
    VOPT("regenFadeKph", regen_fade_kph, R_NONNEG, FSIM_DEFAULT_REGEN_FADE_KPH),
    VOPT("parasiticKw", parasitic_kw, R_NONNEG, FSIM_DEFAULT_PARASITIC_KW),
    /* the optional cabin HVAC model */
    VOPT("cabinUaKwPerDegC", cabin_ua_kw_per_degc, R_NONNEG, 0),
    VOPT("cabinSetPointC", cabin_set_point_c, R_ANY, FSIM_DEFAULT_CABIN_SET_POINT_C),
    VOPT("heatPumpCop", heat_pump_cop, R_COP, FSIM_DEFAULT_HEAT_PUMP_COP),
    VOPT("acCop", ac_cop, R_POS, FSIM_DEFAULT_AC_COP),
    VOPT("batteryHeatKwPerDegC", battery_heat_kw_per_degc, R_NONNEG, 0),
};
#undef VNUM
#undef VOPT

#define COPT(k, member, r, d)                                                              \
    {.key = k, .read = field_number, .offset = offsetof(fsim_charger_type, member),           \
     .range = r, .optional = true, .dflt = d}
static const field charger_fields[] = {
    {.key = "powerKw", .read = field_number, .offset = offsetof(fsim_charger_type, power_kw),
     .range = R_POS},
    {.key = "current", .read = field_current, .offset = 0, .range = R_POS},
    {.key = "efficiency", .read = field_number,
     .offset = offsetof(fsim_charger_type, efficiency), .range = R_EFF},
    /* the optional costs of one charger (fleetsim plan, docs/plan.md) */
    COPT("capexPerUnit", capex_per_unit, R_NONNEG, 0),
    COPT("installPerUnit", install_per_unit, R_NONNEG, 0),
    COPT("lifetimeYears", lifetime_years, R_POS, FSIM_DEFAULT_CHARGER_LIFETIME_YEARS),
    COPT("maintenancePerYear", maintenance_per_year, R_NONNEG, 0),
};
#undef COPT

#define RNUM(k, member, r)                                                                 \
    {.key = k, .read = field_number, .offset = offsetof(fsim_route_def, params.member), .range = r}
static const field route_fields[] = {
    /* waypoints first: with them, a geojson file may be one `routes fetch` has yet to write */
    {.key = "waypoints", .read = field_waypoints, .offset = 0, .range = R_POS, .optional = true},
    {.key = "geojson", .read = field_geojson, .offset = 0, .range = R_POS, .optional = true},
    RNUM("speedKph", speed_kph, R_POS),
    RNUM("stopsPerKm", stops_per_km, R_NONNEG),
    RNUM("dwellSeconds", dwell_seconds, R_NONNEG),
    RNUM("accelMps2", accel_mps2, R_POS),
    RNUM("brakeMps2", brake_mps2, R_POS),
    {.key = "depot", .read = field_depot, .offset = 0, .range = R_POS},
};
#undef RNUM

/* ---- tariffs ------------------------------------------------------------------------ */

static fsim_status field_currency(const vctx *v, const field *f, const fsim__cfg_node *n,
                                  const char *path, void *base)
{
    const char *c = NULL;
    fsim_status st = read_string(v, n, path, &c);
    if (st != FSIM_OK)
        return st;
    if (strlen(c) != 3 || strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
        return fail(v, n, path, "must be a three-letter ISO 4217 code such as \"USD\"");
    ((fsim_tariff *)base)->currency = c;
    return FSIM_OK;
}

/* [{from: "HH:MM", price: P}, ...]: the first from 00:00, each later one later, so every
 * minute of the day has exactly one price. */
static fsim_status read_windows(const vctx *v, const fsim__cfg_node *n, const char *path,
                                fsim_tariff_window *w, size_t *count)
{
    if (n->kind != FSIM__CFG_SEQ || n->len == 0)
        return fail(v, n, path, "must be a list of {from: \"HH:MM\", price: number} windows");
    if (n->len > FSIM_TARIFF_WINDOWS_MAX)
        return fail(v, n, path, "must have at most %d windows (has %zu)",
                    FSIM_TARIFF_WINDOWS_MAX, n->len);
    for (size_t i = 0; i < n->len; i++) {
        const fsim__cfg_node *item = n->items[i];
        char ipath[300], kpath[320];
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
        if (item->kind != FSIM__CFG_MAP)
            return fail(v, item, ipath, "must be a mapping {from, price}");
        for (size_t k = 0; k < item->len; k++)
            if (strcmp(item->entries[k].key, "from") && strcmp(item->entries[k].key, "price")) {
                snprintf(kpath, sizeof kpath, "%s.%s", ipath, item->entries[k].key);
                return fail_key(v, &item->entries[k], kpath, "unknown key (expected from, price)");
            }
        const fsim__cfg_entry *from = fsim__cfg_map_find(item, "from");
        const fsim__cfg_entry *price = fsim__cfg_map_find(item, "price");
        if (!from || !price)
            return fail(v, item, ipath, "needs both \"from\" and \"price\"");
        snprintf(kpath, sizeof kpath, "%s.from", ipath);
        int m = from->value->kind == FSIM__CFG_STRING ? fsim_wire_hhmm_minutes(from->value->text) : -1;
        if (m < 0)
            return fail(v, from->value, kpath, "must be a time \"HH:MM\" (00:00..23:59)");
        if (i == 0 && m != 0)
            return fail(v, from->value, kpath, "must be \"00:00\" (the first window starts the day)");
        if (i > 0 && m <= w[i - 1].from_minute)
            return fail(v, from->value, kpath, "must be later than the previous window's");
        snprintf(kpath, sizeof kpath, "%s.price", ipath);
        double p = 0;
        fsim_status st = read_number(v, price->value, kpath, &p);
        if (st == FSIM_OK)
            st = check_range(v, price->value, kpath, p, R_NONNEG);
        if (st != FSIM_OK)
            return st;
        w[i] = (fsim_tariff_window){m, p};
    }
    *count = n->len;
    return FSIM_OK;
}

static fsim_status field_weekday(const vctx *v, const field *f, const fsim__cfg_node *n,
                                 const char *path, void *base)
{
    fsim_tariff *t = base;
    return read_windows(v, n, path, t->weekday, &t->n_weekday);
}

static fsim_status field_weekend(const vctx *v, const field *f, const fsim__cfg_node *n,
                                 const char *path, void *base)
{
    fsim_tariff *t = base;
    return read_windows(v, n, path, t->weekend, &t->n_weekend);
}

/* One number for every hour, or 24 numbers from 00:00 local time. */
static fsim_status field_co2(const vctx *v, const field *f, const fsim__cfg_node *n,
                             const char *path, void *base)
{
    fsim_tariff *t = base;
    if (n->kind == FSIM__CFG_NUMBER) {
        double g = 0;
        fsim_status st = read_number(v, n, path, &g);
        if (st == FSIM_OK)
            st = check_range(v, n, path, g, R_NONNEG);
        for (int h = 0; h < 24 && st == FSIM_OK; h++)
            t->co2_g_per_kwh[h] = g;
        return st;
    }
    if (n->kind != FSIM__CFG_SEQ || n->len != 24)
        return fail(v, n, path, "must be one number or a list of 24 (g/kWh by local hour)");
    for (size_t h = 0; h < 24; h++) {
        char ipath[300];
        snprintf(ipath, sizeof ipath, "%s[%zu]", path, h);
        fsim_status st = read_number(v, n->items[h], ipath, &t->co2_g_per_kwh[h]);
        if (st == FSIM_OK)
            st = check_range(v, n->items[h], ipath, t->co2_g_per_kwh[h], R_NONNEG);
        if (st != FSIM_OK)
            return st;
    }
    return FSIM_OK;
}

static const field tariff_fields[] = {
    {.key = "currency", .read = field_currency, .range = R_POS},
    {.key = "weekday", .read = field_weekday, .range = R_POS},
    {.key = "weekend", .read = field_weekend, .range = R_POS},
    {.key = "demandChargePerKw", .read = field_number,
     .offset = offsetof(fsim_tariff, demand_charge_per_kw), .range = R_NONNEG},
    {.key = "fixedChargePerMonth", .read = field_number,
     .offset = offsetof(fsim_tariff, fixed_charge_per_month), .range = R_NONNEG},
    {.key = "co2GramsPerKwh", .read = field_co2, .range = R_POS},
};

/* ---- entries and sections ----------------------------------------------------------- */

/* Names end up in key paths, CSV columns and URLs: keep them to one plain token. */
static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && (i == 0 || !strchr("-_.", ch)))
            return false;
    }
    return true;
}

/* Unknown keys first (a typo explains the "missing" key it causes), then every field. */
static fsim_status validate_entry(const vctx *v, const field *fields, size_t n_fields,
                                  const fsim__cfg_entry *entry, const char *path, void *base)
{
    const fsim__cfg_node *map = entry->value;
    char kpath[400]; /* path (< 300) + "." + key */
    if (map->kind != FSIM__CFG_MAP)
        return fail(v, map, path, "must be a mapping (found %s)", fsim__cfg_kind_name(map->kind));
    for (size_t i = 0; i < map->len; i++) {
        const fsim__cfg_entry *e = &map->entries[i];
        const char *near = NULL;
        bool known = false;
        for (size_t k = 0; k < n_fields && !known; k++) {
            known = strcmp(e->key, fields[k].key) == 0;
            if (strcasecmp(e->key, fields[k].key) == 0)
                near = fields[k].key;
        }
        if (known)
            continue;
        snprintf(kpath, sizeof kpath, "%s.%s", path, e->key);
        if (near)
            return fail_key(v, e, kpath, "unknown key (did you mean \"%s\"?)", near);
        return fail_key(v, e, kpath, "unknown key");
    }
    for (size_t k = 0; k < n_fields; k++) {
        const fsim__cfg_entry *e = fsim__cfg_map_find(map, fields[k].key);
        snprintf(kpath, sizeof kpath, "%s.%s", path, fields[k].key);
        if (!e && fields[k].optional && fields[k].read == field_number)
            *(double *)((char *)base + fields[k].offset) = fields[k].dflt;
        if (!e && fields[k].optional)
            continue;
        if (!e)
            return fail_key(v, entry, kpath, "missing required key");
        fsim_status st = fields[k].read(v, &fields[k], e->value, kpath, base);
        if (st != FSIM_OK)
            return st;
    }
    return FSIM_OK;
}

static int entry_ptr_cmp(const void *a, const void *b)
{
    const fsim__cfg_entry *const *x = a, *const *y = b;
    return strcmp((*x)->key, (*y)->key);
}

/* Validates one section into an array of `elem`-sized structs whose first member is the
 * name, in name order (so iteration never depends on how the YAML was ordered). */
static fsim_status validate_section(const vctx *v, const fsim__cfg_entry *sec, const field *fields,
                                    size_t n_fields, size_t elem, void **out, size_t *count)
{
    const fsim__cfg_node *map = sec->value;
    const fsim__cfg_entry **sorted = NULL;
    fsim_status st = FSIM_OK;
    if (map->kind != FSIM__CFG_MAP)
        return fail(v, map, sec->key, "must be a mapping (found %s)",
                    fsim__cfg_kind_name(map->kind));
    char *items = fsim_arena_calloc(v->arena, map->len ? map->len : 1, elem);
    sorted = malloc((map->len ? map->len : 1) * sizeof *sorted);
    if (!items || !sorted) {
        st = nomem(v);
        goto out;
    }
    for (size_t i = 0; i < map->len; i++)
        sorted[i] = &map->entries[i];
    qsort(sorted, map->len, sizeof *sorted, entry_ptr_cmp);
    for (size_t i = 0; i < map->len; i++) {
        const fsim__cfg_entry *e = sorted[i];
        char path[300];
        snprintf(path, sizeof path, "%s.%s", sec->key, e->key);
        if (!valid_name(e->key)) {
            st = fail_key(v, e, path,
                          "invalid name (use letters, digits, '-', '_' or '.', at most 64)");
            goto out;
        }
        void *base = items + i * elem;
        *(const char **)base = e->key; /* name / id is the first member */
        st = validate_entry(v, fields, n_fields, e, path, base);
        if (st != FSIM_OK)
            goto out;
    }
    *out = items;
    *count = map->len;
out:
    free(sorted);
    return st;
}

/* ---- loading ------------------------------------------------------------------------ */

/* Reads `dir/<section>.yaml`; its root must be a mapping holding exactly the section key,
 * which is then hung under `root`. */
static fsim_status load_yaml_section(const vctx *v, int section, fsim__cfg_node *root)
{
    const char *name = section_names[section];
    char *text = NULL;
    size_t len = 0;
    fsim__cfg_node *doc = NULL;
    const char *file = fsim_arena_sprintf(v->arena, "%s/%s.yaml", v->dir, name);
    if (!file)
        return nomem(v);
    fsim_status st = fsim_read_file(file, v->arena, &text, &len, v->err);
    if (st == FSIM_NOT_FOUND && section == SEC_TARIFFS) {
        /* optional: a config without prices prices nothing */
        fsim_error_clear(v->err);
        fsim__cfg_node *empty = fsim__cfg_node_new(v->arena, FSIM__CFG_MAP, file, 0, 0);
        if (!empty || !fsim__cfg_map_add(v->arena, root, name, 0, 0, empty))
            return nomem(v);
        return FSIM_OK;
    }
    if (st != FSIM_OK)
        return st;
    st = fsim__cfg_parse_yaml(v->arena, file, text, len, &doc, v->err);
    if (st != FSIM_OK)
        return st;
    if (!doc || doc->kind != FSIM__CFG_MAP)
        return fsim_error_set(v->err, FSIM_INVALID, file, doc ? doc->line : 1,
                              doc ? doc->column : 1, NULL,
                              "must be a mapping with the key \"%s\"", name);
    for (size_t i = 0; i < doc->len; i++)
        if (strcmp(doc->entries[i].key, name) != 0)
            return fail_key(v, &doc->entries[i], doc->entries[i].key,
                            "unknown key (this file holds \"%s\")", name);
    const fsim__cfg_entry *e = fsim__cfg_map_find(doc, name);
    if (!e)
        return fsim_error_set(v->err, FSIM_INVALID, file, doc->line, doc->column, name,
                              "missing required key");
    if (!fsim__cfg_map_add(v->arena, root, e->key, e->key_line, e->key_column, e->value))
        return nomem(v);
    return FSIM_OK;
}

static bool blank(const char *s)
{
    if (!s)
        return true;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s == '\0';
}

/* Parses one override text and merges it over *tree. */
static fsim_status apply_overrides(const vctx *v, const char *label, const char *json,
                                   fsim__cfg_node **tree)
{
    fsim__cfg_node *over = NULL;
    if (blank(json))
        return FSIM_OK;
    fsim_status st = fsim__cfg_parse_json(v->arena, label, json, &over, v->err);
    if (st != FSIM_OK)
        return st;
    if (over->kind != FSIM__CFG_MAP)
        return fail(v, over, NULL, "must be a json object (found %s)",
                    fsim__cfg_kind_name(over->kind));
    for (size_t i = 0; i < over->len; i++) {
        const fsim__cfg_entry *e = &over->entries[i];
        bool known = false;
        for (int s = 0; s < SEC_COUNT; s++)
            known = known || strcmp(e->key, section_names[s]) == 0;
        if (!known)
            return fail_key(v, e, e->key,
                            "unknown key (expected \"vehicles\", \"chargers\", \"routes\" or "
                            "\"tariffs\")");
    }
    fsim__cfg_node *merged = fsim__cfg_merge(v->arena, *tree, over);
    if (!merged)
        return nomem(v);
    *tree = merged;
    return FSIM_OK;
}

/* Each route has a geometry: its file, or waypoints whose file `routes fetch` writes to
 * routes/<id>.geojson unless `geojson` names another place. */
static fsim_status route_sources(const vctx *v, const fsim__cfg_entry *sec, fsim_config *cfg)
{
    struct stat sb;
    for (size_t i = 0; i < cfg->n_routes; i++) {
        fsim_route_def *r = &cfg->routes[i];
        if (r->geojson_path)
            continue;
        const fsim__cfg_entry *e = fsim__cfg_map_find(sec->value, r->id);
        if (!r->n_waypoints)
            return fail_key(v, e, fsim_arena_sprintf(v->arena, "routes.%s", r->id),
                            "needs \"geojson\" (a file) or \"waypoints\" ([[lon, lat], …])");
        r->geojson_path = fsim_arena_sprintf(v->arena, "%s/routes/%s.geojson", v->dir, r->id);
        if (!r->geojson_path)
            return nomem(v);
        r->geojson_missing = stat(r->geojson_path, &sb) != 0;
    }
    return FSIM_OK;
}

static fsim_status build(const vctx *v, config_impl *impl, const char *env_json,
                         const char *req_json)
{
    fsim_config *cfg = &impl->pub;
    fsim_status st;
    fsim__cfg_node *tree = fsim__cfg_node_new(v->arena, FSIM__CFG_MAP, "", 0, 0);
    if (!tree)
        return nomem(v);
    for (int s = 0; s < SEC_COUNT; s++)
        if ((st = load_yaml_section(v, s, tree)) != FSIM_OK)
            return st;
    if ((st = apply_overrides(v, "FLEETSIM_CONFIG_OVERRIDES", env_json, &tree)) != FSIM_OK)
        return st;
    if ((st = apply_overrides(v, "overrides", req_json, &tree)) != FSIM_OK)
        return st;

    void *arr = NULL;
    st = validate_section(v, fsim__cfg_map_find(tree, "vehicles"), vehicle_fields,
                          sizeof vehicle_fields / sizeof *vehicle_fields,
                          sizeof(fsim_vehicle_type), &arr, &cfg->n_vehicles);
    if (st != FSIM_OK)
        return st;
    cfg->vehicles = arr;
    st = validate_section(v, fsim__cfg_map_find(tree, "chargers"), charger_fields,
                          sizeof charger_fields / sizeof *charger_fields,
                          sizeof(fsim_charger_type), &arr, &cfg->n_chargers);
    if (st != FSIM_OK)
        return st;
    cfg->chargers = arr;
    st = validate_section(v, fsim__cfg_map_find(tree, "routes"), route_fields,
                          sizeof route_fields / sizeof *route_fields, sizeof(fsim_route_def),
                          &arr, &cfg->n_routes);
    if (st != FSIM_OK)
        return st;
    cfg->routes = arr;
    if ((st = route_sources(v, fsim__cfg_map_find(tree, "routes"), cfg)) != FSIM_OK)
        return st;
    st = validate_section(v, fsim__cfg_map_find(tree, "tariffs"), tariff_fields,
                          sizeof tariff_fields / sizeof *tariff_fields, sizeof(fsim_tariff),
                          &arr, &cfg->n_tariffs);
    if (st != FSIM_OK)
        return st;
    cfg->tariffs = arr;

    for (int s = 0; s < SEC_COUNT; s++) {
        fsim__cfg_node *one = fsim__cfg_node_new(v->arena, FSIM__CFG_MAP, "", 0, 0);
        const fsim__cfg_entry *e = fsim__cfg_map_find(tree, section_names[s]);
        if (!one || !fsim__cfg_map_add(v->arena, one, e->key, 0, 0, e->value) ||
            !(impl->section_json[s] = fsim__cfg_to_json(v->arena, one)))
            return nomem(v);
    }
    const char *all = fsim__cfg_to_json(v->arena, tree);
    if (!all)
        return nomem(v);
    fsim_sha256_hex(all, strlen(all), cfg->hash);
    return FSIM_OK;
}

fsim_status fsim_config_load(const char *dir, const char *env_overrides_json,
                             const char *request_overrides_json, fsim_config **out,
                             fsim_error *err)
{
    fsim_status st;
    fsim_arena *arena = fsim_arena_new();
    config_impl *impl = arena ? fsim_arena_alloc(arena, sizeof *impl) : NULL;
    vctx v = {.arena = arena, .err = err};
    /* "config/" and "config" name the same dir; keep sources as "config/vehicles.yaml" */
    size_t dlen = dir ? strlen(dir) : 0;
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    *out = NULL;
    fsim_error_clear(err);
    if (!impl) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto out;
    }
    impl->pub.arena = arena;
    v.dir = dlen ? fsim_arena_strndup(arena, dir, dlen) : ".";
    if (!v.dir) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto out;
    }
    st = build(&v, impl, env_overrides_json, request_overrides_json);
    if (st == FSIM_OK) {
        *out = &impl->pub;
        arena = NULL;
    }
out:
    fsim_arena_free(arena);
    return st;
}

void fsim_config_free(fsim_config *config)
{
    if (config)
        fsim_arena_free(config->arena); /* the config itself lives in its arena */
}

/* ---- lookups ------------------------------------------------------------------------ */

static int name_cmp(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

const fsim_vehicle_type *fsim_config_vehicle(const fsim_config *config, const char *name)
{
    if (!config || !name || !config->n_vehicles)
        return NULL;
    return bsearch(name, config->vehicles, config->n_vehicles, sizeof *config->vehicles, name_cmp);
}

const fsim_charger_type *fsim_config_charger(const fsim_config *config, const char *name)
{
    if (!config || !name || !config->n_chargers)
        return NULL;
    return bsearch(name, config->chargers, config->n_chargers, sizeof *config->chargers, name_cmp);
}

const fsim_route_def *fsim_config_route(const fsim_config *config, const char *id)
{
    if (!config || !id || !config->n_routes)
        return NULL;
    return bsearch(id, config->routes, config->n_routes, sizeof *config->routes, name_cmp);
}

fsim_tariff fsim_tariff_flat(const char *name, const char *currency, double price,
                             double co2_g_per_kwh)
{
    fsim_tariff t = {.name = name, .currency = currency, .n_weekday = 1, .n_weekend = 1,
                     .weekday = {{0, price}}, .weekend = {{0, price}}};
    for (int h = 0; h < 24; h++)
        t.co2_g_per_kwh[h] = co2_g_per_kwh;
    return t;
}

const fsim_tariff *fsim_config_tariff(const fsim_config *config, const char *name)
{
    if (!config || !name || !config->n_tariffs)
        return NULL;
    return bsearch(name, config->tariffs, config->n_tariffs, sizeof *config->tariffs, name_cmp);
}

const char *fsim_config_section_json(const fsim_config *config, const char *section)
{
    if (!config || !section)
        return NULL;
    const config_impl *impl = (const config_impl *)config;
    for (int s = 0; s < SEC_COUNT; s++)
        if (strcmp(section, section_names[s]) == 0)
            return impl->section_json[s];
    return NULL;
}
