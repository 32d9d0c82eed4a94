/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio devices: what every one of them has (virtio.c), the
 * virtio-mmio transport through which the guest sees them
 * (virtio_mmio.c), and their split virtqueues (virtqueue.c).
 */
#ifndef LGUEST_VIRTIO_H
#define LGUEST_VIRTIO_H

#include "lguest.h"

#define MAX_VQS		8
#define VQ_NUM_MAX	256
#define VIRTIO_VENDOR	0x5453474cu		/* "LGST" */

struct virtio_device;
struct virtqueue;

typedef void vq_notify_fn(struct virtio_device *vdev, struct virtqueue *vq);

struct virtqueue {
	struct virtio_device *vdev;
	const char *name;
	unsigned int index;
	uint16_t num_max;
	uint16_t num;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Validated pointers into guest memory, set while ready. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;	/* next avail ring entry to take */
	uint16_t used_idx;	/* our copy of used->idx */
	vq_notify_fn *notify;	/* the guest kicked this queue */
};

/*
 * A virtio device: a device (its page is the virtio-mmio register layout)
 * with the state the virtio spec gives every device, its queues and its
 * configuration space.  The device's own hooks may be NULL.
 */
struct virtio_device {
	struct device dev;
	uint32_t device_id;
	uint64_t features;		/* offered */
	uint64_t driver_features;	/* accepted by the guest */
	uint32_t features_sel;
	uint32_t driver_features_sel;
	uint32_t queue_sel;
	uint32_t status;
	uint32_t isr;			/* unless the host keeps it: */
	bool host_isr;			/* LHREQ_IRQ_STATUS */
	uint32_t config_generation;
	unsigned int nvqs;
	struct virtqueue vqs[MAX_VQS];
	uint8_t *config;		/* device-specific configuration */
	uint32_t config_len;
	/*
	 * The guest writes to the configuration space; without this hook
	 * such writes are ignored: it is read-only.
	 */
	void (*config_write)(struct virtio_device *vdev, uint32_t off,
			     uint32_t val, unsigned int size);
	/* The guest reset the device, or the guest restarts. */
	void (*reset)(struct virtio_device *vdev);
	/* The guest set DRIVER_OK with the features it accepted. */
	void (*driver_ok)(struct virtio_device *vdev);
	/* The device's own threads, as struct device's start and stop. */
	int (*start)(struct virtio_device *vdev);
	void (*stop)(struct virtio_device *vdev);
	/*
	 * With --doorbells, QueueNotify is a doorbell (LHREQ_IOEVENTFD): the
	 * host signals this eventfd (-1 without one), and the doorbell
	 * thread does what the guest asked for, without the main thread.
	 */
	int doorbell_fd;
	struct dev_thread doorbell;
};

static inline struct virtio_device *to_virtio(struct device *dev)
{
	return container_of(dev, struct virtio_device, dev);
}

/* A buffer the guest put in a virtqueue, split into its two halves. */
struct vq_iov {
	uint8_t *base;
	uint32_t len;
};

struct vq_elem {
	uint16_t head;
	unsigned int nout;	/* device-readable, first in the chain */
	unsigned int nin;	/* device-writable, after them */
	uint32_t out_len, in_len;
	struct vq_iov out[VQ_NUM_MAX];
	struct vq_iov in[VQ_NUM_MAX];
};

struct iovec;

/* virtio.c */
void virtio_device_init(struct virtio_device *vdev, const char *name,
			uint32_t device_id, uint64_t features,
			void *config, uint32_t config_len);
struct virtqueue *virtio_add_vq(struct virtio_device *vdev, const char *name,
				uint16_t num_max, vq_notify_fn *notify);
bool virtio_running(const struct virtio_device *vdev);
bool virtio_has_feature(const struct virtio_device *vdev, unsigned int bit);
void virtio_raise_irq(struct virtio_device *vdev, uint32_t why);
__printf(2, 3) void virtio_error(struct virtio_device *vdev,
				 const char *fmt, ...);
void virtio_reset(struct virtio_device *vdev);
void virtio_set_status(struct virtio_device *vdev, uint32_t val);
void virtio_enable_vq(struct virtio_device *vdev, struct virtqueue *vq);
void virtio_notify_all(struct virtio_device *vdev);

/* virtio_mmio.c */
uint32_t virtio_mmio_read(struct device *dev, uint32_t off,
			  unsigned int size);
void virtio_mmio_write(struct device *dev, uint32_t off, uint32_t val,
		       unsigned int size);
void virtio_mmio_attach(struct device *dev, bool doorbells);

/* virtqueue.c */
int vq_pop(struct virtqueue *vq, struct vq_elem *e);
void vq_push(struct virtqueue *vq, const struct vq_elem *e, uint32_t written);
void vq_interrupt(struct virtqueue *vq);
uint32_t iov_to_buf(const struct vq_iov *iov, unsigned int n, uint32_t off,
		    void *buf, uint32_t len);
uint32_t iov_from_buf(const struct vq_iov *iov, unsigned int n, uint32_t off,
		      const void *buf, uint32_t len);
unsigned int iov_slice(const struct vq_iov *iov, unsigned int n, uint32_t off,
		       uint32_t len, struct iovec *out);

#endif /* LGUEST_VIRTIO_H */
