// SPDX-License-Identifier: GPL-2.0
/*
 * lguest: the Launcher.  It builds a guest in its own memory, hands it to
 * the host through /dev/lguest, and then runs it: each read() of
 * /dev/lguest runs the guest until it does something the Launcher must
 * emulate (port I/O, device memory), or stops.
 *
 * Usage, exit statuses and the boot protocol: lguest --help and
 * Documentation/launcher.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lguest.h"

#define LGUEST_DEV	"/dev/lguest"

static char **saved_argv;
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* A crash of ours: give the user the terminal back, then crash. */
static void on_fatal_signal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * No SA_RESTART: a termination signal must interrupt the read() that
 * runs the guest (the host returns EINTR), so that we can stop.
 */
static void setup_signals(void)
{
	static const int stop[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	static const int crash[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	for (i = 0; i < ARRAY_SIZE(stop); i++)
		sigaction(stop[i], &sa, NULL);
	sa.sa_handler = on_fatal_signal;
	for (i = 0; i < ARRAY_SIZE(crash); i++)
		sigaction(crash[i], &sa, NULL);
	/* A closed stdout shows up as a failed write(), not as a death. */
	signal(SIGPIPE, SIG_IGN);
}

/*
 * The guest asked for a reboot.  The simplest complete way to start over
 * (fresh memory, devices, host state) is to exec ourselves with the same
 * arguments: /dev/lguest is close-on-exec, so the host drops the old
 * guest, and the new Launcher loads the kernel again.
 */
static void __noreturn restart_guest(void)
{
	vmsg("the guest asked for a restart: starting over");
	term_restore();
	execv("/proc/self/exe", saved_argv);
	/* No /proc (a minimal host, say): find ourselves the usual way. */
	execvp(saved_argv[0], saved_argv);
	fatal(EXIT_INTERNAL,
	      "cannot restart the guest: exec of /proc/self/exe and of %s failed: %s (is /proc mounted?)",
	      saved_argv[0], strerror(errno));
}

static void __noreturn guest_died(void)
{
	char reason[1024];
	size_t len;

	if (lgdev_death_reason(reason, sizeof(reason)) <= 0)
		snprintf(reason, sizeof(reason), "no reason given by the host");
	len = strlen(reason);
	while (len && (reason[len - 1] == '\n' || reason[len - 1] == '\r'))
		reason[--len] = '\0';
	fatal(EXIT_GUEST, "guest died: %s", reason);
}

static void __noreturn run_guest(void)
{
	struct lguest_pending p;
	ssize_t n;

	for (;;) {
		if (stop_signal)
			fatal(EXIT_GUEST, "stopped by signal %d (%s)",
			      stop_signal, strsignal(stop_signal));
		n = vcpu_run(&p);
		if (n == sizeof(p)) {
			handle_pending(&p);
			continue;
		}
		if (n == 0) {
			vmsg("the guest powered off");
			exit(EXIT_POWEROFF);
		}
		if (n > 0)
			fatal(EXIT_INTERNAL,
			      "the host returned %zd bytes for a pending record of %zu: rebuild the Launcher against the running kernel's <linux/lguest_launcher.h>",
			      n, sizeof(p));
		switch (errno) {
		case EINTR:
			continue;
		case ERESTART:
			restart_guest();
		case ENOENT:
			guest_died();
		default:
			fatal(EXIT_INTERNAL, "running the guest failed: %s",
			      strerror(errno));
		}
	}
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct boot_info bi;
	struct device *con;

	saved_argv = argv;
	switch (parse_args(argc, argv, &cfg)) {
	case PARSE_HELP:
		print_usage(stdout);
		return EXIT_POWEROFF;
	case PARSE_ERROR:
		return EXIT_SETUP;
	case PARSE_RUN:
		break;
	}
	verbose = cfg.verbose;

	/* Devices first: the command line names their addresses. */
	if (guest_memory_map(cfg.mem_mb))
		return EXIT_SETUP;
	con = console_create(STDIN_FILENO, STDOUT_FILENO);
	if (!con || device_register(con))
		return EXIT_INTERNAL;
	if (boot_setup(&cfg, &bi))
		return EXIT_SETUP;

	if (lgdev_open(LGUEST_DEV))
		return EXIT_SETUP;
	/* The Launcher is 32-bit: guest memory's address fits in a __u32. */
	if (lgdev_initialize((uint32_t)(uintptr_t)guest_mem.base,
			     guest_mem.size / PAGE_SIZE, bi.entry,
			     devices_end_page()))
		return EXIT_SETUP;
	/* The 32-bit boot protocol: %esi points to boot_params. */
	vcpu_setreg(LGUEST_REG_ESI, BOOT_PARAMS_ADDR);

	setup_signals();
	atexit(term_restore);
	if (term_raw(STDIN_FILENO))
		return EXIT_SETUP;
	if (console_start_input(con))
		return EXIT_INTERNAL;
	run_guest();
}
