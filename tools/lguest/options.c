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
 * The next devices (--block, --tunnet, --rng) and the privilege options
 * (--username, --chroot) will be more rows here and more fields in
 * struct config.
 */
static const struct option long_options[] = {
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "initrd",	required_argument,	NULL, 'i' },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* "+": stop at MEM_MB; ":": report a missing argument as ':' */
static const char short_options[] = "+:vi:h";

/* The first line of --help, and the reminder after a missing argument */
#define USAGE	"usage: lguest [OPTIONS] MEM_MB KERNEL [KERNEL ARGS...]"

void print_usage(FILE *f)
{
	fprintf(f,
		USAGE "\n"
		"\n"
		"Run a 32-bit x86 Linux guest on the lguest hypervisor (/dev/lguest, from\n"
		"the lg module).\n"
		"\n"
		"  MEM_MB           guest RAM in MiB, from %u to %u\n"
		"  KERNEL           the guest kernel: a bzImage (gzip-compressed or\n"
		"                   uncompressed payload) or a 32-bit vmlinux ELF\n"
		"  KERNEL ARGS      the guest kernel command line; console=hvc0 and\n"
		"                   earlyprintk=serial,ttyS0,115200 are added unless you\n"
		"                   give console= or earlyprintk= yourself\n"
		"\n"
		"Options:\n"
		"  -i, --initrd=FILE  load FILE as the initial RAM disk\n"
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
		"  1  usage or setup error (bad option, missing file, no /dev/lguest...)\n"
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
	} else if (optopt && optopt != ':' && strchr(short_options, optopt)) {
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
