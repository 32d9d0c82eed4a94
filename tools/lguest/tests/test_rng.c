// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the virtio entropy device (rng.c).
 */
#include "rng.h"
#include "virtio_driver.h"

/* ---------------------------------------------------------------- */
/* virtio-rng                                                        */

static void test_rng(void)
{
	uint8_t pattern[256], zero[64];
	struct device *dev;
	unsigned int i;

	group = "virtio-rng";
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = i ^ 0x3c;
	dev = rng_create(write_tmp("entropy", pattern, sizeof(pattern)));
	CHECK(dev && !device_register(dev), "creates on a file");
	if (!dev)
		return;
	dut = dev;
	CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG, "device ID 4");
	CHECK_EQ(features_offered(0), 0, "no features");
	driver_init(true);
	memset(gmem(BUF_BASE), 0, 0x200);
	set_desc(0, 0, BUF_BASE, 10, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(0, 1, BUF_BASE + 0x100, 6, VRING_DESC_F_WRITE, 0);
	make_avail(0, 0);
	kick(0);
	CHECK(used(0)->idx == 1 && last_used(0)->len == 16 &&
	      !memcmp(gmem(BUF_BASE), pattern, 10) &&
	      !memcmp(gmem(BUF_BASE + 0x100), pattern + 10, 6),
	      "a two-part buffer filled from the source");
	CHECK(fake_nirqs == 1 && fake_irqs[0] == dev->irq, "interrupt");
	set_desc(0, 2, BUF_BASE + 0x200, 8, VRING_DESC_F_WRITE, 0);
	make_avail(0, 2);
	kick(0);
	CHECK(last_used(0)->len == 8 &&
	      !memcmp(gmem(BUF_BASE + 0x200), pattern + 16, 8),
	      "the next buffer gets the next bytes");
	CHECK(fake_nirqs == 2 && !fake_irq_bits[1] &&
	      r32(VIRTIO_MMIO_INTERRUPT_STATUS) == VIRTIO_MMIO_INT_VRING,
	      "without the host's status register: ours");
	w32(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	/* With it (LHREQ_IRQ_STATUS), the status goes with the interrupt. */
	to_virtio(dev)->host_isr = true;
	set_desc(0, 3, BUF_BASE + 0x300, 4, VRING_DESC_F_WRITE, 0);
	make_avail(0, 3);
	kick(0);
	CHECK(fake_nirqs == 3 && fake_irqs[2] == dev->irq &&
	      fake_irq_bits[2] == VIRTIO_MMIO_INT_VRING &&
	      !r32(VIRTIO_MMIO_INTERRUPT_STATUS),
	      "with the host's status register: the bits go to the host");
	to_virtio(dev)->host_isr = false;
	/* A buffer the device cannot write */
	set_desc(0, 0, BUF_BASE, 10, 0, 0);
	make_avail(0, 0);
	kick(0);
	CHECK(needs_reset(), "read-only buffer: device error");

	/* The real source */
	dev = rng_create(RNG_SOURCE);
	CHECK(dev && !device_register(dev), "creates on %s", RNG_SOURCE);
	if (!dev)
		return;
	dut = dev;
	driver_init(true);
	memset(gmem(BUF_BASE), 0, 64);
	memset(zero, 0, sizeof(zero));
	set_desc(0, 0, BUF_BASE, 64, VRING_DESC_F_WRITE, 0);
	make_avail(0, 0);
	kick(0);
	CHECK(last_used(0)->len == 64 && memcmp(gmem(BUF_BASE), zero, 64),
	      "64 random bytes");
	/* A huge buffer gets a 64 KiB part of it */
	set_desc(0, 0, BUF_BASE, 0x100000, VRING_DESC_F_WRITE, 0);
	make_avail(0, 0);
	kick(0);
	CHECK_EQ(last_used(0)->len, 65536, "1 MiB buffer: 64 KiB filled");
	clear_error();
	CHECK_ERR(!rng_create("/nonexistent"),
		  "cannot open /nonexistent for --rng: No such file or directory");
	w32(VIRTIO_MMIO_STATUS, 0);
}

UNIT_TEST(test_rng, 70);
