/* GEOS C API, loaded on first use (lazy_internal.h): route GeoJSON (core/geo). */
#include <geos_c.h>

#include "lazy_internal.h"

#define GEOS_FUNCTIONS(F, V, H)                                                                 \
    F(GEOSContextHandle_t, GEOS_init_r, (void), ())                                          \
    V(GEOS_finish_r, (GEOSContextHandle_t h), (h))                                           \
    F(const char *, GEOSversion, (void), ())                                                 \
    F(GEOSMessageHandler_r, GEOSContext_setErrorMessageHandler_r,                            \
      (GEOSContextHandle_t h, GEOSMessageHandler_r f, void *u), (h, f, u))                   \
    F(GEOSMessageHandler_r, GEOSContext_setNoticeMessageHandler_r,                           \
      (GEOSContextHandle_t h, GEOSMessageHandler_r f, void *u), (h, f, u))                   \
    F(GEOSCoordSequence *, GEOSCoordSeq_copyFromBuffer_r,                                    \
      (GEOSContextHandle_t h, const double *buf, unsigned int size, int hasZ, int hasM),     \
      (h, buf, size, hasZ, hasM))                                                            \
    V(GEOSCoordSeq_destroy_r, (GEOSContextHandle_t h, GEOSCoordSequence *s), (h, s))         \
    F(int, GEOSCoordSeq_getXY_r,                                                             \
      (GEOSContextHandle_t h, const GEOSCoordSequence *s, unsigned int i, double *x,         \
       double *y),                                                                           \
      (h, s, i, x, y))                                                                       \
    V(GEOSFree_r, (GEOSContextHandle_t h, void *buffer), (h, buffer))                        \
    F(int, GEOSGeomGetX_r, (GEOSContextHandle_t h, const GEOSGeometry *g, double *x),        \
      (h, g, x))                                                                             \
    F(int, GEOSGeomGetY_r, (GEOSContextHandle_t h, const GEOSGeometry *g, double *y),        \
      (h, g, y))                                                                             \
    F(GEOSGeometry *, GEOSGeom_createLineString_r, (GEOSContextHandle_t h,                   \
      GEOSCoordSequence *s), (h, s))                                                         \
    F(GEOSGeometry *, GEOSGeom_createLinearRing_r, (GEOSContextHandle_t h,                   \
      GEOSCoordSequence *s), (h, s))                                                         \
    F(GEOSGeometry *, GEOSGeom_createPointFromXY_r, (GEOSContextHandle_t h, double x,        \
      double y), (h, x, y))                                                                  \
    F(GEOSGeometry *, GEOSGeom_createPolygon_r,                                              \
      (GEOSContextHandle_t h, GEOSGeometry *shell, GEOSGeometry **holes,                     \
       unsigned int nholes),                                                                 \
      (h, shell, holes, nholes))                                                             \
    V(GEOSGeom_destroy_r, (GEOSContextHandle_t h, GEOSGeometry *g), (h, g))                  \
    F(GEOSGeometry *, GEOSGetCentroid_r, (GEOSContextHandle_t h, const GEOSGeometry *g),     \
      (h, g))                                                                                \
    F(GEOSCoordSequence *, GEOSNearestPoints_r,                                              \
      (GEOSContextHandle_t h, const GEOSGeometry *g1, const GEOSGeometry *g2), (h, g1, g2))  \
    F(char *, GEOSisValidReason_r, (GEOSContextHandle_t h, const GEOSGeometry *g), (h, g))   \
    F(char, GEOSisValid_r, (GEOSContextHandle_t h, const GEOSGeometry *g), (h, g))

#define FSIM__LAZY_VAR fsim__lazy_geos
FSIM__LAZY_DEFINE(GEOS, GEOS_FUNCTIONS)
