// SPDX-License-Identifier: GPL-2.0
/*
 * Messages.  Every error goes through errorf(), which also keeps the last
 * one in last_error so that the unit tests can check what a user would
 * read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "lguest.h"

bool verbose;
bool errors_quiet;		/* the unit tests set it to keep stderr clean */
char last_error[512];

static void vreport(const char *fmt, va_list ap)
{
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	if (!errors_quiet)
		fprintf(stderr, "lguest: %s\n", last_error);
}

void errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}

/* A message for --verbose only: what the guest did that we did not like. */
void vmsg(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	fputs("lguest: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* exit() runs the atexit handlers, which put the terminal back. */
void fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	exit(status);
}

void vdump(const char *what, const uint8_t *bytes, size_t len)
{
	size_t i;

	if (!verbose)
		return;
	fprintf(stderr, "lguest: %s:", what);
	for (i = 0; i < len; i++)
		fprintf(stderr, " %02x", bytes[i]);
	fputc('\n', stderr);
}
