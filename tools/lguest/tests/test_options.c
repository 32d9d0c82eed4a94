// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the command line (options.c).
 */
#include "unit.h"

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

UNIT_TEST(test_options, 10);
