/* SPDX-License-Identifier: GPL-2.0 */
/* The virtio entropy device (rng.c), for the unit tests. */
#ifndef LGUEST_RNG_H
#define LGUEST_RNG_H

#include "lguest.h"

#define RNG_SOURCE	"/dev/urandom"
struct device *rng_create(const char *path);

#endif /* LGUEST_RNG_H */
