// SPDX-License-Identifier: GPL-2.0
/*
 * The device table and the virtio-mmio transport (version 2, the modern
 * one); the virtqueues are in virtqueue.c.
 *
 * Every device owns one page of guest-physical memory, in order from the
 * first page above RAM, and interrupt line index + 1 (line 0 is the guest
 * timer).  The guest learns both from its command line (see
 * build_cmdline()), and its stock virtio-mmio driver does the rest.
 *
 * The rings live in guest memory and the guest may write anything there,
 * at any time, even while we read it.  So each value is read once into a
 * local, checked, and only then used; a ring that makes no sense is a
 * "device error": the device stops and tells the guest it needs a reset
 * (VIRTIO_CONFIG_S_NEEDS_RESET), as the virtio spec has it.  Nothing the
 * guest writes may crash or hang the Launcher.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include "lguest.h"

#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_MODERN	2

struct device *devices[MAX_DEVICES];
unsigned int ndevices;

void virtio_device_init(struct device *dev, const char *name,
			uint32_t device_id, uint64_t features,
			void *config, uint32_t config_len)
{
	memset(dev, 0, sizeof(*dev));
	dev->name = name;
	dev->device_id = device_id;
	/* Modern devices only: no legacy layout, little-endian rings. */
	dev->features = features | (1ull << VIRTIO_F_VERSION_1);
	dev->config = config;
	dev->config_len = config_len;
	dev->mmio_read = virtio_mmio_read;
	dev->mmio_write = virtio_mmio_write;
	pthread_mutex_init(&dev->lock, NULL);
	dev->doorbell_fd = -1;
	dev_thread_init(&dev->doorbell, name, "doorbell");
}

struct virtqueue *virtio_add_vq(struct device *dev, const char *name,
				uint16_t num_max, vq_notify_fn *notify)
{
	struct virtqueue *vq;

	if (dev->nvqs >= MAX_VQS || !num_max || num_max > VQ_NUM_MAX)
		return NULL;
	vq = &dev->vqs[dev->nvqs];
	vq->dev = dev;
	vq->name = name;
	vq->index = dev->nvqs++;
	vq->num_max = num_max;
	vq->notify = notify;
	return vq;
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

static bool is_virtio(const struct device *dev)
{
	return dev->mmio_write == virtio_mmio_write;
}

/* Under the device lock; a new status starts at 0 in the host. */
static void attach_irq_status(struct device *dev)
{
	dev->host_isr = !lgdev_irq_status(dev->irq,
			dev->mmio_addr + VIRTIO_MMIO_INTERRUPT_STATUS,
			dev->mmio_addr + VIRTIO_MMIO_INTERRUPT_ACK);
}

/*
 * A new guest (at the start and at each restart) exists in the host:
 * hand it the registers the host can answer for each virtio device.  The
 * interrupt status and its acknowledge, so that an interrupt costs the
 * guest no trip out to us.  With --doorbells, QueueNotify too, as a
 * doorbell: an eventfd that wakes the device's doorbell thread
 * (devices_start()), so that a notify costs no trip out either and the
 * guest runs on while the device works.  Without it the main thread does
 * the work before the guest goes on, which costs fewer switches when the
 * work is short (Documentation/benchmarks.md).  What the host refuses
 * stays with the main thread.
 */
void devices_attach(bool doorbells)
{
	struct device *dev;
	uint32_t notify;
	unsigned int i;

	for (i = 0; i < ndevices; i++) {
		dev = devices[i];
		if (!is_virtio(dev))
			continue;
		pthread_mutex_lock(&dev->lock);
		attach_irq_status(dev);
		pthread_mutex_unlock(&dev->lock);
		if (!doorbells)
			continue;
		if (dev->doorbell_fd < 0)
			dev->doorbell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		notify = dev->mmio_addr + VIRTIO_MMIO_QUEUE_NOTIFY;
		if (dev->doorbell_fd < 0 ||
		    lgdev_ioeventfd(notify, dev->doorbell_fd))
			vmsg("%s: no doorbell, notifies go to the main thread: %s",
			     dev->name, strerror(errno));
	}
}

/*
 * The guest kicked one of the device's queues: it does not say which (the
 * host drops the value written), so look at each.  A notify for a queue
 * with nothing new in it finds nothing to do.
 */
static void *doorbell_thread(void *arg)
{
	struct device *dev = arg;
	unsigned int i;
	uint64_t n;

	while (dev_thread_wait(&dev->doorbell, dev->doorbell_fd) >= 0) {
		if (read(dev->doorbell_fd, &n, sizeof(n)) < 0 &&
		    errno != EAGAIN) {
			vmsg("%s: doorbell: %s", dev->name, strerror(errno));
			break;
		}
		pthread_mutex_lock(&dev->lock);
		for (i = 0; i < dev->nvqs && virtio_running(dev); i++)
			if (dev->vqs[i].ready && dev->vqs[i].notify)
				dev->vqs[i].notify(dev, &dev->vqs[i]);
		pthread_mutex_unlock(&dev->lock);
	}
	return NULL;
}

/* Start the devices' threads, once the guest is set up. */
int devices_start(void)
{
	struct device *dev;
	unsigned int i;

	for (i = 0; i < ndevices; i++) {
		dev = devices[i];
		if (dev->start && dev->start(dev))
			return -1;
		if (is_virtio(dev) && dev->doorbell_fd >= 0 &&
		    dev_thread_start(&dev->doorbell, doorbell_thread, dev))
			return -1;
	}
	return 0;
}

/* Stop them and wait for them, on the way out. */
void devices_stop(void)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++) {
		if (devices[i]->stop)
			devices[i]->stop(devices[i]);
		if (is_virtio(devices[i]))
			dev_thread_stop(&devices[i]->doorbell);
	}
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

/*
 * The device works on its queues only between DRIVER_OK and a reset, and
 * only with features we agreed to (we clear FEATURES_OK otherwise).
 */
bool virtio_running(const struct device *dev)
{
	uint32_t want = VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FEATURES_OK;

	return (dev->status & want) == want &&
	       !(dev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/*
 * Tour 8.4: Interrupting the guest
 *
 * A device raises its interrupt line with LHREQ_IRQ, from whichever
 * Launcher thread did the work.  The host marks the line pending in the
 * vCPU, and wakes the vCPU's task if the guest is halted or kicks it out
 * of the guest if it runs, so that its run loop delivers the interrupt
 * (tour 7.3).  Where the host keeps the device's interrupt status (tour
 * 8.5), the same request sets the status bits the driver will read.
 */
void virtio_raise_irq(struct device *dev, uint32_t why)
{
	if (dev->host_isr) {
		vcpu_irq_status(dev->irq, why);
		return;
	}
	dev->isr |= why;
	vcpu_irq(dev->irq);
}

/*
 * The guest broke the device's rules.  The device stops until the guest
 * resets it; the guest hears about it through a configuration change
 * interrupt, as the spec suggests.
 */
void device_error(struct device *dev, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vmsg("device error on %s (device %u): %s; it needs a reset",
	     dev->name, dev->index, msg);
	if (dev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (dev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_raise_irq(dev, VIRTIO_MMIO_INT_CONFIG);
}

static void reset_vq(struct virtqueue *vq)
{
	vq->num = 0;
	vq->ready = false;
	vq->desc_gpa = 0;
	vq->avail_gpa = 0;
	vq->used_gpa = 0;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->last_avail = 0;
	vq->used_idx = 0;
}

static void reset_device(struct device *dev)
{
	unsigned int i;

	dev->driver_features = 0;
	dev->features_sel = 0;
	dev->driver_features_sel = 0;
	dev->queue_sel = 0;
	dev->status = 0;
	dev->isr = 0;
	for (i = 0; i < dev->nvqs; i++)
		reset_vq(&dev->vqs[i]);
	if (dev->reset)
		dev->reset(dev);
}

/*
 * The guest restarts: every device as at power on.  Each is reset under
 * its lock, so a device thread is either done with the rings or finds the
 * device reset (no ready queue, status 0) and leaves guest memory alone
 * until the next guest sets the device up again.
 */
void devices_reset(void)
{
	unsigned int i;

	for (i = 0; i < ndevices; i++) {
		pthread_mutex_lock(&devices[i]->lock);
		reset_device(devices[i]);
		pthread_mutex_unlock(&devices[i]->lock);
	}
}

/* Accepted by the driver, and offered: write_status() checks both. */
bool virtio_has_feature(const struct device *dev, unsigned int bit)
{
	return bit < 64 &&
	       (dev->driver_features & dev->features & (1ull << bit));
}

static struct virtqueue *selected_vq(struct device *dev)
{
	return dev->queue_sel < dev->nvqs ? &dev->vqs[dev->queue_sel] : NULL;
}

/*
 * QueueReady: the guest has told us where the three parts of the ring are.
 * Check them all once, here, so that the fast path only has to check the
 * indexes and buffers it reads from them.
 */
static void enable_vq(struct device *dev, struct virtqueue *vq)
{
	unsigned int n = vq->num;

	/* A split ring's size is a power of two (virtio 1.x, 2.7). */
	if (!n || n > vq->num_max || (n & (n - 1))) {
		device_error(dev,
			     "queue %s: size %u, not a power of two up to %u",
			     vq->name, n, vq->num_max);
		return;
	}
	if (vq->desc_gpa % VRING_DESC_ALIGN_SIZE ||
	    vq->avail_gpa % VRING_AVAIL_ALIGN_SIZE ||
	    vq->used_gpa % VRING_USED_ALIGN_SIZE) {
		device_error(dev, "queue %s: misaligned ring", vq->name);
		return;
	}
	vq->desc = guest_ptr(vq->desc_gpa, 16ull * n);
	vq->avail = guest_ptr(vq->avail_gpa, 6 + 2ull * n);
	vq->used = guest_ptr(vq->used_gpa, 6 + 8ull * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		device_error(dev,
			     "queue %s: ring outside guest RAM (desc 0x%llx, driver 0x%llx, device 0x%llx)",
			     vq->name, (unsigned long long)vq->desc_gpa,
			     (unsigned long long)vq->avail_gpa,
			     (unsigned long long)vq->used_gpa);
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return;
	}
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->ready = true;
}

/* The guest set DRIVER_OK: look at what it queued before that. */
static void start_device(struct device *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nvqs; i++)
		if (dev->vqs[i].ready && dev->vqs[i].notify)
			dev->vqs[i].notify(dev, &dev->vqs[i]);
}

/*
 * The driver's side of device initialization (virtio 1.x, 3.1.1): it adds
 * status bits, one step at a time, and only a reset (a write of 0) takes
 * them away.
 */
static void write_status(struct device *dev, uint32_t val)
{
	uint32_t was = dev->status;

	if (val == 0) {
		reset_device(dev);
		if (dev->host_isr)
			attach_irq_status(dev);
		return;
	}
	/* NEEDS_RESET is ours to set; only a reset clears it. */
	val &= ~VIRTIO_CONFIG_S_NEEDS_RESET;
	/*
	 * The driver must not clear a status bit (2.1.1).  One that does
	 * believes the device is in a state it is not in, so this is a
	 * driver error rather than a write to ignore: the status stays as it
	 * was, and the device stops until the driver resets it.
	 */
	if (was & ~val & ~VIRTIO_CONFIG_S_NEEDS_RESET) {
		device_error(dev, "status 0x%x over 0x%x clears bits without a reset",
			     val, was);
		return;
	}
	val |= was & VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(was & VIRTIO_CONFIG_S_FEATURES_OK)) {
		uint64_t extra = dev->driver_features & ~dev->features;

		if (extra || !(dev->driver_features &
			       (1ull << VIRTIO_F_VERSION_1))) {
			vmsg("%s: refusing features 0x%llx (%s)", dev->name,
			     (unsigned long long)dev->driver_features,
			     extra ? "not offered" : "no VIRTIO_F_VERSION_1");
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	dev->status = val;
	if (!(val & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (was & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	/*
	 * device_error() interrupts the guest only once DRIVER_OK is set,
	 * when its driver can take a configuration change: an error from
	 * before that is told now.
	 */
	if (val & VIRTIO_CONFIG_S_NEEDS_RESET) {
		virtio_raise_irq(dev, VIRTIO_MMIO_INT_CONFIG);
		return;
	}
	/* Features the driver did not settle on (or that we refused) */
	if (!(val & VIRTIO_CONFIG_S_FEATURES_OK)) {
		device_error(dev, "DRIVER_OK without FEATURES_OK");
		return;
	}
	if (dev->driver_ok)
		dev->driver_ok(dev);
	start_device(dev);
}

static uint32_t config_read(struct device *dev, uint32_t off,
			    unsigned int size)
{
	uint32_t v = 0;

	if (off + size > dev->config_len)
		return 0;
	memcpy(&v, dev->config + off, size);	/* x86: little-endian */
	return v;
}

/*
 * The configuration fields our devices offer are all read-only for the
 * driver (a MAC address, a capacity): a device with writable ones says
 * so with a config_write hook.
 */
static void config_write(struct device *dev, uint32_t off, uint32_t val,
			 unsigned int size)
{
	if (off + size > dev->config_len || !dev->config_write) {
		vmsg("%s: write of 0x%x to read-only configuration at 0x%x",
		     dev->name, val, off);
		return;
	}
	dev->config_write(dev, off, val, size);
}

static uint32_t high_or_low(uint64_t v, uint32_t sel)
{
	return sel == 0 ? (uint32_t)v : sel == 1 ? (uint32_t)(v >> 32) : 0;
}

uint32_t virtio_mmio_read(struct device *dev, uint32_t off,
			  unsigned int size)
{
	struct virtqueue *vq = selected_vq(dev);

	if (off >= VIRTIO_MMIO_CONFIG)
		return config_read(dev, off - VIRTIO_MMIO_CONFIG, size);
	/* The spec: registers are read 32 bits at a time, aligned. */
	if (size != 4 || off % 4) {
		vmsg("%s: %u-byte read at register 0x%x", dev->name, size, off);
		return 0xffffffff;
	}
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_MODERN;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return high_or_low(dev->features, dev->features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? vq->num_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return dev->isr;
	case VIRTIO_MMIO_STATUS:
		return dev->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_generation;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffff;	/* no shared memory regions */
	default:
		vmsg("%s: read of unknown register 0x%x", dev->name, off);
		return 0;
	}
}

/* A ring address register: only while the queue is not in use. */
static void set_addr(struct device *dev, struct virtqueue *vq, uint64_t *a,
		     bool high, uint32_t val)
{
	if (!vq || vq->ready) {
		vmsg("%s: ring address written while %s", dev->name,
		     vq ? "the queue is ready" : "no queue is selected");
		return;
	}
	if (high)
		*a = (*a & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*a = (*a & ~0xffffffffull) | val;
}

static void write_queue_ready(struct device *dev, struct virtqueue *vq,
			      uint32_t val)
{
	if (!vq)
		return;
	if (val && !vq->ready)
		enable_vq(dev, vq);
	else if (!val)
		vq->ready = false;
}

/*
 * The features the driver accepts, 32 bits at a time.  Once we agreed to
 * them (FEATURES_OK) they stay as they are until a reset: a change then
 * would miss the check that write_status() made.
 */
static void write_driver_features(struct device *dev, uint32_t val)
{
	if (dev->status & VIRTIO_CONFIG_S_FEATURES_OK) {
		vmsg("%s: features 0x%x written after FEATURES_OK: ignored",
		     dev->name, val);
		return;
	}
	if (dev->driver_features_sel == 0)
		dev->driver_features = (dev->driver_features &
					~0xffffffffull) | val;
	else if (dev->driver_features_sel == 1)
		dev->driver_features = (uint32_t)dev->driver_features |
				       ((uint64_t)val << 32);
}

/*
 * Tour 8.2: A virtio device at work
 *
 * The guest's virtio driver puts buffers in a virtqueue, rings in its own
 * memory, and then writes the queue's number to the QueueNotify register:
 * that "kick" ends up here (or, with --doorbells, in the device's doorbell
 * thread).  The device's notify handler takes each buffer
 * (vq_pop()), does the work, say a disk read straight into the guest's
 * pages (block.c), hands the buffer back (vq_push()) and interrupts the
 * guest (vq_interrupt()).
 */
static void write_notify(struct device *dev, uint32_t val)
{
	struct virtqueue *vq;

	/* With VIRTIO_F_NOTIFICATION_DATA there would be more; not offered. */
	if (val >= dev->nvqs) {
		vmsg("%s: notify for queue %u, it has %u", dev->name, val,
		     dev->nvqs);
		return;
	}
	vq = &dev->vqs[val];
	/* Before DRIVER_OK the buffers wait; start_device() sees them. */
	if (vq->ready && vq->notify && virtio_running(dev))
		vq->notify(dev, vq);
}

void virtio_mmio_write(struct device *dev, uint32_t off, uint32_t val,
		       unsigned int size)
{
	struct virtqueue *vq = selected_vq(dev);

	if (off >= VIRTIO_MMIO_CONFIG) {
		config_write(dev, off - VIRTIO_MMIO_CONFIG, val, size);
		return;
	}
	if (size != 4 || off % 4) {
		vmsg("%s: %u-byte write at register 0x%x", dev->name, size, off);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		dev->features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		write_driver_features(dev, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		dev->driver_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		dev->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (vq && !vq->ready)
			vq->num = val > 0xffff ? 0 : val;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		write_queue_ready(dev, vq, val);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		write_notify(dev, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		dev->isr &= ~val;
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(dev, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_addr(dev, vq, vq ? &vq->desc_gpa : NULL,
			 off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_addr(dev, vq, vq ? &vq->avail_gpa : NULL,
			 off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_addr(dev, vq, vq ? &vq->used_gpa : NULL,
			 off == VIRTIO_MMIO_QUEUE_USED_HIGH, val);
		break;
	case VIRTIO_MMIO_SHM_SEL:
		break;
	default:
		vmsg("%s: write of 0x%x to unknown register 0x%x", dev->name,
		     val, off);
		break;
	}
}
