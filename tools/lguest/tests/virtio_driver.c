// SPDX-License-Identifier: GPL-2.0
/*
 * A fake guest driver for the virtio devices' tests (virtio_driver.h).
 */
#include "virtio_driver.h"

/* ---------------------------------------------------------------- */
/* virtio-mmio and virtqueues, as a guest driver would use them      */

struct device *con;
/* The device the helpers below drive: the console, unless a test says */
struct device *dut;

void w32(uint32_t off, uint32_t v)
{
	dut->mmio_write(dut, off, v, 4);
}

uint32_t r32(uint32_t off)
{
	return dut->mmio_read(dut, off, 4);
}

/* Each device's rings have 256 KiB of their own, each queue 64 KiB. */
uint32_t desc_gpa(unsigned int q)
{
	return RING_BASE + dut->index * 0x40000 + q * 0x10000;
}

struct vring_desc *desc(unsigned int q)
{
	return (void *)(ram + desc_gpa(q));
}

struct vring_avail *avail(unsigned int q)
{
	return (void *)(ram + desc_gpa(q) + 0x1000);
}

struct vring_used *used(unsigned int q)
{
	return (void *)(ram + desc_gpa(q) + 0x2000);
}

void setup_queue(unsigned int q, unsigned int num)
{
	memset(ram + desc_gpa(q), 0, 0x3000);
	w32(VIRTIO_MMIO_QUEUE_SEL, q);
	w32(VIRTIO_MMIO_QUEUE_NUM, num);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, desc_gpa(q));
	w32(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	w32(VIRTIO_MMIO_QUEUE_AVAIL_LOW, desc_gpa(q) + 0x1000);
	w32(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	w32(VIRTIO_MMIO_QUEUE_USED_LOW, desc_gpa(q) + 0x2000);
	w32(VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
}

/*
 * What the guest's virtio-mmio driver and virtio core do at probe time,
 * accepting features (bits 0-31) and VERSION_1, and setting up every queue.
 */
void driver_init_features(uint32_t features, bool driver_ok)
{
	unsigned int q;

	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 1);	/* VERSION_1 is bit 32 */
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, features);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	for (q = 0; q < to_virtio(dut)->nvqs; q++)
		setup_queue(q, QSIZE);
	if (driver_ok)
		w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		    VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
		    VIRTIO_CONFIG_S_DRIVER_OK);
	fake_vcpu_reset();
}

void driver_init(bool driver_ok)
{
	driver_init_features(0, driver_ok);
}

void set_desc(unsigned int q, unsigned int i, uint64_t addr,
	      uint32_t len, uint16_t flags, uint16_t next)
{
	desc(q)[i].addr = addr;
	desc(q)[i].len = len;
	desc(q)[i].flags = flags;
	desc(q)[i].next = next;
}

/* Make head available, as virtqueue_add + kick would. */
void make_avail(unsigned int q, uint16_t head)
{
	struct vring_avail *a = avail(q);

	a->ring[a->idx % QSIZE] = head;
	/* Release: a device thread may be reading the ring right now. */
	__atomic_store_n(&a->idx, a->idx + 1, __ATOMIC_RELEASE);
}

void kick(unsigned int q)
{
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

bool needs_reset(void)
{
	return r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

uint8_t *gmem(uint32_t gpa)
{
	return ram + gpa;
}

struct vring_used_elem *last_used(unsigned int q)
{
	return &used(q)->ring[(uint16_t)(used(q)->idx - 1) % QSIZE];
}

/* Wait (up to 2 s) for a device thread to return buffers up to idx. */
bool wait_used(unsigned int q, uint16_t idx)
{
	unsigned int i;

	for (i = 0; i < 200; i++) {
		if ((int16_t)(__atomic_load_n(&used(q)->idx, __ATOMIC_ACQUIRE) -
			      idx) >= 0)
			return true;
		usleep(10000);
	}
	return false;
}

uint32_t features_offered(unsigned int sel)
{
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
	return r32(VIRTIO_MMIO_DEVICE_FEATURES);
}

uint32_t status_ok(void)
{
	return VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
}

