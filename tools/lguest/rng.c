// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio entropy device (device ID 4), with --rng: the guest's
 * hw_random driver (virtio-rng, /dev/hwrng) gets random bytes from the
 * host's /dev/urandom.  One queue of buffers for the device to fill; no
 * features, no configuration.
 *
 * Buffers are filled when the guest kicks the queue, in the main thread;
 * /dev/urandom does not block once the host's pool is initialised.  A
 * buffer gets at most RNG_CHUNK bytes: the spec lets the device fill less
 * than all of it, and a guest asking for gigabytes does not keep its
 * virtual CPU (or us) busy for long.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/virtio_ids.h>
#include "rng.h"
#include "virtio.h"

#define RNG_QUEUE_SIZE	64
#define RNG_CHUNK	65536u

struct rng {
	struct virtio_device vdev;
	int fd;
	struct vq_elem elem;
	struct iovec iov[VQ_NUM_MAX];
};

static void rng_notify(struct virtio_device *vdev, struct virtqueue *vq)
{
	struct rng *r = container_of(vdev, struct rng, vdev);
	struct vq_elem *e = &r->elem;
	unsigned int cnt, i;
	uint32_t len;
	ssize_t n;
	bool used = false;

	/* At most a queue's worth of buffers, and RNG_CHUNK of each, a kick */
	for (i = 0; i < vq->num && vq_pop(vq, e) > 0; i++) {
		if (!e->in_len) {
			virtio_error(vdev, "buffer %u has no writable part",
				     e->head);
			break;
		}
		len = e->in_len < RNG_CHUNK ? e->in_len : RNG_CHUNK;
		cnt = iov_slice(e->in, e->nin, 0, len, r->iov);
		do {
			n = readv(r->fd, r->iov, cnt);
		} while (n < 0 && errno == EINTR);
		if (n < 0) {
			vmsg("rng: reading %s: %s", RNG_SOURCE,
			     strerror(errno));
			n = 0;
		}
		vq_push(vq, e, n);
		used = true;
	}
	if (used)
		vq_interrupt(vq);
}

/* path is RNG_SOURCE, or a file of the unit tests' */
struct device *rng_create(const char *path)
{
	struct rng *r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errorf("cannot open %s for --rng: %s", path, strerror(errno));
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		errorf("out of memory for the entropy device");
		close(fd);
		return NULL;
	}
	r->fd = fd;
	virtio_device_init(&r->vdev, "rng", VIRTIO_ID_RNG, 0, NULL, 0);
	virtio_add_vq(&r->vdev, "requestq", RNG_QUEUE_SIZE, rng_notify);
	return &r->vdev.dev;
}

static struct device *rng_type_create(const char *arg __maybe_unused,
				      unsigned int index __maybe_unused)
{
	return rng_create(RNG_SOURCE);
}

static const struct device_type rng_type = {
	.option = "rng",
	.once = true,
	.help = "  --rng              a virtio entropy device (hwrng) fed from the\n"
		"                     host's /dev/urandom\n",
	.order = 2,
	.create = rng_type_create,
};

DEVICE_TYPE(rng_type);
