/* What a depot's grid energy costs and emits under its tariff: time-of-use energy prices
 * (weekday / weekend windows in depot-local time), CO2 by local hour, a demand charge on
 * each billing month's highest 15-minute mean load and a fixed monthly charge, both
 * prorated to the part of the month the horizon covers. Also the price threshold the
 * `cost` strategy charges under. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <fleetsim/util.h>

#include "engine.h"

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* The billing month (year·12 + month − 1) of a local time, and its length in seconds. */
static int month_of(double local, double *len_s)
{
    int64_t y;
    int m, d;
    fsim_civil_from_days((int64_t)floor(local / 86400.0), &y, &m, &d);
    if (len_s)
        *len_s = days_in_month((int)y, m) * 86400.0;
    return (int)y * 12 + m - 1;
}

void fsim__tariff_rate_at(const fsim_tariff *tariff, int offset_min, double t,
                          struct fsim__rate *rate)
{
    double local = t + offset_min * 60.0;
    double day = floor(local / 86400.0);
    double midnight = day * 86400.0;
    int dow = (int)(((long)day % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday (4) */
    bool weekend = dow == 0 || dow == 6;
    const fsim_tariff_window *w = weekend ? tariff->weekend : tariff->weekday;
    size_t n = weekend ? tariff->n_weekend : tariff->n_weekday;
    double minute = (local - midnight) / 60.0;
    size_t i = 0;
    while (i + 1 < n && w[i + 1].from_minute <= minute)
        i++;
    double price_until = i + 1 < n ? midnight + w[i + 1].from_minute * 60.0 : midnight + 86400.0;
    int hour = (int)((local - midnight) / 3600.0);
    if (hour > 23)
        hour = 23;
    double hour_until = midnight + (hour + 1) * 3600.0;
    rate->price = w[i].price;
    rate->co2_g = tariff->co2_g_per_kwh[hour];
    rate->price_until = price_until - offset_min * 60.0;
    rate->until = fmin(price_until, hour_until) - offset_min * 60.0;
}

void fsim__bill_init(struct fsim__bill *b, const fsim_tariff *tariff, int offset_min, double t0)
{
    *b = (struct fsim__bill){.tariff = tariff, .offset_s = offset_min * 60.0};
    b->rate.until = -INFINITY;
    b->q_start = floor((t0 + b->offset_s) / 900.0) * 900.0 - b->offset_s;
    b->month = month_of(t0 + b->offset_s, &b->month_len_s);
}

/* A 15-minute window is over: its mean load is a candidate for the month's demand. */
static void close_quarter(struct fsim__bill *b)
{
    double kw = b->q_kwh / 0.25;
    if (kw > b->month_peak15_kw)
        b->month_peak15_kw = kw;
    if (kw > b->peak15_kw)
        b->peak15_kw = kw;
    b->q_kwh = 0;
}

/* A billing month is over (or the horizon ends in it): its demand and fixed charges, in
 * the share of the month that was simulated. */
static void close_month(struct fsim__bill *b)
{
    double share = b->month_len_s > 0 ? b->month_seconds / b->month_len_s : 0;
    b->demand_cost += b->month_peak15_kw * b->tariff->demand_charge_per_kw * share;
    b->fixed_cost += b->tariff->fixed_charge_per_month * share;
    b->month_peak15_kw = 0;
    b->month_seconds = 0;
}

void fsim__bill_add(struct fsim__bill *b, double a, double e, double kwh)
{
    if (!b->tariff || !(e > a))
        return;
    const double kw = kwh * 3600.0 / (e - a);
    while (a < e) {
        if (a >= b->q_start + 900.0) {
            close_quarter(b);
            b->q_start = floor((a + b->offset_s) / 900.0) * 900.0 - b->offset_s;
            double len;
            int m = month_of(b->q_start + b->offset_s, &len);
            if (m != b->month) {
                close_month(b);
                b->month = m;
                b->month_len_s = len;
            }
        }
        if (a >= b->rate.until)
            fsim__tariff_rate_at(b->tariff, (int)(b->offset_s / 60.0), a, &b->rate);
        double next = fmin(e, fmin(b->rate.until, b->q_start + 900.0));
        double piece = kw * (next - a) / 3600.0;
        b->energy_cost += piece * b->rate.price;
        b->co2_g += piece * b->rate.co2_g;
        b->q_kwh += piece;
        b->month_seconds += next - a;
        a = next;
    }
}

void fsim__bill_finish(struct fsim__bill *b)
{
    if (!b->tariff)
        return;
    close_quarter(b);
    close_month(b);
}

/* By price, then time: of two windows at one price the earlier is used first. */
static int window_order(const void *x, const void *y)
{
    const struct fsim__price_window *a = x, *b = y;
    if (a->price != b->price)
        return a->price < b->price ? -1 : 1;
    return (a->start > b->start) - (a->start < b->start);
}

double fsim__cost_threshold(const fsim_tariff *tariff, int offset_min, double t, double until,
                            double need_kwh, double kw, struct fsim__price_window **scratch,
                            size_t *cap, double *allowed_s)
{
    *allowed_s = until > t ? until - t : 0;
    if (!(kw > 0) || !(until > t))
        return INFINITY;
    size_t n = 0;
    for (double a = t; a < until;) {
        struct fsim__rate r;
        fsim__tariff_rate_at(tariff, offset_min, a, &r);
        double next = fmin(until, r.price_until);
        if (n == *cap) {
            size_t bigger = *cap ? 2 * *cap : 64;
            struct fsim__price_window *w = realloc(*scratch, bigger * sizeof *w);
            if (!w)
                return INFINITY; /* no plan: charge now, which is never wrong for the trips */
            *scratch = w;
            *cap = bigger;
        }
        (*scratch)[n++] = (struct fsim__price_window){a, next, r.price};
        a = next;
    }
    qsort(*scratch, n, sizeof **scratch, window_order);
    double got = 0;
    for (size_t i = 0; i < n; i++) {
        got += kw * ((*scratch)[i].end - (*scratch)[i].start) / 3600.0;
        if (got < need_kwh)
            continue;
        /* every window at this price or less: the time the vehicle may spread over */
        double thr = (*scratch)[i].price, s = 0;
        for (size_t k = 0; k < n && (*scratch)[k].price <= thr; k++)
            s += (*scratch)[k].end - (*scratch)[k].start;
        *allowed_s = s;
        return thr;
    }
    return INFINITY;
}
