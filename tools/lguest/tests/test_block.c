// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the virtio block device (block.c).
 */
#include "block.h"
#include "virtio_driver.h"

/* ---------------------------------------------------------------- */
/* virtio-blk                                                        */

#define DISK_SECTORS	64
#define BLK_HDR		BUF_BASE
#define BLK_STATUS	(BUF_BASE + 0x100)
#define BLK_DATA	(BUF_BASE + 0x1000)

static uint8_t disk_byte(uint64_t off)
{
	return off * 7 + off / 512;
}

static const char *make_disk(const char *name, size_t size)
{
	uint8_t *d = malloc(size);
	const char *path;
	size_t i;

	for (i = 0; i < size; i++)
		d[i] = disk_byte(i);
	path = write_tmp(name, d, size);
	free(d);
	return path;
}

static bool disk_is(int fd, uint64_t off, const uint8_t *want, size_t len)
{
	uint8_t buf[4096];

	return len <= sizeof(buf) && pread(fd, buf, len, off) == (ssize_t)len &&
	       !memcmp(buf, want, len);
}

static bool disk_untouched(int fd, uint64_t off, size_t len)
{
	uint8_t want[4096];
	size_t i;

	for (i = 0; i < len && i < sizeof(want); i++)
		want[i] = disk_byte(off + i);
	return disk_is(fd, off, want, len);
}

/*
 * A request as Linux's virtio_blk makes it: the header, the data (len
 * bytes, device-writable for a read), the status byte.  Returns the
 * status, 0xff if the device did not write one.
 */
static uint8_t blk_do(uint32_t type, uint64_t sector, uint32_t len,
		      bool data_in)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	unsigned int d = 0;

	memcpy(gmem(BLK_HDR), &h, sizeof(h));
	*gmem(BLK_STATUS) = 0xff;
	set_desc(0, d, BLK_HDR, sizeof(h), VRING_DESC_F_NEXT, d + 1);
	d++;
	if (len) {
		set_desc(0, d, BLK_DATA, len,
			 VRING_DESC_F_NEXT | (data_in ? VRING_DESC_F_WRITE : 0),
			 d + 1);
		d++;
	}
	set_desc(0, d, BLK_STATUS, 1, VRING_DESC_F_WRITE, 0);
	make_avail(0, 0);
	kick(0);
	return *gmem(BLK_STATUS);
}

static void test_block_requests(const char *path)
{
	uint8_t want[2048];
	unsigned int i;
	uint16_t idx;
	int fd = open(path, O_RDONLY);

	driver_init_features(1u << VIRTIO_BLK_F_SEG_MAX |
			     1u << VIRTIO_BLK_F_FLUSH, true);
	CHECK_EQ(r32(VIRTIO_MMIO_STATUS), status_ok(), "driver accepted");

	/* Read 2 sectors from sector 3 */
	memset(gmem(BLK_DATA), 0xee, 2048);
	CHECK_EQ(blk_do(VIRTIO_BLK_T_IN, 3, 1024, true), VIRTIO_BLK_S_OK,
		 "read: status");
	for (i = 0; i < 1024; i++)
		want[i] = disk_byte(3 * 512 + i);
	CHECK(!memcmp(gmem(BLK_DATA), want, 1024) &&
	      *gmem(BLK_DATA + 1024) == 0xee, "read: the file's bytes, no more");
	CHECK(used(0)->idx == 1 && last_used(0)->id == 0 &&
	      last_used(0)->len == 1025, "read: used, 1025 bytes written");
	CHECK(fake_nirqs == 1 && fake_irqs[0] == dut->irq, "read: interrupt");

	/* Data and status in one descriptor */
	{
		struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_IN,
					       .sector = DISK_SECTORS - 1 };

		memcpy(gmem(BLK_HDR), &h, sizeof(h));
		set_desc(0, 0, BLK_HDR, sizeof(h), VRING_DESC_F_NEXT, 1);
		set_desc(0, 1, BLK_DATA, 513, VRING_DESC_F_WRITE, 0);
		gmem(BLK_DATA)[512] = 0xff;
		make_avail(0, 0);
		kick(0);
		CHECK(gmem(BLK_DATA)[512] == VIRTIO_BLK_S_OK &&
		      gmem(BLK_DATA)[0] == disk_byte((DISK_SECTORS - 1) * 512) &&
		      last_used(0)->len == 513,
		      "read of the last sector, status in the data descriptor");
	}

	/* Write sector 5 */
	memset(gmem(BLK_DATA), 0x5a, 512);
	CHECK_EQ(blk_do(VIRTIO_BLK_T_OUT, 5, 512, false), VIRTIO_BLK_S_OK,
		 "write: status");
	memset(want, 0x5a, 512);
	CHECK(disk_is(fd, 5 * 512, want, 512), "write: in the file");
	CHECK(disk_untouched(fd, 4 * 512, 512) &&
	      disk_untouched(fd, 6 * 512, 512), "write: neighbours untouched");
	CHECK_EQ(last_used(0)->len, 1, "write: 1 byte written (the status)");

	/* Header and data in one descriptor, as a driver may */
	{
		struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_OUT,
					       .sector = 10 };

		memcpy(gmem(BLK_DATA), &h, sizeof(h));
		memset(gmem(BLK_DATA + sizeof(h)), 0xa5, 1024);
		set_desc(0, 0, BLK_DATA, sizeof(h) + 1024, VRING_DESC_F_NEXT, 1);
		set_desc(0, 1, BLK_STATUS, 1, VRING_DESC_F_WRITE, 0);
		*gmem(BLK_STATUS) = 0xff;
		make_avail(0, 0);
		kick(0);
		memset(want, 0xa5, 1024);
		CHECK(*gmem(BLK_STATUS) == VIRTIO_BLK_S_OK &&
		      disk_is(fd, 10 * 512, want, 1024),
		      "write with the header and data in one descriptor");
	}

	CHECK_EQ(blk_do(VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK,
		 "flush");
	CHECK_EQ(last_used(0)->len, 1, "flush: 1 byte written");

	memset(gmem(BLK_DATA), 0xee, 32);
	CHECK_EQ(blk_do(VIRTIO_BLK_T_GET_ID, 0, 20, true), VIRTIO_BLK_S_OK,
		 "GET_ID");
	CHECK(!memcmp(gmem(BLK_DATA), "unit-disk.img\0\0\0\0\0\0\0", 20) &&
	      *gmem(BLK_DATA + 20) == 0xee && last_used(0)->len == 21,
	      "GET_ID: the file name, NUL-padded to 20 bytes");
	CHECK_EQ(blk_do(VIRTIO_BLK_T_GET_ID, 0, 32, true), VIRTIO_BLK_S_OK,
		 "GET_ID into 32 bytes");
	CHECK_EQ(last_used(0)->len, 33,
		 "GET_ID into 32 bytes: used length up to the status");

	/* Requests the device cannot do */
	memset(gmem(BLK_DATA), 0xee, 2048);
	CHECK_EQ(blk_do(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024, true),
		 VIRTIO_BLK_S_IOERR, "read past the end: IOERR");
	CHECK(*gmem(BLK_DATA) == 0xee && last_used(0)->len == 1025,
	      "read past the end: no data, used length up to the status");
	CHECK_EQ(blk_do(VIRTIO_BLK_T_IN, DISK_SECTORS, 512, true),
		 VIRTIO_BLK_S_IOERR, "read at the capacity: IOERR");
	CHECK_EQ(blk_do(VIRTIO_BLK_T_IN, 1ull << 63, 512, true),
		 VIRTIO_BLK_S_IOERR, "read at sector 2^63: IOERR");
	CHECK_EQ(blk_do(VIRTIO_BLK_T_IN, ~0ull, 1024, true),
		 VIRTIO_BLK_S_IOERR, "read at sector 2^64-1: IOERR");
	CHECK_EQ(blk_do(VIRTIO_BLK_T_IN, 0, 100, true), VIRTIO_BLK_S_IOERR,
		 "read of 100 bytes: IOERR");
	CHECK_EQ(blk_do(VIRTIO_BLK_T_OUT, DISK_SECTORS, 512, false),
		 VIRTIO_BLK_S_IOERR, "write past the end: IOERR");
	CHECK_EQ(lseek(fd, 0, SEEK_END), DISK_SECTORS * 512,
		 "write past the end: the file did not grow");
	CHECK_EQ(blk_do(VIRTIO_BLK_T_OUT, 0, 0, false), VIRTIO_BLK_S_OK,
		 "empty write: OK");
	/* Data the device cannot write for a read, or read for a write */
	memset(gmem(BLK_DATA), 0xee, 512);
	CHECK_EQ(blk_do(VIRTIO_BLK_T_IN, 3, 512, false), VIRTIO_BLK_S_IOERR,
		 "read into device-readable data: IOERR");
	CHECK_EQ(*gmem(BLK_DATA), 0xee, "... and the data is untouched");
	CHECK_EQ(blk_do(VIRTIO_BLK_T_OUT, 20, 512, true), VIRTIO_BLK_S_IOERR,
		 "write from device-writable data: IOERR");
	CHECK(disk_untouched(fd, 20 * 512, 512) && last_used(0)->len == 513,
	      "... and the disk is untouched");
	CHECK_EQ(blk_do(11, 0, 0, false), VIRTIO_BLK_S_UNSUPP,
		 "discard: UNSUPP");
	CHECK_EQ(blk_do(0x80000000u, 0, 0, false), VIRTIO_BLK_S_UNSUPP,
		 "unknown type: UNSUPP");
	set_desc(0, 0, BLK_HDR, 8, VRING_DESC_F_NEXT, 1);
	set_desc(0, 1, BLK_STATUS, 1, VRING_DESC_F_WRITE, 0);
	*gmem(BLK_STATUS) = 0xff;
	make_avail(0, 0);
	kick(0);
	CHECK_EQ(*gmem(BLK_STATUS), VIRTIO_BLK_S_IOERR, "8-byte header: IOERR");
	CHECK(!needs_reset(), "no device error so far");

	/* The file shrinks under us: reads past its new end fail. */
	if (truncate(path, 32 * 512) == 0) {
		CHECK_EQ(blk_do(VIRTIO_BLK_T_IN, 40, 512, true),
			 VIRTIO_BLK_S_IOERR, "read past a shrunk file: IOERR");
		CHECK(truncate(path, DISK_SECTORS * 512) == 0, "regrow it");
	}

	/* No room for the status: the device cannot answer at all. */
	idx = used(0)->idx;
	set_desc(0, 0, BLK_HDR, 16, 0, 0);
	make_avail(0, 0);
	kick(0);
	CHECK(needs_reset() && used(0)->idx == idx,
	      "request without a status byte: device error");
	/* A hostile ring is refused the same as for the console */
	driver_init_features(1u << VIRTIO_BLK_F_FLUSH, true);
	set_desc(0, 0, BLK_HDR, 16, VRING_DESC_F_NEXT, 0);
	make_avail(0, 0);
	kick(0);
	CHECK(needs_reset(), "looping request: device error");
	w32(VIRTIO_MMIO_STATUS, 0);
	close(fd);
}

static const char *ro_disk;

/* As a user who may not write the file */
static void blk_read_only_child(void)
{
	struct device *dev;
	int fd;

	group = "virtio-blk read-only";
	if (geteuid() == 0 && setuid(65534) < 0) {
		CHECK(false, "setuid(65534): %s", strerror(errno));
		return;
	}
	clear_error();
	dev = block_create(ro_disk, 1);
	CHECK(dev && !device_register(dev), "a read-only file opens");
	if (!dev)
		return;
	dut = dev;
	CHECK(features_offered(0) & 1u << VIRTIO_BLK_F_RO, "RO offered");
	driver_init_features(1u << VIRTIO_BLK_F_RO | 1u << VIRTIO_BLK_F_FLUSH,
			     true);
	memset(gmem(BLK_DATA), 0x11, 512);
	CHECK_EQ(blk_do(VIRTIO_BLK_T_OUT, 1, 512, false), VIRTIO_BLK_S_IOERR,
		 "write: IOERR");
	fd = open(ro_disk, O_RDONLY);
	CHECK(disk_untouched(fd, 512, 512), "the file is untouched");
	close(fd);
	CHECK_EQ(blk_do(VIRTIO_BLK_T_IN, 1, 512, true), VIRTIO_BLK_S_OK,
		 "read: OK");
	CHECK_EQ(*gmem(BLK_DATA), disk_byte(512), "read: the data");
	CHECK_EQ(blk_do(VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK,
		 "flush: OK");
}

static void test_block(void)
{
	struct device *dev;
	const char *path;

	group = "virtio-blk";
	path = make_disk("unit-disk.img", DISK_SECTORS * 512);
	clear_error();
	dev = block_create(path, 0);
	CHECK(dev && !device_register(dev), "creates on a %u-sector file",
	      DISK_SECTORS);
	if (!dev)
		return;
	dut = dev;
	CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK, "device ID 2");
	CHECK_EQ(features_offered(0),
		 1u << VIRTIO_BLK_F_SEG_MAX | 1u << VIRTIO_BLK_F_FLUSH,
		 "features: SEG_MAX and FLUSH, not RO");
	CHECK_EQ(features_offered(1), 1, "features: VERSION_1");
	CHECK_EQ(dev->mmio_read(dev, 0x100, 4), DISK_SECTORS, "capacity low");
	CHECK_EQ(dev->mmio_read(dev, 0x104, 4), 0, "capacity high");
	CHECK_EQ(dev->mmio_read(dev, 0x10c, 4), 254, "seg_max: 1 MB in 4 KB pages");
	dev->mmio_write(dev, 0x100, 1000, 4);
	CHECK_EQ(dev->mmio_read(dev, 0x100, 4), DISK_SECTORS,
		 "the capacity cannot be written");
	test_block_requests(path);

	group = "virtio-blk setup";
	ro_disk = make_disk("ro-disk.img", 8 * 512);
	if (chmod(ro_disk, 0444) < 0 || chmod(tmpdir, 0755) < 0)
		CHECK(false, "chmod: %s", strerror(errno));
	in_child("read-only disk", blk_read_only_child);

	clear_error();
	CHECK_ERR(!block_create("/nonexistent/disk.img", 0),
		  "cannot open block file /nonexistent/disk.img: No such file or directory (check the path; make a disk image with e.g. truncate -s 64M /nonexistent/disk.img)");
	path = make_disk("odd.img", 1000);
	CHECK_ERR(!block_create(path, 0),
		  "is 1000 bytes, not a whole number of 512-byte sectors: resize it (e.g. truncate -s 64M");
	path = write_tmp("empty.img", "", 0);
	CHECK_ERR(!block_create(path, 0),
		  "is empty: give it a size (e.g. truncate -s 64M ");
	CHECK_ERR(!block_create(tmpdir, 0), "Is a directory");
	CHECK_ERR(!block_create("/dev/null", 0),
		  "block file /dev/null is not a regular file or a block device: pass a disk image");
}

UNIT_TEST(test_block, 60);
