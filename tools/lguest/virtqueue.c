// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues: taking the buffers the guest makes available, giving
 * them back used, and copying between them and the Launcher's memory.
 *
 * The rings live in guest memory and the guest may write anything there,
 * at any time, even while we read it (see virtio.c): each value is read
 * once, checked, and only then used, and a ring that makes no sense is a
 * device error.
 */
#include <string.h>
#include <sys/uio.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include "virtio.h"

/*
 * A descriptor from the guest's table into d, each field read exactly
 * once: the guest may rewrite it as we read, and from here on only our
 * copy is checked and used.  (With a memcpy() the compiler would be free
 * to read the table again later instead of the copy.)
 */
static void read_desc(const struct vring_desc *gd, struct vring_desc *d)
{
	d->addr = __atomic_load_n(&gd->addr, __ATOMIC_RELAXED);
	d->len = __atomic_load_n(&gd->len, __ATOMIC_RELAXED);
	d->flags = __atomic_load_n(&gd->flags, __ATOMIC_RELAXED);
	d->next = __atomic_load_n(&gd->next, __ATOMIC_RELAXED);
}

/*
 * Tour 8.3: Trusting nothing in the rings
 *
 * The rings are guest memory, which the guest may rewrite while we read
 * it.  Every index and descriptor is read once into a local, checked, and
 * only then used; every address must be inside guest RAM (guest_ptr()).
 * A ring that makes no sense stops the device until the guest resets it.
 *
 * Take the next buffer the guest made available: its descriptor chain
 * becomes e->out (device-readable parts) and e->in (device-writable
 * parts, which the spec puts after the readable ones).  Returns 1 with a
 * buffer, 0 if there is none, -1 after a device error.
 */
int vq_pop(struct virtqueue *vq, struct vq_elem *e)
{
	struct virtio_device *vdev = vq->vdev;
	struct vring_desc d;
	uint16_t avail_idx, head, i;
	unsigned int count = 0;

	if (!vq->ready || !virtio_running(vdev))
		return 0;
	/* Acquire: the ring entry is read after the index that covers it. */
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->num) {
		virtio_error(vdev,
			     "queue %s: available index jumped from %u to %u, past the queue size %u",
			     vq->name, vq->last_avail, avail_idx, vq->num);
		return -1;
	}
	head = __atomic_load_n(&vq->avail->ring[vq->last_avail % vq->num],
			       __ATOMIC_RELAXED);
	if (head >= vq->num) {
		virtio_error(vdev, "queue %s: buffer head %u, the queue has %u descriptors",
			     vq->name, head, vq->num);
		return -1;
	}
	e->head = head;
	e->nout = 0;
	e->nin = 0;
	e->out_len = 0;
	e->in_len = 0;
	i = head;
	for (;;) {
		struct vq_iov *iov;
		uint8_t *p;

		/* A chain longer than the table must go round in a loop. */
		if (++count > vq->num) {
			virtio_error(vdev, "queue %s: descriptor chain from %u loops",
				     vq->name, head);
			return -1;
		}
		read_desc(&vq->desc[i], &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			virtio_error(vdev, "queue %s: indirect descriptor, not offered",
				     vq->name);
			return -1;
		}
		p = guest_ptr(d.addr, d.len);
		if (!p) {
			virtio_error(vdev,
				     "queue %s: descriptor %u points outside RAM (0x%llx, %u bytes)",
				     vq->name, i, (unsigned long long)d.addr, d.len);
			return -1;
		}
		if (d.flags & VRING_DESC_F_WRITE) {
			iov = &e->in[e->nin++];
			if (e->in_len + d.len < e->in_len)
				goto too_long;
			e->in_len += d.len;
		} else {
			if (e->nin) {
				virtio_error(vdev,
					     "queue %s: readable descriptor %u after a writable one",
					     vq->name, i);
				return -1;
			}
			iov = &e->out[e->nout++];
			if (e->out_len + d.len < e->out_len)
				goto too_long;
			e->out_len += d.len;
		}
		iov->base = p;
		iov->len = d.len;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= vq->num) {
			virtio_error(vdev, "queue %s: descriptor %u chains to %u, the queue has %u",
				     vq->name, i, d.next, vq->num);
			return -1;
		}
		i = d.next;
	}
	vq->last_avail++;
	return 1;
too_long:
	virtio_error(vdev, "queue %s: buffer longer than 4 GiB", vq->name);
	return -1;
}

/* Hand a buffer back to the guest, with the number of bytes we wrote. */
void vq_push(struct virtqueue *vq, const struct vq_elem *e, uint32_t written)
{
	struct vring_used_elem *u;

	/*
	 * The queue may be gone since vq_pop() (a reset, or QueueReady 0)
	 * should a device let go of its lock in between: then there is no
	 * ring to put the buffer in.
	 */
	if (!vq->ready || !vq->num || !vq->used) {
		vmsg("%s: queue %s is not set up: buffer %u not returned",
		     vq->vdev->dev.name, vq->name, e->head);
		return;
	}
	u = &vq->used->ring[vq->used_idx % vq->num];
	u->id = e->head;
	u->len = written;
	vq->used_idx++;
	/* Release: the guest must see the entry before the index. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

/*
 * Interrupt the guest about used buffers unless it asked us not to.  The
 * full barrier orders our used->idx store before the load of its flags,
 * which it writes before it looks at used->idx again.
 */
void vq_interrupt(struct virtqueue *vq)
{
	uint16_t flags;

	if (!vq->ready)
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = __atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED);
	if (flags & VRING_AVAIL_F_NO_INTERRUPT)
		return;
	virtio_raise_irq(vq->vdev, VIRTIO_MMIO_INT_VRING);
}

/*
 * Copy between a buffer's parts (e->out or e->in) and the Launcher's
 * memory, from byte off of the buffer on; up to len bytes, fewer if the
 * buffer ends first.  Return how many bytes were copied.
 */
static uint32_t iov_copy(const struct vq_iov *iov, unsigned int n,
			 uint32_t off, uint8_t *buf, uint32_t len, bool to_iov)
{
	uint32_t done = 0, chunk;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		chunk = iov[i].len - off;
		if (chunk > len - done)
			chunk = len - done;
		if (to_iov)
			memcpy(iov[i].base + off, buf + done, chunk);
		else
			memcpy(buf + done, iov[i].base + off, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

uint32_t iov_to_buf(const struct vq_iov *iov, unsigned int n, uint32_t off,
		    void *buf, uint32_t len)
{
	return iov_copy(iov, n, off, buf, len, false);
}

uint32_t iov_from_buf(const struct vq_iov *iov, unsigned int n, uint32_t off,
		      const void *buf, uint32_t len)
{
	return iov_copy(iov, n, off, (uint8_t *)buf, len, true);
}

/*
 * Bytes [off, off + len) of a buffer's parts as an iovec array for
 * readv() and friends, which out must have room for (n entries): return
 * the number of entries, which cover fewer bytes if the buffer ends first.
 */
unsigned int iov_slice(const struct vq_iov *iov, unsigned int n, uint32_t off,
		       uint32_t len, struct iovec *out)
{
	unsigned int i, cnt = 0;
	uint32_t chunk;

	for (i = 0; i < n && len; i++) {
		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		chunk = iov[i].len - off;
		if (chunk > len)
			chunk = len;
		out[cnt].iov_base = iov[i].base + off;
		out[cnt].iov_len = chunk;
		cnt++;
		len -= chunk;
		off = 0;
	}
	return cnt;
}
