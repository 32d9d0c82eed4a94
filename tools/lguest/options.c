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
#include "lguest.h"

/*
 * The options without a short form; a device option is OPT_DEVICE plus the
 * index of its kind in device_type_nth().
 */
enum {
	OPT_USERNAME = 0x100,
	OPT_CHROOT,
	OPT_DOORBELLS,
	OPT_DEVICE,
};

static const struct option core_options[] = {
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "initrd",	required_argument,	NULL, 'i' },
	{ "username",	required_argument,	NULL, OPT_USERNAME },
	{ "chroot",	required_argument,	NULL, OPT_CHROOT },
	{ "doorbells",	no_argument,		NULL, OPT_DOORBELLS },
	{ "help",	no_argument,		NULL, 'h' },
};

/* The core options, then one for each kind of device that has one. */
static const struct option *long_options(void)
{
	static struct option opts[ARRAY_SIZE(core_options) + MAX_DEVICES + 1];
	const struct device_type *t;
	unsigned int n, i = ARRAY_SIZE(core_options);

	memcpy(opts, core_options, sizeof(core_options));
	for (n = 0; (t = device_type_nth(n)); n++) {
		if (!t->option)
			continue;
		opts[i].name = t->option;
		opts[i].has_arg = t->has_arg ? required_argument : no_argument;
		opts[i].flag = NULL;
		opts[i++].val = OPT_DEVICE + n;
	}
	memset(&opts[i], 0, sizeof(opts[i]));
	return opts;
}

/* "+": stop at MEM_MB; ":": report a missing argument as ':' */
static const char short_options[] = "+:vi:h";

/* The first line of --help, and the reminder after a missing argument */
#define USAGE	"usage: lguest [OPTIONS] MEM_MB KERNEL [KERNEL ARGS...]"

void print_usage(FILE *f)
{
	const struct device_type *t;
	unsigned int n;

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
		"  -i, --initrd=FILE  load FILE as the initial RAM disk\n",
		MEM_MB_MIN, MEM_MB_MAX);
	for (n = 0; (t = device_type_nth(n)); n++)
		if (t->help)
			fputs(t->help, f);
	fputs("  --username=USER    once the guest is set up, run as USER (a name\n"
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
		"  -h, --help         show this help\n", f);
	for (n = 0; (t = device_type_nth(n)); n++)
		if (t->notes)
			fprintf(f, "\n%s", t->notes);
	fputs("\n"
		"Exit status:\n"
		"  0  the guest powered off\n"
		"  1  usage or setup error (bad option, missing file, no /dev/lguest,\n"
		"     no tap, unknown user...)\n"
		"  2  the guest died, crashed or was killed (signal, three Ctrl-C)\n"
		"  3  internal Launcher error\n", f);
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

/* --OPTION of the n-th kind of device */
static int device_option(struct config *cfg, unsigned int n)
{
	const struct device_type *t = device_type_nth(n);
	const char *arg = t->has_arg ? optarg : NULL;
	unsigned int i, always = 0;

	if (t->check && t->check(arg))
		return -1;
	if (t->once)
		for (i = 0; i < cfg->ndevices; i++)
			if (cfg->devices[i].type == t)
				return 0;
	/* Each kind of device that is always there takes a line too. */
	for (i = 0; device_type_nth(i); i++)
		if (!device_type_nth(i)->option)
			always++;
	if (always + cfg->ndevices >= MAX_DEVICES) {
		errorf("too many devices: at most %u, %u always there (%s)",
		       MAX_DEVICES, always, "one per guest interrupt line");
		return -1;
	}
	cfg->devices[cfg->ndevices].type = t;
	cfg->devices[cfg->ndevices++].arg = arg;
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
	while ((c = getopt_long(argc, argv, short_options, long_options(),
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
		case OPT_DOORBELLS:
			cfg->doorbells = true;
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
			if (c >= OPT_DEVICE && device_type_nth(c - OPT_DEVICE)) {
				if (device_option(cfg, c - OPT_DEVICE))
					return PARSE_ERROR;
				break;
			}
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
