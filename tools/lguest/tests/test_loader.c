// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: loading kernels and initrds (loader.c).
 */
#include "unit.h"

/* The kernel image img of len bytes is refused with an error naming substr. */
#define CHECK_REFUSED(name, img, len, substr)				\
	do {								\
		struct boot_info refused_bi;				\
									\
		clear_error();						\
		CHECK_ERR(load_kernel_image(name, img, len, &refused_bi) < 0, \
			  substr);					\
	} while (0)

static struct boot_params *bp(void)
{
	return (struct boot_params *)(ram + BOOT_PARAMS_ADDR);
}

static const char *cmdline(void)
{
	return (const char *)ram + CMDLINE_ADDR;
}

/* How many devices a command line names */
static unsigned int count_devices_in(const char *cmdline)
{
	unsigned int n = 0;

	while ((cmdline = strstr(cmdline, "virtio_mmio.device="))) {
		cmdline++;
		n++;
	}
	return n;
}

/* The segments of the real vmlinux landed where they belong. */
static void check_vmlinux_loaded(const uint8_t *elf, const char *what)
{
	const Elf32_Ehdr *eh = (const void *)elf;
	const Elf32_Phdr *ph = (const void *)(elf + eh->e_phoff);
	unsigned int i, segs = 0;
	bool same = true, bss_zero = true;
	uint32_t j;

	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		segs++;
		if (memcmp(ram + ph[i].p_paddr, elf + ph[i].p_offset,
			   ph[i].p_filesz))
			same = false;
		for (j = ph[i].p_filesz; j < ph[i].p_memsz; j++)
			if (ram[ph[i].p_paddr + j])
				bss_zero = false;
	}
	CHECK(segs > 0 && same, "%s: %u segments copied to p_paddr", what,
	      segs);
	CHECK(bss_zero, "%s: bss zeroed", what);
}

static void check_boot_params(const struct boot_info *bi, const char *what)
{
	struct boot_params *b = bp();

	CHECK_EQ(b->hdr.version, 0x020f, "hdr.version");
	CHECK_EQ(b->hdr.hardware_subarch, X86_SUBARCH_LGUEST,
		 "hdr.hardware_subarch");
	CHECK_EQ(b->hdr.type_of_loader, 0xff, "hdr.type_of_loader");
	CHECK_EQ(b->hdr.cmd_line_ptr, CMDLINE_ADDR, "hdr.cmd_line_ptr");
	CHECK_EQ(b->hdr.boot_flag, 0xaa55, "hdr.boot_flag");
	CHECK_EQ(b->hdr.header, 0x53726448, "hdr.header (HdrS)");
	CHECK_EQ(b->e820_entries, 2, "e820_entries");
	CHECK(b->e820_table[0].addr == 0 &&
	      b->e820_table[0].size == 0x9f000 &&
	      b->e820_table[0].type == 1 &&
	      b->e820_table[1].addr == 0x100000 &&
	      b->e820_table[1].size == guest_mem.size - 0x100000 &&
	      b->e820_table[1].type == 1,
	      "%s: e820 is RAM below 636 KiB and from 1 MiB to the end", what);
	CHECK_EQ(b->hdr.ramdisk_image, bi->initrd_addr, "hdr.ramdisk_image");
	CHECK_EQ(b->hdr.ramdisk_size, bi->initrd_size, "hdr.ramdisk_size");
}

static void fill_ram(uint8_t v)
{
	memset(ram, v, guest_mem.size);
}

static void test_vmlinux(const uint8_t *elf, size_t len)
{
	struct config cfg = { .mem_mb = 64, .kernel = vmlinux_path };
	static const char *const args[] = { "root=/dev/vda", "quiet" };
	struct boot_info bi;
	char want[256];

	group = "vmlinux";
	fill_ram(0xaa);
	cfg.args = args;
	cfg.nargs = 2;
	clear_error();
	CHECK(boot_setup(&cfg, &bi) == 0, "loads %s", vmlinux_path);
	CHECK(!bi.bzimage, "is an ELF");
	CHECK_EQ(bi.entry, ((Elf32_Ehdr *)elf)->e_entry, "entry = e_entry");
	CHECK_EQ(bi.entry, 0x1000000, "entry (CONFIG_PHYSICAL_START)");
	check_vmlinux_loaded(elf, "vmlinux");
	check_boot_params(&bi, "vmlinux");
	/* Then a virtio_mmio.device= for each device (test_cmdline()) */
	snprintf(want, sizeof(want), "%s",
		 "root=/dev/vda quiet console=hvc0 earlyprintk=serial,ttyS0,115200");
	CHECK(!strncmp(cmdline(), want, strlen(want)) &&
	      count_devices_in(cmdline()) == ndevices,
	      "command line is \"%s\"", cmdline());
	CHECK(!bi.initrd_addr && !bi.initrd_size, "no initrd");
	(void)len;
}

static void test_initrd(void)
{
	struct config cfg = { .mem_mb = 64, .kernel = vmlinux_path };
	struct boot_info bi;
	static uint8_t data[10000];
	unsigned int i;

	group = "initrd";
	for (i = 0; i < sizeof(data); i++)
		data[i] = i * 7 + 3;
	cfg.initrd = write_tmp("initrd", data, sizeof(data));
	fill_ram(0);
	CHECK(boot_setup(&cfg, &bi) == 0, "loads with an initrd");
	/* 10000 bytes round up to 3 pages, at the top of RAM */
	CHECK_EQ(bi.initrd_addr, TEST_MEM - 3 * PAGE_SIZE, "initrd address");
	CHECK_EQ(bi.initrd_addr % PAGE_SIZE, 0, "initrd page-aligned");
	CHECK_EQ(bi.initrd_size, sizeof(data), "initrd size");
	CHECK(!memcmp(ram + bi.initrd_addr, data, sizeof(data)),
	      "initrd contents");
	check_boot_params(&bi, "initrd");

	/* An initrd that would overlap the kernel. */
	{
		size_t big = TEST_MEM - 0x1000000;
		uint8_t *junk = calloc(1, big);

		cfg.initrd = write_tmp("big-initrd", junk, big);
		free(junk);
		clear_error();
		CHECK_ERR(boot_setup(&cfg, &bi) < 0,
			  "does not fit in RAM above the kernel");
		cfg.initrd = write_tmp("empty-initrd", "", 0);
		CHECK_ERR(boot_setup(&cfg, &bi) < 0, "is empty");
		cfg.initrd = "/nonexistent/initrd";
		CHECK_ERR(boot_setup(&cfg, &bi) < 0, "cannot open initrd");
		cfg.initrd = tmpdir;
		CHECK_ERR(boot_setup(&cfg, &bi) < 0, "not a regular file");
	}
}

static void test_cmdline(void)
{
	static const char want[] = "console=ttyS0 earlyprintk=vga x=\"a b\"";
	char buf[CMDLINE_MAX];
	static const char *const user[] = {
		"console=ttyS0", "earlyprintk=vga", "x=\"a b\""
	};
	static char longarg[CMDLINE_MAX];
	static const char *const toolong[] = { longarg };

	group = "cmdline";
	CHECK(build_cmdline(buf, sizeof(buf), 3, user) == 0, "builds");
	CHECK(!strstr(buf, "console=hvc0") && !strstr(buf, "earlyprintk=serial"),
	      "the user's console= and earlyprintk= win: \"%s\"", buf);
	CHECK(!strncmp(buf, want, strlen(want)),
	      "user args first, in order: \"%s\"", buf);
	CHECK(count_devices_in(buf) == ndevices,
	      "a virtio_mmio.device= for each of the %u devices: \"%s\"",
	      ndevices, buf);
	memset(longarg, 'x', sizeof(longarg) - 40);
	clear_error();
	CHECK_ERR(build_cmdline(buf, sizeof(buf), 1, toolong) < 0,
		  "longer than 2047 bytes");
}

/* gzip with the same wrapper as the kernel's build (gzip -n). */
static uint8_t *gzip(const uint8_t *src, size_t len, size_t *outlen)
{
	z_stream zs;
	uint8_t *out;
	size_t cap;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&zs, len);
	out = malloc(cap);
	zs.next_in = (uint8_t *)src;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/*
 * A bzImage with another payload: the real setup part, then the payload
 * right at the start of the protected-mode part.
 */
static uint8_t *make_bzimage(const uint8_t *bz, const uint8_t *payload,
			     size_t plen, size_t *outlen)
{
	const struct setup_header *h = (const void *)(bz + 0x1f1);
	size_t pm = ((h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	uint8_t *img = malloc(pm + plen);
	struct setup_header *nh = (void *)(img + 0x1f1);

	memcpy(img, bz, pm);
	memcpy(img + pm, payload, plen);
	nh->payload_offset = 0;
	nh->payload_length = plen;
	*outlen = pm + plen;
	return img;
}

/*
 * The real bzImage, its payload made to start like another compression's:
 * the kernel_info stays where the kernel put it.
 */
static uint8_t *remagic_bzimage(const uint8_t *bz, size_t bzlen,
				const uint8_t *magic, size_t mlen)
{
	const struct setup_header *h = (const void *)(bz + 0x1f1);
	size_t pm = ((h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	uint8_t *img = malloc(bzlen);

	memcpy(img, bz, bzlen);
	memcpy(img + pm + h->payload_offset, magic, mlen);
	return img;
}

/*
 * The kernel_info moved to the very end of the file: the bounds checks
 * at their limits, each way.
 */
static void test_kernel_info_at_end(const uint8_t *bz, size_t bzlen,
				    const uint8_t *xz, size_t xzlen)
{
	const struct setup_header *h = (const void *)(bz + 0x1f1);
	size_t pm = ((h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	size_t len = bzlen + 20;
	uint8_t *img = realloc(remagic_bzimage(bz, bzlen, xz, xzlen), len);
	struct setup_header *nh = (void *)(img + 0x1f1);
	struct boot_info bi;
	uint32_t v;

	memcpy(img + bzlen, bz + pm + h->kernel_info_offset, 20);
	v = 20;
	memcpy(img + bzlen + 4, &v, 4);
	nh->kernel_info_offset = bzlen - pm;
	clear_error();
	CHECK(load_kernel_image("end-info-xz", img, len, &bi) == 0,
	      "a kernel_info that ends with the file loads: %s", last_error);
	v = 21;
	memcpy(img + bzlen + 4, &v, 4);
	CHECK_REFUSED("over-info-xz", img, len,
		      "its kernel_info has a bad header");
	/* Its header in the last 8 bytes: a kernel_info without the field */
	v = 8;
	memcpy(img + bzlen + 4, &v, 4);
	memcpy(img + len - 8, img + bzlen, 8);
	nh->kernel_info_offset = len - 8 - pm;
	CHECK_REFUSED("last8-info-xz", img, len,
		      "built without CONFIG_LGUEST_GUEST");
	nh->kernel_info_offset = len - 7 - pm;
	CHECK_REFUSED("last7-info-xz", img, len,
		      "its kernel_info lies outside the file");
	free(img);
}

/* A bzImage whose kernel_info does not say it can be a guest. */
static void test_entry_subarchs(const uint8_t *bz, size_t bzlen,
				const uint8_t *xz, size_t xzlen)
{
	const struct setup_header *h = (const void *)(bz + 0x1f1);
	size_t pm = ((h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	uint8_t *img = remagic_bzimage(bz, bzlen, xz, xzlen);
	struct setup_header *nh = (void *)(img + 0x1f1);
	uint8_t *ki = img + pm + h->kernel_info_offset;
	struct boot_info bi;
	uint32_t v;
	bool has_info = h->version >= 0x20f &&
			pm + h->kernel_info_offset + 20 <= bzlen &&
			!memcmp(ki, "LToP", 4);

	CHECK(has_info, "%s has a kernel_info", bzimage_path);
	if (!has_info) {
		free(img);
		return;
	}
	memcpy(&v, ki + 16, 4);
	CHECK_EQ(v, 1u << X86_SUBARCH_LGUEST, "entry_subarchs: lguest's bit");
	v = 1u << X86_SUBARCH_XEN;
	memcpy(ki + 16, &v, 4);
	CHECK_REFUSED("no-lguest-xz", img, bzlen,
		      "does not list lguest in entry_subarchs)");
	/* A kernel_info too short for the field, and no kernel_info at all */
	v = 1u << X86_SUBARCH_LGUEST;
	memcpy(ki + 16, &v, 4);
	v = 16;
	memcpy(ki + 4, &v, 4);
	CHECK_REFUSED("short-info-xz", img, bzlen,
		      "built without CONFIG_LGUEST_GUEST");
	v = 20;
	memcpy(ki + 4, &v, 4);
	clear_error();
	CHECK(load_kernel_image("fixed-xz", img, bzlen, &bi) == 0,
	      "loads again with its field back: %s", last_error);
	nh->version = 0x20e;
	CHECK_REFUSED("2.14-xz", img, bzlen,
		      "built without CONFIG_LGUEST_GUEST");
	nh->version = h->version;
	nh->kernel_info_offset = 0;
	CHECK_REFUSED("no-info-xz", img, bzlen,
		      "built without CONFIG_LGUEST_GUEST");
	nh->kernel_info_offset = h->kernel_info_offset;
	/* A 64-bit kernel */
	nh->xloadflags |= XLF_KERNEL_64;
	CHECK_REFUSED("64-xz", img, bzlen,
		      "is a 64-bit kernel");
	nh->xloadflags = h->xloadflags;
	/* Damaged ones */
	nh->kernel_info_offset = bzlen - pm - 4;
	CHECK_REFUSED("far-info-xz", img, bzlen,
		      "its kernel_info lies outside the file");
	nh->kernel_info_offset = 0xfffffff0;
	CHECK_REFUSED("huge-info-xz", img, bzlen,
		      "its kernel_info lies outside the file");
	nh->kernel_info_offset = h->kernel_info_offset;
	v = bzlen;
	memcpy(ki + 4, &v, 4);
	CHECK_REFUSED("long-info-xz", img, bzlen,
		      "its kernel_info has a bad header");
	v = 7;
	memcpy(ki + 4, &v, 4);
	CHECK_REFUSED("tiny-info-xz", img, bzlen,
		      "its kernel_info has a bad header");
	v = 20;
	memcpy(ki + 4, &v, 4);
	ki[0] = 'X';
	CHECK_REFUSED("bad-info-xz", img, bzlen,
		      "its kernel_info has a bad header");
	ki[0] = 'L';
	free(img);
	test_kernel_info_at_end(bz, bzlen, xz, xzlen);
}

/*
 * Any other compression: the guest runs the kernel's decompressor, the
 * bzImage's protected-mode part copied to 1 MiB, with the setup header
 * in boot_params.
 */
static void test_own_decompressor(const uint8_t *bz, size_t bzlen)
{
	static const uint8_t xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 1, 2 };
	static const uint8_t zst[] = { 0x28, 0xb5, 0x2f, 0xfd, 0, 0 };
	const struct setup_header *h = (const void *)(bz + 0x1f1);
	size_t pm = ((h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	struct setup_header *nh;
	struct boot_params *b = bp();
	struct boot_info bi;
	uint8_t *img;
	size_t imglen = bzlen;

	img = remagic_bzimage(bz, bzlen, xz, sizeof(xz));
	nh = (void *)(img + 0x1f1);
	fill_ram(0x55);
	clear_error();
	CHECK(load_kernel_image("xz", img, imglen, &bi) == 0 &&
	      bi.bzimage && bi.own_decompressor, "xz bzImage loads: %s",
	      last_error);
	CHECK_EQ(bi.entry, 0x100000, "xz bzImage entry: code32_start");
	CHECK_EQ(bi.kernel_end, h->pref_address + h->init_size,
		 "kernel end: pref_address + init_size");
	CHECK(!memcmp(guest_ptr(0x100000, imglen - pm), img + pm,
		      imglen - pm), "the protected-mode part is at 1 MiB");
	CHECK(setup_boot_params(&bi, "console=hvc0") == 0, "boot_params for it");
	CHECK_EQ(b->hdr.init_size, h->init_size, "hdr.init_size from the bzImage");
	CHECK_EQ(b->hdr.kernel_alignment, h->kernel_alignment,
		 "hdr.kernel_alignment from the bzImage");
	CHECK_EQ(b->hdr.code32_start, 0x100000, "hdr.code32_start");
	CHECK_EQ(b->hdr.version, h->version, "hdr.version from the bzImage");
	b->hdr.version = 0x020f;	/* for the common checks */
	check_boot_params(&bi, "xz bzImage");

	/* Not enough RAM to decompress into */
	nh->init_size = TEST_MEM;
	CHECK_REFUSED("big-xz", img, imglen,
		      "of RAM to decompress its kernel: pass a larger MEM_MB");
	nh->init_size = h->init_size;
	/* Loaded elsewhere than 1 MiB, or decompressed below it */
	nh->code32_start = 0x200000;
	CHECK_REFUSED("moved-xz", img, imglen,
		      "is damaged: it loads at 0x200000");
	nh->code32_start = h->code32_start;
	nh->pref_address = 0x1000;
	CHECK_REFUSED("low-xz", img, imglen,
		      "decompresses to 0x1000");
	nh->pref_address = h->pref_address;
	/* 2.10 is needed for pref_address and init_size */
	nh->version = 0x0209;
	CHECK_REFUSED("old-xz", img, imglen,
		      "older than 2.10");
	free(img);

	img = remagic_bzimage(bz, bzlen, zst, sizeof(zst));
	clear_error();
	CHECK(load_kernel_image("zstd", img, imglen, &bi) == 0 &&
	      bi.own_decompressor, "zstd bzImage loads");
	free(img);

	test_entry_subarchs(bz, bzlen, xz, sizeof(xz));
}

static void test_bzimage(const uint8_t *bz, size_t bzlen, const uint8_t *elf,
			 size_t elflen)
{
	struct boot_info bi;
	uint8_t *gz, *img;
	size_t gzlen, imglen;
	const struct setup_header *h = (const void *)(bz + 0x1f1);

	group = "bzImage";
	CHECK(!memcmp(bz + 0x202, "HdrS", 4), "%s has HdrS", bzimage_path);

	/*
	 * The real one: whatever its compression, it loads; the guest
	 * starts at the vmlinux we load or at the kernel's decompressor.
	 */
	clear_error();
	CHECK(load_kernel_image(bzimage_path, bz, bzlen, &bi) == 0 &&
	      bi.bzimage, "real bzImage loads as a bzImage");
	CHECK_EQ(bi.entry, bi.own_decompressor ? 0x100000 : 0x1000000,
		 "real bzImage entry");

	/* The same kernel, gzip-compressed (CONFIG_KERNEL_GZIP). */
	gz = gzip(elf, elflen, &gzlen);
	CHECK(gz, "gzip the vmlinux");
	if (!gz)
		return;
	img = make_bzimage(bz, gz, gzlen, &imglen);
	fill_ram(0x55);
	clear_error();
	CHECK(load_kernel_image("gz-bzImage", img, imglen, &bi) == 0,
	      "gzip bzImage loads");
	CHECK(bi.bzimage, "gzip bzImage is a bzImage");
	CHECK_EQ(bi.entry, 0x1000000, "gzip bzImage entry");
	CHECK_EQ(bi.boot_flag, h->boot_flag, "boot_flag from the bzImage");
	CHECK_EQ(bi.header, h->header, "header from the bzImage");
	check_vmlinux_loaded(elf, "gzip bzImage");
	CHECK(setup_boot_params(&bi, "console=hvc0") == 0 &&
	      !strcmp(cmdline(), "console=hvc0"), "boot_params for it");
	check_boot_params(&bi, "gzip bzImage");

	/* The whole Launcher path: a file with a gzip payload and an initrd. */
	{
		struct config cfg = { .mem_mb = 64 };

		cfg.kernel = write_tmp("gz-bzImage", img, imglen);
		cfg.initrd = write_tmp("initrd2", "0707010000", 10);
		fill_ram(0x55);
		CHECK(boot_setup(&cfg, &bi) == 0 && bi.bzimage &&
		      bi.initrd_addr == TEST_MEM - PAGE_SIZE,
		      "boot_setup with a gzip bzImage and an initrd");
		check_boot_params(&bi, "gzip bzImage file");
	}

	/* A truncated gzip stream */
	free(img);
	img = make_bzimage(bz, gz, gzlen / 2, &imglen);
	clear_error();
	CHECK_ERR(load_kernel_image("half-gz", img, imglen, &bi) < 0,
		  "truncated");
	/* A damaged one */
	free(img);
	gz[gzlen / 2] ^= 0xff;
	gz[gzlen / 2 + 1] ^= 0x55;
	img = make_bzimage(bz, gz, gzlen, &imglen);
	clear_error();
	CHECK(load_kernel_image("bad-gz", img, imglen, &bi) < 0 &&
	      (strstr(last_error, "cannot decompress") ||
	       strstr(last_error, "truncated")),
	      "damaged gzip refused: %s", last_error);
	free(img);
	free(gz);

	/* An uncompressed payload */
	img = make_bzimage(bz, elf, elflen, &imglen);
	fill_ram(0x55);
	clear_error();
	CHECK(load_kernel_image("raw-bzImage", img, imglen, &bi) == 0 &&
	      bi.bzimage && bi.entry == 0x1000000,
	      "uncompressed-payload bzImage loads");
	check_vmlinux_loaded(elf, "uncompressed bzImage");

	/* A payload that claims to be longer than the file */
	((struct setup_header *)(img + 0x1f1))->payload_length = imglen;
	clear_error();
	CHECK_ERR(load_kernel_image("long-bzImage", img, imglen, &bi) < 0,
		  "payload lies outside the file");
	/* An old boot protocol */
	((struct setup_header *)(img + 0x1f1))->version = 0x0206;
	clear_error();
	CHECK_ERR(load_kernel_image("old-bzImage", img, imglen, &bi) < 0,
		  "older than 2.08");
	free(img);

	test_own_decompressor(bz, bzlen);
}

/* The kernel's lguest note, of another type: not a guest kernel. */
static void note_type_mutant(const uint8_t *elf, uint8_t *copy, size_t len,
			     uint32_t off, uint32_t size, struct boot_info *bi)
{
	uint32_t at = off, end = off + size;
	Elf32_Nhdr nh;

	memcpy(copy, elf, len);
	while (at + sizeof(nh) <= end) {
		memcpy(&nh, copy + at, sizeof(nh));
		if (nh.n_namesz == 7 && !memcmp(copy + at + sizeof(nh), "lguest", 7))
			break;
		at += sizeof(nh) + (nh.n_namesz + 3) / 4 * 4 +
		      (nh.n_descsz + 3) / 4 * 4;
	}
	CHECK(at + sizeof(nh) <= end, "the kernel has the lguest note");
	nh.n_type = LGUEST_ELFNOTE_GUEST + 1;
	memcpy(copy + at, &nh, sizeof(nh));
	clear_error();
	CHECK_ERR(load_kernel_image("mutant", copy, len, bi) < 0,
		  "without CONFIG_LGUEST_GUEST");
}

static void test_bad_kernels(const uint8_t *elf, size_t len)
{
	struct boot_info bi;
	uint8_t *copy;
	Elf32_Ehdr *eh;
	Elf32_Phdr *ph;
	unsigned int i;

	group = "bad kernels";
	clear_error();
	CHECK_ERR(load_kernel_file("/bin/ls", &bi) < 0, "64-bit ELF");
	CHECK_ERR(load_kernel_file("/nonexistent", &bi) < 0,
		  "cannot open kernel /nonexistent");
	CHECK_ERR(load_kernel_file("/etc/passwd", &bi) < 0,
		  "neither a bzImage nor an ELF vmlinux");
	CHECK_ERR(load_kernel_file("/tmp", &bi) < 0, "not a regular file");
	if (!elf)
		return;

	/* Too little RAM for the kernel: MEM_MB 16 with a kernel at 16 MiB */
	guest_memory_use(ram, 16 * MiB);
	clear_error();
	CHECK_ERR(load_kernel_image("vmlinux", elf, len, &bi) < 0,
		  "does not fit in RAM");
	CHECK(strstr(last_error, "pass a larger MEM_MB"),
	      "the fix is named");
	guest_memory_use(ram, TEST_MEM);

	copy = malloc(len);
	memcpy(copy, elf, len);
	eh = (void *)copy;
	ph = (void *)(copy + eh->e_phoff);

#define MUTATE(field, val, expect) do {					\
		memcpy(copy, elf, len);					\
		field = val;						\
		clear_error();						\
		CHECK_ERR(load_kernel_image("mutant", copy, len, &bi) < 0,\
			  expect);					\
	} while (0)

	MUTATE(eh->e_machine, EM_ARM, "not a 32-bit x86 ELF");
	MUTATE(eh->e_type, ET_REL, "not an executable");
	MUTATE(eh->e_ident[EI_CLASS], ELFCLASS64, "64-bit ELF");
	MUTATE(eh->e_phoff, len - 8, "bad program headers");
	MUTATE(eh->e_phentsize, 7, "bad program headers");
	MUTATE(eh->e_entry, 0x100, "entry point at 0x100");
	for (i = 0; i < eh->e_phnum && ph[i].p_type != PT_LOAD; i++)
		;
	MUTATE(ph[i].p_offset, len, "segment lies outside the file");
	MUTATE(ph[i].p_filesz, 0xffffffff, "segment lies outside the file");
	MUTATE(ph[i].p_paddr, 0x1000, "over the boot parameters");
	MUTATE(ph[i].p_paddr, 0xfffff000, "does not fit in RAM");
	MUTATE(ph[i].p_memsz, 0xfffffff0, "does not fit in RAM");
	/* No lguest note: no PT_NOTE, or another note type */
	for (i = 0; i < eh->e_phnum && ph[i].p_type != PT_NOTE; i++)
		;
	CHECK(i < eh->e_phnum, "the kernel has a PT_NOTE segment");
	if (i < eh->e_phnum) {
		note_type_mutant(elf, copy, len, ph[i].p_offset,
				 ph[i].p_filesz, &bi);
		MUTATE(ph[i].p_type, PT_NULL, "without CONFIG_LGUEST_GUEST");
		MUTATE(ph[i].p_filesz, 0, "without CONFIG_LGUEST_GUEST");
	}
	/* A short file (truncated download) */
	clear_error();
	CHECK_ERR(load_kernel_image("short", elf, 4096, &bi) < 0,
		  "outside the file");
	free(copy);
#undef MUTATE
}

static void test_kernels(void)
{
	uint8_t *elf = NULL, *bz;
	size_t elflen = 0, bzlen;

	group = "kernels";
	if (vmlinux_path)
		elf = slurp(vmlinux_path, &elflen);
	if (!vmlinux_path) {
		skip("no --vmlinux: vmlinux, initrd and bzImage loading");
	} else if (!elf) {
		CHECK(false, "cannot read %s: %s", vmlinux_path,
		      strerror(errno));
	} else {
		test_vmlinux(elf, elflen);
		test_initrd();
	}
	test_cmdline();
	test_bad_kernels(elf, elflen);

	group = "bzImage";
	bz = bzimage_path && elf ? slurp(bzimage_path, &bzlen) : NULL;
	if (!bzimage_path || !elf) {
		skip("no --bzimage or --vmlinux: bzImage loading");
	} else if (!bz) {
		CHECK(false, "cannot read %s: %s", bzimage_path,
		      strerror(errno));
	} else {
		test_bzimage(bz, bzlen, elf, elflen);
		free(bz);
	}
	free(elf);
}

UNIT_TEST(test_kernels, 20);
