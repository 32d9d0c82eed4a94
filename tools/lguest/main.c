// SPDX-License-Identifier: GPL-2.0
/*
 * lguest: the Launcher.  It builds a guest in its own memory, hands it to
 * the host through /dev/lguest, and then runs it: each read() of
 * /dev/lguest runs the guest until it does something the Launcher must
 * emulate (port I/O, device memory), or stops.  The main thread runs the
 * guest and does what its accesses ask for; the console's input and each
 * network card's receive side have threads of their own (see device.h).
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
#define PASSWD_FILE	"/etc/passwd"

static struct config cfg;
static struct boot_files boot_files;
static volatile sig_atomic_t stop_signal;

/*
 * A termination signal: the run loop stops.  It interrupts the read()
 * that runs the guest; if it came just before that read() started, the
 * alarm interrupts it a second later (and so on, until we are gone).
 */
static void on_stop_signal(int sig)
{
	stop_signal = sig;
	stop_signalled();
	alarm(1);
}

/* SIGUSR1 from request_stop(), or that alarm: interrupt, and poke again. */
static void on_wake(int sig)
{
	(void)sig;
	if (stop_signal || stop_is_pending())
		alarm(1);
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
 * runs the guest (the host returns EINTR), so that we can stop.  The
 * device threads block all signals: these all go to the main thread.
 */
static void setup_signals(void)
{
	static const int stop[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	static const int wake[] = { SIGUSR1, SIGALRM };
	static const int crash[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	for (i = 0; i < ARRAY_SIZE(stop); i++)
		sigaction(stop[i], &sa, NULL);
	sa.sa_handler = on_wake;
	for (i = 0; i < ARRAY_SIZE(wake); i++)
		sigaction(wake[i], &sa, NULL);
	sa.sa_handler = on_fatal_signal;
	for (i = 0; i < ARRAY_SIZE(crash); i++)
		sigaction(crash[i], &sa, NULL);
	/* A closed stdout shows up as a failed write(), not as a death. */
	signal(SIGPIPE, SIG_IGN);
}

/*
 * The way out of a running Launcher: device threads stopped and joined.
 * No more signals from here on (they would only interrupt the terminal's
 * restoration); SIGKILL still works, of course.
 */
static void __noreturn finish(int status)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	alarm(0);
	devices_stop();
	lguest_exit(status);
}

/*
 * Load the guest into (zeroed) memory and hand it to the host in a new
 * /dev/lguest open file: at the start, and at each restart.
 */
static int start_guest(void)
{
	struct boot_info bi;

	/* Devices first: the command line names their addresses. */
	if (boot_load(&cfg, &boot_files, &bi))
		return -1;
	if (lgdev_open(LGUEST_DEV))
		return -1;
	/* The Launcher is 32-bit: guest memory's address fits in a __u32. */
	if (lgdev_initialize((uint32_t)(uintptr_t)guest_mem.base,
			     guest_mem.size / PAGE_SIZE, bi.entry,
			     devices_end_page()))
		return -1;
	/* The 32-bit boot protocol: %esi points to boot_params. */
	vcpu_setreg(LGUEST_REG_ESI, BOOT_PARAMS_ADDR);
	devices_attach(cfg.doorbells);
	return 0;
}

/*
 * The guest asked for a reboot: start it again, in this Launcher, which
 * may have given up its privileges by now.  Every device goes back to its
 * power-on state first, under its lock, so that no device thread touches
 * the rings or guest memory from then on; then guest memory is zeroed
 * and loaded again from the kernel and initrd we kept open, and the
 * guest goes to the host in a new open file (from the helper of privs.c
 * after --username or --chroot), which frees the old guest.  The taps,
 * disks, terminal and threads stay as they are.
 */
static void restart_guest(void)
{
	vmsg("the guest asked for a restart: starting it again");
	devices_reset();
	emulate_reset();
	guest_memory_clear();
	if (start_guest()) {
		errorf("cannot restart the guest");
		finish(EXIT_SETUP);
	}
}

/*
 * Tour 9.3: The Launcher's exit
 *
 * Back in the Launcher, the run loop ends with the guest, and the exit
 * status says how: 0 for a power off, 2 for a guest that died, with the
 * host's reason on standard error (lguest --help lists them all).  A
 * restart is no end: restart_guest() loads the guest again and hands it to
 * the host in a new file.  This is the end of the tour.
 */
static void __noreturn guest_died(void)
{
	char reason[1024];
	size_t len;

	if (lgdev_death_reason(reason, sizeof(reason)) <= 0)
		snprintf(reason, sizeof(reason), "no reason given by the host");
	len = strlen(reason);
	while (len && (reason[len - 1] == '\n' || reason[len - 1] == '\r'))
		reason[--len] = '\0';
	errorf("guest died: %s", reason);
	finish(EXIT_GUEST);
}

/* A signal, or three Ctrl-C on the console */
static void check_stop(void)
{
	char msg[256];
	int status;

	if (stop_signal) {
		errorf("stopped by signal %d (%s)", stop_signal,
		       strsignal(stop_signal));
		finish(EXIT_GUEST);
	}
	if (stop_requested(&status, msg, sizeof(msg))) {
		errorf("%s", msg);
		finish(status);
	}
}

/*
 * Tour 1.5: The run loop
 *
 * The guest is handed over; the Launcher now runs it with read() on
 * /dev/lguest, which returns only when the guest needs us.  A pending
 * record (struct lguest_pending) says that it made an I/O port access or
 * touched device memory, which handle_pending() emulates before the next
 * read() (chapter 8).  End of file says that the guest powered off,
 * ERESTART that it wants to reboot, ENOENT that it died.  A signal
 * interrupts the read() with EINTR: SIGINT or SIGTERM from outside, or
 * the SIGUSR1 that three Ctrl-C on the console send (one Ctrl-C goes to
 * the guest).  Meanwhile the device threads serve the console's input and
 * the network.
 */
static void __noreturn run_guest(void)
{
	struct lguest_pending p;
	ssize_t n;

	for (;;) {
		check_stop();
		n = vcpu_run(&p);
		if (n == sizeof(p)) {
			handle_pending(&p);
			continue;
		}
		if (n == 0) {
			vmsg("the guest powered off");
			finish(EXIT_POWEROFF);
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
			continue;
		case ENOENT:
			guest_died();
		default:
			fatal(EXIT_INTERNAL, "running the guest failed: %s",
			      strerror(errno));
		}
	}
}

/*
 * Tour 1.0: The Launcher
 *
 * lguest runs a 32-bit x86 Linux kernel as a guest of a 32-bit x86 Linux
 * host, on processors without any virtualization support.  The trick is
 * privilege: the guest kernel runs in ring 1 instead of ring 0, so what it
 * may not do traps to the host, and where trapping would be too slow it
 * asks the host with a hypercall.  The guest kernel knows that it is a
 * guest (it is built with CONFIG_LGUEST_GUEST), which keeps the host small.
 *
 * lguest has two halves.  This program, the Launcher, is the user-space
 * one: it makes the guest's memory, loads the kernel into it, emulates the
 * devices, and runs the guest by reading /dev/lguest.  The other is the lg
 * module in the host kernel, which runs the guest on the CPU.  This tour
 * follows one guest from here, the Launcher's main(), to its end.
 */
int main(int argc, char **argv)
{
	struct creds creds;
	bool drop;

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
	set_main_thread();

	/* A bad user, directory or memory limit is refused at once. */
	if (creds_prepare(&cfg, PASSWD_FILE, &creds) ||
	    lgdev_memlock(cfg.mem_mb, creds.set_ids))
		return EXIT_SETUP;
	drop = creds.set_ids || creds.root;
	/* Before any other file is open, and while we are one thread */
	if (drop && opener_start(LGUEST_DEV))
		return EXIT_SETUP;
	if (guest_memory_map(cfg.mem_mb) ||
	    devices_create(cfg.devices, cfg.ndevices) ||
	    boot_open(&cfg, &boot_files) || start_guest())
		return EXIT_SETUP;
	if (drop && creds_drop(&creds))
		return EXIT_SETUP;

	setup_signals();
	/* The console makes the terminal raw: put it back on every way out. */
	atexit(term_restore);
	if (devices_start())
		finish(EXIT_INTERNAL);
	run_guest();
}
