/* SPDX-License-Identifier: GPL-2.0 */
/* The virtio block device (block.c), for the unit tests. */
#ifndef LGUEST_BLOCK_H
#define LGUEST_BLOCK_H

#include "lguest.h"

struct device *block_create(const char *path, unsigned int index);

#endif /* LGUEST_BLOCK_H */
