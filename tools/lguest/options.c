// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: lguest [OPTIONS] MEM_MB KERNEL [kernel args...]
 *
 * Options end at the first non-option argument ("+" in the getopt string),
 * so that everything after KERNEL goes to the guest untouched, even words
 * that look like our own options.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include "lguest.h"

/* The options without a short form */
enum {
	OPT_BLOCK = 0x100,
	OPT_RNG,
	OPT_TUNNET,
	OPT_USERNAME,
	OPT_CHROOT,
	OPT_DOORBELLS,
};

static const struct option long_options[] = {
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "initrd",	required_argument,	NULL, 'i' },
	{ "block",	required_argument,	NULL, OPT_BLOCK },
	{ "rng",	no_argument,		NULL, OPT_RNG },
	{ "tunnet",	required_argument,	NULL, OPT_TUNNET },
	{ "username",	required_argument,	NULL, OPT_USERNAME },
	{ "chroot",	required_argument,	NULL, OPT_CHROOT },
	{ "doorbells",	no_argument,		NULL, OPT_DOORBELLS },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* "+": stop at MEM_MB; ":": report a missing argument as ':' */
static const char short_options[] = "+:vi:h";

/* The first line of --help, and the reminder after a missing argument */
#define USAGE	"usage: lguest [OPTIONS] MEM_MB KERNEL [KERNEL ARGS...]"
#define TUNNET_EXAMPLE	"e.g. --tunnet=192.168.19.1, or --tunnet=bridge:br0"

void print_usage(FILE *f)
{
	fprintf(f,
		USAGE "\n"
		"\n"
		"Run a 32-bit x86 Linux guest on the lguest hypervisor (/dev/lguest, from\n"
		"the lg module).\n"
		"\n"
		"  MEM_MB           guest RAM in MiB, from %u to %u\n"
		"  KERNEL           the guest kernel: a bzImage (any compression) or a\n"
		"                   32-bit vmlinux ELF, built with CONFIG_LGUEST_GUEST=y\n"
		"  KERNEL ARGS      the guest kernel command line; console=hvc0 and\n"
		"                   earlyprintk=serial,ttyS0,115200 are added unless you\n"
		"                   give console= or earlyprintk= yourself\n"
		"\n"
		"Options:\n"
		"  -i, --initrd=FILE  load FILE as the initial RAM disk\n"
		"  --block=FILE       a virtio disk backed by FILE (a disk image whose\n"
		"                     size is a multiple of 512, or a block device);\n"
		"                     read-only if FILE cannot be written.  Repeat it\n"
		"                     for more disks: vda, vdb... in this order\n"
		"  --rng              a virtio entropy device (hwrng) fed from the\n"
		"                     host's /dev/urandom\n"
		"  --tunnet=IP        a virtio network card on a new tap device whose\n"
		"                     host side gets address IP/24 (give the guest\n"
		"                     another address of that network)\n"
		"  --tunnet=bridge:BR the same, on a tap added to the host's bridge\n"
		"                     BR.  Repeat --tunnet for more cards; taps need\n"
		"                     root and the tun module\n"
		"  --username=USER    once the guest is set up, run as USER (a name\n"
		"                     from /etc/passwd, or UID[:GID]); needs root\n"
		"  --chroot=DIR       once the guest is set up, chroot to DIR; needs\n"
		"                     root.  A guest reboot works with both\n"
		"  --doorbells        a thread of each device does what the guest asks\n"
		"                     of it, woken by the host (an eventfd), while the\n"
		"                     guest runs on; by default the guest waits while\n"
		"                     this Launcher does it, which is faster when that\n"
		"                     is quick (a disk in the host's page cache)\n"
		"  -v, --verbose      report what the guest does wrong (bad device\n"
		"                     accesses, instructions we cannot emulate)\n"
		"  -h, --help         show this help\n"
		"\n"
		"The guest console is this terminal (the virtio console, hvc0, plus an\n"
		"emulated serial port for early messages).  The terminal is put in raw\n"
		"mode, so Ctrl-C goes to the guest: press Ctrl-C three times within one\n"
		"second to stop the guest and the Launcher.\n"
		"\n"
		"Exit status:\n"
		"  0  the guest powered off\n"
		"  1  usage or setup error (bad option, missing file, no /dev/lguest,\n"
		"     no tap, unknown user...)\n"
		"  2  the guest died, crashed or was killed (signal, three Ctrl-C)\n"
		"  3  internal Launcher error\n",
		MEM_MB_MIN, MEM_MB_MAX);
}

/*
 * MEM_MB: a plain decimal number.  The lower bound is what a kernel needs
 * to load (it sits at 16 MiB) and boot; the upper bound comes from the
 * 32-bit Launcher, whose address space must hold all of guest memory as
 * one mapping next to the Launcher itself.
 */
static int parse_mem(const char *s, unsigned int *mem_mb)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno == ERANGE) {
		errorf("MEM_MB '%s' is not a number: give the RAM in MiB, e.g. lguest 256 bzImage",
		       s);
		return -1;
	}
	if (v < MEM_MB_MIN) {
		errorf("MEM_MB %lu is too small: a guest kernel needs at least %u MiB to boot",
		       v, MEM_MB_MIN);
		return -1;
	}
	if (v > MEM_MB_MAX) {
		errorf("MEM_MB %lu is too large: the 32-bit Launcher can map at most %u MiB",
		       v, MEM_MB_MAX);
		return -1;
	}
	*mem_mb = v;
	return 0;
}

/*
 * --tunnet=IP: the host's address on the guest's /24, which must be one a
 * host can have there.  --tunnet=bridge:BR: an interface name.
 */
static int parse_tunnet(const char *arg, struct tunnet *tn)
{
	static const char bridge[] = "bridge:";
	const char *br;
	uint32_t ip;

	memset(tn, 0, sizeof(*tn));
	tn->arg = arg;
	if (!strncmp(arg, bridge, strlen(bridge))) {
		br = arg + strlen(bridge);
		if (!*br) {
			errorf("--tunnet=%s needs a bridge name, %s", arg,
			       TUNNET_EXAMPLE);
			return -1;
		}
		if (strlen(br) >= IFNAMSIZ) {
			errorf("--tunnet=%s: bridge name '%s' is longer than %d characters",
			       arg, br, IFNAMSIZ - 1);
			return -1;
		}
		if (!strcmp(br, ".") || !strcmp(br, "..") ||
		    strpbrk(br, "/: \t\n")) {
			errorf("--tunnet=%s: '%s' is not an interface name", arg,
			       br);
			return -1;
		}
		tn->bridge = br;
		return 0;
	}
	if (inet_pton(AF_INET, arg, &tn->ip) != 1) {
		errorf("--tunnet=%s: '%s' is not an IPv4 address: give %s, %s",
		       arg, arg,
		       "the host's address on the guest's network or a bridge",
		       TUNNET_EXAMPLE);
		return -1;
	}
	ip = ntohl(tn->ip.s_addr);
	if ((ip >> 24) == 0 || (ip >> 24) == 127 || (ip >> 24) >= 224 ||
	    (ip & 0xff) == 0 || (ip & 0xff) == 255) {
		errorf("--tunnet=%s: the host cannot have address %s on a /24 network (%s): %s",
		       arg, arg,
		       "zero, loopback, multicast, or the network's first or last address",
		       TUNNET_EXAMPLE);
		return -1;
	}
	return 0;
}

/* One more device; the console is always there. */
static int count_device(struct config *cfg)
{
	if (1 + cfg->nblocks + cfg->nnets + cfg->rng >= MAX_DEVICES) {
		errorf("too many devices: at most %u, the console included (%s)",
		       MAX_DEVICES, "each --block, --tunnet and --rng is one");
		return -1;
	}
	return 0;
}

static void bad_option(int argc, char **argv)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";

	if (!strncmp(arg, "--", 2)) {
		if (optopt && strchr(arg, '='))
			errorf("option '%.*s' takes no argument (see lguest --help)",
			       (int)(strchr(arg, '=') - arg), arg);
		else if (optopt)
			errorf("option '%s' needs an argument (see lguest --help)",
			       arg);
		else
			errorf("unknown option '%s' (see lguest --help)", arg);
	} else if (optopt > 0 && optopt < 0x80 && optopt != ':' &&
		   strchr(short_options, optopt)) {
		errorf("option '-%c' needs an argument (see lguest --help)",
		       optopt);
	} else {
		errorf("unknown option '-%c' (see lguest --help)", optopt);
	}
}

enum parse_result parse_args(int argc, char **argv, struct config *cfg)
{
	int c;

	memset(cfg, 0, sizeof(*cfg));
	/* 0, not 1: start afresh, as the unit tests parse many times. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_options, long_options,
				NULL)) != -1) {
		switch (c) {
		case 'v':
			cfg->verbose = true;
			break;
		case 'i':
			if (!*optarg) {
				errorf("--initrd needs a file name (see lguest --help)");
				return PARSE_ERROR;
			}
			cfg->initrd = optarg;
			break;
		case OPT_BLOCK:
			if (!*optarg) {
				errorf("--block needs a file name (see lguest --help)");
				return PARSE_ERROR;
			}
			if (count_device(cfg))
				return PARSE_ERROR;
			cfg->blocks[cfg->nblocks++] = optarg;
			break;
		case OPT_DOORBELLS:
			cfg->doorbells = true;
			break;
		case OPT_RNG:
			if (!cfg->rng && count_device(cfg))
				return PARSE_ERROR;
			cfg->rng = true;
			break;
		case OPT_TUNNET:
			if (count_device(cfg) ||
			    parse_tunnet(optarg, &cfg->nets[cfg->nnets]))
				return PARSE_ERROR;
			cfg->nnets++;
			break;
		case OPT_USERNAME:
			if (!*optarg) {
				errorf("--username needs a user name or a numeric %s",
				       "UID[:GID] (see lguest --help)");
				return PARSE_ERROR;
			}
			cfg->username = optarg;
			break;
		case OPT_CHROOT:
			if (!*optarg) {
				errorf("--chroot needs a directory (see lguest --help)");
				return PARSE_ERROR;
			}
			cfg->chroot = optarg;
			break;
		case 'h':
			return PARSE_HELP;
		default:
			bad_option(argc, argv);
			return PARSE_ERROR;
		}
	}
	if (argc - optind < 2) {
		errorf("%s: " USAGE " (see lguest --help)",
		       argc - optind ? "missing KERNEL" : "missing MEM_MB and KERNEL");
		return PARSE_ERROR;
	}
	if (parse_mem(argv[optind], &cfg->mem_mb))
		return PARSE_ERROR;
	cfg->kernel = argv[optind + 1];
	/* C does not convert char ** to const char *const * by itself. */
	cfg->args = (const char *const *)argv + optind + 2;
	cfg->nargs = argc - optind - 2;
	return PARSE_RUN;
}
