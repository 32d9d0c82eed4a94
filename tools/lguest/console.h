/* SPDX-License-Identifier: GPL-2.0 */
/* The virtio console (console.c), for the unit tests. */
#ifndef LGUEST_CONSOLE_H
#define LGUEST_CONSOLE_H

#include "lguest.h"

struct device *console_create(int in_fd, int out_fd);
size_t console_feed(struct device *dev, const uint8_t *buf, size_t len);

/* Three Ctrl-C within a second stop the Launcher. */
struct ctrlc_state {
	uint64_t times_ms[3];
	unsigned int count;
};

bool ctrlc_pressed(struct ctrlc_state *s, uint64_t now_ms);

#endif /* LGUEST_CONSOLE_H */
