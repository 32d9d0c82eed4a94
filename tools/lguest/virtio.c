// SPDX-License-Identifier: GPL-2.0
/*
 * What every virtio device has, whatever the transport: the features it
 * offers and the driver accepts, the status the driver walks it through
 * (virtio 1.x, 3.1.1), its queues, its interrupt status, and the doorbell
 * thread that serves its queues with --doorbells.  The guest sees all of
 * it through the virtio-mmio registers of virtio_mmio.c; the virtqueues
 * themselves are in virtqueue.c.
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
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include "virtio.h"

static void virtio_dev_reset(struct device *dev);
static int virtio_dev_start(struct device *dev);
static void virtio_dev_stop(struct device *dev);

void virtio_device_init(struct virtio_device *vdev, const char *name,
			uint32_t device_id, uint64_t features,
			void *config, uint32_t config_len)
{
	memset(vdev, 0, sizeof(*vdev));
	device_init(&vdev->dev, name);
	vdev->dev.mmio_read = virtio_mmio_read;
	vdev->dev.mmio_write = virtio_mmio_write;
	vdev->dev.attach = virtio_mmio_attach;
	vdev->dev.reset = virtio_dev_reset;
	vdev->dev.start = virtio_dev_start;
	vdev->dev.stop = virtio_dev_stop;
	vdev->device_id = device_id;
	/* Modern devices only: no legacy layout, little-endian rings. */
	vdev->features = features | (1ull << VIRTIO_F_VERSION_1);
	vdev->config = config;
	vdev->config_len = config_len;
	vdev->doorbell_fd = -1;
	dev_thread_init(&vdev->doorbell, name, "doorbell");
}

struct virtqueue *virtio_add_vq(struct virtio_device *vdev, const char *name,
				uint16_t num_max, vq_notify_fn *notify)
{
	struct virtqueue *vq;

	if (vdev->nvqs >= MAX_VQS || !num_max || num_max > VQ_NUM_MAX)
		return NULL;
	vq = &vdev->vqs[vdev->nvqs];
	vq->vdev = vdev;
	vq->name = name;
	vq->index = vdev->nvqs++;
	vq->num_max = num_max;
	vq->notify = notify;
	return vq;
}

/* Each ready queue's notify handler, as if the guest had kicked them all. */
void virtio_notify_all(struct virtio_device *vdev)
{
	unsigned int i;

	for (i = 0; i < vdev->nvqs && virtio_running(vdev); i++)
		if (vdev->vqs[i].ready && vdev->vqs[i].notify)
			vdev->vqs[i].notify(vdev, &vdev->vqs[i]);
}

/*
 * The guest kicked one of the device's queues: it does not say which (the
 * host drops the value written), so look at each.  A notify for a queue
 * with nothing new in it finds nothing to do.
 */
static void *doorbell_thread(void *arg)
{
	struct virtio_device *vdev = arg;
	uint64_t n;

	while (dev_thread_wait(&vdev->doorbell, vdev->doorbell_fd) >= 0) {
		if (read(vdev->doorbell_fd, &n, sizeof(n)) < 0 &&
		    errno != EAGAIN) {
			vmsg("%s: doorbell: %s", vdev->dev.name, strerror(errno));
			break;
		}
		pthread_mutex_lock(&vdev->dev.lock);
		virtio_notify_all(vdev);
		pthread_mutex_unlock(&vdev->dev.lock);
	}
	return NULL;
}

static int virtio_dev_start(struct device *dev)
{
	struct virtio_device *vdev = to_virtio(dev);

	if (vdev->start && vdev->start(vdev))
		return -1;
	if (vdev->doorbell_fd >= 0 &&
	    dev_thread_start(&vdev->doorbell, doorbell_thread, vdev))
		return -1;
	return 0;
}

static void virtio_dev_stop(struct device *dev)
{
	struct virtio_device *vdev = to_virtio(dev);

	if (vdev->stop)
		vdev->stop(vdev);
	dev_thread_stop(&vdev->doorbell);
}

/*
 * The device works on its queues only between DRIVER_OK and a reset, and
 * only with features we agreed to (we clear FEATURES_OK otherwise).
 */
bool virtio_running(const struct virtio_device *vdev)
{
	uint32_t want = VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FEATURES_OK;

	return (vdev->status & want) == want &&
	       !(vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
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
void virtio_raise_irq(struct virtio_device *vdev, uint32_t why)
{
	if (vdev->host_isr) {
		vcpu_irq_status(vdev->dev.irq, why);
		return;
	}
	vdev->isr |= why;
	vcpu_irq(vdev->dev.irq);
}

/*
 * The guest broke the device's rules.  The device stops until the guest
 * resets it; the guest hears about it through a configuration change
 * interrupt, as the spec suggests.
 */
void virtio_error(struct virtio_device *vdev, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vmsg("device error on %s (device %u): %s; it needs a reset",
	     vdev->dev.name, vdev->dev.index, msg);
	if (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_raise_irq(vdev, VIRTIO_MMIO_INT_CONFIG);
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

void virtio_reset(struct virtio_device *vdev)
{
	unsigned int i;

	vdev->driver_features = 0;
	vdev->features_sel = 0;
	vdev->driver_features_sel = 0;
	vdev->queue_sel = 0;
	vdev->status = 0;
	vdev->isr = 0;
	for (i = 0; i < vdev->nvqs; i++)
		reset_vq(&vdev->vqs[i]);
	if (vdev->reset)
		vdev->reset(vdev);
}

/* The guest restarts: see devices_reset(). */
static void virtio_dev_reset(struct device *dev)
{
	virtio_reset(to_virtio(dev));
}

/* Accepted by the driver, and offered: virtio_set_status() checks both. */
bool virtio_has_feature(const struct virtio_device *vdev, unsigned int bit)
{
	return bit < 64 &&
	       (vdev->driver_features & vdev->features & (1ull << bit));
}

/*
 * The guest has told us where the three parts of the ring are, and set
 * the queue ready.
 * Check them all once, here, so that the fast path only has to check the
 * indexes and buffers it reads from them.
 */
void virtio_enable_vq(struct virtio_device *vdev, struct virtqueue *vq)
{
	unsigned int n = vq->num;

	/* A split ring's size is a power of two (virtio 1.x, 2.7). */
	if (!n || n > vq->num_max || (n & (n - 1))) {
		virtio_error(vdev,
			     "queue %s: size %u, not a power of two up to %u",
			     vq->name, n, vq->num_max);
		return;
	}
	if (vq->desc_gpa % VRING_DESC_ALIGN_SIZE ||
	    vq->avail_gpa % VRING_AVAIL_ALIGN_SIZE ||
	    vq->used_gpa % VRING_USED_ALIGN_SIZE) {
		virtio_error(vdev, "queue %s: misaligned ring", vq->name);
		return;
	}
	vq->desc = guest_ptr(vq->desc_gpa, 16ull * n);
	vq->avail = guest_ptr(vq->avail_gpa, 6 + 2ull * n);
	vq->used = guest_ptr(vq->used_gpa, 6 + 8ull * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		virtio_error(vdev,
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

/*
 * The driver's side of device initialization (virtio 1.x, 3.1.1): it adds
 * status bits, one step at a time, and only a reset (a write of 0) takes
 * them away.  The transport hands the host's copy of the interrupt status
 * over again after a reset.
 */
void virtio_set_status(struct virtio_device *vdev, uint32_t val)
{
	uint32_t was = vdev->status;

	if (val == 0) {
		virtio_reset(vdev);
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
		virtio_error(vdev, "status 0x%x over 0x%x clears bits without a reset",
			     val, was);
		return;
	}
	val |= was & VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(was & VIRTIO_CONFIG_S_FEATURES_OK)) {
		uint64_t extra = vdev->driver_features & ~vdev->features;

		if (extra || !(vdev->driver_features &
			       (1ull << VIRTIO_F_VERSION_1))) {
			vmsg("%s: refusing features 0x%llx (%s)", vdev->dev.name,
			     (unsigned long long)vdev->driver_features,
			     extra ? "not offered" : "no VIRTIO_F_VERSION_1");
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	vdev->status = val;
	if (!(val & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (was & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	/*
	 * virtio_error() interrupts the guest only once DRIVER_OK is set,
	 * when its driver can take a configuration change: an error from
	 * before that is told now.
	 */
	if (val & VIRTIO_CONFIG_S_NEEDS_RESET) {
		virtio_raise_irq(vdev, VIRTIO_MMIO_INT_CONFIG);
		return;
	}
	/* Features the driver did not settle on (or that we refused) */
	if (!(val & VIRTIO_CONFIG_S_FEATURES_OK)) {
		virtio_error(vdev, "DRIVER_OK without FEATURES_OK");
		return;
	}
	if (vdev->driver_ok)
		vdev->driver_ok(vdev);
	/* Look at what the guest queued before DRIVER_OK. */
	virtio_notify_all(vdev);
}

