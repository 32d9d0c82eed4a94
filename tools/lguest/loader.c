// SPDX-License-Identifier: GPL-2.0
/*
 * What the Launcher puts into guest memory before the guest runs: the
 * kernel, the initrd, boot_params and the command line.
 *
 * The guest starts like any 32-bit x86 kernel
 * started by a boot loader at its 32-bit entry: %esi points to
 * boot_params (here at guest-physical 0), which says where the command
 * line, the initrd and the RAM are, and hardware_subarch tells the kernel
 * that it runs under lguest.
 */
#include <assert.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <asm/bootparam.h>
#include "lguest.h"

#define MiB		(1024u * 1024u)
/* No kernel, compressed or not, is anywhere near this. */
#define FILE_MAX	(512u * MiB)
#define E820_RAM	1	/* E820_TYPE_RAM in the kernel */
#define BOOT_PROTOCOL	0x020f	/* the boot protocol version we speak */
#define LOADER_UNKNOWN	0xff	/* type_of_loader: not a registered one */

/* What to do about a kernel or an initrd that does not fit in RAM */
static const char larger_mem[] = "pass a larger MEM_MB";

static_assert(sizeof(struct boot_params) <= CMDLINE_ADDR,
	      "boot_params must end before the command line");

/*
 * Open a kernel or initrd: a regular file, which the Launcher keeps open
 * to load it again when the guest restarts.
 */
static int open_file(const char *what, const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errorf("cannot open %s %s: %s (check the path)", what, path,
		       strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		errorf("%s %s is not a regular file: pass the image file itself",
		       what, path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Read [0, len) of an open file into buf, from its start whatever its
 * file offset (pread).  The file may have changed since we looked at it:
 * ending early is an error.
 */
static int read_all(const char *what, const char *path, int fd, uint8_t *buf,
		    size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, buf + done, len - done, done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errorf("cannot read %s %s: %s", what, path,
			       n ? strerror(errno) : "it shrank while we read it");
			return -1;
		}
		done += n;
	}
	return 0;
}

/* Read a whole open file into a new buffer. */
static int read_file(const char *what, const char *path, int fd,
		     uint8_t **bufp, size_t *lenp)
{
	struct stat st;
	uint8_t *buf;

	if (fstat(fd, &st) < 0) {
		errorf("cannot stat %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > FILE_MAX) {
		errorf("%s %s is %s: is it really a %s?", what, path,
		       st.st_size ? "larger than 512 MiB" : "empty", what);
		return -1;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		errorf("cannot allocate %lld bytes to read %s %s",
		       (long long)st.st_size, what, path);
		return -1;
	}
	if (read_all(what, path, fd, buf, st.st_size)) {
		free(buf);
		return -1;
	}
	*bufp = buf;
	*lenp = st.st_size;
	return 0;
}

/* Check one PT_LOAD segment; widen [*lo, *hi) to cover it. */
static int check_segment(const char *what, const Elf32_Phdr *ph, size_t len,
			 uint64_t *lo, uint64_t *hi)
{
	uint64_t end = (uint64_t)ph->p_paddr + ph->p_memsz;

	if (ph->p_filesz > ph->p_memsz ||
	    (uint64_t)ph->p_offset + ph->p_filesz > len) {
		errorf("%s is damaged: a segment lies outside the file (truncated copy or build?)",
		       what);
		return -1;
	}
	if (ph->p_paddr < LOW_RESERVED_END) {
		errorf("%s loads at 0x%x, over the boot parameters at 0-0x%x: %s",
		       what, ph->p_paddr, LOW_RESERVED_END - 1,
		       "pass a kernel built for a physical start of 1 MiB or more");
		return -1;
	}
	if (end > guest_mem.size) {
		errorf("%s does not fit in RAM: it needs %llu MiB (up to 0x%llx), MEM_MB is %u: %s",
		       what, (unsigned long long)(end + MiB - 1) / MiB,
		       (unsigned long long)end, guest_mem.size / MiB,
		       larger_mem);
		return -1;
	}
	if (ph->p_paddr < *lo)
		*lo = ph->p_paddr;
	if (end > *hi)
		*hi = end;
	return 0;
}

static int check_elf_header(const char *what, const Elf32_Ehdr *eh,
			    size_t len)
{
	static const char want_i386[] =
		"lguest runs 32-bit x86 guests; build the kernel with ARCH=i386";

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG)) {
		errorf("%s is not an ELF file", what);
		return -1;
	}
	if (eh->e_ident[EI_CLASS] == ELFCLASS64) {
		errorf("%s is a 64-bit ELF file: %s", what, want_i386);
		return -1;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS32 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_386) {
		errorf("%s is not a 32-bit x86 ELF file (class %u, machine %u): %s",
		       what, eh->e_ident[EI_CLASS], eh->e_machine, want_i386);
		return -1;
	}
	if (eh->e_type != ET_EXEC) {
		errorf("%s is not an executable (ELF type %u): pass vmlinux, not a .o or .ko file",
		       what, eh->e_type);
		return -1;
	}
	if (eh->e_phentsize != sizeof(Elf32_Phdr) || !eh->e_phnum ||
	    (uint64_t)eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr) > len) {
		errorf("%s is damaged: bad program headers", what);
		return -1;
	}
	return 0;
}

/*
 * Was the kernel built to run as an lguest guest?  Such a kernel has the
 * note LGUEST_ELFNOTE_GUEST, named "lguest", in a PT_NOTE segment (see
 * <linux/lguest_launcher.h>).  Each note is a header, then its name and
 * its description, each padded to 4 bytes.
 */
static bool has_lguest_note(const uint8_t *img, size_t len,
			    const Elf32_Ehdr *eh)
{
	static const char name[] = "lguest";
	const Elf32_Phdr *ph = (const void *)(img + eh->e_phoff);
	uint64_t at, end;
	Elf32_Nhdr nh;
	unsigned int i;

	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		at = ph[i].p_offset;
		end = at + ph[i].p_filesz;
		if (end > len)
			continue;
		while (at + sizeof(nh) <= end) {
			memcpy(&nh, img + at, sizeof(nh));
			at += sizeof(nh);
			if (nh.n_type == LGUEST_ELFNOTE_GUEST &&
			    nh.n_namesz == sizeof(name) &&
			    at + sizeof(name) <= end &&
			    !memcmp(img + at, name, sizeof(name)))
				return true;
			at += ((uint64_t)nh.n_namesz + 3) / 4 * 4 +
			      ((uint64_t)nh.n_descsz + 3) / 4 * 4;
		}
	}
	return false;
}

/*
 * A vmlinux: copy each PT_LOAD segment to its physical address.  Every
 * segment is checked before anything is copied.
 */
static int load_elf(const char *what, const uint8_t *img, size_t len,
		    struct boot_info *bi)
{
	const Elf32_Ehdr *eh = (const void *)img;
	const Elf32_Phdr *ph;
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned int i;

	if (check_elf_header(what, eh, len))
		return -1;
	ph = (const void *)(img + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_memsz &&
		    check_segment(what, &ph[i], len, &lo, &hi))
			return -1;
	if (!hi) {
		errorf("%s has nothing to load (no PT_LOAD segment): is it a kernel?",
		       what);
		return -1;
	}
	if (!has_lguest_note(img, len, eh)) {
		errorf("%s was built without CONFIG_LGUEST_GUEST (it has no lguest ELF note): %s",
		       what, "build the guest kernel with CONFIG_LGUEST_GUEST=y");
		return -1;
	}
	if (eh->e_entry < lo || eh->e_entry >= hi) {
		errorf("%s has its entry point at 0x%x, outside the kernel (0x%llx-0x%llx): %s",
		       what, eh->e_entry, (unsigned long long)lo,
		       (unsigned long long)hi,
		       "pass a kernel whose entry is a physical address");
		return -1;
	}
	for (i = 0; i < eh->e_phnum; i++) {
		uint8_t *dst;

		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		dst = guest_ptr(ph[i].p_paddr, ph[i].p_memsz);
		memcpy(dst, img + ph[i].p_offset, ph[i].p_filesz);
		/* The bss: guest memory may not be fresh (tests, restarts). */
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
	}
	bi->entry = eh->e_entry;
	bi->kernel_start = lo;
	bi->kernel_end = hi;
	return 0;
}

/* Inflate a gzip stream into a new buffer, growing it as needed. */
static int gunzip(const char *what, const uint8_t *src, size_t srclen,
		  uint8_t **outp, size_t *outlen)
{
	size_t cap = srclen * 4 > 16 * MiB ? srclen * 4 : 16 * MiB;
	z_stream zs;
	uint8_t *out = NULL, *bigger;
	int ret;

	memset(&zs, 0, sizeof(zs));
	/* 16 + MAX_WBITS: a gzip header and trailer, not a zlib one. */
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		errorf("cannot set up zlib to decompress %s", what);
		return -1;
	}
	zs.next_in = (uint8_t *)src;
	zs.avail_in = srclen;
	for (;;) {
		if (cap > FILE_MAX) {
			errorf("%s decompresses to more than 512 MiB: is it a kernel?",
			       what);
			goto fail;
		}
		bigger = realloc(out, cap);
		if (!bigger) {
			errorf("cannot allocate %zu bytes to decompress %s",
			       cap, what);
			goto fail;
		}
		out = bigger;
		zs.next_out = out + zs.total_out;
		zs.avail_out = cap - zs.total_out;
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_BUF_ERROR && zs.avail_in == 0) {
			errorf("%s is truncated: its gzip payload ends early",
			       what);
			goto fail;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			errorf("cannot decompress %s: %s (damaged file? pass the vmlinux instead)",
			       what, zs.msg ? zs.msg : "zlib error");
			goto fail;
		}
		if (zs.avail_out == 0)
			cap *= 2;
	}
	*outp = out;
	*outlen = zs.total_out;
	inflateEnd(&zs);
	return 0;
fail:
	free(out);
	inflateEnd(&zs);
	return -1;
}

/* Name a bzImage payload's compression, from its magic number. */
static const char *compression_name(const uint8_t *p, size_t len)
{
	static const struct {
		const char *name;
		uint8_t magic[6];
		size_t len;
	} kinds[] = {
		{ "xz",		{ 0xfd, '7', 'z', 'X', 'Z', 0 }, 6 },
		{ "bzip2",	{ 'B', 'Z', 'h' }, 3 },
		{ "lzma",	{ 0x5d, 0, 0 }, 3 },
		{ "lzo",	{ 0x89, 'L', 'Z', 'O' }, 4 },
		{ "lz4",	{ 0x02, 0x21, 0x4c, 0x18 }, 4 },
		{ "zstd",	{ 0x28, 0xb5, 0x2f, 0xfd }, 4 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (len >= kinds[i].len &&
		    !memcmp(p, kinds[i].magic, kinds[i].len))
			return kinds[i].name;
	return "an unknown format";
}

/*
 * The boot protocol's kernel_info (2.15 on, Documentation/arch/x86/boot.rst):
 * its header and size, and the field whose bit X86_SUBARCH_LGUEST says the
 * decompressor copes with an lguest guest's entry (CONFIG_LGUEST_GUEST).
 */
#define KERNEL_INFO_MAGIC		0x506f544c	/* "LToP" */
#define KERNEL_INFO_ENTRY_SUBARCHS	0x10

/*
 * Whether the kernel behind a bzImage's decompressor can be a guest: the
 * ELF note load_elf() looks for is inside the payload, so the bzImage says
 * it in its kernel_info.  No kernel_info, or one too short to have the
 * field, is a kernel without the option.
 */
static int check_entry_subarchs(const char *path, const uint8_t *img,
				size_t len, uint64_t pm)
{
	const struct setup_header *h = (const void *)(img + 0x1f1);
	uint64_t at = pm + h->kernel_info_offset;
	uint32_t magic, size, subarchs = 0;

	if (h->version >= 0x20f && h->kernel_info_offset) {
		if (at + 8 > len) {
			errorf("bzImage %s is damaged: its kernel_info lies outside the file",
			       path);
			return -1;
		}
		memcpy(&magic, img + at, 4);
		memcpy(&size, img + at + 4, 4);
		if (magic != KERNEL_INFO_MAGIC || size < 8 || size > len - at) {
			errorf("bzImage %s is damaged: its kernel_info has a bad header",
			       path);
			return -1;
		}
		if (size >= KERNEL_INFO_ENTRY_SUBARCHS + 4)
			memcpy(&subarchs, img + at + KERNEL_INFO_ENTRY_SUBARCHS, 4);
	}
	if (!(subarchs & (1u << X86_SUBARCH_LGUEST))) {
		errorf("bzImage %s was built without CONFIG_LGUEST_GUEST (%s): %s",
		       path, "its kernel_info does not list lguest in entry_subarchs",
		       "build the guest kernel with CONFIG_LGUEST_GUEST=y");
		return -1;
	}
	return 0;
}

/*
 * A bzImage whose payload we do not decompress ourselves (xz, zstd,
 * bzip2, lzma, lzo, lz4): the guest runs the kernel's own decompressor,
 * as after any boot loader.  Its protected-mode part goes to
 * code32_start, 1 MiB, and the guest starts there; it decompresses the
 * kernel to pref_address (or, with KASLR, somewhere else in RAM that it
 * knows is free), needing init_size bytes there, and jumps to it.  It
 * reads init_size and kernel_alignment from boot_params, so the setup
 * header goes there as the kernel built it.
 */
static int load_bzimage_decompressor(const char *path, const uint8_t *img,
				     size_t len, uint64_t pm,
				     struct boot_info *bi)
{
	const struct setup_header *h = (const void *)(img + 0x1f1);
	uint64_t code_len = len - pm, out, end, need;

	/* 2.10 brought pref_address and init_size. */
	if (h->version < 0x20a) {
		errorf("bzImage %s uses boot protocol %u.%02u, older than 2.10: %s",
		       path, h->version >> 8, h->version & 0xff,
		       "pass the vmlinux instead");
		return -1;
	}
	if (h->xloadflags & XLF_KERNEL_64) {
		errorf("bzImage %s is a 64-bit kernel: %s", path,
		       "an lguest guest is a 32-bit kernel built with CONFIG_LGUEST_GUEST=y");
		return -1;
	}
	if (check_entry_subarchs(path, img, len, pm))
		return -1;
	/*
	 * A relocatable kernel decompresses to code32_start aligned up to
	 * kernel_alignment, if that is above pref_address.
	 */
	out = h->pref_address;
	if (h->relocatable_kernel && h->kernel_alignment) {
		uint64_t up = ((uint64_t)HIGH_RAM_START + h->kernel_alignment - 1) /
			      h->kernel_alignment * h->kernel_alignment;

		if (up > out)
			out = up;
	}
	end = out + h->init_size;
	if (h->code32_start != HIGH_RAM_START || h->pref_address < HIGH_RAM_START ||
	    end < out) {
		errorf("bzImage %s is damaged: it loads at 0x%x and decompresses to 0x%llx",
		       path, h->code32_start,
		       (unsigned long long)h->pref_address);
		return -1;
	}
	need = end > HIGH_RAM_START + code_len ? end : HIGH_RAM_START + code_len;
	if (need > guest_mem.size) {
		errorf("bzImage %s needs %llu MiB of RAM to decompress its kernel: %s",
		       path, (unsigned long long)(need + MiB - 1) / MiB,
		       larger_mem);
		return -1;
	}
	memcpy(guest_ptr(HIGH_RAM_START, code_len), img + pm, code_len);
	bi->own_decompressor = true;
	bi->hdr = *h;
	bi->entry = HIGH_RAM_START;
	bi->kernel_start = HIGH_RAM_START;
	bi->kernel_end = need;
	return 0;
}

/*
 * A bzImage: real-mode setup sectors, then the protected-mode part, which
 * carries the real kernel (a vmlinux ELF, usually compressed) at
 * payload_offset.  When that is uncompressed or gzip, we skip the
 * kernel's own decompressor and load the vmlinux directly, after checking
 * that it can be a guest (its ELF note); otherwise the guest runs the
 * decompressor.
 */
static int load_bzimage(const char *path, const uint8_t *img, size_t len,
			struct boot_info *bi)
{
	const struct setup_header *h = (const void *)(img + 0x1f1);
	unsigned int sects = h->setup_sects ? h->setup_sects : 4;
	uint64_t pm = (uint64_t)(sects + 1) * 512;
	char what[4096];
	const uint8_t *payload;
	uint8_t *elf;
	size_t elflen;
	int ret;

	/* 2.08 brought payload_offset and payload_length. */
	if (h->version < 0x208) {
		errorf("bzImage %s uses boot protocol %u.%02u, older than 2.08: %s",
		       path, h->version >> 8, h->version & 0xff,
		       "pass the vmlinux instead");
		return -1;
	}
	if (pm + h->payload_offset + (uint64_t)h->payload_length > len ||
	    h->payload_length < 4) {
		errorf("bzImage %s is damaged: its payload lies outside the file (truncated?)",
		       path);
		return -1;
	}
	payload = img + pm + h->payload_offset;
	snprintf(what, sizeof(what), "the kernel inside bzImage %s", path);
	bi->bzimage = true;
	bi->boot_flag = h->boot_flag;
	bi->header = h->header;

	if (!memcmp(payload, ELFMAG, SELFMAG))
		return load_elf(what, payload, h->payload_length, bi);
	if (payload[0] != 0x1f || payload[1] != 0x8b) {
		vmsg("bzImage %s has a %s-compressed payload: the guest decompresses it",
		     path, compression_name(payload, h->payload_length));
		return load_bzimage_decompressor(path, img, len, pm, bi);
	}
	if (gunzip(what, payload, h->payload_length, &elf, &elflen))
		return -1;
	ret = load_elf(what, elf, elflen, bi);
	free(elf);
	return ret;
}

/* Load a kernel image already in memory (the file's contents). */
int load_kernel_image(const char *path, const uint8_t *img, size_t len,
		      struct boot_info *bi)
{
	char what[4096];

	memset(bi, 0, sizeof(*bi));
	if (len >= 0x1f1 + sizeof(struct setup_header) &&
	    !memcmp(img + 0x202, "HdrS", 4))
		return load_bzimage(path, img, len, bi);
	if (len >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG)) {
		snprintf(what, sizeof(what), "kernel %s", path);
		return load_elf(what, img, len, bi);
	}
	errorf("kernel %s is neither a bzImage nor an ELF vmlinux: %s", path,
	       "pass arch/x86/boot/bzImage or vmlinux from a 32-bit kernel build");
	return -1;
}

static int load_kernel_fd(const char *path, int fd, struct boot_info *bi)
{
	uint8_t *img;
	size_t len;
	int ret;

	if (read_file("kernel", path, fd, &img, &len))
		return -1;
	ret = load_kernel_image(path, img, len, bi);
	free(img);
	return ret;
}

int load_kernel_file(const char *path, struct boot_info *bi)
{
	int fd = open_file("kernel", path);
	int ret;

	if (fd < 0)
		return -1;
	ret = load_kernel_fd(path, fd, bi);
	close(fd);
	return ret;
}

/*
 * The initrd goes at the top of RAM, page-aligned, as far as possible
 * from the kernel and the memory it allocates early.  It is read straight
 * into guest memory.
 */
static int load_initrd_fd(const char *path, int fd, struct boot_info *bi)
{
	struct stat st;
	uint64_t rounded;
	uint32_t addr;

	if (fstat(fd, &st) < 0 || st.st_size == 0) {
		errorf("initrd %s is empty: pass a cpio archive (e.g. from scripts/mkinitramfs.sh)",
		       path);
		return -1;
	}
	rounded = ((uint64_t)st.st_size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	if (rounded > guest_mem.size - bi->kernel_end) {
		errorf("initrd %s (%llu KiB) does not fit in RAM above the kernel, %u KiB free: %s",
		       path, (unsigned long long)st.st_size / 1024,
		       (guest_mem.size - bi->kernel_end) / 1024, larger_mem);
		return -1;
	}
	addr = guest_mem.size - rounded;
	if (read_all("initrd", path, fd, guest_ptr(addr, st.st_size),
		     st.st_size))
		return -1;
	bi->initrd_addr = addr;
	bi->initrd_size = st.st_size;
	return 0;
}

static bool has_arg(int nargs, const char *const *args, const char *prefix)
{
	int i;

	for (i = 0; i < nargs; i++)
		if (!strncmp(args[i], prefix, strlen(prefix)))
			return true;
	return false;
}

/* Append to the command line; false if it no longer fits. */
static bool append(char *buf, size_t size, size_t *pos, const char *s)
{
	size_t len = strlen(s);
	size_t need = len + (*pos ? 1 : 0);

	if (*pos + need >= size)
		return false;
	if (*pos)
		buf[(*pos)++] = ' ';
	memcpy(buf + *pos, s, len + 1);		/* and its NUL */
	*pos += len;
	return true;
}

/*
 * Tour 1.3: Devices on the command line
 *
 * A guest has no PCI bus, no ACPI and no device tree.  Its devices are
 * virtio-mmio devices, a page of registers each, at the guest-physical
 * addresses just above its RAM (device_register() hands them out), and
 * the kernel's own virtio_mmio driver finds them on its command line:
 * virtio_mmio.device=SIZE@ADDR:IRQ.  The console is hvc0; until its
 * driver is up, earlyprintk writes to an emulated serial port.  The
 * user's arguments come first.
 */
int build_cmdline(char *buf, size_t size, int nargs,
		  const char *const *args)
{
	char dev[64];
	size_t pos = 0;
	unsigned int i;
	bool ok = true;
	int a;

	buf[0] = '\0';
	for (a = 0; a < nargs; a++)
		ok = ok && append(buf, size, &pos, args[a]);
	if (!has_arg(nargs, args, "console="))
		ok = ok && append(buf, size, &pos, "console=hvc0");
	if (!has_arg(nargs, args, "earlyprintk="))
		ok = ok && append(buf, size, &pos,
				  "earlyprintk=serial,ttyS0,115200");
	for (i = 0; i < ndevices; i++) {
		snprintf(dev, sizeof(dev), "virtio_mmio.device=4K@0x%x:%u",
			 devices[i]->mmio_addr, devices[i]->irq);
		ok = ok && append(buf, size, &pos, dev);
	}
	if (!ok) {
		errorf("the kernel command line is longer than %zu bytes, the x86 limit: %s",
		       size - 1, "shorten the kernel arguments");
		return -1;
	}
	return 0;
}

int setup_boot_params(const struct boot_info *bi, const char *cmdline)
{
	struct boot_params *bp = guest_ptr(BOOT_PARAMS_ADDR, sizeof(*bp));
	char *cl = guest_ptr(CMDLINE_ADDR, CMDLINE_MAX);
	size_t len = strlen(cmdline);

	if (!bp || !cl || len >= CMDLINE_MAX) {
		errorf("internal error: no room for boot_params or the command line");
		return -1;
	}
	memset(bp, 0, sizeof(*bp));
	if (bi->own_decompressor)
		bp->hdr = bi->hdr;
	/* Zeroed first, so the copy ends in a NUL (len < CMDLINE_MAX). */
	memset(cl, 0, CMDLINE_MAX);
	memcpy(cl, cmdline, len);

	/*
	 * RAM below the legacy hole and RAM above 1 MiB, as on a PC: Linux
	 * ignores a memory map of a single entry.
	 */
	bp->e820_entries = 2;
	bp->e820_table[0].addr = 0;
	bp->e820_table[0].size = LOW_RAM_END;
	bp->e820_table[0].type = E820_RAM;
	bp->e820_table[1].addr = HIGH_RAM_START;
	bp->e820_table[1].size = guest_mem.size - HIGH_RAM_START;
	bp->e820_table[1].type = E820_RAM;

	/*
	 * boot_flag and header are the magic numbers of any bzImage; a
	 * vmlinux has none, so we write the standard values then.
	 */
	bp->hdr.boot_flag = bi->bzimage ? bi->boot_flag : 0xaa55;
	bp->hdr.header = bi->bzimage ? bi->header : 0x53726448; /* "HdrS" */
	/*
	 * 2.07 or later: the kernel looks at hardware_subarch.  A bzImage
	 * run through its decompressor keeps its own version (2.10 or later).
	 */
	if (!bi->own_decompressor)
		bp->hdr.version = BOOT_PROTOCOL;
	bp->hdr.type_of_loader = LOADER_UNKNOWN;
	bp->hdr.hardware_subarch = X86_SUBARCH_LGUEST;
	bp->hdr.hardware_subarch_data = 0;
	bp->hdr.setup_data = 0;	/* a loader's field: we pass none */
	bp->hdr.cmd_line_ptr = CMDLINE_ADDR;
	bp->hdr.cmdline_size = CMDLINE_MAX - 1;
	bp->hdr.ramdisk_image = bi->initrd_addr;
	bp->hdr.ramdisk_size = bi->initrd_size;
	return 0;
}

int boot_open(const struct config *cfg, struct boot_files *bf)
{
	bf->initrd = -1;
	bf->kernel = open_file("kernel", cfg->kernel);
	if (bf->kernel < 0)
		return -1;
	if (cfg->initrd) {
		bf->initrd = open_file("initrd", cfg->initrd);
		if (bf->initrd < 0) {
			close(bf->kernel);
			bf->kernel = -1;
			return -1;
		}
	}
	return 0;
}

void boot_close(struct boot_files *bf)
{
	if (bf->kernel >= 0)
		close(bf->kernel);
	if (bf->initrd >= 0)
		close(bf->initrd);
	bf->kernel = -1;
	bf->initrd = -1;
}

/*
 * Tour 1.2: Loading the kernel
 *
 * The Launcher is the guest's boot loader.  It loads the kernel, an ELF
 * vmlinux or a bzImage, and the initrd, and fills in boot_params at
 * guest-physical 0, with the command line after it, as any x86 boot
 * loader does.  One field matters most: hardware_subarch says
 * X86_SUBARCH_LGUEST, which is how the kernel knows, before its first
 * privileged instruction, that it is not on a PC (chapter 4).  A bzImage
 * that the guest decompresses itself must say in its kernel_info that it
 * copes with that (check_entry_subarchs()); any other kernel must carry
 * the lguest ELF note.  This runs at the first start, and at each restart
 * from the files kept open.
 */
int boot_load(const struct config *cfg, const struct boot_files *bf,
	      struct boot_info *bi)
{
	char cmdline[CMDLINE_MAX];

	if (load_kernel_fd(cfg->kernel, bf->kernel, bi))
		return -1;
	if (bf->initrd >= 0 && load_initrd_fd(cfg->initrd, bf->initrd, bi))
		return -1;
	if (build_cmdline(cmdline, sizeof(cmdline), cfg->nargs, cfg->args))
		return -1;
	vmsg("kernel %s (%s): 0x%x-0x%x, entry 0x%x", cfg->kernel,
	     bi->bzimage ? "bzImage" : "ELF", bi->kernel_start,
	     bi->kernel_end, bi->entry);
	if (bi->initrd_size)
		vmsg("initrd %s at 0x%x, %u bytes", cfg->initrd,
		     bi->initrd_addr, bi->initrd_size);
	vmsg("command line: %s", cmdline);
	return setup_boot_params(bi, cmdline);
}

/* Open, load and close: a guest that starts once. */
int boot_setup(const struct config *cfg, struct boot_info *bi)
{
	struct boot_files bf;
	int ret;

	if (boot_open(cfg, &bf))
		return -1;
	ret = boot_load(cfg, &bf, bi);
	boot_close(&bf);
	return ret;
}
