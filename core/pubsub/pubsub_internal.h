/* core/pubsub internals shared by its files (not a public header). */
#ifndef FLEETSIM_PUBSUB_INTERNAL_H
#define FLEETSIM_PUBSUB_INTERNAL_H

#include <grpc/grpc_security.h>

#include <fleetsim/gcp_auth.h>

/* Call credentials that put `authorization: Bearer <token>` from `auth` on every call
 * (pubsub_auth.c). Takes `auth` (freed with the credentials, or now on failure); NULL when
 * out of memory. */
grpc_call_credentials *fsim__pubsub_call_credentials(fsim_gcp_auth *auth);

#endif
