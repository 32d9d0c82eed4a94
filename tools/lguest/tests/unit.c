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
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <asm/bootparam.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include "block.h"
#include "console.h"
#include "net.h"
#include "rng.h"
#include "virtio.h"
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
/* The kernel image img of len bytes is refused with an error naming substr. */
#define CHECK_REFUSED(name, img, len, substr)				\
	do {								\
		struct boot_info refused_bi;				\
									\
		clear_error();						\
		CHECK_ERR(load_kernel_image(name, img, len, &refused_bi) < 0, \
			  substr);					\
	} while (0)

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

/* parse() with an array: argv[0] is added */
static enum parse_result parse_args_n(struct config *cfg, int n, char **args)
{
	static char *argv[64];
	int i;

	argv[0] = "lguest";
	for (i = 0; i < n && i < 62; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	clear_error();
	return parse_args(i + 1, argv, cfg);
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

/* How many options of the kind of device --OPTION were kept */
static unsigned int device_args(const struct config *cfg, const char *option)
{
	unsigned int i, n = 0;

	for (i = 0; i < cfg->ndevices; i++)
		n += !strcmp(cfg->devices[i].type->option, option);
	return n;
}

/* The argument of the n-th of them, or NULL */
static const char *device_arg(const struct config *cfg, const char *option,
			      unsigned int n)
{
	unsigned int i;

	for (i = 0; i < cfg->ndevices; i++)
		if (!strcmp(cfg->devices[i].type->option, option) && !n--)
			return cfg->devices[i].arg;
	return NULL;
}

static void test_device_options(void)
{
	struct config cfg;
	struct tunnet tn;
	char *many[40];
	int i;

	group = "device options";
	CHECK(parse(&cfg, 9, "--block=a.img", "--rng", "--block=b.img",
		    "--tunnet=192.168.19.1", "--tunnet=bridge:br0",
		    "--username=nobody", "64", "k") == PARSE_RUN,
	      "every device option");
	CHECK(cfg.ndevices == 5, "five device options kept");
	CHECK(device_args(&cfg, "block") == 2 &&
	      !strcmp(device_arg(&cfg, "block", 0), "a.img") &&
	      !strcmp(device_arg(&cfg, "block", 1), "b.img"),
	      "two disks, in order");
	CHECK(device_args(&cfg, "rng") == 1 && !device_arg(&cfg, "rng", 0),
	      "--rng");
	CHECK(device_args(&cfg, "tunnet") == 2 &&
	      !strcmp(device_arg(&cfg, "tunnet", 0), "192.168.19.1") &&
	      !strcmp(device_arg(&cfg, "tunnet", 1), "bridge:br0"),
	      "--tunnet=IP and --tunnet=bridge:BR");
	CHECK(!parse_tunnet("192.168.19.1", &tn) && !tn.bridge &&
	      tn.ip.s_addr == htonl(0xc0a81301), "--tunnet=IP: the address");
	CHECK(!parse_tunnet("bridge:br0", &tn) && tn.bridge &&
	      !strcmp(tn.bridge, "br0"), "--tunnet=bridge:BR: the bridge");
	CHECK(!strcmp(cfg.username, "nobody") && !cfg.chroot, "--username");
	CHECK(parse(&cfg, 5, "--chroot=/var/empty", "--rng", "64", "k") ==
	      PARSE_RUN && !strcmp(cfg.chroot, "/var/empty") &&
	      cfg.ndevices == 1 && device_args(&cfg, "rng") == 1 &&
	      !cfg.username,
	      "--chroot, and a fresh parse");
	CHECK(parse(&cfg, 5, "--rng", "--rng", "64", "k") == PARSE_RUN &&
	      cfg.ndevices == 1, "--rng twice is one device");
	CHECK(parse(&cfg, 4, "64", "k", "--block=x") == PARSE_RUN &&
	      !cfg.ndevices, "--block after KERNEL goes to the guest");

	CHECK_ERR(parse(&cfg, 4, "--block=", "64", "k") == PARSE_ERROR,
		  "--block needs a file name (see lguest --help)");
	CHECK_ERR(parse(&cfg, 2, "--block") == PARSE_ERROR,
		  "option '--block' needs an argument (see lguest --help)");
	CHECK_ERR(parse(&cfg, 4, "--rng=1", "64", "k") == PARSE_ERROR,
		  "option '--rng' takes no argument (see lguest --help)");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=300.1.1.1", "64", "k") ==
		  PARSE_ERROR,
		  "--tunnet=300.1.1.1: '300.1.1.1' is not an IPv4 address: give the host's address on the guest's network or a bridge, e.g. --tunnet=192.168.19.1, or --tunnet=bridge:br0");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=10.1.1", "64", "k") == PARSE_ERROR,
		  "'10.1.1' is not an IPv4 address");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=br0", "64", "k") == PARSE_ERROR,
		  "'br0' is not an IPv4 address");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=", "64", "k") == PARSE_ERROR,
		  "'' is not an IPv4 address");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=192.168.19.0", "64", "k") ==
		  PARSE_ERROR,
		  "--tunnet=192.168.19.0: the host cannot have address 192.168.19.0 on a /24 network (zero, loopback, multicast, or the network's first or last address): e.g. --tunnet=192.168.19.1, or --tunnet=bridge:br0");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=10.0.0.255", "64", "k") ==
		  PARSE_ERROR, "the host cannot have address 10.0.0.255");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=127.0.0.1", "64", "k") ==
		  PARSE_ERROR, "the host cannot have address 127.0.0.1");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=224.1.1.1", "64", "k") ==
		  PARSE_ERROR, "the host cannot have address 224.1.1.1");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=bridge:", "64", "k") == PARSE_ERROR,
		  "--tunnet=bridge: needs a bridge name, e.g. --tunnet=192.168.19.1, or --tunnet=bridge:br0");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=bridge:a-very-long-bridge", "64",
			"k") == PARSE_ERROR,
		  "--tunnet=bridge:a-very-long-bridge: bridge name 'a-very-long-bridge' is longer than 15 characters");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=bridge:a/b", "64", "k") ==
		  PARSE_ERROR,
		  "--tunnet=bridge:a/b: 'a/b' is not an interface name");
	CHECK_ERR(parse(&cfg, 4, "--tunnet=bridge:..", "64", "k") ==
		  PARSE_ERROR, "'..' is not an interface name");
	CHECK_ERR(parse(&cfg, 4, "--username=", "64", "k") == PARSE_ERROR,
		  "--username needs a user name or a numeric UID[:GID] (see lguest --help)");
	CHECK_ERR(parse(&cfg, 4, "--chroot=", "64", "k") == PARSE_ERROR,
		  "--chroot needs a directory (see lguest --help)");
	CHECK_ERR(parse(&cfg, 2, "--chroot") == PARSE_ERROR,
		  "option '--chroot' needs an argument");

	/* 31 devices at most, the console one of them */
	many[0] = "--rng";
	for (i = 1; i < 30; i++)
		many[i] = "--block=d";
	many[30] = "64";
	many[31] = "k";
	CHECK(parse_args_n(&cfg, 32, many) == PARSE_RUN &&
	      device_args(&cfg, "block") == 29 &&
	      device_args(&cfg, "rng") == 1, "31 devices");
	many[30] = "--tunnet=bridge:br0";
	many[31] = "64";
	many[32] = "k";
	CHECK_ERR(parse_args_n(&cfg, 33, many) == PARSE_ERROR,
		  "too many devices: at most 31, 1 always there (one per guest interrupt line)");
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

#define MAX_TMP	32
static char tmp_files[MAX_TMP][256];
static unsigned int ntmp;
static const char *rmdir_at_end;

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
/* The device the helpers below drive: the console, unless a test says */
static struct device *dut;

static void w32(uint32_t off, uint32_t v)
{
	dut->mmio_write(dut, off, v, 4);
}

static uint32_t r32(uint32_t off)
{
	return dut->mmio_read(dut, off, 4);
}

/* Each device's rings have 256 KiB of their own, each queue 64 KiB. */
static uint32_t desc_gpa(unsigned int q)
{
	return RING_BASE + dut->index * 0x40000 + q * 0x10000;
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

/*
 * What the guest's virtio-mmio driver and virtio core do at probe time,
 * accepting features (bits 0-31) and VERSION_1, and setting up every queue.
 */
static void driver_init_features(uint32_t features, bool driver_ok)
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

static void driver_init(bool driver_ok)
{
	driver_init_features(0, driver_ok);
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
	/* Release: a device thread may be reading the ring right now. */
	__atomic_store_n(&a->idx, a->idx + 1, __ATOMIC_RELEASE);
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
	CHECK_EQ(to_virtio(con)->vqs[1].desc_gpa, desc_gpa(1),
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
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_STATUS, 3);
	setup_queue(1, 6);
	CHECK(needs_reset() && !r32(VIRTIO_MMIO_QUEUE_READY),
	      "queue size not a power of two refused");

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

/*
 * A driver that breaks the rules of device initialization (virtio 1.x,
 * 3.1.1): the device does not start, it needs a reset, and the guest
 * hears of it with a configuration change interrupt.
 */
static void test_virtio_driver_errors(void)
{
	const uint32_t ack_driver = VIRTIO_CONFIG_S_ACKNOWLEDGE |
				    VIRTIO_CONFIG_S_DRIVER;
	char out[64];

	group = "driver errors";
	w32(VIRTIO_MMIO_STATUS, 0);
	w32(VIRTIO_MMIO_STATUS, ack_driver);
	setup_queue(1, QSIZE);
	memcpy(ram + BUF_BASE, "no\n", 3);
	set_desc(1, 0, BUF_BASE, 3, 0, 0);
	make_avail(1, 0);
	fake_vcpu_reset();
	w32(VIRTIO_MMIO_STATUS, ack_driver | VIRTIO_CONFIG_S_DRIVER_OK);
	CHECK(needs_reset() && fake_nirqs == 1 &&
	      r32(VIRTIO_MMIO_INTERRUPT_STATUS) == 2,
	      "DRIVER_OK without FEATURES_OK: device error, config-change interrupt");
	CHECK(drain(out, sizeof(out)) == 0 && used(1)->idx == 0,
	      "DRIVER_OK without FEATURES_OK: the device does not start");

	/* Features are fixed from FEATURES_OK on; bit 1 is MULTIPORT. */
	driver_init(true);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 1 << 1);
	CHECK(to_virtio(con)->driver_features == 1ull << VIRTIO_F_VERSION_1 &&
	      !virtio_has_feature(to_virtio(con), 1),
	      "features written after FEATURES_OK are ignored");
	to_virtio(con)->driver_features |= 1 << 1;
	CHECK(!virtio_has_feature(to_virtio(con), 1) &&
	      virtio_has_feature(to_virtio(con), VIRTIO_F_VERSION_1),
	      "a feature the device did not offer is never on");

	/* 0xf, then 0xb: DRIVER_OK cleared without a reset */
	driver_init(true);
	w32(VIRTIO_MMIO_STATUS, ack_driver | VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(r32(VIRTIO_MMIO_STATUS) == (0xf | VIRTIO_CONFIG_S_NEEDS_RESET) &&
	      fake_nirqs == 1,
	      "status bit cleared without a reset: device error, status kept");
	set_desc(1, 0, BUF_BASE, 3, 0, 0);
	make_avail(1, 0);
	kick(1);
	CHECK(drain(out, sizeof(out)) == 0 && used(1)->idx == 0,
	      "status bit cleared without a reset: the device stops");

	/* An error before DRIVER_OK is told at DRIVER_OK. */
	driver_init(false);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_READY, 0);
	w32(VIRTIO_MMIO_QUEUE_NUM, 6);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(needs_reset() && fake_nirqs == 0,
	      "device error before DRIVER_OK: no interrupt yet");
	w32(VIRTIO_MMIO_STATUS, 0xf);
	CHECK(fake_nirqs == 1 && r32(VIRTIO_MMIO_INTERRUPT_STATUS) == 2,
	      "device error before DRIVER_OK: config-change interrupt at DRIVER_OK");
	w32(VIRTIO_MMIO_STATUS, 0);
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

/* ---------------------------------------------------------------- */
/* Helpers for the device tests                                      */

/*
 * Run fn in a child process, for what cannot be undone in this one
 * (a new uid, a chroot, a network namespace); its checks count here.
 */
static void in_child(const char *what, void (*fn)(void))
{
	int counts[3], p[2], st = 0;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	if (pipe(p) < 0) {
		CHECK(false, "%s: pipe: %s", what, strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		passed = 0;
		failed = 0;
		skipped = 0;
		fn();
		counts[0] = passed;
		counts[1] = failed;
		counts[2] = skipped;
		fflush(stdout);
		if (write(p[1], counts, sizeof(counts)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	n = pid < 0 ? -1 : read(p[0], counts, sizeof(counts));
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (n != sizeof(counts)) {
		CHECK(false, "%s: the test process died (status 0x%x)", what, st);
		return;
	}
	passed += counts[0];
	failed += counts[1];
	skipped += counts[2];
}

static uint8_t *gmem(uint32_t gpa)
{
	return ram + gpa;
}

static struct vring_used_elem *last_used(unsigned int q)
{
	return &used(q)->ring[(uint16_t)(used(q)->idx - 1) % QSIZE];
}

/* Wait (up to 2 s) for a device thread to return buffers up to idx. */
static bool wait_used(unsigned int q, uint16_t idx)
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

static uint32_t features_offered(unsigned int sel)
{
	w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
	return r32(VIRTIO_MMIO_DEVICE_FEATURES);
}

static uint32_t status_ok(void)
{
	return VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
}

static void test_iov(void)
{
	struct vq_iov v[3] = {
		{ gmem(BUF_BASE), 4 }, { gmem(BUF_BASE + 0x10), 0 },
		{ gmem(BUF_BASE + 0x20), 6 },
	};
	struct iovec out[3];
	uint8_t buf[16];

	group = "iov";
	memcpy(gmem(BUF_BASE), "abcd", 4);
	memcpy(gmem(BUF_BASE + 0x20), "efghij", 6);
	CHECK(iov_to_buf(v, 3, 2, buf, 16) == 8 && !memcmp(buf, "cdefghij", 8),
	      "copy out across parts, short at the end");
	CHECK(iov_from_buf(v, 3, 3, "XYZ", 3) == 3 &&
	      !memcmp(gmem(BUF_BASE), "abcX", 4) &&
	      !memcmp(gmem(BUF_BASE + 0x20), "YZ", 2), "copy in across parts");
	CHECK(iov_slice(v, 3, 3, 4, out) == 2 && out[0].iov_len == 1 &&
	      out[0].iov_base == gmem(BUF_BASE + 3) && out[1].iov_len == 3 &&
	      out[1].iov_base == gmem(BUF_BASE + 0x20), "slice");
	CHECK(iov_slice(v, 3, 20, 4, out) == 0, "slice past the end");
}

/* ---------------------------------------------------------------- */
/* Bounds on what one kick of the console costs                      */

/* console.c's TX_MAX: the most of one transmit buffer that goes out */
#define CON_TX_MAX	65536u

static const char *tx_file;
static int tx_pipe[2];
static uint32_t tx_chunk;
static size_t tx_got;

/* A console of its own on fd, in a child of in_child(): dut is it. */
static bool tx_console(int fd)
{
	struct device *dev = console_create(-1, fd);

	CHECK(dev && !device_register(dev), "a console on fd %d", fd);
	if (!dev)
		return false;
	dut = dev;
	driver_init(true);
	return true;
}

/* One buffer of eight 16 MiB parts, all from the start of RAM: 128 MiB */
static void tx_huge_child(void)
{
	struct stat st;
	unsigned int i;
	int fd = open(tx_file, O_WRONLY | O_TRUNC);

	if (fd < 0) {
		CHECK(false, "open %s: %s", tx_file, strerror(errno));
		return;
	}
	if (!tx_console(fd))
		return;
	for (i = 0; i < QSIZE; i++)
		set_desc(1, i, 0, 16 * MiB, VRING_DESC_F_NEXT, i + 1);
	desc(1)[QSIZE - 1].flags = 0;
	make_avail(1, 0);
	kick(1);
	if (fstat(fd, &st) < 0)
		st.st_size = -1;
	CHECK(st.st_size == CON_TX_MAX,
	      "a 128 MiB transmit buffer: %lld bytes out, at most %u",
	      (long long)st.st_size, CON_TX_MAX);
	CHECK(used(1)->idx == 1 && last_used(1)->len == 0 && !needs_reset(),
	      "the cut buffer is returned, without a device error");
	close(fd);
}

/*
 * The guest's side of the test below, while the kick is being handled,
 * as a guest on another CPU could do it: before it takes each buffer's
 * output past the first, it makes one more buffer available.  The pipe
 * holds one buffer's output, so the device cannot run out of buffers as
 * long as this goes on: only the bound on buffers per kick stops it.
 */
static void *tx_refill(void *arg)
{
	unsigned int posted = 0;
	char buf[4096];
	ssize_t n;

	(void)arg;
	for (;;) {
		while (posted < 2 * QSIZE && posted < tx_got / tx_chunk) {
			make_avail(1, 0);
			posted++;
		}
		n = read(tx_pipe[0], buf, sizeof(buf));
		if (n <= 0)
			return NULL;
		/* The test's own newline after the kick: the end */
		if (buf[n - 1] == '\n') {
			tx_got += n - 1;
			return NULL;
		}
		tx_got += n;
	}
}

static void tx_many_child(void)
{
	pthread_t t;
	unsigned int i;
	int size;

	if (pipe(tx_pipe) < 0) {
		CHECK(false, "pipe: %s", strerror(errno));
		return;
	}
	/* A page if we may; either way a buffer fills the pipe. */
	fcntl(tx_pipe[1], F_SETPIPE_SZ, 4096);
	size = fcntl(tx_pipe[1], F_GETPIPE_SZ);
	if (size <= 0 || (uint32_t)size > CON_TX_MAX) {
		CHECK(false, "pipe size %d", size);
		return;
	}
	tx_chunk = size;
	if (!tx_console(tx_pipe[1]))
		return;
	memset(gmem(BUF_BASE), 'x', tx_chunk);
	set_desc(1, 0, BUF_BASE, tx_chunk, 0, 0);
	for (i = 0; i < QSIZE; i++)
		make_avail(1, 0);
	if (pthread_create(&t, NULL, tx_refill, NULL)) {
		CHECK(false, "pthread_create");
		return;
	}
	kick(1);
	if (write(tx_pipe[1], "\n", 1) != 1)
		CHECK(false, "write: %s", strerror(errno));
	pthread_join(t, NULL);
	CHECK(used(1)->idx == QSIZE && tx_got == QSIZE * tx_chunk,
	      "buffers added during a kick: %u handled (%zu bytes), at most the queue size %u",
	      used(1)->idx, tx_got, QSIZE);
	CHECK(!needs_reset(), "... and no device error");
}

/* Counted by the handler, read after: an atomic, not a plain int. */
static int tx_alarms;

/* Still stuck after a second: the test failed, and its process ends. */
static void tx_alarm(int sig)
{
	static const char msg[] = "unit: transmit is stuck in write()\n";

	(void)sig;
	if (__atomic_add_fetch(&tx_alarms, 1, __ATOMIC_RELAXED) > 10) {
		if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(2);
		_exit(1);
	}
}

/* stdout that takes nothing, and a stop pending (request_stop()) */
static void tx_stop_child(void)
{
	struct itimerval it = { { 0, 100000 }, { 0, 100000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa;
	char buf[4096];
	int p[2];

	if (pipe(p) < 0 || fcntl(p[1], F_SETFL, O_NONBLOCK) < 0) {
		CHECK(false, "pipe: %s", strerror(errno));
		return;
	}
	memset(buf, 'y', sizeof(buf));
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	fcntl(p[1], F_SETFL, 0);
	if (!tx_console(p[1]))
		return;
	memcpy(gmem(BUF_BASE), "lost\n", 5);
	set_desc(1, 0, BUF_BASE, 5, 0, 0);
	make_avail(1, 0);
	make_avail(1, 0);
	request_stop(EXIT_GUEST, "the unit tests stop");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tx_alarm;	/* no SA_RESTART: write() fails */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	kick(1);
	setitimer(ITIMER_REAL, &off, NULL);
	CHECK(used(1)->idx == 2 && !needs_reset(),
	      "a stop pending: stuck output is dropped at an EINTR (%d signals)",
	      __atomic_load_n(&tx_alarms, __ATOMIC_RELAXED));
}

/*
 * One kick, one bounded piece of work: the main thread holds the console
 * lock all along, and a stop must get through.
 */
static void test_console_bounds(void)
{
	group = "console bounds";
	tx_file = write_tmp("console-out", "", 0);
	in_child("huge transmit buffer", tx_huge_child);
	in_child("buffers added during a kick", tx_many_child);
	in_child("stop with stdout stuck", tx_stop_child);
	dut = con;
}

/* vq_push() on a queue that is gone: nothing, and no crash */
static void push_gone_child(void)
{
	static struct vq_elem e;

	driver_init(true);
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(VIRTIO_MMIO_QUEUE_READY, 0);
	vq_push(&to_virtio(con)->vqs[1], &e, 0);
	CHECK_EQ(used(1)->idx, 0, "vq_push() to a queue no longer ready");
	w32(VIRTIO_MMIO_STATUS, 0);
	vq_push(&to_virtio(con)->vqs[1], &e, 0);
	CHECK_EQ(used(1)->idx, 0, "vq_push() to a reset queue");
}

static void test_vq_push_gone(void)
{
	group = "virtqueues";
	in_child("vq_push() to a queue that is gone", push_gone_child);
}

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

/* ---------------------------------------------------------------- */
/* virtio-net, on a socket pair in place of the tap                  */

/* CSUM, GUEST_CSUM and MAC */
#define NET_FEATURES	0x23u
#define RX_BUF(i)	(BUF_BASE + 0x10000 + (i) * 0x800)
#define RX_BUF_LEN	1526	/* Linux's small buffers: header + 1514 */
#define ETH_TEST	0x88b5	/* IEEE local experimental EtherType */

static int net_peer = -1;

/* A test frame: header then an Ethernet frame of len bytes in total */
static size_t make_frame(uint8_t *p, uint8_t flags, uint8_t gso, size_t len,
			 uint8_t seed)
{
	struct virtio_net_hdr_v1 h = {
		.flags = flags, .gso_type = gso, .csum_start = 34,
		.csum_offset = 6, .num_buffers = 0x7777,
	};
	size_t i;

	memcpy(p, &h, sizeof(h));
	memset(p + 12, 0xff, 6);			/* broadcast */
	memcpy(p + 18, "\x02\x00\x00\x00\x00\x01", 6);
	p[24] = ETH_TEST >> 8;
	p[25] = ETH_TEST & 0xff;
	for (i = 26; i < len; i++)
		p[i] = seed + i;
	return len;
}

static void post_rx(unsigned int i, uint32_t len)
{
	memset(gmem(RX_BUF(i)), 0xee, 0x800);
	set_desc(0, i, RX_BUF(i), len, VRING_DESC_F_WRITE, 0);
	make_avail(0, i);
	kick(0);
}

static ssize_t peer_recv(uint8_t *buf, size_t len)
{
	return recv(net_peer, buf, len, MSG_DONTWAIT);
}

/* Transmit one packet made of two descriptors: header + 14, the rest. */
static void net_tx(const uint8_t *pkt, size_t len)
{
	memcpy(gmem(BUF_BASE), pkt, 26);
	memcpy(gmem(BUF_BASE + 0x100), pkt + 26, len - 26);
	set_desc(1, 0, BUF_BASE, 26, VRING_DESC_F_NEXT, 1);
	set_desc(1, 1, BUF_BASE + 0x100, len - 26, 0, 0);
	make_avail(1, 0);
	kick(1);
}

static void test_net_tx(void)
{
	uint8_t pkt[200], got[400];
	struct virtio_net_hdr_v1 *h = (void *)got;

	group = "virtio-net transmit";
	make_frame(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 72, 1);
	net_tx(pkt, 72);
	CHECK_EQ(peer_recv(got, sizeof(got)), 72, "a 72-byte packet reaches the tap");
	CHECK(h->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h->gso_type == 0 &&
	      h->csum_start == 34 && h->csum_offset == 6,
	      "the header goes through (partial checksum)");
	CHECK(!memcmp(got + 12, pkt + 12, 60), "the frame goes through");
	CHECK(used(1)->idx == 1 && last_used(1)->len == 0, "used, 0 bytes written");
	CHECK(fake_nirqs == 1 && fake_irqs[0] == dut->irq, "interrupt");

	make_frame(pkt, 0, VIRTIO_NET_HDR_GSO_TCPV4, 72, 2);
	net_tx(pkt, 72);
	CHECK(peer_recv(got, sizeof(got)) < 0 && used(1)->idx == 2,
	      "a GSO packet (not offered) is dropped, its buffer returned");
	set_desc(1, 0, BUF_BASE, 8, 0, 0);
	make_avail(1, 0);
	kick(1);
	CHECK(peer_recv(got, sizeof(got)) < 0 && used(1)->idx == 3,
	      "a buffer shorter than the header is dropped");
	CHECK(!needs_reset(), "no device error");
}

static void test_net_rx(void)
{
	struct virtio_net_hdr_v1 *h = (void *)gmem(RX_BUF(0));
	uint8_t pkt[2000];
	size_t len;

	group = "virtio-net receive";
	post_rx(0, RX_BUF_LEN);
	len = make_frame(pkt, VIRTIO_NET_HDR_F_DATA_VALID, 0, 112, 3);
	CHECK(send(net_peer, pkt, len, 0) == (ssize_t)len, "the tap has a packet");
	CHECK(wait_used(0, 1), "it arrives");
	CHECK_EQ(last_used(0)->len, 112, "112 bytes written");
	CHECK(h->flags == VIRTIO_NET_HDR_F_DATA_VALID && h->num_buffers == 1,
	      "header: DATA_VALID kept (GUEST_CSUM), num_buffers 1");
	CHECK(!memcmp(gmem(RX_BUF(0)) + 12, pkt + 12, 100) &&
	      *gmem(RX_BUF(0) + 112) == 0xee, "the frame, no more");
	CHECK(fake_nirqs >= 1 && fake_irqs[0] == dut->irq, "interrupt");

	/* No buffer: the packet waits for one */
	len = make_frame(pkt, 0, 0, 1514, 4);
	send(net_peer, pkt, len, 0);
	usleep(50000);
	CHECK_EQ(used(0)->idx, 1, "no buffer: nothing delivered yet");
	post_rx(1, RX_BUF_LEN);
	CHECK(wait_used(0, 2) && last_used(0)->id == 1 &&
	      last_used(0)->len == 1514 &&
	      !memcmp(gmem(RX_BUF(1)) + 12, pkt + 12, 1502),
	      "a full-size packet delivered once a buffer comes");

	/* A buffer too small for the packet */
	post_rx(2, 100);
	len = make_frame(pkt, 0, 0, 200, 5);
	send(net_peer, pkt, len, 0);
	CHECK(wait_used(0, 3) && last_used(0)->len == 0,
	      "too small a buffer: returned empty, the packet dropped");
	CHECK(!needs_reset(), "no device error");

	/* A driver without GUEST_CSUM */
	driver_init_features(1u << VIRTIO_NET_F_MAC, true);
	post_rx(0, RX_BUF_LEN);
	len = make_frame(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 80, 6);
	send(net_peer, pkt, len, 0);
	len = make_frame(pkt, VIRTIO_NET_HDR_F_DATA_VALID, 0, 90, 7);
	send(net_peer, pkt, len, 0);
	CHECK(wait_used(0, 1) && last_used(0)->len == 90,
	      "without GUEST_CSUM: a partial-checksum packet is dropped");
	CHECK(h->flags == 0 && !memcmp(gmem(RX_BUF(0)) + 12, pkt + 12, 78),
	      "without GUEST_CSUM: the next one comes without DATA_VALID");
	make_frame(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 72, 8);
	net_tx(pkt, 72);
	CHECK(peer_recv(pkt, sizeof(pkt)) < 0 && used(1)->idx == 1,
	      "without CSUM: a partial-checksum packet to send is dropped");

	/* Before DRIVER_OK, packets are dropped */
	driver_init_features(NET_FEATURES, false);
	post_rx(0, RX_BUF_LEN);
	len = make_frame(pkt, 0, 0, 64, 9);
	send(net_peer, pkt, len, 0);
	usleep(50000);
	w32(VIRTIO_MMIO_STATUS, status_ok());
	usleep(50000);
	CHECK_EQ(used(0)->idx, 0, "a packet before DRIVER_OK is dropped");
	len = make_frame(pkt, 0, 0, 66, 10);
	send(net_peer, pkt, len, 0);
	CHECK(wait_used(0, 1) && last_used(0)->len == 66,
	      "after DRIVER_OK, packets arrive");

	/* Gigantic packets (GSO) from the tap are not for this guest */
	len = make_frame(pkt, 0, VIRTIO_NET_HDR_GSO_TCPV4, 100, 11);
	send(net_peer, pkt, len, 0);
	post_rx(1, RX_BUF_LEN);
	len = make_frame(pkt, 0, 0, 70, 12);
	send(net_peer, pkt, len, 0);
	CHECK(wait_used(0, 2) && last_used(0)->len == 70,
	      "a GSO packet from the tap is dropped");
}

static void test_net(void)
{
	struct device *dev;
	uint8_t mac[6];
	unsigned int i;
	int sv[2];

	group = "virtio-net";
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0) {
		CHECK(false, "socketpair: %s", strerror(errno));
		return;
	}
	net_peer = sv[1];
	dev = net_create(sv[0], false, 3, "sock");
	CHECK(dev && !device_register(dev), "creates on a socket");
	if (!dev)
		return;
	dut = dev;
	CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET, "device ID 1");
	CHECK_EQ(features_offered(0), NET_FEATURES, "CSUM, GUEST_CSUM, MAC");
	CHECK_EQ(features_offered(1), 1, "VERSION_1");
	for (i = 0; i < 6; i++)
		mac[i] = dev->mmio_read(dev, 0x100 + i, 1);
	CHECK(mac[0] == 2 && mac[1] == 0x4c && mac[2] == (uint8_t)(getpid() >> 16) &&
	      mac[3] == (uint8_t)(getpid() >> 8) && mac[4] == (uint8_t)getpid() &&
	      mac[5] == 3, "MAC 02:4c, the pid, the index");
	dev->mmio_write(dev, 0x100, 0x12345678, 4);
	CHECK_EQ(dev->mmio_read(dev, 0x100, 1), 2, "the MAC cannot be written");
	driver_init_features(NET_FEATURES, true);
	CHECK_EQ(r32(VIRTIO_MMIO_STATUS), status_ok(), "driver accepted");
	CHECK(dev->start(dev) == 0, "the receive thread starts");
	test_net_tx();
	test_net_rx();
	group = "virtio-net";
	dev->stop(dev);
	CHECK(true, "the receive thread stops");
	w32(VIRTIO_MMIO_STATUS, 0);
	close(sv[1]);
}

/* ---------------------------------------------------------------- */
/* virtio-net on a real tap, in a network namespace of its own       */

/* What the guest received, copied before its buffer goes back */
static uint8_t rx_got[0x800];
static uint32_t rx_got_len;

typedef bool frame_test_fn(const uint8_t *p, uint32_t len);

static void tap_rx_until(uint16_t *idx, frame_test_fn *want, const char *what)
{
	unsigned int tries;
	uint32_t id, len;

	for (tries = 0; tries < 20; tries++) {
		if (!wait_used(0, *idx + 1))
			break;
		(*idx)++;
		id = last_used(0)->id % QSIZE;
		len = last_used(0)->len;
		if (len > sizeof(rx_got))
			len = sizeof(rx_got);
		memcpy(rx_got, gmem(RX_BUF(id)), len);
		rx_got_len = len;
		post_rx(id, RX_BUF_LEN);
		if (want(rx_got, len)) {
			CHECK(true, "%s", what);
			return;
		}
		/* Something else: IPv6 noise, say */
	}
	CHECK(false, "%s: never came", what);
}

static bool is_test_frame(const uint8_t *p, uint32_t len)
{
	return len > 26 && p[24] == ETH_TEST >> 8 && p[25] == (ETH_TEST & 0xff);
}

/* IPv4 UDP to port 9999 */
static bool is_test_udp(const uint8_t *p, uint32_t len)
{
	return len > 12 + 14 + 20 + 8 && p[24] == 0x08 && p[25] == 0 &&
	       p[26 + 9] == 17 && p[26 + 22] == 9999 >> 8 &&
	       p[26 + 23] == (9999 & 0xff);
}

static uint16_t udp_checksum(const uint8_t *ip)
{
	unsigned int ihl = (ip[0] & 15) * 4, len, i;
	const uint8_t *udp = ip + ihl;
	uint32_t sum = 0;

	len = udp[4] << 8 | udp[5];
	for (i = 12; i < 20; i += 2)		/* addresses */
		sum += ip[i] << 8 | ip[i + 1];
	sum += 17 + len;
	for (i = 0; i < len; i += 2)
		sum += udp[i] << 8 | (i + 1 < len ? udp[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void send_udp(const char *to)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(9999) };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, to, &sin.sin_addr);
	if (s < 0 || sendto(s, "hello, guest", 12, 0, (void *)&sin,
			    sizeof(sin)) != 12)
		CHECK(false, "UDP to %s: %s", to, strerror(errno));
	close(s);
}

static void tap_child(void)
{
	struct tunnet tn = { .arg = "198.51.100.1" };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct arpreq arp = { .arp_flags = ATF_COM | ATF_PERM };
	struct sockaddr_in *sin;
	const struct virtio_net_hdr_v1 *h;
	char ifname[IFNAMSIZ];
	struct device *dev;
	struct ifreq ifr;
	uint8_t pkt[200], got[200];
	struct pollfd pfd;
	uint16_t idx = 0;
	int fd, raw, s;
	unsigned int i;

	group = "tap";
	if (unshare(CLONE_NEWNET) < 0) {
		skip("no network namespace of our own: the tap test");
		return;
	}
	/* Fewer stray packets (IPv6 router solicitations) on the new tap */
	fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY);
	if (fd >= 0 && write(fd, "1", 1) < 0)
		fd = -1;
	close(fd);
	inet_pton(AF_INET, tn.arg, &tn.ip);
	clear_error();
	fd = tap_open(&tn, ifname, sizeof(ifname));
	if (fd < 0 && (strstr(last_error, "modprobe tun") ||
		       strstr(last_error, "CAP_NET_ADMIN"))) {
		skip(last_error);
		return;
	}
	CHECK(fd >= 0 && !strcmp(ifname, "lgtap0"), "tap %s made", ifname);
	if (fd < 0)
		return;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin = (void *)&ifr.ifr_addr;
	CHECK(ioctl(s, SIOCGIFADDR, &ifr) == 0 &&
	      sin->sin_addr.s_addr == tn.ip.s_addr, "its address is %s", tn.arg);
	CHECK(ioctl(s, SIOCGIFNETMASK, &ifr) == 0 &&
	      sin->sin_addr.s_addr == htonl(0xffffff00), "netmask /24");
	CHECK(ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP),
	      "it is up");

	dev = net_create(fd, true, 0, ifname);
	CHECK(dev && !device_register(dev), "a device on it");
	if (!dev)
		return;
	dut = dev;
	driver_init_features(NET_FEATURES, true);
	dev->start(dev);
	for (i = 0; i < QSIZE; i++)
		post_rx(i, RX_BUF_LEN);

	/* The host sends a raw frame on the tap: the guest gets it. */
	raw = socket(AF_PACKET, SOCK_RAW, htons(ETH_TEST));
	sll.sll_protocol = htons(ETH_TEST);
	sll.sll_ifindex = if_nametoindex(ifname);
	CHECK(raw >= 0 && bind(raw, (void *)&sll, sizeof(sll)) == 0,
	      "a packet socket on the tap");
	make_frame(pkt, 0, 0, 100, 20);
	CHECK(send(raw, pkt + 12, 88, 0) == 88, "the host sends a frame");
	tap_rx_until(&idx, is_test_frame, "the guest receives it");
	h = (const void *)rx_got;
	CHECK(rx_got_len == 100 && h->flags == 0 && h->gso_type == 0 &&
	      h->num_buffers == 1 && !memcmp(rx_got + 12, pkt + 12, 88),
	      "with a 12-byte header (num_buffers 1) and the frame as sent");

	/* The guest sends one: the host gets it. */
	make_frame(pkt, 0, 0, 80, 21);
	net_tx(pkt, 80);
	pfd.fd = raw;
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 2000) == 1 && recv(raw, got, sizeof(got), 0) == 68 &&
	      !memcmp(got, pkt + 12, 68), "the host receives the guest's frame");

	/* UDP from the host's stack: partial checksums for this guest */
	sin = (void *)&arp.arp_pa;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.2", &sin->sin_addr);
	arp.arp_ha.sa_family = ARPHRD_ETHER;
	for (i = 0; i < 6; i++)
		arp.arp_ha.sa_data[i] = dev->mmio_read(dev, 0x100 + i, 1);
	snprintf(arp.arp_dev, sizeof(arp.arp_dev), "%s", ifname);
	CHECK(ioctl(s, SIOCSARP, &arp) == 0, "the guest's address in ARP");

	/*
	 * The Launcher sets the tap's offloads at each DRIVER_OK, by then
	 * without root: TUNSETOFFLOAD must work for any user.
	 */
	CHECK(setuid(65534) == 0, "no longer root");
	/* A guest without GUEST_CSUM gets complete checksums */
	driver_init_features(1u << VIRTIO_NET_F_MAC, true);
	idx = 0;
	for (i = 0; i < QSIZE; i++)
		post_rx(i, RX_BUF_LEN);
	send_udp("198.51.100.2");
	tap_rx_until(&idx, is_test_udp, "UDP reaches a guest without GUEST_CSUM");
	h = (const void *)rx_got;
	CHECK(h->flags == 0 && udp_checksum(rx_got + 26) == 0xffff,
	      "... with no flags and a correct UDP checksum");

	/* One with GUEST_CSUM gets the checksum to do */
	driver_init_features(NET_FEATURES, true);
	idx = 0;
	for (i = 0; i < QSIZE; i++)
		post_rx(i, RX_BUF_LEN);
	send_udp("198.51.100.2");
	tap_rx_until(&idx, is_test_udp, "UDP reaches a guest with GUEST_CSUM");
	h = (const void *)rx_got;
	CHECK(h->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h->csum_start == 34 &&
	      h->csum_offset == 6,
	      "... with its checksum left to the guest (TUNSETOFFLOAD)");
	dev->stop(dev);
	close(raw);
	close(s);
}

static void test_tap(void)
{
	group = "tap";
	clear_error();
	{
		struct tunnet tn = { .arg = "bridge:lgnosuchbr0",
				     .bridge = "lgnosuchbr0" };
		char ifname[IFNAMSIZ];

		CHECK_ERR(tap_open(&tn, ifname, sizeof(ifname)) < 0,
			  "--tunnet=bridge:lgnosuchbr0: bridge lgnosuchbr0 does not exist: create it first (ip link add lgnosuchbr0 type bridge; ip link set lgnosuchbr0 up)");
	}
	in_child("tap", tap_child);
}

/* ---------------------------------------------------------------- */
/* Privileges                                                        */

static const char *passwd_file, *jail, *secret;

static void check_user(const char *user, uid_t uid, gid_t gid)
{
	struct config cfg = { .username = user };
	struct creds c;

	clear_error();
	CHECK(creds_prepare(&cfg, passwd_file, &c) == 0 && c.set_ids &&
	      c.uid == uid && c.gid == gid && !c.root,
	      "--username=%s is %u:%u", user, (unsigned int)uid,
	      (unsigned int)gid);
}

static void check_user_err(const char *user, const char *file,
			   const char *err)
{
	struct config cfg = { .username = user };
	struct creds c;

	clear_error();
	CHECK_ERR(creds_prepare(&cfg, file, &c) < 0, err);
}

/* In a child: chroot, become 4242:4343, open a file through the helper. */
static void drop_child(void)
{
	struct config cfg = { .username = "lgtest", .chroot = jail };
	char buf[32] = "";
	struct creds c;
	int fd, fd2;

	group = "privileges";
	CHECK(creds_prepare(&cfg, passwd_file, &c) == 0, "prepared");
	CHECK(opener_start(secret) == 0 && opener_running(), "the helper starts");
	CHECK(creds_drop(&c) == 0, "dropped");
	CHECK(getuid() == 4242 && geteuid() == 4242 && getgid() == 4343 &&
	      getegid() == 4343, "now uid 4242, gid 4343");
	CHECK(getgroups(0, NULL) == 1, "one group");
	CHECK(setuid(0) < 0 && geteuid() == 4242, "no way back to root");
	CHECK(access("/inside-the-jail", F_OK) == 0, "chrooted");
	CHECK(open(secret, O_RDONLY) < 0, "the file outside is out of reach");
	fd = opener_open();
	CHECK(fd >= 0 && pread(fd, buf, sizeof(buf) - 1, 0) == 13 &&
	      !strcmp(buf, "lguest-secret"), "... but the helper opens it");
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "close-on-exec");
	fd2 = opener_open();
	CHECK(fd2 >= 0 && fd2 != fd, "and again (a second restart)");
	close(fd);
	close(fd2);
	opener_stop();
	CHECK(!opener_running(), "the helper ends");
}

static void test_privileges(void)
{
	static const char pw[] =
		"root:x:0:0:root:/root:/bin/sh\n"
		"lgtest:x:4242:4343:test:/:/bin/sh\n"
		"other:x:5000:5001::/:/bin/sh\n";
	struct config cfg = { .chroot = "/nonexistent" };
	struct creds c;
	char path[300];

	group = "privileges";
	passwd_file = write_tmp("passwd", pw, strlen(pw));
	check_user("lgtest", 4242, 4343);
	check_user("root", 0, 0);
	check_user("4242", 4242, 4343);
	check_user("1000", 1000, 1000);
	check_user("1000:5", 1000, 5);
	check_user("0:0", 0, 0);
	check_user_err("nosuchuser", passwd_file,
		       "unknown user 'nosuchuser': not in ");
	check_user_err("nosuchuser", passwd_file,
		       " (give an existing user, or a numeric UID[:GID])");
	check_user_err("lgtes", passwd_file, "unknown user 'lgtes'");
	check_user_err("12x", passwd_file,
		       "--username=12x is neither a user name nor a numeric UID or UID:GID");
	check_user_err("1000:", passwd_file, "neither a user name");
	check_user_err("1000:x", passwd_file, "neither a user name");
	check_user_err("4294967295", passwd_file, "neither a user name");
	check_user_err("99999999999", passwd_file, "neither a user name");
	check_user_err("bob", "/nonexistent/passwd",
		       "cannot read /nonexistent/passwd to look up user 'bob': No such file or directory (give a numeric UID[:GID] instead)");

	clear_error();
	CHECK_ERR(creds_prepare(&cfg, passwd_file, &c) < 0,
		  "cannot use --chroot=/nonexistent: No such file or directory (create the directory first)");
	cfg.chroot = passwd_file;
	CHECK_ERR(creds_prepare(&cfg, passwd_file, &c) < 0,
		  "is not a directory: give the (empty) directory to confine the Launcher to");
	cfg.chroot = tmpdir;
	CHECK(creds_prepare(&cfg, passwd_file, &c) == (geteuid() ? -1 : 0) &&
	      (geteuid() || (c.root == tmpdir && !c.set_ids)),
	      "--chroot alone");
	if (geteuid()) {
		CHECK_ERR(true, "run it as root");
		skip("not root: dropping privileges");
		return;
	}

	snprintf(path, sizeof(path), "%s/jail", tmpdir);
	jail = path;
	if (mkdir(jail, 0755) < 0 && errno != EEXIST)
		CHECK(false, "mkdir %s: %s", jail, strerror(errno));
	write_tmp("jail/inside-the-jail", "", 0);
	secret = write_tmp("secret", "lguest-secret", 13);
	chmod(secret, 0600);
	in_child("dropping privileges", drop_child);
	rmdir_at_end = jail;
}

/* The guest restarts: every device as at power on */
static void test_devices_reset(void)
{
	group = "restart";
	dut = con;
	driver_init(true);
	CHECK_EQ(r32(VIRTIO_MMIO_STATUS), status_ok(), "a running console");
	devices_reset();
	w32(VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK(r32(VIRTIO_MMIO_STATUS) == 0 && !r32(VIRTIO_MMIO_QUEUE_READY) &&
	      to_virtio(con)->driver_features == 0 && !to_virtio(con)->vqs[0].ready,
	      "devices_reset(): status 0, queues and features gone");
	CHECK_EQ(console_feed(con, (const uint8_t *)"x", 1), 0,
		 "the reset console takes no input");
	memset(ram, 0x77, 2 * PAGE_SIZE);
	guest_memory_clear();
	CHECK(ram[0] == 0 && ram[2 * PAGE_SIZE - 1] == 0 &&
	      ram[TEST_MEM - 1] == 0, "guest_memory_clear()");
}

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
	dut = con;

	test_options();
	test_device_options();
	test_kernels();
	test_decode();
	test_pio();
	test_virtio_regs();
	test_virtio_transmit();
	test_virtio_receive();
	test_virtio_hostile();
	test_virtio_driver_errors();
	test_mmio_insns();
	test_iov();
	test_vq_push_gone();
	test_console_bounds();
	test_block();
	test_rng();
	test_net();
	test_tap();
	test_privileges();
	test_devices_reset();
	test_ctrlc();

	while (ntmp)
		unlink(tmp_files[--ntmp]);
	if (rmdir_at_end)
		rmdir(rmdir_at_end);
	rmdir(tmpdir);
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
