// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio transport (version 2, the modern one): the guest's view
 * of a virtio device, a page of 32-bit registers followed by the device's
 * configuration space.  The guest finds each device's page and interrupt
 * line on its command line (see build_cmdline()), and its stock
 * virtio-mmio driver does the rest.  What the registers stand for is in
 * virtio.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include "virtio.h"

#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_MODERN	2

/*
 * The host keeps the interrupt status from now on (if it will): under the
 * device lock, and after a reset, since the host's copy starts at 0.
 */
static void attach_irq_status(struct virtio_device *vdev)
{
	uint32_t regs = vdev->dev.mmio_addr;

	vdev->host_isr = !lgdev_irq_status(vdev->dev.irq,
					   regs + VIRTIO_MMIO_INTERRUPT_STATUS,
					   regs + VIRTIO_MMIO_INTERRUPT_ACK);
}

/*
 * A new guest (at the start and at each restart) exists in the host:
 * hand it the registers the host can answer for the device.  The
 * interrupt status and its acknowledge, so that an interrupt costs the
 * guest no trip out to us.  With --doorbells, QueueNotify too, as a
 * doorbell: an eventfd that wakes the device's doorbell thread
 * (virtio.c), so that a notify costs no trip out either and the guest
 * runs on while the device works.  Without it the main thread does the
 * work before the guest goes on, which costs fewer switches when the work
 * is short (Documentation/benchmarks.md).  What the host refuses stays
 * with the main thread.
 */
void virtio_mmio_attach(struct device *dev, bool doorbells)
{
	struct virtio_device *vdev = to_virtio(dev);
	uint32_t notify = dev->mmio_addr + VIRTIO_MMIO_QUEUE_NOTIFY;

	pthread_mutex_lock(&dev->lock);
	attach_irq_status(vdev);
	pthread_mutex_unlock(&dev->lock);
	if (!doorbells)
		return;
	if (vdev->doorbell_fd < 0)
		vdev->doorbell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vdev->doorbell_fd < 0 || lgdev_ioeventfd(notify, vdev->doorbell_fd))
		vmsg("%s: no doorbell, notifies go to the main thread: %s",
		     dev->name, strerror(errno));
}

static struct virtqueue *selected_vq(struct virtio_device *vdev)
{
	return vdev->queue_sel < vdev->nvqs ? &vdev->vqs[vdev->queue_sel] : NULL;
}

static uint32_t config_read(struct virtio_device *vdev, uint32_t off,
			    unsigned int size)
{
	uint32_t v = 0;

	if (off + size > vdev->config_len)
		return 0;
	memcpy(&v, vdev->config + off, size);	/* x86: little-endian */
	return v;
}

/*
 * The configuration fields our devices offer are all read-only for the
 * driver (a MAC address, a capacity): a device with writable ones says
 * so with a config_write hook.
 */
static void config_write(struct virtio_device *vdev, uint32_t off, uint32_t val,
			 unsigned int size)
{
	if (off + size > vdev->config_len || !vdev->config_write) {
		vmsg("%s: write of 0x%x to read-only configuration at 0x%x",
		     vdev->dev.name, val, off);
		return;
	}
	vdev->config_write(vdev, off, val, size);
}

static uint32_t high_or_low(uint64_t v, uint32_t sel)
{
	return sel == 0 ? (uint32_t)v : sel == 1 ? (uint32_t)(v >> 32) : 0;
}

uint32_t virtio_mmio_read(struct device *dev, uint32_t off,
			  unsigned int size)
{
	struct virtio_device *vdev = to_virtio(dev);
	struct virtqueue *vq = selected_vq(vdev);

	if (off >= VIRTIO_MMIO_CONFIG)
		return config_read(vdev, off - VIRTIO_MMIO_CONFIG, size);
	/* The spec: registers are read 32 bits at a time, aligned. */
	if (size != 4 || off % 4) {
		vmsg("%s: %u-byte read at register 0x%x", vdev->dev.name, size, off);
		return 0xffffffff;
	}
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_MODERN;
	case VIRTIO_MMIO_DEVICE_ID:
		return vdev->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return high_or_low(vdev->features, vdev->features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? vq->num_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return vdev->isr;
	case VIRTIO_MMIO_STATUS:
		return vdev->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return vdev->config_generation;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffff;	/* no shared memory regions */
	default:
		vmsg("%s: read of unknown register 0x%x", vdev->dev.name, off);
		return 0;
	}
}

/* A ring address register: only while the queue is not in use. */
static void set_addr(struct virtio_device *vdev, struct virtqueue *vq, uint64_t *a,
		     bool high, uint32_t val)
{
	if (!vq || vq->ready) {
		vmsg("%s: ring address written while %s", vdev->dev.name,
		     vq ? "the queue is ready" : "no queue is selected");
		return;
	}
	if (high)
		*a = (*a & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*a = (*a & ~0xffffffffull) | val;
}

static void write_queue_ready(struct virtio_device *vdev, struct virtqueue *vq,
			      uint32_t val)
{
	if (!vq)
		return;
	if (val && !vq->ready)
		virtio_enable_vq(vdev, vq);
	else if (!val)
		vq->ready = false;
}

/*
 * The features the driver accepts, 32 bits at a time.  Once we agreed to
 * them (FEATURES_OK) they stay as they are until a reset: a change then
 * would miss the check that virtio_set_status() made.
 */
static void write_driver_features(struct virtio_device *vdev, uint32_t val)
{
	if (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) {
		vmsg("%s: features 0x%x written after FEATURES_OK: ignored",
		     vdev->dev.name, val);
		return;
	}
	if (vdev->driver_features_sel == 0)
		vdev->driver_features = (vdev->driver_features &
					~0xffffffffull) | val;
	else if (vdev->driver_features_sel == 1)
		vdev->driver_features = (uint32_t)vdev->driver_features |
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
static void write_notify(struct virtio_device *vdev, uint32_t val)
{
	struct virtqueue *vq;

	/* With VIRTIO_F_NOTIFICATION_DATA there would be more; not offered. */
	if (val >= vdev->nvqs) {
		vmsg("%s: notify for queue %u, it has %u", vdev->dev.name, val,
		     vdev->nvqs);
		return;
	}
	vq = &vdev->vqs[val];
	/* Before DRIVER_OK the buffers wait; virtio_set_status() sees them. */
	if (vq->ready && vq->notify && virtio_running(vdev))
		vq->notify(vdev, vq);
}

void virtio_mmio_write(struct device *dev, uint32_t off, uint32_t val,
		       unsigned int size)
{
	struct virtio_device *vdev = to_virtio(dev);
	struct virtqueue *vq = selected_vq(vdev);

	if (off >= VIRTIO_MMIO_CONFIG) {
		config_write(vdev, off - VIRTIO_MMIO_CONFIG, val, size);
		return;
	}
	if (size != 4 || off % 4) {
		vmsg("%s: %u-byte write at register 0x%x", vdev->dev.name, size, off);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		vdev->features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		write_driver_features(vdev, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		vdev->driver_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		vdev->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (vq && !vq->ready)
			vq->num = val > 0xffff ? 0 : val;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		write_queue_ready(vdev, vq, val);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		write_notify(vdev, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		vdev->isr &= ~val;
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_set_status(vdev, val);
		if (!val && vdev->host_isr)
			attach_irq_status(vdev);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_addr(vdev, vq, vq ? &vq->desc_gpa : NULL,
			 off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_addr(vdev, vq, vq ? &vq->avail_gpa : NULL,
			 off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_addr(vdev, vq, vq ? &vq->used_gpa : NULL,
			 off == VIRTIO_MMIO_QUEUE_USED_HIGH, val);
		break;
	case VIRTIO_MMIO_SHM_SEL:
		break;
	default:
		vmsg("%s: write of 0x%x to unknown register 0x%x", vdev->dev.name,
		     val, off);
		break;
	}
}
