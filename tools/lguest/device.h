/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device of the guest, whatever its kind: a page of guest-physical
 * memory above RAM, an interrupt line, and what happens on each access to
 * the page.  device.c keeps the table of them; virtio.h builds the virtio
 * devices on top.
 */
#ifndef LGUEST_DEVICE_H
#define LGUEST_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <linux/lguest_launcher.h>

/* One device per guest interrupt line; line 0 is the timer. */
#define MAX_DEVICES	(LGUEST_IRQS - 1)

/*
 * mmio_read and mmio_write see every access to the device's page (offsets
 * 0..4095), with the device lock held: the main thread and a device's own
 * threads both touch it.  The other hooks may be NULL.
 */
struct device {
	const char *name;
	unsigned int index;	/* in the table, from 0 */
	uint32_t mmio_addr;	/* its page, guest-physical */
	unsigned int irq;	/* its interrupt line, index + 1 */
	pthread_mutex_t lock;
	uint32_t (*mmio_read)(struct device *dev, uint32_t off,
			      unsigned int size);
	void (*mmio_write)(struct device *dev, uint32_t off, uint32_t val,
			   unsigned int size);
	/*
	 * A new guest exists in the host (at the start and at each restart):
	 * the device may hand the host the registers it can answer itself.
	 * Called without the device lock.
	 */
	void (*attach)(struct device *dev, bool doorbells);
	/* The guest restarts: back to the power-on state, under the lock. */
	void (*reset)(struct device *dev);
	/*
	 * The device's own threads, if any: started once the guest is set
	 * up, stopped (and joined) when the Launcher ends.  Both are called
	 * without the device lock; stop may be called for a device whose
	 * threads never started.
	 */
	int (*start)(struct device *dev);
	void (*stop)(struct device *dev);
};

extern struct device *devices[MAX_DEVICES];
extern unsigned int ndevices;

void device_init(struct device *dev, const char *name);
int device_register(struct device *dev);
uint32_t devices_end_page(void);
struct device *device_at(uint32_t gpa, uint32_t *off);
void devices_attach(bool doorbells);
void devices_reset(void);
int devices_start(void);
void devices_stop(void);

#endif /* LGUEST_DEVICE_H */
