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

/*
 * A kind of device, and how the user asks for one: main() and the option
 * parser know the kinds only through this table, to which each device's
 * file adds its own with DEVICE_TYPE().
 */
struct device_type {
	/* The option that adds one (--OPTION), NULL for one always there. */
	const char *option;
	bool has_arg;		/* --OPTION=ARG */
	bool once;		/* repeating --OPTION adds no other device */
	/* Its lines of --help, each starting with the option. */
	const char *help;
	/* A paragraph for the end of --help, or NULL. */
	const char *notes;
	/* The guest finds the devices of lower orders first. */
	unsigned int order;
	/*
	 * May be NULL: is ARG good?  If not, say why (errorf()) and return
	 * -1.  At parse time, before any device exists.
	 */
	int (*check)(const char *arg);
	/*
	 * The device for --OPTION=ARG (ARG NULL without one), the index-th of
	 * its kind, or NULL after saying why.
	 */
	struct device *(*create)(const char *arg, unsigned int index);
};

#define DEVICE_TYPE(type)						\
	static const struct device_type *const device_type_##type	\
	__used __section("device_types") = &(type)

/*
 * The linker brackets the section with these: weak, so that a Launcher
 * without any kind of device links too.
 */
extern const struct device_type *const __start_device_types[] __weak;
extern const struct device_type *const __stop_device_types[] __weak;

/* What the user asked for: a device of a kind, and its argument. */
struct device_arg {
	const struct device_type *type;
	const char *arg;
};

const struct device_type *device_type_nth(unsigned int n);
int devices_create(const struct device_arg *args, unsigned int nargs);

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
