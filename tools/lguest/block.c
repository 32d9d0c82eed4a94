// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio block device (device ID 2): --block=FILE gives the guest a
 * disk (vda, vdb, ... in the order of the options) backed by FILE, a disk
 * image or a block device.  Its capacity is FILE's size in 512-byte
 * sectors, fixed at start.  FILE opens read-write if it can, read-only
 * (VIRTIO_BLK_F_RO) if we may not write to it.
 *
 * One queue of 256 entries, so that a request of 1 MB in 4 KB pages (254
 * data parts and the header and status) fits in one.  Requests are done
 * when the guest kicks the queue, in the main thread (or the doorbell
 * thread, with --doorbells), with preadv()/pwritev() straight between the
 * file and the guest's buffers.
 * Writes go to the host's page cache, as a disk's write cache; a flush
 * (VIRTIO_BLK_T_FLUSH, offered as VIRTIO_BLK_F_FLUSH) is an fdatasync().
 *
 * A request is a header (type, sector) the device reads, the data, and a
 * status byte the device writes last.  A request the device cannot do
 * (past the end of the disk, a write to a read-only disk, a header too
 * short, data the device cannot read or write as the request needs) gets
 * VIRTIO_BLK_S_IOERR, an unknown type VIRTIO_BLK_S_UNSUPP; one without
 * room for the status is a device error (see virtio.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include "block.h"
#include "virtio.h"

/* What to do about a missing or odd disk image, in the messages */
#define MAKE_DISK	"make a disk image with e.g. truncate -s 64M"
#define TRUNCATE	"truncate -s 64M"

#define BLK_QUEUE_SIZE	256
#define SECTOR		512u
/* Without indirect descriptors, a request's parts all fit in the queue. */
#define BLK_SEG_MAX	(BLK_QUEUE_SIZE - 2)

struct block {
	struct virtio_device vdev;
	struct virtio_blk_config config;
	const char *path;
	char name[8];		/* the guest's name for it: vda, vdb, ... */
	int fd;
	bool read_only;
	/* The capacity, apart from the config space the guest reads. */
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES];
	/* Working space for one request, under the device lock */
	struct vq_elem elem;
	struct iovec iov[VQ_NUM_MAX];
};

static struct block *to_block(struct virtio_device *vdev)
{
	return container_of(vdev, struct block, vdev);
}

/* Skip n bytes of an iovec array that a short transfer did. */
static void iov_advance(struct iovec **iov, unsigned int *cnt, size_t n)
{
	while (*cnt && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

/*
 * Move len bytes between the file at sector and the request's buffers
 * from byte off of its parts v; retried until done, or until the Launcher
 * is to stop.  Reading past the end of the file (which shrank under us)
 * is an error, like any other.
 */
static int transfer(struct block *b, bool write, const struct vq_iov *v,
		    unsigned int n, uint32_t off, uint32_t len, uint64_t sector)
{
	struct iovec *iov = b->iov;
	unsigned int cnt = iov_slice(v, n, off, len, iov);
	off_t pos = sector * SECTOR;
	ssize_t done;

	while (len) {
		if (write)
			done = pwritev(b->fd, iov, cnt, pos);
		else
			done = preadv(b->fd, iov, cnt, pos);
		if (done < 0 && errno == EINTR && !stop_is_pending())
			continue;
		if (done <= 0) {
			vmsg("%s: %s of %u bytes at byte %lld of %s: %s",
			     b->name, write ? "write" : "read", len,
			     (long long)pos, b->path,
			     done ? strerror(errno) : "end of file");
			return -1;
		}
		pos += done;
		len -= done;
		iov_advance(&iov, &cnt, done);
	}
	return 0;
}

/* Whole sectors, inside the disk: no overflow whatever the guest sends. */
static bool in_range(struct block *b, uint64_t sector, uint32_t len)
{
	if (len % SECTOR) {
		vmsg("%s: %u bytes is not a whole number of sectors", b->name,
		     len);
		return false;
	}
	if (sector > b->sectors || len / SECTOR > b->sectors - sector) {
		vmsg("%s: sectors %llu+%u are past the end of the disk (%llu sectors)",
		     b->name, (unsigned long long)sector, len / SECTOR,
		     (unsigned long long)b->sectors);
		return false;
	}
	return true;
}

/*
 * Do one request: its status.  A read's data must be device-writable,
 * a write's device-readable: the other way round, nothing would move.
 */
static uint8_t do_request(struct block *b, const struct vq_elem *e)
{
	struct virtio_blk_outhdr hdr;
	uint32_t len;

	if (iov_to_buf(e->out, e->nout, 0, &hdr, sizeof(hdr)) != sizeof(hdr)) {
		vmsg("%s: request %u has a %u-byte header, not %zu", b->name,
		     e->head, e->out_len, sizeof(hdr));
		return VIRTIO_BLK_S_IOERR;
	}
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		if (e->out_len > sizeof(hdr)) {
			vmsg("%s: read with %zu bytes of device-readable data",
			     b->name, e->out_len - sizeof(hdr));
			return VIRTIO_BLK_S_IOERR;
		}
		len = e->in_len - 1;	/* the last byte is the status */
		if (!in_range(b, hdr.sector, len) ||
		    transfer(b, false, e->in, e->nin, 0, len, hdr.sector))
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		if (b->read_only) {
			vmsg("%s: write to a read-only disk", b->name);
			return VIRTIO_BLK_S_IOERR;
		}
		if (e->in_len > 1) {
			vmsg("%s: write with %u bytes of device-writable data",
			     b->name, e->in_len - 1);
			return VIRTIO_BLK_S_IOERR;
		}
		len = e->out_len - sizeof(hdr);
		if (!in_range(b, hdr.sector, len) ||
		    transfer(b, true, e->out, e->nout, sizeof(hdr), len,
			     hdr.sector))
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		while (fdatasync(b->fd) < 0) {
			if (errno == EINTR && !stop_is_pending())
				continue;
			vmsg("%s: flush of %s: %s", b->name, b->path,
			     strerror(errno));
			return VIRTIO_BLK_S_IOERR;
		}
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		len = e->in_len - 1;
		if (len > sizeof(b->id))
			len = sizeof(b->id);
		iov_from_buf(e->in, e->nin, 0, b->id, len);
		return VIRTIO_BLK_S_OK;
	default:
		vmsg("%s: request type %u is not supported", b->name, hdr.type);
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/*
 * At most a queue's worth of requests per kick.  Each goes back with its
 * whole writable part as the used length: the status byte, which the
 * driver reads, is its last byte (what a failed request leaves of the
 * data before it is of no use to the driver anyway).
 */
static void block_notify(struct virtio_device *vdev, struct virtqueue *vq)
{
	struct block *b = to_block(vdev);
	struct vq_elem *e = &b->elem;
	uint8_t status;
	unsigned int n;
	bool used = false;

	for (n = 0; n < vq->num && vq_pop(vq, e) > 0; n++) {
		if (!e->in_len) {
			virtio_error(vdev, "request %u has no room for its status",
				     e->head);
			break;
		}
		status = do_request(b, e);
		iov_from_buf(e->in, e->nin, e->in_len - 1, &status, 1);
		vq_push(vq, e, e->in_len);
		used = true;
	}
	if (used)
		vq_interrupt(vq);
}

/* The guest's name for the index-th disk: vda ... vdz, vdaa ... */
static void disk_name(char *buf, size_t size, unsigned int index)
{
	if (index < 26)
		snprintf(buf, size, "vd%c", 'a' + index);
	else
		snprintf(buf, size, "vd%c%c", 'a' + index / 26 - 1,
			 'a' + index % 26);
}

/* Read-write if we may, else read-only: the file, or -1 with errno. */
static int open_disk(const char *path, bool *read_only)
{
	int fd, err;

	*read_only = false;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0 || (errno != EACCES && errno != EROFS && errno != EPERM))
		return fd;
	err = errno;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	*read_only = true;
	vmsg("block file %s cannot be written (%s): the guest gets a read-only disk",
	     path, strerror(err));
	return fd;
}

struct device *block_create(const char *path, unsigned int index)
{
	struct block *b;
	const char *base;
	struct stat st;
	bool read_only;
	off_t size;
	int fd;

	fd = open_disk(path, &read_only);
	if (fd < 0) {
		errorf("cannot open block file %s: %s (check the path; %s %s)",
		       path, strerror(errno), MAKE_DISK, path);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		errorf("block file %s is not a regular file or a block device: pass a disk image",
		       path);
		goto fail;
	}
	/* The size of a block device too, which st_size is not */
	size = lseek(fd, 0, SEEK_END);
	if (size < 0) {
		errorf("cannot find the size of block file %s: %s", path,
		       strerror(errno));
		goto fail;
	}
	if (size == 0 || size % SECTOR) {
		if (size == 0)
			errorf("block file %s is empty: give it a size (e.g. %s %s)",
			       path, TRUNCATE, path);
		else
			errorf("block file %s is %lld bytes, %s: resize it (e.g. %s %s)",
			       path, (long long)size,
			       "not a whole number of 512-byte sectors",
			       TRUNCATE, path);
		goto fail;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		errorf("out of memory for block device %s", path);
		goto fail;
	}
	b->path = path;
	b->fd = fd;
	b->read_only = read_only;
	b->sectors = size / SECTOR;
	disk_name(b->name, sizeof(b->name), index);
	/* GET_ID: the file's name, as much of it as fits (no NUL then) */
	base = strrchr(path, '/');
	base = base && base[1] ? base + 1 : path;
	memcpy(b->id, base, strnlen(base, sizeof(b->id)));

	virtio_device_init(&b->vdev, b->name, VIRTIO_ID_BLOCK,
			   (1ull << VIRTIO_BLK_F_SEG_MAX) |
			   (1ull << VIRTIO_BLK_F_FLUSH) |
			   (read_only ? 1ull << VIRTIO_BLK_F_RO : 0),
			   &b->config, sizeof(b->config));
	b->config.capacity = b->sectors;
	b->config.seg_max = BLK_SEG_MAX;
	virtio_add_vq(&b->vdev, "requestq", BLK_QUEUE_SIZE, block_notify);
	vmsg("%s: %s, %llu sectors%s", b->name, path,
	     (unsigned long long)b->sectors, read_only ? ", read-only" : "");
	return &b->vdev.dev;
fail:
	close(fd);
	return NULL;
}

static int block_check(const char *path)
{
	if (!*path) {
		errorf("--block needs a file name (see lguest --help)");
		return -1;
	}
	return 0;
}

static struct device *block_type_create(const char *path, unsigned int index)
{
	return block_create(path, index);
}

static const struct device_type block_type = {
	.option = "block",
	.has_arg = true,
	.help = "  --block=FILE       a virtio disk backed by FILE (a disk image whose\n"
		"                     size is a multiple of 512, or a block device);\n"
		"                     read-only if FILE cannot be written.  Repeat it\n"
		"                     for more disks: vda, vdb... in this order\n",
	.order = 1,
	.check = block_check,
	.create = block_type_create,
};

DEVICE_TYPE(block_type);
