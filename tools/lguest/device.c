// SPDX-License-Identifier: GPL-2.0
/*
 * The device table.  Every device owns one page of guest-physical memory,
 * in order from the first page above RAM, and interrupt line index + 1
 * (line 0 is the guest timer).  The guest learns both from its command
 * line (see build_cmdline()); what a device does with its page is its own
 * business (virtio_mmio.c for the virtio devices).
 */
#include <string.h>
#include "lguest.h"

struct device *devices[MAX_DEVICES];
unsigned int ndevices;

/*
 * The n-th kind of device linked in (DEVICE_TYPE()), by their order, NULL
 * past the last.
 */
const struct device_type *device_type_nth(unsigned int n)
{
	static const struct device_type *sorted[MAX_DEVICES];
	static unsigned int count;
	const struct device_type *const *p;
	unsigned int j;

	if (!count && __start_device_types) {
		for (p = __start_device_types; p < __stop_device_types; p++) {
			if (count == MAX_DEVICES)
				break;
			/* Insertion sort: a handful of kinds. */
			for (j = count++; j && sorted[j - 1]->order > (*p)->order;
			     j--)
				sorted[j] = sorted[j - 1];
			sorted[j] = *p;
		}
	}
	return n < count ? sorted[n] : NULL;
}

void device_init(struct device *dev, const char *name)
{
	memset(dev, 0, sizeof(*dev));
	dev->name = name;
	pthread_mutex_init(&dev->lock, NULL);
}

/* Give the device its page and interrupt line: the next free ones. */
int device_register(struct device *dev)
{
	if (ndevices >= MAX_DEVICES) {
		errorf("too many devices: at most %u, one per guest interrupt line",
		       MAX_DEVICES);
		return -1;
	}
	dev->index = ndevices;
	dev->mmio_addr = guest_mem.size + ndevices * PAGE_SIZE;
	dev->irq = ndevices + 1;
	devices[ndevices++] = dev;
	return 0;
}

/*
 * Every device, kind by kind in their order: those always there, and one
 * for each of args of that kind (the user's options, in their order).
 * Their files and taps are opened here, once: they stay across guest
 * restarts, and they are opened before the Launcher drops privileges.
 */
int devices_create(const struct device_arg *args, unsigned int nargs)
{
	const struct device_type *t;
	unsigned int n, i, index;
	struct device *dev;

	for (n = 0; (t = device_type_nth(n)); n++) {
		if (!t->option) {
			dev = t->create(NULL, 0);
			if (!dev || device_register(dev))
				return -1;
			continue;
		}
		for (i = 0, index = 0; i < nargs; i++) {
			if (args[i].type != t)
				continue;
			dev = t->create(args[i].arg, index++);
			if (!dev || device_register(dev))
				return -1;
		}
	}
	return 0;
}

/* The first page number after the device pages: LHREQ_INITIALIZE's mmio_pages. */
uint32_t devices_end_page(void)
{
	return guest_mem.size / PAGE_SIZE + ndevices;
}

struct device *device_at(uint32_t gpa, uint32_t *off)
{
	uint32_t n;

	if (gpa < guest_mem.size)
		return NULL;
	n = (gpa - guest_mem.size) / PAGE_SIZE;
	if (n >= ndevices)
		return NULL;
	*off = gpa % PAGE_SIZE;
	return devices[n];
}

/* A new guest exists in the host: see struct device's attach. */
void devices_attach(bool doorbells)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++)
		if (devices[i]->attach)
			devices[i]->attach(devices[i], doorbells);
}

/*
 * The guest restarts: every device as at power on.  Each is reset under
 * its lock, so a device thread is either done with the guest's memory or
 * finds the device reset and leaves guest memory alone until the next
 * guest sets the device up again.
 */
void devices_reset(void)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++) {
		if (!devices[i]->reset)
			continue;
		pthread_mutex_lock(&devices[i]->lock);
		devices[i]->reset(devices[i]);
		pthread_mutex_unlock(&devices[i]->lock);
	}
}

/* Start the devices' threads, once the guest is set up. */
int devices_start(void)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++)
		if (devices[i]->start && devices[i]->start(devices[i]))
			return -1;
	return 0;
}

/* Stop them and wait for them, on the way out. */
void devices_stop(void)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++)
		if (devices[i]->stop)
			devices[i]->stop(devices[i]);
}
