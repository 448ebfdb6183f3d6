/* fleetsim — vehicles derived from the EPA's published dynamometer tests (the "Test Car
 * List" data file: test weight, coast-down road load A/B/C, unadjusted city and highway
 * results). See docs/energy-model.md for the derivation and its constants. */
#ifndef FLEETSIM_EPA_H
#define FLEETSIM_EPA_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>
#include <fleetsim/model.h>

#define FSIM_EPA_KWH_PER_GALLON 33.705 /* the EPA's gasoline gallon equivalent */

/* One tested configuration (make, model, test weight and road-load coefficients) that has
 * both a city (Charge Depleting UDDS) and a highway (Charge Depleting Highway) result.
 * Strings belong to the arena the list was read into. */
typedef struct fsim_epa_vehicle {
    const char *id;             /* make-model-etw as a slug (unique in the list) */
    const char *make;
    const char *model;
    int line;                   /* the file line of its first row */
    double etw_lb;              /* Equivalent Test Weight, lb */
    double a_lbf;               /* Target Coef A, lbf */
    double b_lbf_per_mph;       /* Target Coef B, lbf/mph */
    double c_lbf_per_mph2;      /* Target Coef C, lbf/mph² */
    double city_kwh_per_mi;     /* unadjusted wall-plug consumption, mean of the city rows */
    double highway_kwh_per_mi;  /* likewise of the highway rows */
    int n_city, n_highway;      /* how many rows each mean is of */
    bool filed_kwh_per_100mi;   /* the results were filed as kWh/100 mi (both below 60) */
} fsim_epa_vehicle;

/* Reads a Test Car List CSV (columns found by their header names; other procedures such as
 * the 20 °F FTP are skipped). `make` (exact, any case) and `model_contains` (a substring,
 * any case) filter the result and may be NULL. *out is an array in `arena`, in file order.
 * Errors name the file, line, column and column name:
 * `cars.csv:7:8: Target Coef A (lbf): not a number: "abc"` (FSIM_INVALID). */
fsim_status fsim_epa_read_csv(const char *path, const char *make, const char *model_contains,
                              fsim_arena *arena, fsim_epa_vehicle **out, size_t *count,
                              fsim_error *err);

/* A vehicle for the energy model from a tested configuration: its mass is the test weight,
 * A/B/C become rollingResistance and dragCoefficient × frontalAreaM2 (B folded into both,
 * least squares over 0–60 mph), and the powertrain is the operating-point one with the
 * generic constants below, the same for every vehicle. */
void fsim_epa_vehicle_params(const fsim_epa_vehicle *vehicle, fsim_vehicle_params *out);

/* The generic constants of fsim_epa_vehicle_params() (sources in docs/energy-model.md). */
#define FSIM_EPA_MOTOR_KW_PER_TONNE 100.0 /* rated motor power per tonne of test weight */
#define FSIM_EPA_FRONTAL_AREA_M2 2.4      /* nominal: the C term gives only Cd × A */
#define FSIM_EPA_ROTATIONAL_FACTOR 0.02   /* driven wheels + motor, beyond the dyno's ETW */
#define FSIM_EPA_AUX_KW 0.2               /* 12 V loads with HVAC off, as on the test */
#define FSIM_EPA_FOLD_MPH 60.0            /* the speed range B is folded over */
#define FSIM_EPA_AIR_TEMPERATURE_C 20.0   /* ρ for C → Cd·A: the cycle's default temperature */

#endif
