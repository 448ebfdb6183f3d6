/* fleetsim — the wire contract (placeholder until the wire module lands). */
#ifndef FLEETSIM_WIRE_H
#define FLEETSIM_WIRE_H
#endif
