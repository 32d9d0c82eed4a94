/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake guest driver for the virtio devices' tests: it drives the device
 * under test (dut) through its virtio-mmio registers and puts rings and
 * buffers in fake guest memory.
 */
#ifndef LGUEST_VIRTIO_DRIVER_H
#define LGUEST_VIRTIO_DRIVER_H

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include "unit.h"
#include "virtio.h"

#define RING_BASE	0x200000u	/* guest-physical, per queue 64 KiB */
#define BUF_BASE	0x300000u
#define QSIZE		8

extern struct device *con;
extern struct device *dut;
void w32(uint32_t off, uint32_t v);
uint32_t r32(uint32_t off);
uint32_t desc_gpa(unsigned int q);
struct vring_desc *desc(unsigned int q);
struct vring_avail *avail(unsigned int q);
struct vring_used *used(unsigned int q);
void setup_queue(unsigned int q, unsigned int num);
void driver_init_features(uint32_t features, bool driver_ok);
void driver_init(bool driver_ok);
void set_desc(unsigned int q, unsigned int i, uint64_t addr,
	      uint32_t len, uint16_t flags, uint16_t next);
void make_avail(unsigned int q, uint16_t head);
void kick(unsigned int q);
bool needs_reset(void);
uint8_t *gmem(uint32_t gpa);
struct vring_used_elem *last_used(unsigned int q);
bool wait_used(unsigned int q, uint16_t idx);
uint32_t features_offered(unsigned int sel);
uint32_t status_ok(void);

#endif /* LGUEST_VIRTIO_DRIVER_H */
