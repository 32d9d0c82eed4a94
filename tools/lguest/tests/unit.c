// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the Launcher, without a host: they link the Launcher's
 * parts with a fake virtual CPU (fake_vcpu.c) and give it guest memory
 * in a buffer of their own.
 *
 *   tests/unit [--vmlinux=FILE] [--bzimage=FILE] [-v]
 *
 * FILEs are a 32-bit kernel build's vmlinux and arch/x86/boot/bzImage;
 * the loader tests that need them are skipped (and counted as such)
 * without them.  The last line is "N passed, N failed, N skipped"; the
 * exit status is 1 if anything failed.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <asm/bootparam.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include "lguest.h"
#include "fake_vcpu.h"

#define MiB		(1024u * 1024u)
#define TEST_MEM	(64 * MiB)

static int passed, failed, skipped;
static const char *group = "";
static const char *vmlinux_path, *bzimage_path;
static bool test_verbose;

static __printf(3, 4) void check(bool ok, int line, const char *fmt, ...);

static void check(bool ok, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		if (!test_verbose)
			return;
		printf("ok   %s: ", group);
	} else {
		failed++;
		printf("FAIL %s (unit.c:%d): ", group, line);
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok && last_error[0])
		printf(" [last error: %s]", last_error);
	putchar('\n');
}

#define CHECK(cond, ...)	check((cond), __LINE__, __VA_ARGS__)
#define CHECK_EQ(a, b, what)	check_eq((a), (b), __LINE__, what)
#define CHECK_ERR(cond, substr)	check_err((cond), substr, __LINE__)

/* A function, so that a and b are evaluated once. */
static void check_eq(uint64_t a, uint64_t b, int line, const char *what)
{
	check(a == b, line, "%s: got 0x%llx, want 0x%llx", what,
	      (unsigned long long)a, (unsigned long long)b);
}

/* cond held and the last error mentions substr */
static void check_err(bool cond, const char *substr, int line)
{
	check(cond && strstr(last_error, substr), line,
	      "error mentions \"%s\"", substr);
}

static void skip(const char *why)
{
	skipped++;
	printf("SKIP %s: %s\n", group, why);
}

static uint8_t *ram;

static void clear_error(void)
{
	last_error[0] = '\0';
}

/* ---------------------------------------------------------------- */
/* Options                                                           */

static enum parse_result parse(struct config *cfg, int argc, ...)
{
	static char *argv[32];
	va_list ap;
	int i;

	va_start(ap, argc);
	argv[0] = "lguest";
	for (i = 1; i < argc && i < 31; i++)
		argv[i] = va_arg(ap, char *);
	argv[i] = NULL;
	va_end(ap);
	clear_error();
	return parse_args(argc, argv, cfg);
}

static void test_options(void)
{
	struct config cfg;

	group = "options";
	CHECK(parse(&cfg, 3, "64", "bzImage") == PARSE_RUN, "plain run");
	CHECK_EQ(cfg.mem_mb, 64, "mem_mb");
	CHECK(!strcmp(cfg.kernel, "bzImage") && cfg.nargs == 0,
	      "kernel, no args");
	CHECK(parse(&cfg, 7, "-v", "--initrd=ird", "128", "vmlinux",
		    "root=/dev/vda", "--verbose") == PARSE_RUN,
	      "options and kernel args");
	CHECK(cfg.verbose && cfg.initrd && !strcmp(cfg.initrd, "ird"),
	      "verbose and initrd");
	CHECK(cfg.nargs == 2 && !strcmp(cfg.args[1], "--verbose"),
	      "options after KERNEL go to the guest");
	CHECK(parse(&cfg, 5, "-i", "x", "32", "k") == PARSE_RUN &&
	      !strcmp(cfg.initrd, "x") && cfg.mem_mb == 32, "-i FILE");
	CHECK(parse(&cfg, 2, "--help") == PARSE_HELP, "--help");
	CHECK(parse(&cfg, 4, "-h", "64", "k") == PARSE_HELP, "-h");
	CHECK(parse(&cfg, 3, "2048", "k") == PARSE_RUN, "2048 is allowed");

	CHECK_ERR(parse(&cfg, 1) == PARSE_ERROR, "missing MEM_MB and KERNEL");
	CHECK_ERR(parse(&cfg, 2, "64") == PARSE_ERROR, "missing KERNEL");
	CHECK_ERR(parse(&cfg, 3, "16", "k") == PARSE_ERROR, "too small");
	CHECK_ERR(parse(&cfg, 3, "31", "k") == PARSE_ERROR, "at least 32");
	CHECK_ERR(parse(&cfg, 3, "2049", "k") == PARSE_ERROR, "too large");
	CHECK_ERR(parse(&cfg, 3, "99999999999999999999", "k") == PARSE_ERROR,
		  "not a number");
	CHECK_ERR(parse(&cfg, 3, "64M", "k") == PARSE_ERROR, "not a number");
	CHECK_ERR(parse(&cfg, 3, "-1", "k") == PARSE_ERROR,
		  "unknown option '-1'");
	CHECK_ERR(parse(&cfg, 3, " 64", "k") == PARSE_ERROR, "not a number");
	CHECK_ERR(parse(&cfg, 4, "--bogus", "64", "k") == PARSE_ERROR,
		  "unknown option '--bogus'");
	CHECK_ERR(parse(&cfg, 4, "-x", "64", "k") == PARSE_ERROR,
		  "unknown option '-x'");
	CHECK_ERR(parse(&cfg, 2, "--initrd") == PARSE_ERROR,
		  "'--initrd' needs an argument");
	CHECK_ERR(parse(&cfg, 2, "-i") == PARSE_ERROR,
		  "'-i' needs an argument");
	CHECK_ERR(parse(&cfg, 4, "--initrd=", "64", "k") == PARSE_ERROR,
		  "--initrd needs a file name");
	CHECK_ERR(parse(&cfg, 4, "--verbose=yes", "64", "k") == PARSE_ERROR,
		  "'--verbose' takes no argument");
	/* A second parse must not see the first one's state. */
	CHECK(parse(&cfg, 3, "64", "k") == PARSE_RUN && !cfg.initrd &&
	      !cfg.verbose, "parse state is fresh each time");
}

/* ---------------------------------------------------------------- */
/* Loading kernels                                                   */

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	buf = fstat(fileno(f), &st) < 0 ? NULL : malloc(st.st_size + 1);
	if (!buf || fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = st.st_size;
	return buf;
}

/* mkdtemp() fills in the XXXXXX of a copy of the template */
#define TMPDIR_TEMPLATE	"/tmp/lguest-unit.XXXXXX"
static char tmpdir[sizeof(TMPDIR_TEMPLATE)];

#define MAX_TMP	16
static char tmp_files[MAX_TMP][256];
static unsigned int ntmp;

/* A file in tmpdir, removed at the end: its path. */
static const char *write_tmp(const char *name, const void *data, size_t len)
{
	char *p;
	FILE *f;

	if (ntmp >= MAX_TMP) {
		fprintf(stderr, "too many temporary files\n");
		exit(2);
	}
	p = tmp_files[ntmp++];

	snprintf(p, sizeof(tmp_files[0]), "%s/%s", tmpdir, name);
	f = fopen(p, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		perror(p);
		exit(2);
	}
	fclose(f);
	return p;
}

static struct boot_params *bp(void)
{
	return (struct boot_params *)(ram + BOOT_PARAMS_ADDR);
}

static const char *cmdline(void)
{
	return (const char *)ram + CMDLINE_ADDR;
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
	snprintf(want, sizeof(want),
		 "root=/dev/vda quiet console=hvc0 earlyprintk=serial,ttyS0,115200 virtio_mmio.device=4K@0x%x:1",
		 TEST_MEM);
	CHECK(!strcmp(cmdline(), want), "command line is \"%s\"", cmdline());
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
	static const char want[] =
		"console=ttyS0 earlyprintk=vga x=\"a b\" virtio_mmio.device=4K@";
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

static void test_bzimage(const uint8_t *bz, size_t bzlen, const uint8_t *elf,
			 size_t elflen)
{
	struct boot_info bi;
	uint8_t *gz, *img;
	size_t gzlen, imglen;
	const struct setup_header *h = (const void *)(bz + 0x1f1);

	group = "bzImage";
	CHECK(!memcmp(bz + 0x202, "HdrS", 4), "%s has HdrS", bzimage_path);

	/* The real one: whatever its compression, we find its payload. */
	clear_error();
	if (load_kernel_image(bzimage_path, bz, bzlen, &bi) == 0) {
		CHECK(bi.bzimage, "real bzImage loads as a bzImage");
		CHECK_EQ(bi.entry, 0x1000000, "real bzImage entry");
	} else {
		CHECK_ERR(true, "rebuild the kernel with CONFIG_KERNEL_GZIP=y or pass the vmlinux");
	}

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

	/* Other compressions are named, with the way out. */
	{
		static const uint8_t xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 1, 2 };
		static const uint8_t zst[] = { 0x28, 0xb5, 0x2f, 0xfd, 0, 0 };

		img = make_bzimage(bz, xz, sizeof(xz), &imglen);
		clear_error();
		CHECK_ERR(load_kernel_image("xz", img, imglen, &bi) < 0,
			  "xz-compressed payload; the Launcher reads gzip and uncompressed ones: rebuild the kernel with CONFIG_KERNEL_GZIP=y or pass the vmlinux");
		free(img);
		img = make_bzimage(bz, zst, sizeof(zst), &imglen);
		clear_error();
		CHECK_ERR(load_kernel_image("zstd", img, imglen, &bi) < 0,
			  "zstd-compressed");
		free(img);
	}
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
	/* A short file (truncated download) */
	clear_error();
	CHECK_ERR(load_kernel_image("short", elf, 4096, &bi) < 0,
		  "outside the file");
	free(copy);
#undef MUTATE
}

/* ---------------------------------------------------------------- */
/* The instruction decoder                                           */

struct pio_case {
	const char *asm_text;
	uint8_t bytes[4];
	unsigned int nbytes;
	bool ok, out, dx;
	unsigned int size, port;
};

/* Bytes from "as --32" and checked against "objdump -d". */
static const struct pio_case pio_cases[] = {
	{ "in $0x71,%al",	{ 0xe4, 0x71 }, 2,	true, false, false, 1, 0x71 },
	{ "in $0x60,%ax",	{ 0x66, 0xe5, 0x60 }, 3, true, false, false, 2, 0x60 },
	{ "in $0x40,%eax",	{ 0xe5, 0x40 }, 2,	true, false, false, 4, 0x40 },
	{ "out %al,$0x80",	{ 0xe6, 0x80 }, 2,	true, true, false, 1, 0x80 },
	{ "out %ax,$0x70",	{ 0x66, 0xe7, 0x70 }, 3, true, true, false, 2, 0x70 },
	{ "out %eax,$0xf0",	{ 0xe7, 0xf0 }, 2,	true, true, false, 4, 0xf0 },
	{ "in (%dx),%al",	{ 0xec }, 1,		true, false, true, 1, 0 },
	{ "in (%dx),%ax",	{ 0x66, 0xed }, 2,	true, false, true, 2, 0 },
	{ "in (%dx),%eax",	{ 0xed }, 1,		true, false, true, 4, 0 },
	{ "out %al,(%dx)",	{ 0xee }, 1,		true, true, true, 1, 0 },
	{ "out %ax,(%dx)",	{ 0x66, 0xef }, 2,	true, true, true, 2, 0 },
	{ "out %eax,(%dx)",	{ 0xef }, 1,		true, true, true, 4, 0 },
	{ "insb (%dx),%es:(%edi)", { 0x6c }, 1,	false },
	{ "outsl %ds:(%esi),(%dx)", { 0x6f }, 1,	false },
	{ "rep outsb %ds:(%esi),(%dx)", { 0xf3, 0x6e }, 2, false },
	{ "nop",		{ 0x90 }, 1,		false },
};

/* reg: -1 for an immediate; R8 marks an 8-bit register number */
#define R8	0x100

struct mmio_case {
	const char *asm_text;
	uint8_t bytes[12];
	unsigned int nbytes;
	bool ok, write;
	unsigned int size, reg_size;
	int reg;
	uint32_t imm;
};

enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };
enum { AL = R8, CL, DL, BL, AH, CH, DH, BH };

static const struct mmio_case mmio_cases[] = {
	{ "mov 0x70(%edx),%eax", { 0x8b, 0x42, 0x70 }, 3, true, false, 4, 4, EAX },
	{ "mov (%eax),%ecx", { 0x8b, 0x08 }, 2, true, false, 4, 4, ECX },
	{ "mov 0x100(%ebx),%esi", { 0x8b, 0xb3, 0x00, 0x01, 0x00, 0x00 },
	  6, true, false, 4, 4, ESI },
	{ "mov %edi,0x50(%ecx)", { 0x89, 0x79, 0x50 }, 3, true, true, 4, 4, EDI },
	{ "mov %eax,(%edx)", { 0x89, 0x02 }, 2, true, true, 4, 4, EAX },
	{ "mov 0x2(%eax),%dx", { 0x66, 0x8b, 0x50, 0x02 }, 4, true, false, 2, 2, EDX },
	{ "mov %cx,0x4(%ebx)", { 0x66, 0x89, 0x4b, 0x04 }, 4, true, true, 2, 2, ECX },
	{ "mov 0x100(%eax),%bl", { 0x8a, 0x98, 0x00, 0x01, 0x00, 0x00 }, 6, true, false, 1, 1, BL },
	{ "mov 0x3(%esi),%ah", { 0x8a, 0x66, 0x03 }, 3, true, false, 1, 1, AH },
	{ "mov %dh,0x8(%edi)", { 0x88, 0x77, 0x08 }, 3, true, true, 1, 1, DH },
	{ "mov %bh,(%eax)", { 0x88, 0x38 }, 2, true, true, 1, 1, BH },
	{ "movzbl 0x101(%edx),%eax", { 0x0f, 0xb6, 0x82, 0x01, 0x01, 0x00, 0x00 },
	  7, true, false, 1, 4, EAX },
	{ "movzbw 0x101(%edx),%cx", { 0x66, 0x0f, 0xb6, 0x8a, 0x01, 0x01, 0x00, 0x00 },
	  8, true, false, 1, 2, ECX },
	{ "movzwl 0x102(%ecx),%ebp", { 0x0f, 0xb7, 0xa9, 0x02, 0x01, 0x00, 0x00 },
	  7, true, false, 2, 4, EBP },
	{ "movzwl (%eax,%ebx,2),%esi", { 0x0f, 0xb7, 0x34, 0x58 }, 4, true, false, 2, 4, ESI },
	{ "movb $0x5a,0x10(%eax)", { 0xc6, 0x40, 0x10, 0x5a }, 4, true, true, 1, 0, -1, 0x5a },
	{ "movw $0x1234,0x12(%ebx)", { 0x66, 0xc7, 0x43, 0x12, 0x34, 0x12 },
	  6, true, true, 2, 0, -1, 0x1234 },
	{ "movl $0xdeadbeef,0x70(%ecx)", { 0xc7, 0x41, 0x70, 0xef, 0xbe, 0xad, 0xde },
	  7, true, true, 4, 0, -1, 0xdeadbeef },
	{ "movl $0x1,0x12345678", { 0xc7, 0x05, 0x78, 0x56, 0x34, 0x12, 0x01, 0x00, 0x00, 0x00 },
	  10, true, true, 4, 0, -1, 1 },
	{ "mov 0xfee00020,%eax", { 0xa1, 0x20, 0x00, 0xe0, 0xfe }, 5, true, false, 4, 4, EAX },
	{ "mov %eax,0xfee000b0", { 0xa3, 0xb0, 0x00, 0xe0, 0xfe }, 5, true, true, 4, 4, EAX },
	{ "mov 0xfee00020,%al", { 0xa0, 0x20, 0x00, 0xe0, 0xfe }, 5, true, false, 1, 1, AL },
	{ "mov %al,0xfee000b0", { 0xa2, 0xb0, 0x00, 0xe0, 0xfe }, 5, true, true, 1, 1, AL },
	{ "mov 0x12345678,%edx", { 0x8b, 0x15, 0x78, 0x56, 0x34, 0x12 },
	  6, true, false, 4, 4, EDX },
	{ "mov (%esp),%eax", { 0x8b, 0x04, 0x24 }, 3, true, false, 4, 4, EAX },
	{ "mov 0x8(%esp),%eax", { 0x8b, 0x44, 0x24, 0x08 }, 4, true, false, 4, 4, EAX },
	{ "mov 0x1000(%ebp),%eax", { 0x8b, 0x85, 0x00, 0x10, 0x00, 0x00 },
	  6, true, false, 4, 4, EAX },
	{ "mov 0x0(%ebp),%eax", { 0x8b, 0x45, 0x00 }, 3, true, false, 4, 4, EAX },
	{ "mov 0x10(,%ebx,4),%eax", { 0x8b, 0x04, 0x9d, 0x10, 0x00, 0x00, 0x00 },
	  7, true, false, 4, 4, EAX },
	{ "mov 0x10(%eax,%ecx,8),%edi", { 0x8b, 0x7c, 0xc8, 0x10 }, 4, true, false, 4, 4, EDI },
	{ "mov %fs:0x10(%eax),%eax", { 0x64, 0x8b, 0x40, 0x10 }, 4, true, false, 4, 4, EAX },
	{ "movl $0x7,0x4(%esp,%eax,1)", { 0xc7, 0x44, 0x04, 0x04, 0x07, 0x00, 0x00, 0x00 },
	  8, true, true, 4, 0, -1, 7 },
	/* not moves we emulate */
	{ "add %eax,(%ebx)", { 0x01, 0x03 }, 2, false },
	{ "mov %eax,%ebx (no memory operand)", { 0x89, 0xc3 }, 2, false },
	{ "movsl", { 0xa5 }, 1, false },
	{ "mov 0x70(%edx),%es", { 0x8e, 0x42, 0x70 }, 3, false },
	{ "movl $1,(%eax) with /1", { 0xc7, 0x08, 0x01, 0x00, 0x00, 0x00 }, 6, false },
	{ "addr32 prefix", { 0x67, 0x8b, 0x07 }, 3, false },
	{ "0f 0b (ud2)", { 0x0f, 0x0b }, 2, false },
};

static void test_decode(void)
{
	unsigned int i, n;
	struct pio_insn io;
	struct mmio_insn m;
	uint8_t buf[16];

	group = "decode";
	for (i = 0; i < ARRAY_SIZE(pio_cases); i++) {
		const struct pio_case *c = &pio_cases[i];

		memset(buf, 0xcc, sizeof(buf));
		memcpy(buf, c->bytes, c->nbytes);
		if (!c->ok) {
			CHECK(decode_pio(buf, sizeof(buf), &io) < 0,
			      "%s: refused", c->asm_text);
			continue;
		}
		CHECK(decode_pio(buf, sizeof(buf), &io) == 0 &&
		      io.out == c->out && io.port_in_dx == c->dx &&
		      io.size == c->size && io.len == c->nbytes &&
		      (c->dx || io.port == c->port),
		      "%s: out %d dx %d size %u port 0x%x len %u", c->asm_text,
		      io.out, io.port_in_dx, io.size, io.port, io.len);
		/* Cut short, it must be refused, not read past the end. */
		CHECK(decode_pio(buf, c->nbytes - 1, &io) < 0,
		      "%s: truncated to %u bytes is refused", c->asm_text,
		      c->nbytes - 1);
	}
	for (i = 0; i < ARRAY_SIZE(mmio_cases); i++) {
		const struct mmio_case *c = &mmio_cases[i];
		int reg = c->reg < 0 ? -1 : c->reg & 7;
		bool reg8 = c->reg >= 0 && (c->reg & R8);

		memset(buf, 0xcc, sizeof(buf));
		memcpy(buf, c->bytes, c->nbytes);
		if (!c->ok) {
			CHECK(decode_mmio(buf, sizeof(buf), &m) < 0,
			      "%s: refused", c->asm_text);
			continue;
		}
		CHECK(decode_mmio(buf, sizeof(buf), &m) == 0 &&
		      m.write == c->write && m.size == c->size &&
		      m.len == c->nbytes && m.has_imm == (c->reg < 0) &&
		      (c->reg < 0 ? m.imm == c->imm :
		       m.reg == reg && m.reg8 == reg8 &&
		       m.reg_size == c->reg_size),
		      "%s: write %d size %u reg %d%s/%u imm 0x%x len %u",
		      c->asm_text, m.write, m.size, m.reg, m.reg8 ? "(8)" : "",
		      m.reg_size, m.imm, m.len);
		for (n = 0; n < c->nbytes; n++)
			if (decode_mmio(buf, n, &m) == 0)
				break;
		CHECK(n == c->nbytes, "%s: refused when cut short",
		      c->asm_text);
	}
	/* A run of prefixes longer than an instruction can be */
	memset(buf, 0x66, sizeof(buf));
	CHECK(decode_mmio(buf, sizeof(buf), &m) < 0 &&
	      decode_pio(buf, sizeof(buf), &io) < 0, "endless prefixes refused");
}

/* ---------------------------------------------------------------- */
/* Emulation: port I/O and MMIO through handle_pending()             */

static int out_pipe[2];

static size_t drain(char *buf, size_t size)
{
	ssize_t n = read(out_pipe[0], buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? n : 0;
}

static void pending(uint32_t reason, uint32_t addr, const uint8_t *insn,
		    size_t n)
{
	struct lguest_pending p;

	memset(&p, 0, sizeof(p));
	p.reason = reason;
	p.addr = addr;
	p.insn_len = n;
	memcpy(p.insn, insn, n);
	handle_pending(&p);
}

#define PIO(...) do {							\
		static const uint8_t b_[] = { __VA_ARGS__ };		\
		pending(LGUEST_PENDING_PIO, 0, b_, sizeof(b_));		\
	} while (0)
#define MMIO(addr, ...) do {						\
		static const uint8_t b_[] = { __VA_ARGS__ };		\
		pending(LGUEST_PENDING_MMIO, addr, b_, sizeof(b_));	\
	} while (0)

static void test_pio(void)
{
	char out[64];

	group = "port I/O";
	fake_vcpu_reset();
	emulate_reset();
	serial_out_fd = out_pipe[1];
	fake_regs[LGUEST_REG_EIP] = 0xc1000000;
	fake_regs[LGUEST_REG_EDX] = 0x123403f8;
	fake_regs[LGUEST_REG_EAX] = 0x11223348;		/* 'H' */
	PIO(0xee);					/* out %al,(%dx) */
	fake_regs[LGUEST_REG_EAX] = 0x69;		/* 'i' */
	PIO(0xee);
	CHECK(drain(out, sizeof(out)) == 2 && !strcmp(out, "Hi"),
	      "out to 0x3f8 prints: \"%s\"", out);
	CHECK_EQ(fake_regs[LGUEST_REG_EIP], 0xc1000002, "eip skips 2 x 1 byte");

	/* earlyprintk's setup: DLAB on, divisor to 0x3f8/9, DLAB off */
	fake_regs[LGUEST_REG_EDX] = 0x3fb;
	fake_regs[LGUEST_REG_EAX] = 0x83;
	PIO(0xee);
	fake_regs[LGUEST_REG_EDX] = 0x3f8;
	fake_regs[LGUEST_REG_EAX] = 0x01;
	PIO(0xee);
	CHECK(drain(out, sizeof(out)) == 0, "divisor latch is not printed");
	fake_regs[LGUEST_REG_EDX] = 0x3fb;
	fake_regs[LGUEST_REG_EAX] = 0xffffff00;
	PIO(0xec);					/* in (%dx),%al */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xffffff83, "LCR reads back");
	fake_regs[LGUEST_REG_EAX] = 0x03;
	PIO(0xee);
	fake_regs[LGUEST_REG_EDX] = 0x3f8;
	fake_regs[LGUEST_REG_EAX] = '!';
	PIO(0xee);
	CHECK(drain(out, sizeof(out)) == 1 && out[0] == '!',
	      "prints again with DLAB off");

	fake_regs[LGUEST_REG_EAX] = 0xabcdef00;
	PIO(0xe4, 0xfd);				/* in $0xfd,%al: not LSR */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xabcdefff, "in al, other port");
	fake_regs[LGUEST_REG_EDX] = 0x3fd;
	fake_regs[LGUEST_REG_EAX] = 0xabcdef00;
	PIO(0xec);					/* in (%dx),%al from LSR */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xabcdef60, "LSR is 0x60, rest kept");
	fake_regs[LGUEST_REG_EAX] = 0xabcd0000;
	PIO(0x66, 0xe5, 0x60);				/* in $0x60,%ax */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xabcdffff, "in ax: 0xffff");
	PIO(0xe5, 0x40);				/* in $0x40,%eax */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xffffffff, "in eax: all ones");
	fake_regs[LGUEST_REG_EIP] = 0x1000;
	PIO(0xe7, 0x80);				/* out %eax,$0x80 */
	CHECK_EQ(fake_regs[LGUEST_REG_EIP], 0x1002, "out to 0x80 ignored, skipped");
	CHECK(drain(out, sizeof(out)) == 0, "nothing printed for port 0x80");
	CHECK_EQ(fake_ntraps, 0, "no traps so far");

	PIO(0xf3, 0x6e);				/* rep outsb */
	CHECK(fake_ntraps == 1 && fake_traps[0] == 13, "string I/O gets #GP");
	CHECK_EQ(fake_regs[LGUEST_REG_EIP], 0x1002, "eip unchanged after #GP");
}

/* ---------------------------------------------------------------- */
/* virtio-mmio and virtqueues, as a guest driver would use them      */

#define RING_BASE	0x200000u	/* guest-physical, per queue 64 KiB */
#define BUF_BASE	0x300000u
#define QSIZE		8

static struct device *con;

static void w32(uint32_t off, uint32_t v)
{
	con->mmio_write(con, off, v, 4);
}

static uint32_t r32(uint32_t off)
{
	return con->mmio_read(con, off, 4);
}

static uint32_t desc_gpa(unsigned int q)
{
	return RING_BASE + q * 0x10000;
}

static struct vring_desc *desc(unsigned int q)
{
	return (void *)(ram + desc_gpa(q));
}

static struct vring_avail *avail(unsigned int q)
{
	return (void *)(ram + desc_gpa(q) + 0x1000);
}

static struct vring_used *used(unsigned int q)
{
	return (void *)(ram + desc_gpa(q) + 0x2000);
}

static void setup_queue(unsigned int q, unsigned int num)
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

/* What virtio_mmio.c and the virtio core do at probe time. */
static void driver_init(bool driver_ok)
{
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 1);	/* VERSION_1 is bit 32 */
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	setup_queue(0, QSIZE);
	setup_queue(1, QSIZE);
	if (driver_ok)
		w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		    VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
		    VIRTIO_CONFIG_S_DRIVER_OK);
	fake_vcpu_reset();
}

static void set_desc(unsigned int q, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	desc(q)[i].addr = addr;
	desc(q)[i].len = len;
	desc(q)[i].flags = flags;
	desc(q)[i].next = next;
}

/* Make head available, as virtqueue_add + kick would. */
static void make_avail(unsigned int q, uint16_t head)
{
	struct vring_avail *a = avail(q);

	a->ring[a->idx % QSIZE] = head;
	a->idx++;
}

static void kick(unsigned int q)
{
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static bool needs_reset(void)
{
	return r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

static void test_virtio_regs(void)
{
	group = "virtio-mmio";
	w32(VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(r32(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976, "magic");
	CHECK_EQ(r32(VIRTIO_MMIO_VERSION), 2, "version 2");
	CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE, "console ID");
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_FEATURES), 0, "features 0-31: none");
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_FEATURES), 1, "features 32-63: VERSION_1");
	w32(VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK(r32(VIRTIO_MMIO_QUEUE_NUM_MAX) >= QSIZE, "receiveq exists");
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK(r32(VIRTIO_MMIO_QUEUE_NUM_MAX) >= QSIZE, "transmitq exists");
	w32(VIRTIO_MMIO_QUEUE_SEL, 2);
	CHECK_EQ(r32(VIRTIO_MMIO_QUEUE_NUM_MAX), 0, "no queue 2 (no multiport)");
	CHECK_EQ(r32(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff, "no shared memory");
	CHECK_EQ(con->mmio_read(con, 0x100, 2), 0, "config: cols 0");
	CHECK_EQ(con->mmio_read(con, 0x4, 2), 0xffffffff,
		 "16-bit register read refused");

	/* A driver without VERSION_1 (a legacy one) is refused. */
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(!(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK),
	      "FEATURES_OK refused without VERSION_1");
	/* ... and one that wants features we did not offer. */
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 1 << 1);	/* MULTIPORT */
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(!(r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK),
	      "FEATURES_OK refused with features not offered");

	driver_init(true);
	CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 0xf, "status after a good probe");
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK_EQ(r32(VIRTIO_MMIO_QUEUE_READY), 1, "transmitq ready");
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1234);
	CHECK_EQ(con->vqs[1].desc_gpa, desc_gpa(1),
		 "ring address ignored while ready");
	w32(VIRTIO_MMIO_STATUS, 0);
	CHECK(r32(VIRTIO_MMIO_STATUS) == 0 && !r32(VIRTIO_MMIO_QUEUE_READY),
	      "reset clears status and queues");
}

static void test_virtio_transmit(void)
{
	char out[256];
	static const char hello[] = "Hello, ", world[] = "world\n";

	group = "console transmit";
	driver_init(true);
	memcpy(ram + BUF_BASE, hello, 7);
	memcpy(ram + BUF_BASE + 0x100, world, 6);
	set_desc(1, 3, BUF_BASE, 7, VRING_DESC_F_NEXT, 5);
	set_desc(1, 5, BUF_BASE + 0x100, 6, 0, 0);
	make_avail(1, 3);
	kick(1);
	CHECK(drain(out, sizeof(out)) == 13 && !strcmp(out, "Hello, world\n"),
	      "a two-part buffer goes to stdout: \"%s\"", out);
	CHECK(used(1)->idx == 1 && used(1)->ring[0].id == 3 &&
	      used(1)->ring[0].len == 0, "returned used, 0 bytes written");
	CHECK(fake_nirqs == 1 && fake_irqs[0] == con->irq,
	      "interrupt on the device's line (%u)", con->irq);
	CHECK_EQ(r32(VIRTIO_MMIO_INTERRUPT_STATUS), 1, "InterruptStatus: used buffer");
	w32(VIRTIO_MMIO_INTERRUPT_ACK, 1);
	CHECK_EQ(r32(VIRTIO_MMIO_INTERRUPT_STATUS), 0, "InterruptACK clears it");

	/* The guest does not want an interrupt this time. */
	avail(1)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	set_desc(1, 0, BUF_BASE, 5, 0, 0);
	make_avail(1, 0);
	make_avail(1, 0);
	kick(1);
	CHECK(drain(out, sizeof(out)) == 10 && !strcmp(out, "HelloHello"),
	      "two buffers in one kick");
	CHECK(used(1)->idx == 3 && fake_nirqs == 1,
	      "NO_INTERRUPT is honoured");
	CHECK(!needs_reset(), "no device error so far");

	/* Before DRIVER_OK buffers wait; DRIVER_OK sends them. */
	driver_init(false);
	set_desc(1, 0, BUF_BASE + 0x100, 6, 0, 0);
	make_avail(1, 0);
	kick(1);
	CHECK(drain(out, sizeof(out)) == 0, "nothing sent before DRIVER_OK");
	w32(VIRTIO_MMIO_STATUS, 0xf);
	CHECK(drain(out, sizeof(out)) == 6 && !strcmp(out, "world\n"),
	      "sent at DRIVER_OK");
}

static void test_virtio_receive(void)
{
	group = "console receive";
	driver_init(true);
	CHECK_EQ(console_feed(con, (const uint8_t *)"abc", 3), 0,
		 "no buffers, nothing taken");
	memset(ram + BUF_BASE, 0, 64);
	set_desc(0, 0, BUF_BASE, 4, VRING_DESC_F_WRITE, 0);
	set_desc(0, 1, BUF_BASE + 0x10, 4, VRING_DESC_F_WRITE, 0);
	make_avail(0, 0);
	make_avail(0, 1);
	kick(0);
	CHECK_EQ(console_feed(con, (const uint8_t *)"abcdef", 6), 6,
		 "6 bytes into two 4-byte buffers");
	CHECK(!memcmp(ram + BUF_BASE, "abcd", 4) &&
	      !memcmp(ram + BUF_BASE + 0x10, "ef", 2), "bytes in place");
	CHECK(used(0)->idx == 2 && used(0)->ring[0].len == 4 &&
	      used(0)->ring[1].len == 2 && used(0)->ring[1].id == 1,
	      "used lengths 4 and 2");
	CHECK(fake_nirqs == 1, "one interrupt for the batch");
	CHECK_EQ(console_feed(con, (const uint8_t *)"g", 1), 0,
		 "out of buffers again");

	/* A receive buffer the device cannot write to */
	set_desc(0, 2, BUF_BASE, 4, 0, 0);
	make_avail(0, 2);
	CHECK_EQ(console_feed(con, (const uint8_t *)"x", 1), 0,
		 "read-only receive buffer");
	CHECK(needs_reset(), "... is a device error");
	w32(VIRTIO_MMIO_STATUS, 0);
	CHECK(!needs_reset(), "reset clears NEEDS_RESET");
}

/*
 * A hostile guest: each of these must end in NEEDS_RESET with nothing
 * written outside the rings and buffers, and no hang.
 */
static void hostile(const char *what, void (*setup)(void))
{
	char out[64];

	driver_init(true);
	setup();
	kick(1);
	CHECK(needs_reset(), "%s: device error", what);
	CHECK(used(1)->idx == 0, "%s: nothing returned", what);
	CHECK(fake_nirqs == 1 && r32(VIRTIO_MMIO_INTERRUPT_STATUS) == 2,
	      "%s: config-change interrupt", what);
	drain(out, sizeof(out));
	/* Once broken, it stays quiet until reset. */
	kick(1);
	CHECK(fake_nirqs == 1, "%s: stays stopped", what);
}

static void h_head_range(void)
{
	make_avail(1, QSIZE);
}

static void h_next_range(void)
{
	set_desc(1, 0, BUF_BASE, 1, VRING_DESC_F_NEXT, 200);
	make_avail(1, 0);
}

static void h_loop(void)
{
	set_desc(1, 0, BUF_BASE, 1, VRING_DESC_F_NEXT, 1);
	set_desc(1, 1, BUF_BASE, 1, VRING_DESC_F_NEXT, 2);
	set_desc(1, 2, BUF_BASE, 1, VRING_DESC_F_NEXT, 0);
	make_avail(1, 0);
}

static void h_self_loop(void)
{
	set_desc(1, 4, BUF_BASE, 1, VRING_DESC_F_NEXT, 4);
	make_avail(1, 4);
}

static void h_addr_outside(void)
{
	set_desc(1, 0, TEST_MEM, 16, 0, 0);
	make_avail(1, 0);
}

static void h_len_past_end(void)
{
	set_desc(1, 0, TEST_MEM - 8, 16, 0, 0);
	make_avail(1, 0);
}

static void h_addr_huge(void)
{
	set_desc(1, 0, 0xfffffffffffff000ull, 0x2000, 0, 0);
	make_avail(1, 0);
}

static void h_idx_jump(void)
{
	set_desc(1, 0, BUF_BASE, 1, 0, 0);
	avail(1)->idx = 1000;
}

static void h_write_then_read(void)
{
	set_desc(1, 0, BUF_BASE, 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(1, 1, BUF_BASE, 1, 0, 0);
	make_avail(1, 0);
}

static void h_indirect(void)
{
	set_desc(1, 0, BUF_BASE, 16, VRING_DESC_F_INDIRECT, 0);
	make_avail(1, 0);
}

static void h_total_overflow(void)
{
	unsigned int i;

	/* 2 GiB each: outside RAM long before they add up to 4 GiB */
	for (i = 0; i < QSIZE; i++)
		set_desc(1, i, 0, 0x7fffffff, VRING_DESC_F_NEXT, i + 1);
	desc(1)[QSIZE - 1].flags = 0;
	make_avail(1, 0);
}

static void test_virtio_hostile(void)
{
	char out[64];

	group = "hostile rings";
	hostile("head beyond the queue", h_head_range);
	hostile("next beyond the queue", h_next_range);
	hostile("chain loops", h_loop);
	hostile("descriptor chained to itself", h_self_loop);
	hostile("buffer outside RAM", h_addr_outside);
	hostile("buffer running past the end of RAM", h_len_past_end);
	hostile("buffer at a 64-bit address", h_addr_huge);
	hostile("available index jumps", h_idx_jump);
	hostile("readable after writable", h_write_then_read);
	hostile("indirect descriptor", h_indirect);
	hostile("2 GiB buffers", h_total_overflow);

	/* Rings in the wrong place are refused at QueueReady. */
	driver_init(false);
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_STATUS, 3);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, TEST_MEM - 16);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(needs_reset() && !r32(VIRTIO_MMIO_QUEUE_READY),
	      "descriptor table past RAM refused");
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, desc_gpa(1));
	w32(VIRTIO_MMIO_QUEUE_DESC_HIGH, 1);	/* above 4 GiB */
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(needs_reset() && !r32(VIRTIO_MMIO_QUEUE_READY),
	      "ring above 4 GiB refused");
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, desc_gpa(1) + 8);
	w32(VIRTIO_MMIO_QUEUE_AVAIL_LOW, desc_gpa(1) + 0x1000);
	w32(VIRTIO_MMIO_QUEUE_USED_LOW, desc_gpa(1) + 0x2000);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(needs_reset(), "misaligned descriptor table refused");
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_NUM, 4096);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, desc_gpa(1));
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(needs_reset(), "queue size above QueueNumMax refused");

	/* Nonsense registers and queue numbers are ignored. */
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_QUEUE_SEL, 77);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 77);
	w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	w32(0xfc0, 1);
	CHECK(!needs_reset() && r32(0x0c4) == 0, "unknown registers ignored");

	/* After all that, a reset device works again. */
	driver_init(true);
	set_desc(1, 0, BUF_BASE, 3, 0, 0);
	memcpy(ram + BUF_BASE, "ok\n", 3);
	make_avail(1, 0);
	kick(1);
	CHECK(drain(out, sizeof(out)) == 3 && !needs_reset(),
	      "the device works after a reset");
}

/* The same device, reached through decoded guest instructions */
static void test_mmio_insns(void)
{
	uint32_t base = con->mmio_addr;

	group = "MMIO";
	w32(VIRTIO_MMIO_STATUS, 0);
	fake_vcpu_reset();
	fake_regs[LGUEST_REG_EIP] = 0x100;
	fake_regs[LGUEST_REG_EAX] = 0x55555555;
	MMIO(base, 0x8b, 0x42, 0x00);		/* mov 0x0(%edx),%eax */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0x74726976, "readl magic into eax");
	CHECK_EQ(fake_regs[LGUEST_REG_EIP], 0x103, "eip + 3");
	MMIO(base + 8, 0x8b, 0x8b, 0x08, 0, 0, 0); /* mov 0x8(%ebx),%ecx */
	CHECK_EQ(fake_regs[LGUEST_REG_ECX], 3, "readl device ID into ecx");
	fake_regs[LGUEST_REG_EDX] = 0x1234;
	fake_regs[LGUEST_REG_EBX] = 0;
	MMIO(base + 0x70, 0x89, 0x5a, 0x70);	/* mov %ebx,0x70(%edx) */
	fake_regs[LGUEST_REG_EBX] = 0x01;
	MMIO(base + 0x70, 0x89, 0x5a, 0x70);
	CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 1, "writel of ebx to Status");
	MMIO(base + 0x70, 0xc7, 0x42, 0x70, 0x03, 0, 0, 0); /* movl $3 */
	CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 3, "writel of an immediate");
	fake_regs[LGUEST_REG_EAX] = 0xaaaaaaaa;
	MMIO(base + 0x100, 0x8a, 0x60, 0x00);	/* mov 0x0(%eax),%ah */
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xaaaa00aa,
		 "readb of config (0) into ah, the rest kept");
	fake_regs[LGUEST_REG_ECX] = 0xffffffff;
	MMIO(base, 0x0f, 0xb6, 0x48, 0x00);	/* movzbl 0x0(%eax),%ecx */
	CHECK_EQ(fake_regs[LGUEST_REG_ECX], 0xff,
		 "byte read of a register: refused, all ones, zero-extended");
	MMIO(base + 0x100, 0x0f, 0xb7, 0x48, 0x00); /* movzwl 0x0(%eax),%ecx */
	CHECK_EQ(fake_regs[LGUEST_REG_ECX], 0, "movzwl zero-extends config");
	fake_regs[LGUEST_REG_EDX] = 0xdddddddd;
	MMIO(base + 4, 0x66, 0x8b, 0x50, 0x04);	/* mov 0x4(%eax),%dx */
	CHECK_EQ(fake_regs[LGUEST_REG_EDX], 0xddddffff,
		 "16-bit register read: all ones into dx, rest kept");
	/* Past the devices: no device there */
	fake_regs[LGUEST_REG_EAX] = 0;
	MMIO(base + 0x10000, 0x8b, 0x40, 0x00);
	CHECK_EQ(fake_regs[LGUEST_REG_EAX], 0xffffffff, "no device: all ones");
	CHECK_EQ(fake_ntraps, 0, "no traps so far");
	fake_regs[LGUEST_REG_EIP] = 0x200;
	MMIO(base, 0x01, 0x03);			/* add %eax,(%ebx) */
	CHECK(fake_ntraps == 1 && fake_traps[0] == 13 &&
	      fake_regs[LGUEST_REG_EIP] == 0x200,
	      "undecodable: #GP, eip unchanged");
	w32(VIRTIO_MMIO_STATUS, 0);
}

/* ---------------------------------------------------------------- */

static void test_ctrlc(void)
{
	struct ctrlc_state s = { .count = 0 };

	group = "Ctrl-C";
	CHECK(!ctrlc_pressed(&s, 1000), "one");
	CHECK(!ctrlc_pressed(&s, 1500), "two");
	CHECK(ctrlc_pressed(&s, 2000), "three within a second");
	memset(&s, 0, sizeof(s));
	CHECK(!ctrlc_pressed(&s, 1000) && !ctrlc_pressed(&s, 1600) &&
	      !ctrlc_pressed(&s, 2100), "three in 1.1 s are not enough");
	CHECK(ctrlc_pressed(&s, 2200), "but a fourth soon after is");
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vmlinux", required_argument, NULL, 'l' },
		{ "bzimage", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			vmlinux_path = optarg;
			break;
		case 'b':
			bzimage_path = optarg;
			break;
		case 'v':
			test_verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [--vmlinux=FILE] [--bzimage=FILE] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	errors_quiet = true;
	memcpy(tmpdir, TMPDIR_TEMPLATE, sizeof(tmpdir));
	if (!mkdtemp(tmpdir) || pipe(out_pipe) < 0 ||
	    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK) < 0) {
		perror("setup");
		return 2;
	}
	ram = aligned_alloc(PAGE_SIZE, TEST_MEM);
	if (!ram || guest_memory_use(ram, TEST_MEM)) {
		fprintf(stderr, "cannot allocate %u MiB of fake guest memory\n",
			TEST_MEM / MiB);
		return 2;
	}
	con = console_create(-1, out_pipe[1]);
	if (!con || device_register(con)) {
		fprintf(stderr, "cannot create the console\n");
		return 2;
	}

	test_options();
	test_kernels();
	test_decode();
	test_pio();
	test_virtio_regs();
	test_virtio_transmit();
	test_virtio_receive();
	test_virtio_hostile();
	test_mmio_insns();
	test_ctrlc();

	while (ntmp)
		unlink(tmp_files[--ntmp]);
	rmdir(tmpdir);
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
