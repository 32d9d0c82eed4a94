// SPDX-License-Identifier: GPL-2.0
/*
 * lgabi: the /dev/lguest interface against bad input from a Launcher, as
 * Documentation/virt/lguest/launcher-abi.rst describes it
 * (tests/40-lguest.sh runs it as root in the lguest host, before the
 * guests).  Each check prints "lgabi: ok NAME" or "lgabi: FAIL NAME: got
 * X, want Y"; the last line is "lgabi: N passed, M failed", and the exit
 * status is 1 if any check failed.
 *
 * It is a small Launcher of its own: a guest's memory is an anonymous
 * mapping, and its "kernel" a few instructions written here, which run in
 * ring 1 on the boot mapping (or on page tables built here) and reach the
 * Launcher with an out instruction, an access to device memory, a
 * hypercall or a fault.  That covers every error a request can get
 * (sizes, request numbers, vCPU offsets, also for LHREQ_INITIALIZE,
 * unreadable buffers, every bad LHREQ_INITIALIZE argument, the owner rule
 * from threads, processes and after an execve(), after the guest ended)
 * and the order in which a write()'s checks apply, every result of read()
 * (a pending access, a register, both kept through a read() that fails,
 * power off, restart, death and its reason, EINTR and SA_RESTART),
 * LHREQ_TRAP and LHREQ_IRQ reaching the guest, and closing a guest in
 * every state it can be in (never run, running in another thread, with a
 * register read or a trap pending, with its timer armed, dead, its task
 * gone).  After each guest the kernel must hold as many pinned pages as
 * before it (/proc/vmstat), and a thousand guests must not cost memory.
 * A guest page is pinned once however often it is mapped, and counts in
 * VmPin against RLIMIT_MEMLOCK; shadow page tables count in SecPageTables.
 * Last, what the host keeps from a guest: a halt with interrupts off uses
 * no CPU, io_uring workers may not create or run a guest, the host's
 * breakpoints stay the host's, nothing of one guest's register page
 * reaches the next, and EFER.SCE gives a guest's syscall nothing.
 * A Launcher may have an LDT, and %gs on it, also while another of its
 * threads takes the entry away; a guest's LDT is copied into the host
 * CPU's LDT window, and nothing of it is left for the next guest there.
 * And what the host counts: a guest's counters in debugfs and in the
 * guest (LHCALL_READ_STATS) agree with what it did, and the lguest trace
 * events show its hypercalls.
 *
 * "lgabi --after-exec FD" is lgabi after its own execve() in the task that
 * made the guest of FD (test_exec()): it checks that the task no longer
 * owns the guest and exits 1 if a check failed.  Its checks print as the
 * others, but count in the last line only as the one check on its exit.
 *
 * Build: gcc -m32 -static -O2 -Wall -Wextra -Werror -pthread
 *        -I<installed uapi headers> -o lgabi lgabi.c
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <asm/ldt.h>
#include <linux/hw_breakpoint.h>
#include <linux/io_uring.h>
#include <linux/lguest_launcher.h>
#include <linux/perf_event.h>

#include "miniguest.h"


#define INIT_SIZE	(5 * sizeof(uint32_t))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define LOOP_MS_MAX	20000

/* Counts shared with forked children, which make checks too. */
static struct tally {
	int passed;
	int failed;
} *tally;

static long long pins_base;
static pthread_t main_thread;
static pid_t main_tid;

#define ERRNO(e)	{ e, #e }
static const struct {
	int e;
	const char *name;
} errnos[] = {
	ERRNO(EPERM), ERRNO(ENOENT), ERRNO(EINTR), ERRNO(EBADF),
	ERRNO(ENOMEM), ERRNO(EFAULT), ERRNO(EBUSY), ERRNO(ENODEV),
	ERRNO(EINVAL), ERRNO(ENOTTY), ERRNO(ESPIPE), ERRNO(ERESTART),
	ERRNO(ENOSPC), ERRNO(EEXIST),
};

static const char *errname(int e)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(errnos); i++) {
		if (errnos[i].e == e)
			return errnos[i].name;
	}
	return NULL;
}


static const char *show(long v, char *buf, size_t size)
{
	const char *name = v < 0 ? errname(-v) : NULL;

	if (v >= 0)
		snprintf(buf, size, "%ld", v);
	else if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "errno %ld", -v);
	return buf;
}

/*
 * Print text from the host (a guest's death reason) so that the console
 * check of qemu-run.sh does not take it for a kernel message.
 */
static void defuse(char *s)
{
	char *p;

	while ((p = strstr(s, "protection fault")))
		p[strlen("protection")] = '-';
}

static void verdict(bool good, const char *name, const char *detail)
{
	if (good) {
		__atomic_fetch_add(&tally->passed, 1, __ATOMIC_SEQ_CST);
		printf("lgabi: ok %s\n", name);
	} else {
		__atomic_fetch_add(&tally->failed, 1, __ATOMIC_SEQ_CST);
		printf("lgabi: FAIL %s: %s\n", name, detail);
	}
}

/* check(GOOD, DETAIL, NAME...): a check with a free-form detail. */
static void __attribute__((format(printf, 3, 4)))
check(bool good, const char *detail, const char *fmt, ...)
{
	char name[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	verdict(good, name, detail);
}

/* expect(GOT, WANT, NAME...): a result or -errno against the one wanted. */
static void __attribute__((format(printf, 3, 4)))
expect(long got, long want, const char *fmt, ...)
{
	char name[96], detail[96], g[32], w[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	snprintf(detail, sizeof(detail), "got %s, want %s",
		 show(got, g, sizeof(g)), show(want, w, sizeof(w)));
	verdict(got == want, name, detail);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* As many pages pinned as before the first guest. */
static void check_pins(const char *name)
{
	long long now = pins();
	char detail[96];

	snprintf(detail, sizeof(detail),
		 "got %lld pages pinned, want %lld as before the guests",
		 now, pins_base);
	check(now == pins_base, detail, "%s", name);
}

/* More pages pinned than before the first guest: a guest holds some. */
static void check_pinning(const char *name)
{
	long long now = pins();
	char detail[96];

	snprintf(detail, sizeof(detail),
		 "got %lld pages pinned, want more than %lld", now, pins_base);
	check(now > pins_base, detail, "%s", name);
}

/* Wait until a guest pins pages: its Launcher is inside read(). */
static bool wait_pinning(void)
{
	unsigned int ms;

	for (ms = 0; ms < LOOP_MS_MAX; ms += 10) {
		if (pins() > pins_base)
			return true;
		sleep_ms(10);
	}
	return false;
}

/* "FIELD: N kB" in /proc/meminfo or /proc/self/status: N, or -1. */
static long proc_kb(const char *path, const char *field)
{
	char line[128];
	size_t len = strlen(field);
	long kb = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			kb = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

static long meminfo(const char *field)
{
	return proc_kb("/proc/meminfo", field);
}

static long self_status(const char *field)
{
	return proc_kb("/proc/self/status", field);
}

/* Requests: one pwrite() of words, at a vCPU offset. */

static int open_lguest(void)
{
	int fd = open("/dev/lguest", O_RDWR);

	if (fd < 0)
		check(false, strerror(errno), "open /dev/lguest");
	return fd;
}

/* A page the host cannot read from or write to, after a readable one. */
static uint8_t *guarded_page(void)
{
	uint8_t *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + PAGE, PAGE, PROT_NONE)) {
		perror("lgabi: mmap");
		exit(1);
	}
	return p + PAGE;
}

/* Fresh guest memory, with lguest_data's hypercall ring free. */
static void guest_mem(struct guest *g)
{
	struct guest_data *d;

	g->mem = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->mem == MAP_FAILED) {
		perror("lgabi: mmap");
		exit(1);
	}
	d = (struct guest_data *)(g->mem + DATA_GPA);
	memset(d->hcall_status, LGUEST_HCALL_FREE, sizeof(d->hcall_status));
	g->at = CODE_GPA;
	g->fd = -1;
}

/* Open /dev/lguest and create the guest; false (and a FAIL) if not. */
static bool guest_start(struct guest *g, uint32_t start, const char *name)
{
	long r;

	g->fd = open_lguest();
	if (g->fd < 0)
		return false;
	r = lginit(g->fd, (uintptr_t)g->mem, RAM_PAGES, start, MMIO_PAGES);
	if (r != INIT_SIZE) {
		expect(r, INIT_SIZE, "%s: LHREQ_INITIALIZE", name);
		return false;
	}
	return true;
}

static void guest_end(struct guest *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	munmap(g->mem, RAM_SIZE);
}

/* read() until a pending access: the record, checked for reason. */
static bool run_to(struct guest *g, uint32_t reason, struct lguest_pending *p,
		   const char *name)
{
	long r = lgread(g->fd, p, sizeof(*p));
	char detail[96];

	if (r != sizeof(*p)) {
		expect(r, sizeof(*p), "%s", name);
		return false;
	}
	snprintf(detail, sizeof(detail), "got reason %u, want %u",
		 p->reason, reason);
	check(p->reason == reason, detail, "%s", name);
	return p->reason == reason;
}

static bool ends_with_zeroes(const uint8_t *p, size_t from, size_t size)
{
	for (; from < size; from++) {
		if (p[from])
			return false;
	}
	return true;
}

/*
 * The guest died: read() says ENOENT once, then gives the reason, which
 * must mention WHAT.
 */
static void check_death(struct guest *g, const char *what, const char *name)
{
	char reason[256], detail[320];
	long r = lgread(g->fd, reason, sizeof(reason));

	expect(r, -ENOENT, "%s: read() says the guest died", name);
	memset(reason, 0, sizeof(reason));
	r = lgread(g->fd, reason, sizeof(reason) - 1);
	if (r <= 0) {
		expect(r, 1, "%s: the next read() gives the reason", name);
		return;
	}
	defuse(reason);
	printf("lgabi: %s: \"%s\"\n", name, reason);
	snprintf(detail, sizeof(detail),
		 "got %ld bytes \"%s\", want a NUL-terminated reason about %s",
		 r, reason, what);
	check(reason[r - 1] == '\0' && strstr(reason, what), detail,
	      "%s: the reason", name);
}

/* A system call without glibc, whose errno is reached through %gs. */
static long raw_syscall(long nr, long a, long b, long c)
{
	asm volatile("int $0x80"
		     : "+a" (nr) : "b" (a), "c" (b), "d" (c) : "memory");
	return nr;
}

static struct user_desc ldt_empty = {
	.entry_number = 0,
	.read_exec_only = 1,
	.seg_not_present = 1,
};
static long ldt_victim;

static void on_ldt_signal(int sig)
{
	(void)sig;
}

/*
 * The other thread, on CPU 1: take the Launcher's %gs entry away, then
 * wake the Launcher, which runs its guest on CPU 0.
 */
static int ldt_changer(void *arg)
{
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	unsigned long cpu1 = 2;

	(void)arg;
	raw_syscall(SYS_sched_setaffinity, 0, sizeof(cpu1), (long)&cpu1);
	raw_syscall(SYS_nanosleep, (long)&pause, 0, 0);
	raw_syscall(SYS_modify_ldt, 1, (long)&ldt_empty, sizeof(ldt_empty));
	raw_syscall(SYS_nanosleep, (long)&pause, 0, 0);
	raw_syscall(SYS_tgkill, ldt_victim, ldt_victim, SIGUSR1);
	raw_syscall(SYS_exit, 0, 0, 0);
	return 0;
}

/*
 * The Launcher's LDT changes while its guest runs: another thread of the
 * Launcher clears the entry that the Launcher's %gs names.  The kernel
 * reloads the LDT on each CPU that runs the process (flush_ldt()), also
 * under the guest, and the host must not reload that %gs in ring 0 on its
 * way back from the guest (it oopsed).  In a child, where nothing may
 * touch glibc's TLS once %gs has lost its descriptor: the thread is a
 * clone() running raw system calls, and the child ends with one when the
 * thread's signal has interrupted its read().
 */
static void test_launcher_ldt_changed(void)
{
	static char stack[16384] __attribute__((aligned(16)));
	unsigned int ldt_gs = 0x7;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_ldt_signal };
		struct lguest_pending p;
		cpu_set_t cpu0;
		struct guest g;
		long r;

		guest_mem(&g);
		spin(&g);
		if (!guest_start(&g, CODE_GPA, "ldt changed"))
			_exit(2);
		CPU_ZERO(&cpu0);
		CPU_SET(0, &cpu0);
		sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART */
		if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
			_exit(2);
		ldt_victim = syscall(SYS_gettid);
		if (clone(ldt_changer, stack + sizeof(stack),
			  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			  CLONE_THREAD | CLONE_SYSVSEM, NULL) < 0)
			_exit(2);
		asm volatile("mov %0, %%gs" : : "r" (ldt_gs));
		r = raw_syscall(SYS_read, g.fd, (long)&p, sizeof(p));
		raw_syscall(SYS_exit_group, r == -EINTR ? 0 : 3, 0, 0);
	}
	expect(waitpid(pid, &status, 0), pid, "ldt changed: the child ends");
	expect(status, 0, "ldt changed: its read() ends with EINTR");
	check_pins("ldt changed: no pages left pinned");
}

/*
 * A Launcher with an LDT of its own (modify_ldt()): the guest must not see
 * it.  The CPU would read it through the guest's page tables, where the
 * guest could put a call gate to ring 0.  The guest loads %ds with the
 * LDT's first entry: that must be a #GP (no LDT), not succeed.
 *
 * The Launcher runs it with %gs on that LDT entry, a copy of its TLS
 * descriptor, so that glibc keeps working: the host must get its LDT back
 * before it reloads its %gs on the way out of the guest, or the reload
 * faults in the host's ring 0.  The LDT stays with the process: the tests
 * after this one run with it.
 */
static void test_launcher_ldt(void)
{
	struct user_desc d = { 0 };
	unsigned int gs, ldt_gs = 0x7;	/* LDT entry 0, RPL 3 */
	struct guest g;

	asm volatile("mov %%gs, %0" : "=r" (gs));
	d.entry_number = gs >> 3;
	expect(res(syscall(SYS_get_thread_area, &d)), 0,
	       "ldt: the Launcher's TLS descriptor");
	d.entry_number = 0;
	expect(res(syscall(SYS_modify_ldt, 1, &d, sizeof(d))), 0,
	       "ldt: the Launcher makes an LDT");
	guest_mem(&g);
	mov_imm(&g, EAX, 0x7);
	put8(&g, 0x8e);			/* mov %eax,%ds */
	put8(&g, 0xd8);
	out(&g, 0x80);
	asm volatile("mov %0, %%gs" : : "r" (ldt_gs));
	/* A pending out instead of ENOENT: the load worked. */
	if (guest_start(&g, CODE_GPA, "ldt"))
		check_death(&g, "general protection",
			    "ldt: the guest cannot use the Launcher's LDT");
	asm volatile("mov %%gs, %0" : "=r" (ldt_gs));
	asm volatile("mov %0, %%gs" : : "r" (gs));
	expect(ldt_gs, 0x7, "ldt: the Launcher's %%gs survives the guest");
	guest_end(&g);
	test_launcher_ldt_changed();
	check_pins("ldt: no pages left pinned");
}

/* The file itself: nothing but read() and write(). */
static void test_file(void)
{
	void *p;
	int fd = open_lguest();

	if (fd < 0)
		return;
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	expect(p == MAP_FAILED ? -errno : 0, -ENODEV, "mmap");
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	expect(res(ioctl(fd, _IO('L', 0), 0)), -ENOTTY, "ioctl");
	expect(res(close(fd)), 0, "close before LHREQ_INITIALIZE");
}

/* No guest yet: every request but LHREQ_INITIALIZE is EINVAL. */
static void test_before_init(void)
{
	static const uint32_t unknown[] = { LHREQ_IOEVENTFD + 1, 0x80000000u,
					    0xffffffffu };
	uint32_t w[8], *edge = (uint32_t *)guarded_page() - 1;
	char buf[64];
	unsigned int i;
	int fd = open_lguest();

	if (fd < 0)
		return;
	expect(lgread(fd, buf, sizeof(buf)), -EINVAL, "read before init");
	expect(req1(fd, LHREQ_IRQ, 0), -EINVAL, "LHREQ_IRQ before init");
	expect(req1(fd, LHREQ_GETREG, LGUEST_REG_EIP), -EINVAL,
	       "LHREQ_GETREG before init");
	expect(req2(fd, LHREQ_SETREG, LGUEST_REG_EAX, 1), -EINVAL,
	       "LHREQ_SETREG before init");
	expect(req1(fd, LHREQ_TRAP, 13), -EINVAL, "LHREQ_TRAP before init");
	for (i = 0; i < ARRAY_SIZE(unknown); i++)
		expect(req1(fd, unknown[i], 0), -EINVAL,
		       "request %#x before init", unknown[i]);

	/* LHREQ_INITIALIZE with valid arguments, but too few or many. */
	w[0] = LHREQ_INITIALIZE;
	w[1] = (uint32_t)(uintptr_t)buf & ~(PAGE - 1);
	w[2] = 1;
	w[3] = 0;
	w[4] = 1;
	w[5] = 0;
	w[6] = 0;
	w[7] = 0;
	for (i = 0; i < 4; i++)
		expect(lgwrite(fd, w, i, 0), -EINVAL, "write of %u bytes", i);
	for (i = 4; i <= sizeof(w); i += 4) {
		if (i != INIT_SIZE)
			expect(lgwrite(fd, w, i, 0), -EINVAL,
			       "LHREQ_INITIALIZE of %u bytes", i);
	}
	expect(lgwrite(fd, w, INIT_SIZE - 1, 0), -EINVAL,
	       "LHREQ_INITIALIZE of %zu bytes", INIT_SIZE - 1);
	expect(lgwrite(fd, w, INIT_SIZE + 1, 0), -EINVAL,
	       "LHREQ_INITIALIZE of %zu bytes", INIT_SIZE + 1);

	/* Only vCPU 0 exists, also for LHREQ_INITIALIZE. */
	expect(lgwrite(fd, w, INIT_SIZE, 1), -EINVAL,
	       "LHREQ_INITIALIZE at offset 1");
	expect(lgwrite(fd, w, INIT_SIZE, PAGE), -EINVAL,
	       "LHREQ_INITIALIZE at offset 4096");
	expect(lgwrite(fd, w, INIT_SIZE, 1ll << 32), -EINVAL,
	       "LHREQ_INITIALIZE at offset 2^32");
	if (lseek(fd, 1, SEEK_SET) == 1)
		expect(res(write(fd, w, INIT_SIZE)), -EINVAL,
		       "LHREQ_INITIALIZE by write() after lseek to 1");
	else
		check(false, strerror(errno), "lseek to 1 before init");
	lseek(fd, 0, SEEK_SET);

	/* Buffers the host cannot read; the request word comes first. */
	expect(lgwrite(fd, NULL, INIT_SIZE, 0), -EFAULT, "write from NULL");
	expect(lgwrite(fd, NULL, INIT_SIZE, 1), -EFAULT,
	       "write from NULL at offset 1 before init");
	expect(lgwrite(fd, edge + 1, INIT_SIZE, 0), -EFAULT,
	       "write from an unmapped page");
	expect(lgwrite(fd, (void *)0xc0000000u, INIT_SIZE, 0), -EFAULT,
	       "write from a kernel address");
	*edge = LHREQ_INITIALIZE;
	expect(lgwrite(fd, edge, INIT_SIZE, 0), -EFAULT,
	       "LHREQ_INITIALIZE with unreadable arguments");
	expect(lgread(fd, NULL, 4), -EINVAL, "read to NULL before init");

	expect(req1(fd, LHREQ_GETREG, LGUEST_REG_EIP), -EINVAL,
	       "still no guest after the failed LHREQ_INITIALIZEs");
	munmap((uint8_t *)(edge + 1) - PAGE, 2 * PAGE);
	close(fd);
}

/* One LHREQ_INITIALIZE on a new file; the file is closed again. */
static long try_init(uintptr_t base, uint32_t pages, uint32_t start,
		     uint32_t mmio_pages)
{
	int fd = open("/dev/lguest", O_RDWR);
	long r;

	if (fd < 0)
		return -errno;
	r = lginit(fd, base, pages, start, mmio_pages);
	close(fd);
	return r;
}

/* Every bad argument of LHREQ_INITIALIZE, and the limits of good ones. */
static void test_init_args(void)
{
	struct guest g;
	uintptr_t base;

	guest_mem(&g);
	base = (uintptr_t)g.mem;
	expect(try_init(base + 1, RAM_PAGES, 0, RAM_PAGES), -EINVAL,
	       "init: base not page aligned (+1)");
	expect(try_init(base + PAGE / 2, RAM_PAGES, 0, RAM_PAGES), -EINVAL,
	       "init: base not page aligned (+2048)");
	expect(try_init(base, 0, 0, RAM_PAGES), -EINVAL, "init: no pages");
	expect(try_init(base, 0, 0, 0), -EINVAL, "init: no pages, no mmio");
	expect(try_init(base, RAM_PAGES, RAM_SIZE, RAM_PAGES), -EINVAL,
	       "init: start at the end of RAM");
	expect(try_init(base, RAM_PAGES, 0xffffffffu, RAM_PAGES), -EINVAL,
	       "init: start 0xffffffff");
	expect(try_init(base, RAM_PAGES, RAM_SIZE - 1, RAM_PAGES), INIT_SIZE,
	       "init: start at the last byte of RAM");
	expect(try_init(base, RAM_PAGES, 0, RAM_PAGES - 1), -EINVAL,
	       "init: mmio_pages below mem_pages");
	expect(try_init(base, RAM_PAGES, 0, 0), -EINVAL, "init: mmio_pages 0");
	expect(try_init(base, RAM_PAGES, 0, RAM_PAGES), INIT_SIZE,
	       "init: mmio_pages equal to mem_pages");
	expect(try_init(0, 0xfffff, 0, 0xfffff), -EINVAL,
	       "init: 0xfffff pages of RAM, past the Switcher");
	expect(try_init(0, 0x100000, 0, 0x100000), -EINVAL,
	       "init: 0x100000 pages (4 GB)");
	expect(try_init(0, 0xffffffffu, 0, 0xffffffffu), -EINVAL,
	       "init: 0xffffffff pages");
	expect(try_init(0xbffff000u, 2, 0, 2), -EINVAL,
	       "init: RAM beyond the Launcher's address space");
	expect(try_init(base, RAM_PAGES, 0, 0x100000), -EINVAL,
	       "init: mmio_pages 0x100000 (4 GB)");
	expect(try_init(base, RAM_PAGES, 0, 0xffffffffu), -EINVAL,
	       "init: mmio_pages 0xffffffff");
	guest_end(&g);
	check_pins("init: no pages pinned by the guests never run");
}

/*
 * Device memory may reach up to the Switcher, which lies in the top
 * page-table slot the guest must leave free (reserve_mem): the largest
 * mmio_pages accepted is in that slot, and the next is refused.
 */
static void test_mmio_limit(uint32_t reserve_mem)
{
	uint32_t lo = RAM_PAGES, hi = 0x100000, mid;
	uint64_t slot = (0x100000000ull - reserve_mem) / PAGE;
	char detail[128];
	struct guest g;

	if (!reserve_mem) {
		check(false, "no reserve_mem from LHCALL_LGUEST_INIT",
		      "init: mmio_pages up to the Switcher");
		return;
	}
	guest_mem(&g);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (try_init((uintptr_t)g.mem, RAM_PAGES, 0, mid) == INIT_SIZE)
			lo = mid;
		else
			hi = mid;
	}
	snprintf(detail, sizeof(detail),
		 "got up to page %#x, want from %#llx (reserve_mem %#x) to 0xffffe",
		 lo, (unsigned long long)slot, reserve_mem);
	check(lo >= slot && lo < 0xfffff, detail,
	      "init: mmio_pages up to the Switcher (%#x)", lo);
	expect(try_init((uintptr_t)g.mem, RAM_PAGES, 0, lo), INIT_SIZE,
	       "init: mmio_pages %#x, ending at the Switcher", lo);
	expect(try_init((uintptr_t)g.mem, RAM_PAGES, 0, lo + 1), -EINVAL,
	       "init: mmio_pages %#x, reaching the Switcher", lo + 1);
	guest_end(&g);
}

/* Run a child that makes checks; its counts go to the shared tally. */
static void child_done(pid_t pid, const char *name)
{
	int status;

	if (pid < 0) {
		check(false, strerror(errno), "%s: fork", name);
		return;
	}
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	check(WIFEXITED(status) && !WEXITSTATUS(status),
	      "the child did not exit 0", "%s: the child exits", name);
}

/*
 * One guest through its life: the errors of every request while it
 * exists, its registers, every read() result, a trap it has no handler
 * for, and what is left after its death.
 */
static void test_requests(void)
{
	static const uint32_t unknown[] = { LHREQ_IOEVENTFD + 1, 0x80000000u,
					    0xffffffffu };
	uint8_t *ro, *none = guarded_page();
	uint32_t w[1024], *edge = (uint32_t *)none - 1, val, first, second;
	struct lguest_pending p;
	char detail[96], reason[64];
	struct guest g;
	unsigned int i;
	pid_t pid;
	long r;
	int fd;

	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guest_mem(&g);
	first = out(&g, 0x80);
	jump(&g, RAM_SIZE - 2);
	g.at = RAM_SIZE - 2;
	second = out(&g, 0x81);
	if (ro == MAP_FAILED || !guest_start(&g, first, "requests"))
		goto end;
	fd = g.fd;

	expect(lginit(fd, (uintptr_t)g.mem, RAM_PAGES, 0, RAM_PAGES), -EBUSY,
	       "LHREQ_INITIALIZE twice");
	r = getreg(fd, LGUEST_REG_EIP, &val);
	snprintf(detail, sizeof(detail), "got %ld, eip %#x, want 4, eip %#x",
		 r, val, first);
	check(r == 4 && val == first, detail,
	      "the guest is unchanged after EBUSY");

	/* Offsets other than vCPU 0. */
	w[0] = LHREQ_IRQ;
	w[1] = 0;
	expect(lgwrite(fd, w, 8, 1), -EINVAL, "pwrite at offset 1");
	expect(lgwrite(fd, w, 8, PAGE), -EINVAL, "pwrite at offset 4096");
	expect(lgwrite(fd, w, 8, 1ll << 32), -EINVAL, "pwrite at offset 2^32");
	expect(lgwrite(fd, w, 8, -1), -EINVAL, "pwrite at offset -1");
	w[0] = LHREQ_GETREG;
	w[1] = LGUEST_REG_EAX;
	expect(lgwrite(fd, w, 8, 1), -EINVAL, "LHREQ_GETREG at offset 1");
	expect(lgwrite(fd, NULL, 8, 1), -EFAULT,
	       "write from NULL at offset 1: the request word comes first");
	w[0] = LHREQ_INITIALIZE;
	w[1] = (uint32_t)(uintptr_t)g.mem;
	w[2] = RAM_PAGES;
	w[3] = 0;
	w[4] = RAM_PAGES;
	expect(lgwrite(fd, w, INIT_SIZE, 1), -EINVAL,
	       "LHREQ_INITIALIZE at offset 1 when the guest exists");
	w[0] = LHREQ_GETREG;
	w[1] = LGUEST_REG_EAX;
	expect(res(pread(fd, &p, sizeof(p), 1)), -EINVAL, "pread at offset 1");
	expect(res(pread(fd, &p, sizeof(p), 1ll << 32)), -EINVAL,
	       "pread at offset 2^32");
	if (lseek(fd, 1, SEEK_SET) == 1) {
		expect(res(write(fd, w, 8)), -EINVAL,
		       "write after lseek to 1");
		expect(res(read(fd, &p, sizeof(p))), -EINVAL,
		       "read after lseek to 1");
	} else {
		check(false, strerror(errno), "lseek to 1");
	}
	lseek(fd, 0, SEEK_SET);

	/* Sizes, request numbers and arguments. */
	for (i = 0; i < 4; i++)
		expect(lgwrite(fd, w, i, 0), -EINVAL,
		       "write of %u bytes after init", i);
	memset(w, 0, sizeof(w));
	w[0] = LHREQ_IRQ;
	expect(lgwrite(fd, w, 4, 0), -EINVAL, "LHREQ_IRQ of 4 bytes");
	expect(lgwrite(fd, w, 7, 0), -EINVAL, "LHREQ_IRQ of 7 bytes");
	expect(lgwrite(fd, w, 16, 0), -EINVAL, "LHREQ_IRQ of 16 bytes");
	expect(lgwrite(fd, w, sizeof(w), 0), -EINVAL,
	       "LHREQ_IRQ of %zu bytes", sizeof(w));
	w[0] = LHREQ_GETREG;
	expect(lgwrite(fd, w, 4, 0), -EINVAL, "LHREQ_GETREG of 4 bytes");
	expect(lgwrite(fd, w, 12, 0), -EINVAL, "LHREQ_GETREG of 12 bytes");
	w[0] = LHREQ_SETREG;
	expect(lgwrite(fd, w, 8, 0), -EINVAL, "LHREQ_SETREG of 8 bytes");
	expect(lgwrite(fd, w, 16, 0), -EINVAL, "LHREQ_SETREG of 16 bytes");
	w[0] = LHREQ_TRAP;
	expect(lgwrite(fd, w, 4, 0), -EINVAL, "LHREQ_TRAP of 4 bytes");
	expect(lgwrite(fd, w, 12, 0), -EINVAL, "LHREQ_TRAP of 12 bytes");
	for (i = 0; i < ARRAY_SIZE(unknown); i++)
		expect(req1(fd, unknown[i], 0), -EINVAL,
		       "request %#x after init", unknown[i]);
	expect(req1(fd, LHREQ_IRQ, LGUEST_IRQS), -EINVAL, "LHREQ_IRQ 32");
	expect(req1(fd, LHREQ_IRQ, 0xffffffffu), -EINVAL,
	       "LHREQ_IRQ 0xffffffff");
	expect(req1(fd, LHREQ_IRQ, 0), 8, "LHREQ_IRQ 0");
	expect(req1(fd, LHREQ_IRQ, LGUEST_IRQS - 1), 8, "LHREQ_IRQ 31");
	expect(req1(fd, LHREQ_GETREG, LGUEST_NR_REGS), -EINVAL,
	       "LHREQ_GETREG of register %u", LGUEST_NR_REGS);
	expect(req1(fd, LHREQ_GETREG, 0xffffffffu), -EINVAL,
	       "LHREQ_GETREG of register 0xffffffff");
	expect(req2(fd, LHREQ_SETREG, LGUEST_REG_EFLAGS, 0x3202), -EINVAL,
	       "LHREQ_SETREG of EFLAGS");
	expect(req2(fd, LHREQ_SETREG, LGUEST_REG_CS, 0x10), -EINVAL,
	       "LHREQ_SETREG of CS");
	expect(req2(fd, LHREQ_SETREG, LGUEST_NR_REGS, 0), -EINVAL,
	       "LHREQ_SETREG of register %u", LGUEST_NR_REGS);
	expect(req1(fd, LHREQ_TRAP, 32), -EINVAL, "LHREQ_TRAP 32");
	expect(req1(fd, LHREQ_TRAP, 0xffffffffu), -EINVAL,
	       "LHREQ_TRAP 0xffffffff");

	/* Unreadable requests and arguments. */
	expect(lgwrite(fd, NULL, 8, 0), -EFAULT, "write from NULL after init");
	*edge = LHREQ_IRQ;
	expect(lgwrite(fd, edge, 8, 0), -EFAULT,
	       "LHREQ_IRQ with an unreadable argument");
	*edge = LHREQ_GETREG;
	expect(lgwrite(fd, edge, 8, 0), -EFAULT,
	       "LHREQ_GETREG with an unreadable argument");
	*edge = LHREQ_SETREG;
	expect(lgwrite(fd, edge, 12, 0), -EFAULT,
	       "LHREQ_SETREG with unreadable arguments");
	*edge = LHREQ_TRAP;
	expect(lgwrite(fd, edge, 8, 0), -EFAULT,
	       "LHREQ_TRAP with an unreadable argument");

	/* Registers, and read() after LHREQ_GETREG. */
	r = getreg(fd, LGUEST_REG_CS, &val);
	snprintf(detail, sizeof(detail), "got %ld, cs %#x, want 4, ring 1",
		 r, val);
	check(r == 4 && (val & 3) == 1, detail, "LHREQ_GETREG of CS");
	r = getreg(fd, LGUEST_REG_EFLAGS, &val);
	snprintf(detail, sizeof(detail), "got %ld, eflags %#x, want 4, IF",
		 r, val);
	check(r == 4 && (val & 0x200), detail, "LHREQ_GETREG of EFLAGS");
	expect(req2(fd, LHREQ_SETREG, LGUEST_REG_EIP, 0x1234), 12,
	       "LHREQ_SETREG of EIP");
	r = getreg(fd, LGUEST_REG_EIP, &val);
	snprintf(detail, sizeof(detail), "got %ld, eip %#x, want 4, 0x1234",
		 r, val);
	check(r == 4 && val == 0x1234, detail, "EIP reads back as set");
	req2(fd, LHREQ_SETREG, LGUEST_REG_EIP, first);
	req1(fd, LHREQ_GETREG, LGUEST_REG_EIP);
	expect(lgread(fd, &val, 3), -EINVAL, "read of 3 bytes for a register");
	req1(fd, LHREQ_GETREG, LGUEST_REG_EIP);
	expect(lgread(fd, &val, 0), -EINVAL, "read of 0 bytes for a register");
	req1(fd, LHREQ_GETREG, LGUEST_REG_EIP);
	expect(lgread(fd, ro, 4), -EFAULT,
	       "read of a register to a read-only page");
	req1(fd, LHREQ_GETREG, LGUEST_REG_EIP);
	memset(w, 0, 64);
	r = lgread(fd, w, 64);
	snprintf(detail, sizeof(detail), "got %ld, eip %#x, want 4, eip %#x",
		 r, w[0], first);
	check(r == 4 && w[0] == first, detail,
	      "read of 64 bytes for a register");

	/* Running it: the out instruction needs the Launcher. */
	expect(lgread(fd, &p, sizeof(p) - 1), -EINVAL,
	       "read of %zu bytes for a pending access", sizeof(p) - 1);
	expect(lgread(fd, none, sizeof(p)), -EFAULT,
	       "read of a pending access to an unmapped page");
	if (!run_to(&g, LGUEST_PENDING_PIO, &p, "read: out instruction"))
		goto end;
	snprintf(detail, sizeof(detail), "got %u bytes %02x %02x, want 16",
		 p.insn_len, p.insn[0], p.insn[1]);
	check(p.insn_len == 16 && !memcmp(p.insn, g.mem + first, 16), detail,
	      "read: the instruction's bytes");
	check_pinning("the running guest pins pages");
	r = getreg(fd, LGUEST_REG_EIP, &val);
	snprintf(detail, sizeof(detail), "got %ld, eip %#x, want 4, eip %#x",
		 r, val, first);
	check(r == 4 && val == first, detail, "EIP at the out instruction");
	expect(req2(fd, LHREQ_SETREG, LGUEST_REG_EIP, first + 2), 12,
	       "skip the out instruction");
	if (!run_to(&g, LGUEST_PENDING_PIO, &p, "read: out at the end of RAM"))
		goto end;
	snprintf(detail, sizeof(detail),
		 "got %u bytes %02x %02x, want 2 bytes e6 81, then zeroes",
		 p.insn_len, p.insn[0], p.insn[1]);
	check(p.insn_len == 2 && !memcmp(p.insn, g.mem + second, 2) &&
	      ends_with_zeroes(p.insn, 2, sizeof(p.insn)), detail,
	      "read: only the instruction bytes in RAM");

	/* A trap the guest has no handler for kills it. */
	expect(req1(fd, LHREQ_TRAP, 31), 8, "LHREQ_TRAP 31");
	expect(req1(fd, LHREQ_TRAP, 13), 8, "LHREQ_TRAP 13");
	check_death(&g, "trap", "LHREQ_TRAP without a handler kills the guest");

	/* After the death. */
	r = lgread(fd, reason, sizeof(reason));
	expect(r > 0 ? 0 : r, 0, "read after the death: the reason again");
	memset(reason, 'x', sizeof(reason));
	r = lgread(fd, reason, 5);
	check(r == 5 && !memchr(reason, '\0', 5) && reason[5] == 'x',
	      "not the first 5 bytes of the reason",
	      "read after the death: the reason cut to 5 bytes");
	expect(lgread(fd, ro, sizeof(reason)), -EFAULT,
	       "read of the reason to a read-only page");
	expect(lgread(fd, reason, 0), -EINVAL,
	       "read of 0 bytes after the death");
	expect(lgread(fd, NULL, 0), -EINVAL,
	       "read of 0 bytes to NULL after the death");
	r = lgread(fd, reason, sizeof(reason));
	expect(r > 0 ? 0 : r, 0, "read after the death: still the reason");
	expect(req1(fd, LHREQ_GETREG, LGUEST_REG_EIP), -ENOENT,
	       "LHREQ_GETREG after the death");
	expect(req2(fd, LHREQ_SETREG, LGUEST_REG_EIP, first), -ENOENT,
	       "LHREQ_SETREG after the death");
	expect(req1(fd, LHREQ_TRAP, 13), -ENOENT, "LHREQ_TRAP after the death");

	/* The end of the guest is checked before the size and arguments. */
	for (i = 0; i < ARRAY_SIZE(unknown); i++)
		expect(req1(fd, unknown[i], 0), -ENOENT,
		       "request %#x after the death", unknown[i]);
	memset(w, 0, 64);
	w[0] = LHREQ_GETREG;
	expect(lgwrite(fd, w, 4, 0), -ENOENT,
	       "LHREQ_GETREG of 4 bytes after the death");
	expect(lgwrite(fd, w, 12, 0), -ENOENT,
	       "LHREQ_GETREG of 12 bytes after the death");
	expect(req1(fd, LHREQ_GETREG, LGUEST_NR_REGS), -ENOENT,
	       "LHREQ_GETREG of register %u after the death", LGUEST_NR_REGS);
	expect(req2(fd, LHREQ_SETREG, LGUEST_REG_CS, 0x10), -ENOENT,
	       "LHREQ_SETREG of CS after the death");
	expect(req1(fd, LHREQ_TRAP, 32), -ENOENT,
	       "LHREQ_TRAP 32 after the death");
	*edge = LHREQ_GETREG;
	expect(lgwrite(fd, edge, 8, 0), -ENOENT,
	       "LHREQ_GETREG with an unreadable argument after the death");
	/* But the request word and the offset before it. */
	expect(lgwrite(fd, NULL, 8, 0), -EFAULT,
	       "write from NULL after the death");
	w[1] = LGUEST_REG_EIP;
	expect(lgwrite(fd, w, 8, 1), -EINVAL,
	       "LHREQ_GETREG at offset 1 after the death");
	expect(req1(fd, LHREQ_IRQ, LGUEST_IRQS), -EINVAL,
	       "LHREQ_IRQ 32 after the death");
	expect(req1(fd, LHREQ_IRQ, 1), 8, "LHREQ_IRQ after the death");

	/* Another task: the caller is checked before the end. */
	fflush(stdout);
	pid = fork();
	if (!pid) {
		expect(req1(fd, LHREQ_GETREG, LGUEST_REG_EIP), -EPERM,
		       "child after the death: LHREQ_GETREG");
		expect(req1(fd, unknown[0], 0), -EPERM,
		       "child after the death: request %#x", unknown[0]);
		expect(lgread(fd, reason, sizeof(reason)), -EPERM,
		       "child after the death: read");
		expect(req1(fd, LHREQ_IRQ, 1), 8,
		       "child after the death: LHREQ_IRQ");
		fflush(stdout);
		_exit(0);
	}
	child_done(pid, "after the death");
	expect(lginit(fd, (uintptr_t)g.mem, RAM_PAGES, 0, RAM_PAGES), -EBUSY,
	       "LHREQ_INITIALIZE after the death");
end:
	guest_end(&g);
	check_pins("closing a dead guest unpins its pages");
	if (ro != MAP_FAILED)
		munmap(ro, PAGE);
	munmap(none - PAGE, 2 * PAGE);
}

/*
 * A read() that fails with EINVAL (too small) or EFAULT (unwritable)
 * leaves the register value asked for, or the pending access, to the next
 * read().  Were either lost, the next read() would give something else:
 * the guest's access instead of the value, or the access of the
 * instruction at the EIP set meanwhile instead of the first one.
 */
static void test_kept(void)
{
	uint8_t *ro, *none = guarded_page();
	struct lguest_pending p;
	uint32_t first, second, val;
	char detail[96];
	struct guest g;
	long r;

	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	guest_mem(&g);
	first = out(&g, 0x80);
	second = out(&g, 0x81);
	spin(&g);
	if (ro == MAP_FAILED || !guest_start(&g, first, "kept"))
		goto end;

	/* A register value, asked for before the guest ever ran. */
	req2(g.fd, LHREQ_SETREG, LGUEST_REG_EAX, 0x12345678);
	expect(req1(g.fd, LHREQ_GETREG, LGUEST_REG_EAX), 8,
	       "kept: LHREQ_GETREG of EAX");
	expect(lgread(g.fd, &val, 3), -EINVAL,
	       "kept: read of 3 bytes for a register");
	expect(lgread(g.fd, &val, 0), -EINVAL,
	       "kept: read of 0 bytes for a register");
	expect(lgread(g.fd, ro, 4), -EFAULT,
	       "kept: read of a register to a read-only page");
	expect(lgread(g.fd, none, 4), -EFAULT,
	       "kept: read of a register to an unmapped page");
	req2(g.fd, LHREQ_SETREG, LGUEST_REG_EAX, 0);
	val = 0;
	r = lgread(g.fd, &val, sizeof(val));
	snprintf(detail, sizeof(detail), "got %ld, eax %#x, want 4, 0x12345678",
		 r, val);
	check(r == 4 && val == 0x12345678, detail,
	      "kept: the register value after failed reads");

	/* A pending access: the guest runs to its first out instruction. */
	expect(lgread(g.fd, &p, sizeof(val)), -EINVAL,
	       "kept: read of 4 bytes for a pending access");
	expect(req2(g.fd, LHREQ_SETREG, LGUEST_REG_EIP, second), 12,
	       "kept: LHREQ_SETREG of EIP to the second out instruction");
	expect(lgread(g.fd, &p, 0), -EINVAL,
	       "kept: read of 0 bytes for a pending access");
	expect(lgread(g.fd, ro, sizeof(p)), -EFAULT,
	       "kept: read of a pending access to a read-only page");
	expect(lgread(g.fd, none, sizeof(p)), -EFAULT,
	       "kept: read of a pending access to an unmapped page");
	r = getreg(g.fd, LGUEST_REG_EIP, &val);
	snprintf(detail, sizeof(detail), "got %ld, eip %#x, want 4, eip %#x",
		 r, val, second);
	check(r == 4 && val == second, detail,
	      "kept: a register read while an access is pending");
	if (run_to(&g, LGUEST_PENDING_PIO, &p, "kept: the pending access")) {
		snprintf(detail, sizeof(detail),
			 "got %02x %02x, want e6 80 (the first out)",
			 p.insn[0], p.insn[1]);
		check(!memcmp(p.insn, g.mem + first, 2), detail,
		      "kept: the access after failed reads");
	}
	if (run_to(&g, LGUEST_PENDING_PIO, &p, "kept: the next access")) {
		snprintf(detail, sizeof(detail),
			 "got %02x %02x, want e6 81 (the second out)",
			 p.insn[0], p.insn[1]);
		check(!memcmp(p.insn, g.mem + second, 2), detail,
		      "kept: the guest then runs from the EIP set");
	}
end:
	guest_end(&g);
	check_pins("kept: no pages left pinned");
	if (ro != MAP_FAILED)
		munmap(ro, PAGE);
	munmap(none - PAGE, 2 * PAGE);
}

/* The ways a guest ends; returns reserve_mem from the powered-off one. */
static uint32_t test_endings(void)
{
	struct lguest_pending p;
	struct guest_data *d;
	uint32_t reserve = 0, at;
	struct guest g;
	char buf[16];

	guest_mem(&g);
	snprintf((char *)g.mem + MSG_GPA, 32, "lgabi: power off");
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	hypercall(&g, LHCALL_SHUTDOWN, MSG_GPA, LGUEST_SHUTDOWN_POWEROFF, 0);
	spin(&g);
	if (guest_start(&g, CODE_GPA, "power off")) {
		expect(lgread(g.fd, buf, sizeof(buf)), 0,
		       "read: 0 when the guest powered off");
		expect(lgread(g.fd, buf, sizeof(buf)), 0,
		       "read: 0 again after the power off");
		expect(lgread(g.fd, buf, 0), 0,
		       "read of 0 bytes after the power off");
		expect(req1(g.fd, LHREQ_IOEVENTFD + 1, 0), -ENOENT,
		       "request %#x after the power off", LHREQ_IOEVENTFD + 1);
		expect(req1(g.fd, LHREQ_TRAP, 32), -ENOENT,
		       "LHREQ_TRAP 32 after the power off");
		expect(req1(g.fd, LHREQ_GETREG, LGUEST_REG_EAX), -ENOENT,
		       "LHREQ_GETREG after the power off");
		expect(req2(g.fd, LHREQ_SETREG, LGUEST_REG_EAX, 0), -ENOENT,
		       "LHREQ_SETREG after the power off");
		expect(req1(g.fd, LHREQ_TRAP, 13), -ENOENT,
		       "LHREQ_TRAP after the power off");
		d = (struct guest_data *)(g.mem + DATA_GPA);
		reserve = d->reserve_mem;
	}
	guest_end(&g);
	check_pins("power off: no pages left pinned");

	guest_mem(&g);
	snprintf((char *)g.mem + MSG_GPA, 32, "lgabi: restart");
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	hypercall(&g, LHCALL_SHUTDOWN, MSG_GPA, LGUEST_SHUTDOWN_RESTART, 0);
	spin(&g);
	if (guest_start(&g, CODE_GPA, "restart")) {
		expect(lgread(g.fd, buf, sizeof(buf)), -ERESTART,
		       "read: ERESTART when the guest restarts");
		expect(lgread(g.fd, buf, sizeof(buf)), -ERESTART,
		       "read: ERESTART again");
		expect(req1(g.fd, LHREQ_GETREG, LGUEST_REG_EAX), -ENOENT,
		       "LHREQ_GETREG after the restart");
	}
	guest_end(&g);
	check_pins("restart: no pages left pinned");

	guest_mem(&g);
	hypercall(&g, LHCALL_HALT, 0, 0, 0);
	if (guest_start(&g, CODE_GPA, "early hypercall"))
		check_death(&g, "LHCALL_LGUEST_INIT",
			    "a hypercall before LHCALL_LGUEST_INIT kills");
	guest_end(&g);
	check_pins("early hypercall: no pages left pinned");

	guest_mem(&g);
	ud2(&g);
	if (guest_start(&g, CODE_GPA, "ud2"))
		check_death(&g, "trap", "a trap without a handler kills");
	guest_end(&g);
	check_pins("ud2: no pages left pinned");

	/* Line 5 raised, the guest's interrupts on, and no gate for it. */
	guest_mem(&g);
	d = (struct guest_data *)(g.mem + DATA_GPA);
	d->irq_enabled = 0x200;
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	spin(&g);
	if (guest_start(&g, CODE_GPA, "interrupt")) {
		expect(req1(g.fd, LHREQ_IRQ, 5), 8, "LHREQ_IRQ 5 before running");
		check_death(&g, "interrupt",
			    "an interrupt without a handler kills");
	}
	guest_end(&g);
	check_pins("interrupt: no pages left pinned");

	/* Guest RAM the host cannot pin for writing. */
	guest_mem(&g);
	out(&g, 0x80);
	mprotect(g.mem, RAM_SIZE, PROT_READ);
	if (guest_start(&g, CODE_GPA, "read-only RAM"))
		check_death(&g, "pin", "read-only guest RAM kills the guest");
	guest_end(&g);
	check_pins("read-only RAM: no pages left pinned");

	/*
	 * On its own page tables: an access to device memory, then a page
	 * table entry beyond it.
	 */
	guest_mem(&g);
	page_tables(&g);
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	hypercall(&g, LHCALL_NEW_PGTABLE, PGD_GPA, 0, 0);
	at = load(&g, MMIO_VA + 0x123);
	load(&g, BEYOND_VA);
	spin(&g);
	if (guest_start(&g, CODE_GPA, "device memory") &&
	    run_to(&g, LGUEST_PENDING_MMIO, &p, "read: device memory access")) {
		char detail[96];

		snprintf(detail, sizeof(detail),
			 "got addr %#x, %u bytes %02x, want addr %#x, 16 bytes a1",
			 p.addr, p.insn_len, p.insn[0], RAM_SIZE + 0x123);
		check(p.addr == RAM_SIZE + 0x123 && p.insn_len == 16 &&
		      !memcmp(p.insn, g.mem + at, 5), detail,
		      "read: the device memory address and instruction");
		req2(g.fd, LHREQ_SETREG, LGUEST_REG_EIP, at + 5);
		check_death(&g, "page table",
			    "a page table entry beyond device memory kills");
	}
	guest_end(&g);
	check_pins("device memory: no pages left pinned");

	/* LHCALL_NEW_PGTABLE knows one flag, LGUEST_PGTABLE_KEEP. */
	guest_mem(&g);
	page_tables(&g);
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	hypercall(&g, LHCALL_NEW_PGTABLE, PGD_GPA, 0, 0);
	hypercall(&g, LHCALL_NEW_PGTABLE, PGD_GPA, 2, 0);
	spin(&g);
	if (guest_start(&g, CODE_GPA, "page table flags"))
		check_death(&g, "bad page table flags",
			    "a cr3 load with an unknown flag kills");
	guest_end(&g);
	check_pins("page table flags: no pages left pinned");
	return reserve;
}

/* LHCALL_LOAD_IDT_ENTRY: a present ring 0 gate of type 14 or 15. */

/* LHREQ_TRAP 13 reaches the guest's handler, with the CPU's frame. */
static void test_trap_delivery(void)
{
	uint32_t handler = CODE_GPA + 0x100, first, frame[4], esp = 0;
	struct lguest_pending p;
	char detail[128];
	struct guest g;
	long r;

	guest_mem(&g);
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	idt_entry(&g, 13, 15, handler);
	first = out(&g, 0x80);
	spin(&g);
	g.at = handler;
	out(&g, 0x81);
	spin(&g);
	if (!guest_start(&g, CODE_GPA, "trap delivery"))
		goto end;
	expect(req2(g.fd, LHREQ_SETREG, LGUEST_REG_ESP, STACK_GPA), 12,
	       "LHREQ_SETREG of ESP");
	if (!run_to(&g, LGUEST_PENDING_PIO, &p, "trap delivery: out 0x80"))
		goto end;
	expect(req1(g.fd, LHREQ_TRAP, 13), 8, "LHREQ_TRAP 13 with a handler");
	if (!run_to(&g, LGUEST_PENDING_PIO, &p, "trap delivery: the handler"))
		goto end;
	check(p.insn[1] == 0x81, "the guest is not in its handler",
	      "LHREQ_TRAP 13 runs the guest's handler");
	r = getreg(g.fd, LGUEST_REG_ESP, &esp);
	memcpy(frame, g.mem + STACK_GPA - sizeof(frame), sizeof(frame));
	snprintf(detail, sizeof(detail),
		 "got %ld, esp %#x, eip %#x, cs %#x, want esp %#zx, eip %#x, ring 1",
		 r, esp, frame[1], frame[2], STACK_GPA - sizeof(frame), first);
	check(r == 4 && esp == STACK_GPA - sizeof(frame) && frame[1] == first &&
	      (frame[2] & 3) == 1, detail,
	      "LHREQ_TRAP 13: error code, eip, cs and eflags on the stack");
end:
	guest_end(&g);
	check_pins("trap delivery: no pages left pinned");
}

/* Signal handlers: note the signal and maybe move the guest's EIP. */
static volatile sig_atomic_t sig_seen;
static volatile int sig_fd = -1;
static volatile uint32_t sig_eip;
static volatile long sig_setreg;

static void on_signal(int sig)
{
	int saved = errno;
	uint32_t w[3] = { LHREQ_SETREG, LGUEST_REG_EIP, sig_eip };

	(void)sig;
	sig_seen = 1;
	if (sig_fd >= 0)
		sig_setreg = lgwrite(sig_fd, w, sizeof(w), 0);
	errno = saved;
}

static void set_handler(int sig, int flags, int fd, uint32_t eip)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sig_seen = 0;
	sig_fd = fd;
	sig_eip = eip;
	sig_setreg = 0;
	sigaction(sig, &sa, NULL);
}

struct poke {
	pthread_t thread;
	unsigned int ms;
	int sig;
	int done;		/* atomic: stop sending */
};

/*
 * Again and again, until poke_done(): a signal sent before the main thread
 * got into read() (a slow machine) must not leave the guest spinning.
 */
static void *poke_main(void *arg)
{
	struct poke *pk = arg;

	for (;;) {
		sleep_ms(pk->ms);
		if (__atomic_load_n(&pk->done, __ATOMIC_SEQ_CST))
			return NULL;
		pthread_kill(main_thread, pk->sig);
	}
}

static void poke_done(struct poke *pk)
{
	__atomic_store_n(&pk->done, 1, __ATOMIC_SEQ_CST);
	pthread_join(pk->thread, NULL);
}

/* Send sig to the main thread every ms milliseconds, until poke_done(). */
static void poke_later(struct poke *pk, int sig, unsigned int ms)
{
	pk->sig = sig;
	pk->ms = ms;
	pk->done = 0;
	if (pthread_create(&pk->thread, NULL, poke_main, pk)) {
		perror("lgabi: pthread_create");
		exit(1);
	}
}

/* A guest that spins at its start, with an out instruction after. */
static bool spinning_guest(struct guest *g, uint32_t *loop, uint32_t *pio,
			   const char *name)
{
	guest_mem(g);
	*loop = spin(g);
	*pio = out(g, 0x80);
	return guest_start(g, *loop, name);
}

/* A signal interrupts a running guest: EINTR, or a restarted read(). */
static void test_signals(void)
{
	struct lguest_pending p;
	uint32_t loop, pio;
	struct guest g;
	struct poke pk;

	if (!spinning_guest(&g, &loop, &pio, "signals"))
		goto end;
	set_handler(SIGUSR1, 0, -1, 0);
	poke_later(&pk, SIGUSR1, 300);
	expect(lgread(g.fd, &p, sizeof(p)), -EINTR,
	       "read: EINTR for a signal while the guest runs");
	poke_done(&pk);
	expect(req2(g.fd, LHREQ_SETREG, LGUEST_REG_EIP, pio), 12,
	       "LHREQ_SETREG after EINTR");
	run_to(&g, LGUEST_PENDING_PIO, &p, "read: the guest runs after EINTR");

	expect(req2(g.fd, LHREQ_SETREG, LGUEST_REG_EIP, loop), 12,
	       "LHREQ_SETREG back to the loop");
	set_handler(SIGUSR1, SA_RESTART, g.fd, pio);
	poke_later(&pk, SIGUSR1, 300);
	run_to(&g, LGUEST_PENDING_PIO, &p,
	       "read: restarted after a SA_RESTART handler");
	poke_done(&pk);
	check(sig_seen && sig_setreg == 12, "the handler did not move EIP",
	      "the SA_RESTART handler ran and set EIP");
end:
	signal(SIGUSR1, SIG_IGN);
	guest_end(&g);
	check_pins("signals: no pages left pinned");
}

/* Another thread of the Launcher, while the main thread runs the guest. */
static struct guest thread_guest;

static void *other_thread(void *arg)
{
	int fd = thread_guest.fd;
	char buf[64];

	(void)arg;
	if (!wait_pinning()) {
		check(false, "the guest never ran", "thread: guest running");
	} else {
		expect(req1(fd, LHREQ_IRQ, 3), 8,
		       "thread: LHREQ_IRQ while the guest runs");
		expect(req1(fd, LHREQ_GETREG, LGUEST_REG_EIP), -EPERM,
		       "thread: LHREQ_GETREG");
		expect(req2(fd, LHREQ_SETREG, LGUEST_REG_EIP, 0), -EPERM,
		       "thread: LHREQ_SETREG");
		expect(req1(fd, LHREQ_TRAP, 13), -EPERM, "thread: LHREQ_TRAP");
		expect(req1(fd, LHREQ_IOEVENTFD + 1, 0), -EPERM,
		       "thread: request %#x", LHREQ_IOEVENTFD + 1);
		expect(lgread(fd, buf, sizeof(buf)), -EPERM, "thread: read");
		expect(lginit(fd, (uintptr_t)thread_guest.mem, RAM_PAGES, 0,
			      RAM_PAGES), -EBUSY,
		       "thread: LHREQ_INITIALIZE");
	}
	pthread_kill(main_thread, SIGUSR1);
	return NULL;
}

static void *closing_thread(void *arg)
{
	(void)arg;
	if (!wait_pinning()) {
		check(false, "the guest never ran", "close: guest running");
	} else {
		expect(res(close(thread_guest.fd)), 0,
		       "close from a thread while the guest runs");
		check_pinning("close: the guest lives until read() returns");
	}
	pthread_kill(main_thread, SIGUSR2);
	return NULL;
}

static void test_threads(void)
{
	struct lguest_pending p;
	uint32_t loop, pio;
	pthread_t t;

	if (!spinning_guest(&thread_guest, &loop, &pio, "thread"))
		goto closing;
	set_handler(SIGUSR1, SA_RESTART, thread_guest.fd, pio);
	if (pthread_create(&t, NULL, other_thread, NULL)) {
		perror("lgabi: pthread_create");
		exit(1);
	}
	run_to(&thread_guest, LGUEST_PENDING_PIO, &p,
	       "thread: the main thread's read() goes on");
	pthread_join(t, NULL);
closing:
	signal(SIGUSR1, SIG_IGN);
	guest_end(&thread_guest);
	check_pins("thread: no pages left pinned");

	if (!spinning_guest(&thread_guest, &loop, &pio, "close"))
		goto end;
	set_handler(SIGUSR2, 0, -1, 0);
	if (pthread_create(&t, NULL, closing_thread, NULL)) {
		perror("lgabi: pthread_create");
		exit(1);
	}
	expect(lgread(thread_guest.fd, &p, sizeof(p)), -EINTR,
	       "close: the running read() ends with EINTR");
	pthread_join(t, NULL);
	thread_guest.fd = -1;
end:
	signal(SIGUSR2, SIG_IGN);
	guest_end(&thread_guest);
	check_pins("close: the guest is freed once read() returns");
}

/* The state of a task of ours: 'R', 'S'... from /proc. */
/*
 * A thread's state letter (R, S, ...) and, if ticks is not NULL, the CPU
 * time it used (utime + stime, in clock ticks), from its stat file: '?'
 * if it cannot be read.
 */
static char task_stat(pid_t tid, long *ticks)
{
	char path[64], buf[512], state, *p;
	unsigned long utime, stime;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	/* The state is the first field after ")", utime and stime the 12th and 13th. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &state, &utime, &stime) != 3)
		return '?';
	if (ticks)
		*ticks = utime + stime;
	return state;
}

/* Wait for the main thread to sleep in read(), then raise IRQ 7. */
static void wake_halted(const char *what)
{
	unsigned int ms;

	for (ms = 0; ms < LOOP_MS_MAX; ms += 10) {
		if (task_stat(main_tid, NULL) == 'S')
			break;
		sleep_ms(10);
	}
	check(ms < LOOP_MS_MAX, "the main thread never slept in read()",
	      "%s: the guest sleeps", what);
	expect(req1(thread_guest.fd, LHREQ_IRQ, 7), 8,
	       "%s: LHREQ_IRQ 7 from another thread", what);
}

static void *waking_thread(void *arg)
{
	(void)arg;
	wake_halted("halt");
	return NULL;
}

/*
 * A guest halted with its interrupts on sleeps in read() until a line is
 * raised, from any thread; then its handler runs.
 */
static void test_halt(void)
{
	uint32_t handler = CODE_GPA + 0x200;
	struct lguest_pending p;
	struct guest_data *d;
	pthread_t t;

	guest_mem(&thread_guest);
	d = (struct guest_data *)(thread_guest.mem + DATA_GPA);
	d->irq_enabled = 0x200;
	hypercall(&thread_guest, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	idt_entry(&thread_guest, LGUEST_IRQ_VECTOR + 7, 14, handler);
	hypercall(&thread_guest, LHCALL_HALT, 0, 0, 0);
	spin(&thread_guest);
	thread_guest.at = handler;
	out(&thread_guest, 0x82);
	spin(&thread_guest);
	if (!guest_start(&thread_guest, CODE_GPA, "halt"))
		goto end;
	req2(thread_guest.fd, LHREQ_SETREG, LGUEST_REG_ESP, STACK_GPA);
	if (pthread_create(&t, NULL, waking_thread, NULL)) {
		perror("lgabi: pthread_create");
		exit(1);
	}
	if (run_to(&thread_guest, LGUEST_PENDING_PIO, &p,
		   "halt: the interrupt wakes the guest"))
		check(p.insn[1] == 0x82, "the guest is not in its handler",
		      "halt: the interrupt handler runs");
	pthread_join(t, NULL);
end:
	guest_end(&thread_guest);
	check_pins("halt: no pages left pinned");
}

/*
 * The guest's clock event is a host timer: closing the file stops it,
 * whether it is still to come or has just fired.
 */
static void test_timer(void)
{
	static const uint32_t delays[] = { 2000000000u, 1000000u };
	struct lguest_pending p;
	struct guest g;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		guest_mem(&g);
		hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
		hypercall(&g, LHCALL_SET_CLOCKEVENT, delays[i], 0, 0);
		out(&g, 0x80);
		if (guest_start(&g, CODE_GPA, "timer") &&
		    run_to(&g, LGUEST_PENDING_PIO, &p,
			   "timer: the guest sets its clock event")) {
			/* Let the 1 ms one fire before the close. */
			if (i)
				sleep_ms(100);
		}
		guest_end(&g);
		check_pins(i ? "close: after the guest's timer fired" :
			   "close: with the guest's timer armed");
	}
	/* The 2 s timer would fire now if the close had left it. */
	sleep_ms(2500);
	expect(0, 0, "timer: the host carries on 2.5 s after the closes");
}

/* Both of two threads make LHREQ_INITIALIZE at once: one wins. */
static pthread_barrier_t race_barrier;
static int race_fd;
static uintptr_t race_base;

static void *racer(void *arg)
{
	long *r = arg;

	pthread_barrier_wait(&race_barrier);
	*r = lginit(race_fd, race_base, RAM_PAGES, 0, RAM_PAGES);
	return NULL;
}

static void test_init_race(void)
{
	unsigned int round, bad = 0;
	char detail[96];
	struct guest g;
	pthread_t t[2];
	long r[2];

	guest_mem(&g);
	race_base = (uintptr_t)g.mem;
	pthread_barrier_init(&race_barrier, NULL, 2);
	for (round = 0; round < 50; round++) {
		race_fd = open_lguest();
		if (race_fd < 0)
			break;
		pthread_create(&t[0], NULL, racer, &r[0]);
		pthread_create(&t[1], NULL, racer, &r[1]);
		pthread_join(t[0], NULL);
		pthread_join(t[1], NULL);
		if (!((r[0] == INIT_SIZE && r[1] == -EBUSY) ||
		      (r[1] == INIT_SIZE && r[0] == -EBUSY)))
			bad++;
		close(race_fd);
	}
	pthread_barrier_destroy(&race_barrier);
	snprintf(detail, sizeof(detail),
		 "got %u of 50 rounds without one success and one EBUSY", bad);
	check(round == 50 && !bad, detail,
	      "two LHREQ_INITIALIZE at once: one guest, one EBUSY");
	guest_end(&g);
}

/*
 * In another task than the guest's: the caller is checked after the
 * request word and the offset, before the size and the arguments, and
 * not for LHREQ_IRQ.
 */
static void child_order(int fd)
{
	static const uint32_t unknown[] = { LHREQ_IOEVENTFD + 1, 0x80000000u,
					    0xffffffffu };
	uint32_t w[4] = { LHREQ_GETREG, LGUEST_REG_EIP, 0, 0 };
	uint32_t *edge = (uint32_t *)guarded_page() - 1;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(unknown); i++)
		expect(req1(fd, unknown[i], 0), -EPERM,
		       "child: request %#x", unknown[i]);
	expect(lgwrite(fd, w, 4, 0), -EPERM, "child: LHREQ_GETREG of 4 bytes");
	expect(lgwrite(fd, w, 12, 0), -EPERM,
	       "child: LHREQ_GETREG of 12 bytes");
	expect(req1(fd, LHREQ_GETREG, LGUEST_NR_REGS), -EPERM,
	       "child: LHREQ_GETREG of register %u", LGUEST_NR_REGS);
	expect(req2(fd, LHREQ_SETREG, LGUEST_REG_CS, 0x10), -EPERM,
	       "child: LHREQ_SETREG of CS");
	expect(req1(fd, LHREQ_TRAP, 32), -EPERM, "child: LHREQ_TRAP 32");
	*edge = LHREQ_SETREG;
	expect(lgwrite(fd, edge, 12, 0), -EPERM,
	       "child: LHREQ_SETREG with unreadable arguments");
	expect(lgwrite(fd, NULL, 8, 0), -EFAULT, "child: write from NULL");
	expect(lgwrite(fd, w, 8, 1), -EINVAL, "child: LHREQ_GETREG at offset 1");
	expect(req1(fd, LHREQ_IRQ, LGUEST_IRQS), -EINVAL, "child: LHREQ_IRQ 32");
	w[0] = LHREQ_IRQ;
	expect(lgwrite(fd, w, 16, 0), -EINVAL, "child: LHREQ_IRQ of 16 bytes");
	munmap((uint8_t *)(edge + 1) - PAGE, 2 * PAGE);
}

/* Another process with the file: a child of the guest's task. */
static void test_processes(void)
{
	struct lguest_pending p;
	struct guest g;
	int pipefd[2];
	uint32_t val;
	char c = 0;
	pid_t pid;

	guest_mem(&g);
	out(&g, 0x80);
	if (!guest_start(&g, CODE_GPA, "fork") ||
	    !run_to(&g, LGUEST_PENDING_PIO, &p, "fork: the guest runs"))
		goto owner_gone;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		expect(req1(g.fd, LHREQ_GETREG, LGUEST_REG_EIP), -EPERM,
		       "child: LHREQ_GETREG");
		expect(req2(g.fd, LHREQ_SETREG, LGUEST_REG_EIP, 0), -EPERM,
		       "child: LHREQ_SETREG");
		expect(req1(g.fd, LHREQ_TRAP, 13), -EPERM, "child: LHREQ_TRAP");
		expect(lgread(g.fd, &p, sizeof(p)), -EPERM, "child: read");
		expect(req1(g.fd, LHREQ_IRQ, 2), 8, "child: LHREQ_IRQ");
		child_order(g.fd);
		expect(lginit(g.fd, (uintptr_t)g.mem, RAM_PAGES, 0, RAM_PAGES),
		       -EBUSY, "child: LHREQ_INITIALIZE");
		fflush(stdout);
		_exit(0);
	}
	child_done(pid, "fork");

	/* The last reference is the child's. */
	if (pipe(pipefd)) {
		perror("lgabi: pipe");
		exit(1);
	}
	fflush(stdout);
	pid = fork();
	if (!pid) {
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(pipefd[0]);
	close(g.fd);
	g.fd = -1;
	check_pinning("fork: the guest lives while the child has the file");
	if (write(pipefd[1], &c, 1) < 0)
		perror("lgabi: write");
	close(pipefd[1]);
	child_done(pid, "fork, the parent closed first");
	check_pins("fork: the child's close frees the guest");

owner_gone:
	guest_end(&g);

	/* The guest's task exits; the parent still has the file. */
	guest_mem(&g);
	out(&g, 0x80);
	g.fd = open_lguest();
	if (g.fd < 0)
		goto end;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		if (lginit(g.fd, (uintptr_t)g.mem, RAM_PAGES, CODE_GPA,
			   MMIO_PAGES) != INIT_SIZE ||
		    lgread(g.fd, &p, sizeof(p)) != sizeof(p) ||
		    req1(g.fd, LHREQ_GETREG, LGUEST_REG_EIP) != 8)
			_exit(1);
		_exit(0);
	}
	child_done(pid, "owner gone");
	expect(getreg(g.fd, LGUEST_REG_EIP, &val), -EPERM,
	       "owner gone: LHREQ_GETREG");
	expect(lgread(g.fd, &p, sizeof(p)), -EPERM, "owner gone: read");
	expect(req1(g.fd, LHREQ_TRAP, 13), -EPERM, "owner gone: LHREQ_TRAP");
	expect(req1(g.fd, LHREQ_IOEVENTFD + 1, 0), -EPERM,
	       "owner gone: request %#x", LHREQ_IOEVENTFD + 1);
	expect(req1(g.fd, LHREQ_IRQ, 4), 8, "owner gone: LHREQ_IRQ");
	check_pinning("owner gone: its guest still holds its pages");
end:
	guest_end(&g);
	check_pins("owner gone: closing the file frees the guest");
}

/*
 * The guest's task executes another program (lgabi again, with
 * --after-exec), the file still open: it no longer owns the guest, even
 * for the register value it asked for before.
 */
static void test_exec(void)
{
	struct lguest_pending p;
	struct guest g;
	char fdarg[16];
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		guest_mem(&g);
		out(&g, 0x80);
		if (!guest_start(&g, CODE_GPA, "exec") ||
		    !run_to(&g, LGUEST_PENDING_PIO, &p, "exec: the guest runs"))
			_exit(1);
		expect(req1(g.fd, LHREQ_GETREG, LGUEST_REG_EIP), 8,
		       "exec: LHREQ_GETREG before the execve()");
		snprintf(fdarg, sizeof(fdarg), "%d", g.fd);
		fflush(stdout);
		execl("/proc/self/exe", "lgabi", "--after-exec", fdarg,
		      (char *)NULL);
		check(false, strerror(errno), "exec: execve() of lgabi");
		fflush(stdout);
		_exit(1);
	}
	child_done(pid, "exec");
	check_pins("exec: no pages left pinned once the program exits");
}

/* lgabi --after-exec FD, from test_exec(): exit status 1 if a check failed. */
static int after_exec(const char *arg)
{
	uint32_t w[4] = { LHREQ_GETREG, LGUEST_REG_EIP, 0, 0 };
	struct lguest_pending p;
	char *end;
	long fd;

	fd = strtol(arg, &end, 10);
	if (*end || fd < 0 || fd > 1000 || fcntl(fd, F_GETFD) < 0) {
		check(false, "no such file descriptor",
		      "after exec: the file is still open");
		return 1;
	}
	expect(lgread(fd, &p, sizeof(p)), -EPERM, "after exec: read");
	expect(lgread(fd, w, sizeof(w[0])), -EPERM,
	       "after exec: read of the register asked for before");
	expect(req1(fd, LHREQ_GETREG, LGUEST_REG_EIP), -EPERM,
	       "after exec: LHREQ_GETREG");
	expect(req2(fd, LHREQ_SETREG, LGUEST_REG_EIP, 0), -EPERM,
	       "after exec: LHREQ_SETREG");
	expect(req1(fd, LHREQ_TRAP, 13), -EPERM, "after exec: LHREQ_TRAP");
	expect(req1(fd, LHREQ_IOEVENTFD + 1, 0), -EPERM,
	       "after exec: request %#x", LHREQ_IOEVENTFD + 1);
	expect(lgwrite(fd, w, 12, 0), -EPERM,
	       "after exec: LHREQ_GETREG of 12 bytes");
	expect(req1(fd, LHREQ_IRQ, 6), 8, "after exec: LHREQ_IRQ");
	expect(lginit(fd, 0x100000, RAM_PAGES, 0, RAM_PAGES), -EBUSY,
	       "after exec: LHREQ_INITIALIZE");
	printf("lgabi: after exec: %d passed, %d failed\n", tally->passed,
	       tally->failed);
	return tally->failed ? 1 : 0;
}

/* Closing a guest in each state it can be in unpins all of it. */
static void test_close_states(void)
{
	struct lguest_pending p;
	struct guest g;

	guest_mem(&g);
	out(&g, 0x80);
	if (guest_start(&g, CODE_GPA, "close"))
		expect(req1(g.fd, LHREQ_TRAP, 13), 8,
		       "close: LHREQ_TRAP pending, never run");
	guest_end(&g);
	check_pins("close: a guest never run");

	guest_mem(&g);
	out(&g, 0x80);
	if (guest_start(&g, CODE_GPA, "close") &&
	    run_to(&g, LGUEST_PENDING_PIO, &p, "close: the guest runs")) {
		expect(req1(g.fd, LHREQ_GETREG, LGUEST_REG_EAX), 8,
		       "close: LHREQ_GETREG pending");
		check_pinning("close: the guest holds pages");
	}
	guest_end(&g);
	check_pins("close: a guest with a register read pending");
}

/*
 * A thousand guests made, run to their out instruction and closed: no
 * page left pinned, and no memory lost (each would leak at least its
 * struct lguest, its shadow page table root and a PTE page: 12 MB).
 */
static void test_leaks(void)
{
	unsigned int i, bad = 0, rounds = 1000;
	long before = -1, after, lost;
	struct lguest_pending p;
	char detail[128];
	struct guest g;
	uint32_t w[5];
	int fd;

	guest_mem(&g);
	out(&g, 0x80);
	w[0] = LHREQ_INITIALIZE;
	w[1] = (uint32_t)(uintptr_t)g.mem;
	w[2] = RAM_PAGES;
	w[3] = CODE_GPA;
	w[4] = MMIO_PAGES;
	for (i = 0; i < rounds + 20; i++) {
		if (i == 20)
			before = meminfo("MemFree");
		fd = open("/dev/lguest", O_RDWR);
		if (fd < 0 || pwrite(fd, w, sizeof(w), 0) != sizeof(w) ||
		    pread(fd, &p, sizeof(p), 0) != sizeof(p) ||
		    req1(fd, LHREQ_GETREG, LGUEST_REG_EIP) != 8)
			bad++;
		if (fd >= 0)
			close(fd);
	}
	after = meminfo("MemFree");
	guest_end(&g);
	snprintf(detail, sizeof(detail), "got %u of %u failed", bad,
		 rounds + 20);
	check(!bad, detail, "leaks: %u guests made and run", rounds + 20);
	check_pins("leaks: no pages left pinned");
	lost = before - after;
	snprintf(detail, sizeof(detail),
		 "got %ld kB less free memory after %u guests, want under 4096",
		 lost, rounds);
	check(before > 0 && after > 0 && lost < 4096, detail,
	      "leaks: free memory after %u guests (%ld kB less)", rounds,
	      lost);
}

/*
 * The pins guest, on its own page tables: it loads from SHARED_MAPS
 * addresses that all map one page, and from DISTINCT_PAGES addresses
 * that map one page each, then stops at an out instruction.  Its shadow
 * maps those pages and its code page (fault-around maps no others: they
 * are all it has).
 */
#define SHARED_GPA	0x9000u
#define SHARED_VA	0x40000u
#define SHARED_MAPS	128u
#define DISTINCT_GPA	0x10000u
#define DISTINCT_VA	0x100000u
#define DISTINCT_PAGES	48u
#define PINS_GUEST	(1 + 1 + DISTINCT_PAGES)

static void pins_guest(struct guest *g)
{
	uint32_t i;

	guest_mem(g);
	page_tables(g);
	/*
	 * Without PAE the PAE PMD entry at PT_GPA is also the PTE for
	 * address 0: not accessed, so that fault-around leaves it alone.
	 */
	g->mem[PT_GPA] &= ~0x20;
	for (i = 0; i < SHARED_MAPS; i++)
		map_page(g, SHARED_VA + i * PAGE, SHARED_GPA);
	for (i = 0; i < DISTINCT_PAGES; i++)
		map_page(g, DISTINCT_VA + i * PAGE, DISTINCT_GPA + i * PAGE);
	hypercall(g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	hypercall(g, LHCALL_NEW_PGTABLE, PGD_GPA, 0, 0);
	for (i = 0; i < SHARED_MAPS; i++)
		load(g, SHARED_VA + i * PAGE);
	for (i = 0; i < DISTINCT_PAGES; i++)
		load(g, DISTINCT_VA + i * PAGE);
	out(g, 0x80);
	spin(g);
}

/*
 * A guest with RLIMIT_MEMLOCK at 16 pages, in a child: as root, which
 * has CAP_IPC_LOCK, the guest runs; as nobody, it is killed for pinning
 * more than that.  The limit and the user are taken after
 * LHREQ_INITIALIZE, as the Launcher does with --username.
 */
static void pins_limited(bool drop)
{
	const char *name = drop ? "pins: as nobody" : "pins: as root";
	struct rlimit rl = { 16 * PAGE, 16 * PAGE };
	struct lguest_pending p;
	struct guest g;
	char detail[96];
	long vmpin;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid) {
		child_done(pid, name);
		check_pins(drop ? "pins: as nobody: no pages left pinned" :
			   "pins: as root: no pages left pinned");
		return;
	}
	pins_guest(&g);
	if (guest_start(&g, CODE_GPA, name)) {
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || (drop && setuid(65534))) {
			check(false, strerror(errno), "%s: setrlimit, setuid",
			      name);
		} else if (drop) {
			check_death(&g, "RLIMIT_MEMLOCK",
				    "pins: as nobody, over RLIMIT_MEMLOCK, the guest dies");
			vmpin = self_status("VmPin");
			/* 16 pages pinned, the 17th refused. */
			snprintf(detail, sizeof(detail),
				 "got %ld kB, want 64", vmpin);
			check(vmpin == 64, detail,
			      "pins: as nobody, VmPin up to RLIMIT_MEMLOCK");
		} else {
			run_to(&g, LGUEST_PENDING_PIO, &p,
			       "pins: as root, RLIMIT_MEMLOCK does not apply");
		}
	}
	guest_end(&g);
	vmpin = self_status("VmPin");
	snprintf(detail, sizeof(detail), "got %ld kB, want 0", vmpin);
	check(vmpin == 0, detail, "%s: VmPin after close", name);
	fflush(stdout);
	_exit(0);
}

/*
 * A guest page is pinned once, however many addresses map it, and counts
 * in the Launcher's VmPin; the shadow page tables count in SecPageTables:
 * two pages without PAE (page directory, page table), six with (PDPT,
 * four pages of PMDs, page table).  All of it goes with the guest.
 */
static void test_pins(void)
{
	long sec_before, sec, vmpin;
	struct lguest_pending p;
	char detail[128];
	long long held;
	struct guest g;

	pins();
	sec_before = meminfo("SecPageTables");
	pins_guest(&g);
	if (guest_start(&g, CODE_GPA, "pins") &&
	    run_to(&g, LGUEST_PENDING_PIO, &p, "pins: the guest runs")) {
		held = pins() - pins_base;
		snprintf(detail, sizeof(detail),
			 "got %lld, want %u: one per page for %u mappings",
			 held, PINS_GUEST, 1 + SHARED_MAPS + DISTINCT_PAGES);
		check(held == PINS_GUEST, detail,
		      "pins: each guest page pinned once");
		vmpin = self_status("VmPin");
		snprintf(detail, sizeof(detail), "got %ld kB, want %u", vmpin,
			 PINS_GUEST * PAGE / 1024);
		check(vmpin == PINS_GUEST * PAGE / 1024, detail,
		      "pins: VmPin counts them");
		sec = meminfo("SecPageTables") - sec_before;
		snprintf(detail, sizeof(detail),
			 "got %ld kB more, want 8 (2-level) or 24 (PAE)", sec);
		check(sec_before >= 0 && (sec == 8 || sec == 24), detail,
		      "pins: SecPageTables counts the shadow");
	}
	guest_end(&g);
	check_pins("pins: no pages left pinned");
	vmpin = self_status("VmPin");
	snprintf(detail, sizeof(detail), "got %ld kB, want 0", vmpin);
	check(vmpin == 0, detail, "pins: VmPin after close");
	pins();
	sec = meminfo("SecPageTables");
	snprintf(detail, sizeof(detail), "got %ld kB, want %ld as before",
		 sec, sec_before);
	check(sec == sec_before, detail, "pins: SecPageTables after close");

	pins_limited(false);
	pins_limited(true);
}

/*
 * Hardening: what the host must keep from a guest whatever the host's own
 * state (its breakpoints, EFER, the task that runs the guest, what the
 * last guest left in the Switcher's pages).
 */

static void *halted_irq_thread(void *arg)
{
	const char *what = arg;
	long before = -1, after = -1;

	wake_halted(what);
	task_stat(main_tid, &before);
	sleep_ms(1000);
	task_stat(main_tid, &after);
	/* Spinning is 100 ticks a second; waking up for the IRQ, none. */
	check(before >= 0 && after >= 0 && after - before <= 10,
	      "the vCPU thread used CPU time while halted",
	      "%s, an IRQ pending: no CPU used (%ld ticks in 1 s)",
	      what, after - before);
	pthread_kill(main_thread, SIGUSR1);
	return NULL;
}

/*
 * A guest that halts where it takes no interrupt must not be woken into a
 * loop of returns to a halt it cannot leave: it sleeps until a signal.
 * So with its virtual interrupt flag off, and with it on inside its
 * interrupt-return sequence (lguest_data.noirq_iret: here all its code),
 * where the host delivers none either.
 */
static void halt_without_interrupts(const char *what, bool in_iret)
{
	struct lguest_pending p;
	struct guest_data *d;
	char name[96];
	pthread_t t;

	guest_mem(&thread_guest);
	d = (struct guest_data *)(thread_guest.mem + DATA_GPA);
	d->irq_enabled = in_iret ? 0x200 : 0;
	if (in_iret) {
		d->noirq_iret = CODE_GPA;
		d->noirq_iret_end = CODE_GPA + 0x100;
	}
	hypercall(&thread_guest, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	hypercall(&thread_guest, LHCALL_HALT, 0, 0, 0);
	spin(&thread_guest);
	if (!guest_start(&thread_guest, CODE_GPA, what))
		goto end;
	set_handler(SIGUSR1, 0, -1, 0);
	if (pthread_create(&t, NULL, halted_irq_thread, (void *)what)) {
		perror("lgabi: pthread_create");
		exit(1);
	}
	snprintf(name, sizeof(name), "%s: only the signal ends read()", what);
	expect(lgread(thread_guest.fd, &p, sizeof(p)), -EINTR, "%s", name);
	pthread_join(t, NULL);
end:
	signal(SIGUSR1, SIG_IGN);
	guest_end(&thread_guest);
	snprintf(name, sizeof(name), "%s: no pages left pinned", what);
	check_pins(name);
}

/* The raw io_uring system calls: the C library has no wrappers. */
struct uring {
	int fd;
	uint32_t *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static bool uring_setup(struct uring *u)
{
	struct io_uring_params prm;
	uint8_t *sq, *cq;

	memset(&prm, 0, sizeof(prm));
	u->fd = syscall(__NR_io_uring_setup, 4, &prm);
	if (u->fd < 0) {
		check(false, strerror(errno), "io_uring_setup");
		return false;
	}
	sq = mmap(NULL, prm.sq_off.array + prm.sq_entries * sizeof(uint32_t),
		  PROT_READ | PROT_WRITE, MAP_SHARED, u->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, prm.cq_off.cqes +
		  prm.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED, u->fd, IORING_OFF_CQ_RING);
	u->sqes = mmap(NULL, prm.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED, u->fd,
		       IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || u->sqes == MAP_FAILED) {
		check(false, strerror(errno), "io_uring: mmap the rings");
		close(u->fd);
		return false;
	}
	u->sq_tail = (uint32_t *)(sq + prm.sq_off.tail);
	u->sq_mask = (uint32_t *)(sq + prm.sq_off.ring_mask);
	u->sq_array = (uint32_t *)(sq + prm.sq_off.array);
	u->cq_head = (uint32_t *)(cq + prm.cq_off.head);
	u->cq_tail = (uint32_t *)(cq + prm.cq_off.tail);
	u->cq_mask = (uint32_t *)(cq + prm.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)(cq + prm.cq_off.cqes);
	return true;
}

/* Queue a read or write of fd at offset 0, run by an io_uring worker. */
static void uring_queue(struct uring *u, uint8_t op, int fd, void *buf,
			uint32_t len, uint8_t flags, uint64_t tag)
{
	uint32_t tail = *u->sq_tail, i = tail & *u->sq_mask;
	struct io_uring_sqe *sqe = &u->sqes[i];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	sqe->flags = IOSQE_ASYNC | flags;
	sqe->user_data = tag;
	u->sq_array[i] = i;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

/* Submit what is queued and wait for n completions: res by tag. */
static bool uring_run(struct uring *u, unsigned int n, long *res)
{
	unsigned int i;

	if (syscall(__NR_io_uring_enter, u->fd, n, n,
		    IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		check(false, strerror(errno), "io_uring_enter");
		return false;
	}
	for (i = 0; i < n; i++) {
		uint32_t head = *u->cq_head;
		struct io_uring_cqe *cqe;

		if (head == __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE)) {
			check(false, "fewer completions than requests",
			      "io_uring: completions");
			return false;
		}
		cqe = &u->cqes[head & *u->cq_mask];
		if (cqe->user_data < n)
			res[cqe->user_data] = cqe->res;
		__atomic_store_n(u->cq_head, head + 1, __ATOMIC_RELEASE);
	}
	return true;
}

/*
 * A guest runs on the FPU registers of the task that runs it: an io_uring
 * worker (IOSQE_ASYNC) may neither create a guest nor run one.  The write
 * of LHREQ_INITIALIZE is linked to a read(), which a worker would run the
 * guest with; the write must fail (EPERM), which cancels the read.  And a
 * guest created by this thread cannot be run by a worker either.
 */
static void test_user_workers(void)
{
	uint32_t init[5] = { LHREQ_INITIALIZE, 0, RAM_PAGES, CODE_GPA,
			     MMIO_PAGES };
	struct lguest_pending p;
	struct uring u;
	struct guest g;
	long res[2];

	if (!uring_setup(&u))
		return;
	guest_mem(&g);
	spin(&g);
	g.fd = open_lguest();
	if (g.fd < 0)
		goto end;
	init[1] = (uintptr_t)g.mem;
	uring_queue(&u, IORING_OP_WRITE, g.fd, init, sizeof(init),
		    IOSQE_IO_LINK, 0);
	uring_queue(&u, IORING_OP_READ, g.fd, &p, sizeof(p), 0, 1);
	if (uring_run(&u, 2, res)) {
		expect(res[0], -EPERM,
		       "io_uring worker: LHREQ_INITIALIZE refused");
		expect(res[1], -ECANCELED,
		       "io_uring worker: the linked read() never runs");
	}
	expect(lginit(g.fd, (uintptr_t)g.mem, RAM_PAGES, CODE_GPA, MMIO_PAGES),
	       INIT_SIZE, "io_uring worker: the task itself may then");
	uring_queue(&u, IORING_OP_READ, g.fd, &p, sizeof(p), 0, 0);
	if (uring_run(&u, 1, res))
		expect(res[0], -EPERM,
		       "io_uring worker: read() of this task's guest refused");
end:
	guest_end(&g);
	close(u.fd);
	check_pins("io_uring worker: no pages left pinned");
}

/* A page of the Launcher at the same address as one of guest memory. */
#define WATCH_ADDR	0x30000u

static int perf_breakpoint(uint32_t addr)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof(a);
	a.bp_type = HW_BREAKPOINT_RW;
	a.bp_addr = addr;
	a.bp_len = HW_BREAKPOINT_LEN_4;
	a.sample_period = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
}

static long long perf_count(int fd)
{
	long long n;

	return read(fd, &n, sizeof(n)) == sizeof(n) ? n : -1;
}

/*
 * The host's breakpoints stay the host's: a perf breakpoint on the
 * Launcher's thread, at an address the guest also uses, must neither fire
 * in the guest (a load, then a "mov %ss" from it that would defer the trap
 * past the int $0x1f after it, into the Switcher: CVE-2018-8897's
 * pattern) nor be lost to the Launcher afterwards.  TCG takes the trap
 * after the "mov %ss" at once, so under QEMU only the first part shows;
 * it does model breakpoints, and the guest here has no handler for
 * a #DB, which would kill it.
 */
static void test_debug_state(void)
{
	volatile uint32_t *watched;
	struct lguest_pending p;
	long long before, after;
	struct guest g;
	int pfd;

	watched = mmap((void *)WATCH_ADDR, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (watched == MAP_FAILED) {
		check(false, strerror(errno), "breakpoint: map %#x", WATCH_ADDR);
		return;
	}
	pfd = perf_breakpoint(WATCH_ADDR);
	if (pfd < 0) {
		check(false, strerror(errno), "breakpoint: perf_event_open");
		goto unmap;
	}
	guest_mem(&g);
	/* The selector mov %ss loads: the guest kernel's data segment. */
	memcpy(g.mem + WATCH_ADDR, &(uint32_t){ 0x69 }, sizeof(uint32_t));
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	load(&g, WATCH_ADDR);
	mov_imm(&g, EAX, 0);	/* LHCALL_FLUSH_ASYNC */
	put8(&g, 0x8e);		/* mov WATCH_ADDR, %ss */
	put8(&g, 0x15);
	put32(&g, WATCH_ADDR);
	put8(&g, 0xcd);
	put8(&g, LGUEST_TRAP_ENTRY);
	out(&g, 0x80);
	spin(&g);

	(void)*watched;
	before = perf_count(pfd);
	if (guest_start(&g, CODE_GPA, "breakpoint"))
		run_to(&g, LGUEST_PENDING_PIO, &p,
		       "breakpoint: the host's does not fire in the guest");
	(void)*watched;
	after = perf_count(pfd);
	check(before >= 1 && after == before + 1, "the count did not go up by one",
	      "breakpoint: the Launcher's own still fires (%lld, then %lld)",
	      before, after);
	guest_end(&g);
	close(pfd);
	check_pins("breakpoint: no pages left pinned");
unmap:
	munmap((void *)watched, PAGE);
}

#define MSR_EFER	0xc0000080u
#define EFER_SCE	1u

/*
 * With EFER.SCE, syscall in the guest would enter ring 0 at MSR_STAR's
 * address on the guest's page tables.  A 32-bit host never sets it; set it
 * here on CPU 0 (/dev/cpu/0/msr), run a guest that executes syscall there,
 * and it must be an invalid opcode (no handler: the guest dies of it).
 * Intel CPUs, and qemu-system-i386's TCG whatever the vendor, make syscall
 * an invalid opcode in 32-bit mode anyway: only on an AMD host under
 * qemu-system-x86_64 (test 40's nopae host) does this show the fix; there,
 * before it, the host reset.
 */
static void test_syscall_msr(void)
{
	struct guest g;
	cpu_set_t set, old;
	uint64_t efer;
	int fd;

	fd = open("/dev/cpu/0/msr", O_RDWR);
	if (fd < 0) {
		check(false, strerror(errno), "EFER.SCE: open /dev/cpu/0/msr");
		return;
	}
	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) ||
	    pread(fd, &efer, sizeof(efer), MSR_EFER) != sizeof(efer)) {
		check(false, strerror(errno), "EFER.SCE: read EFER on CPU 0");
		goto out;
	}
	efer |= EFER_SCE;
	if (pwrite(fd, &efer, sizeof(efer), MSR_EFER) != sizeof(efer)) {
		check(false, strerror(errno), "EFER.SCE: set it on CPU 0");
		goto out;
	}
	guest_mem(&g);
	put8(&g, 0x0f);		/* syscall */
	put8(&g, 0x05);
	spin(&g);
	if (guest_start(&g, CODE_GPA, "EFER.SCE"))
		check_death(&g, "unhandled trap 6",
			    "EFER.SCE: syscall in the guest is #UD");
	guest_end(&g);
	efer &= ~(uint64_t)EFER_SCE;
	expect(pwrite(fd, &efer, sizeof(efer), MSR_EFER), sizeof(efer),
	       "EFER.SCE: cleared again");
	check_pins("EFER.SCE: no pages left pinned");
out:
	sched_setaffinity(0, sizeof(old), &old);
	close(fd);
}

/* The offset of regs.ebx in the Switcher's register page. */
#define REGS_EBX_OFF	(PAGE - 18 * 4 + 5 * 4)
#define SPARE_MARK	0x1badb002u
#define SPARE_PATTERN	0x5eca1000u

/*
 * A guest that finds its register page among the Switcher's pages (the top
 * reserve_mem bytes), where the registers of its last exit show its mark
 * in %ebx; pages that are not mapped fault, and its #PF handler steps over
 * the load.  Then it writes SPARE_PATTERN at the start of that page (write)
 * or reads the word there into %eax (!write), and makes an out 0x80.  It
 * makes an out 0x81 if it found no such page.
 */
static void spare_guest(struct guest *g, uint32_t reserve_mem, bool write)
{
	uint32_t handler = CODE_GPA + 0x200, loop, jfound, jloop;

	guest_mem(g);
	hypercall(g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	idt_entry(g, 14, 15, handler);
	hypercall(g, 0, SPARE_MARK, 0, 0);	/* LHCALL_FLUSH_ASYNC */
	mov_imm(g, ESI, 0xfffff000u);
	loop = mov_imm(g, EAX, 0);
	put8(g, 0x8b);				/* mov REGS_EBX_OFF(%esi), %eax */
	put8(g, 0x86);
	put32(g, REGS_EBX_OFF);
	put8(g, 0x3d);				/* cmp $SPARE_MARK, %eax */
	put32(g, SPARE_MARK);
	jfound = g->at;
	put8(g, 0x74);				/* je found */
	put8(g, 0);
	put8(g, 0x81);				/* sub $PAGE, %esi */
	put8(g, 0xee);
	put32(g, PAGE);
	put8(g, 0x81);				/* cmp $slot, %esi */
	put8(g, 0xfe);
	put32(g, -reserve_mem);
	jloop = g->at;
	put8(g, 0x73);				/* jae loop */
	put8(g, loop - (jloop + 2));
	out(g, 0x81);
	spin(g);
	g->mem[jfound + 1] = g->at - (jfound + 2);
	if (write) {
		put8(g, 0xc7);			/* movl $SPARE_PATTERN, (%esi) */
		put8(g, 0x06);
		put32(g, SPARE_PATTERN);
	} else {
		put8(g, 0x8b);			/* mov (%esi), %eax */
		put8(g, 0x06);
	}
	out(g, 0x80);
	spin(g);
	g->at = handler;
	put8(g, 0x83);				/* add $4, %esp: error code */
	put8(g, 0xc4);
	put8(g, 0x04);
	put8(g, 0x83);				/* addl $6, (%esp): the load */
	put8(g, 0x04);
	put8(g, 0x24);
	put8(g, 0x06);
	put8(g, 0xcf);				/* iret */
}

/*
 * The guest kernel can write its register page, of which the registers
 * take only the end: what one guest leaves in the rest must be gone
 * before another runs on that host CPU.
 */
/*
 * Run on host CPU 0 only, for tests of what one guest leaves on a CPU for
 * the next; *old gets the affinity to go back to.  False (and a FAIL) if
 * that cannot be.
 */
static bool run_on_cpu0(cpu_set_t *old, const char *name)
{
	cpu_set_t set;

	sched_getaffinity(0, sizeof(*old), old);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (!sched_setaffinity(0, sizeof(set), &set))
		return true;
	check(false, strerror(errno), "%s: run on CPU 0", name);
	return false;
}

static void test_spare_cleared(uint32_t reserve_mem)
{
	struct lguest_pending p;
	uint32_t eax = ~0u;
	struct guest g;
	unsigned int i;
	cpu_set_t old;

	if (!run_on_cpu0(&old, "register page"))
		return;
	for (i = 0; i < 2; i++) {
		spare_guest(&g, reserve_mem, !i);
		if (guest_start(&g, CODE_GPA, "register page") &&
		    req2(g.fd, LHREQ_SETREG, LGUEST_REG_ESP, STACK_GPA) == 12 &&
		    run_to(&g, LGUEST_PENDING_PIO, &p, i ?
			   "register page: the next guest finds its own" :
			   "register page: a guest finds and writes its own"))
			check(p.insn[1] == 0x80, "no page with the mark",
			      "register page: found (guest %u)", i + 1);
		if (i)
			getreg(g.fd, LGUEST_REG_EAX, &eax);
		guest_end(&g);
	}
	expect(eax, 0, "register page: nothing left of the last guest");
	check_pins("register page: no pages left pinned");
	sched_setaffinity(0, sizeof(old), &old);
}

/*
 * A guest's LDT: the host copies the table it checked into the LDT window
 * of the host CPU, at the start of the Switcher's slot, which the guest
 * kernel can read.  A guest with a ring 0 data segment in its LDT loads
 * %ds with it and reads the descriptor there, made ring 1 and accessed;
 * the next guest on that host CPU, which has no LDT, must find nothing
 * left of it.
 */
#define LDT_GPA		PAE_PT_GPA	/* unused on the boot mapping */

static void test_ldt_window(uint32_t reserve_mem)
{
	static const uint32_t ring0_data[2] = { 0x0000ffff, 0x00cf9200 };
	uint32_t eax[2] = { ~0u, ~0u };
	struct lguest_pending p;
	struct guest g;
	unsigned int i;
	cpu_set_t old;

	if (!run_on_cpu0(&old, "ldt window"))
		return;
	for (i = 0; i < 2; i++) {
		guest_mem(&g);
		hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
		if (!i) {
			memcpy(g.mem + LDT_GPA, ring0_data, sizeof(ring0_data));
			hypercall(&g, LHCALL_LOAD_LDT, LDT_GPA, 1, 0);
			mov_imm(&g, EAX, 0x5);	/* LDT entry 0, RPL 1 */
			insn2(&g, 0x8e, 0xd8);	/* mov %eax,%ds */
		}
		load(&g, -reserve_mem + 4);
		out(&g, 0x80);
		if (guest_start(&g, CODE_GPA, "ldt window") &&
		    run_to(&g, LGUEST_PENDING_PIO, &p, i ?
			   "ldt window: a guest without an LDT reads it" :
			   "ldt window: a guest reads its LDT there"))
			getreg(g.fd, LGUEST_REG_EAX, &eax[i]);
		guest_end(&g);
	}
	expect(eax[0], 0x00cfb300,
	       "ldt window: the entry is there, ring 1 and accessed");
	expect(eax[1], 0, "ldt window: nothing left of the last guest's LDT");
	check_pins("ldt window: no pages left pinned");
	sched_setaffinity(0, sizeof(old), &old);
}

/* The host's counters for a guest: names in debugfs order, and values. */
#define MAX_STATS	256
struct stats {
	unsigned int n;
	char name[MAX_STATS][32];
	unsigned long long v[MAX_STATS];
};

/* Mount a pseudo file system at dir unless something is there. */
static void mount_at(const char *type, const char *dir, const char *probe)
{
	if (access(probe, F_OK))
		syscall(SYS_mount, "none", dir, type, 0, NULL);
}

/*
 * Read lguest/PID-N/stats of this process's newest guest into s; the
 * directory's path into dir.  False if there is none.
 */
static bool debugfs_stats(struct stats *s, char *dir, size_t size)
{
	char path[160];
	FILE *f;

	if (!guest_debugfs_dir(dir, size))
		return false;
	snprintf(path, sizeof(path), "%s/stats", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	for (s->n = 0; s->n < MAX_STATS; s->n++) {
		if (fscanf(f, "%31s %llu", s->name[s->n], &s->v[s->n]) != 2)
			break;
	}
	fclose(f);
	return s->n > 0;
}

/* The index of the counter called name, or -1. */
static int stat_index(const struct stats *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		if (!strcmp(s->name[i], name))
			return i;
	}
	return -1;
}

static long long stat_of(const struct stats *s, const char *name)
{
	int i = stat_index(s, name);

	return i < 0 ? -1 : (long long)s->v[i];
}

/* How many lines of the trace buffer contain what. */
static long trace_count(const char *what)
{
	char line[512];
	long n = 0;
	FILE *f = fopen("/sys/kernel/tracing/trace", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, what);
	fclose(f);
	return n;
}

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok;
}

#define STATS_GPA	0x6000u
#define STATS_FLUSHES	7

/*
 * A guest makes LHCALL_LGUEST_INIT, STATS_FLUSHES LHCALL_FLUSH_ASYNCs and
 * LHCALL_READ_STATS, then an out: its own copy and debugfs must say so,
 * and the trace must show the hypercalls.
 */
static void test_stats(void)
{
	static const char * const hcall_event =
		"/sys/kernel/tracing/events/lguest/lguest_hypercall/enable";
	static const char * const exit_event =
		"/sys/kernel/tracing/events/lguest/lguest_exit/enable";
	struct lguest_pending p;
	struct stats s;
	const uint64_t *own;
	char dir[128] = "", want[64];
	struct guest g;
	unsigned int i;
	int idx;

	mount_at("debugfs", "/sys/kernel/debug", "/sys/kernel/debug/lguest");
	mount_at("tracefs", "/sys/kernel/tracing", "/sys/kernel/tracing/trace");
	check(write_file("/sys/kernel/tracing/trace", "") &&
	      write_file(hcall_event, "1") && write_file(exit_event, "1"),
	      strerror(errno), "stats: enable the lguest trace events");

	guest_mem(&g);
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	for (i = 0; i < STATS_FLUSHES; i++)
		hypercall(&g, LHCALL_FLUSH_ASYNC, 0, 0, 0);
	hypercall(&g, LHCALL_READ_STATS, STATS_GPA, MAX_STATS * 8, 0);
	out(&g, 0x80);
	spin(&g);
	if (!guest_start(&g, CODE_GPA, "stats"))
		goto end;
	if (!run_to(&g, LGUEST_PENDING_PIO, &p, "stats: the guest runs"))
		goto end;
	if (!debugfs_stats(&s, dir, sizeof(dir))) {
		check(false, "no lguest/PID-N/stats of ours", "stats: in debugfs");
		goto end;
	}
	/* Every counter of enum lguest_stat, from its first to its last. */
	check(stat_index(&s, "exits") == 0 &&
	      !strcmp(s.name[s.n - 1], "reflect_syscall"),
	      "not from exits to reflect_syscall",
	      "stats: in debugfs (%u counters)", s.n);
	expect(stat_of(&s, "hcall_flush_async"), STATS_FLUSHES,
	       "stats: debugfs counts the guest's hypercalls");
	expect(stat_of(&s, "exit_hcall"), STATS_FLUSHES + 2,
	       "stats: debugfs counts the hypercall exits");
	expect(stat_of(&s, "launcher_pio"), 1,
	       "stats: debugfs counts the exit to the Launcher");
	/* Its code at CODE_GPA is a user address of the boot mapping. */
	check(stat_of(&s, "exits") >= STATS_FLUSHES + 2 &&
	      stat_of(&s, "fill_user") >= 1 && stat_of(&s, "pin") >= 1,
	      "no exits, fills or pins", "stats: the boot mapping's fills");

	/* The guest's copy, made at its LHCALL_READ_STATS. */
	own = (const uint64_t *)(g.mem + STATS_GPA);
	idx = stat_index(&s, "hcall_flush_async");
	expect(idx < 0 ? -1 : (long)own[idx], STATS_FLUSHES,
	       "stats: the guest's copy counts its hypercalls");
	idx = stat_index(&s, "hcall_read_stats");
	expect(idx < 0 ? -1 : (long)own[idx], 1,
	       "stats: the guest's copy counts LHCALL_READ_STATS itself");
	idx = stat_index(&s, "launcher_pio");
	expect(idx < 0 ? -1 : (long)own[idx], 0,
	       "stats: the guest's copy is from before its out");
	check(ends_with_zeroes(g.mem + STATS_GPA, s.n * 8, MAX_STATS * 8),
	      "bytes written beyond the counters",
	      "stats: the guest's copy stops at the host's counters");

	snprintf(want, sizeof(want), "lguest_hypercall: flush_async");
	expect(trace_count(want), STATS_FLUSHES,
	       "stats: trace events for the hypercalls");
	check(trace_count("lguest_exit: trap 31 ") >= STATS_FLUSHES + 2,
	      "too few", "stats: trace events for the exits");
	write_file(hcall_event, "0");
	write_file(exit_event, "0");
end:
	guest_end(&g);
	if (dir[0])
		expect(access(dir, F_OK) ? -errno : 0, -ENOENT,
		       "stats: the debugfs directory goes with the guest");
	check_pins("stats: no pages left pinned");
}

/*
 * Device registers the host answers (LHREQ_IRQ_STATUS, LHREQ_IOEVENTFD):
 * every error of the two requests, then a guest that reads its status,
 * acknowledges part of it and rings its doorbell in each instruction form
 * the host decodes, without a trip to this Launcher, and dies of a form
 * it does not decode.  Elsewhere in device memory is still ours.
 */
#define REG_STATUS	(RAM_SIZE + 0x60)
#define REG_ACK		(RAM_SIZE + 0x64)
#define REG_BELL	(RAM_SIZE + 0x50)
#define REG_IRQ		3u
#define REG_OTHER	(RAM_SIZE + 2 * PAGE + 0x60)

/* mov OPCODE with a ModRM of register reg and an absolute address */
static uint32_t mov_abs(struct guest *g, uint8_t op, int reg, uint32_t addr)
{
	uint32_t at = insn2(g, op, 0x05 | reg << 3);

	put32(g, addr);
	return at;
}

static void expect_reg(struct guest *g, uint32_t reg, uint32_t want,
		       const char *name)
{
	uint32_t val = 0;
	long r = getreg(g->fd, reg, &val);
	char detail[96];

	snprintf(detail, sizeof(detail), "got %ld, %#x, want 4, %#x", r, val,
		 want);
	check(r == 4 && val == want, detail, "%s", name);
}

static void host_register_errors(int fd)
{
	uint32_t w[5] = { LHREQ_IRQ_STATUS, REG_IRQ, REG_STATUS, REG_ACK, 0 };
	int efd = eventfd(0, EFD_CLOEXEC), pfd[2] = { -1, -1 };
	unsigned int i;

	expect(lgwrite(fd, w, 12, 0), -EINVAL, "LHREQ_IRQ_STATUS of 12 bytes");
	expect(lgwrite(fd, w, 20, 0), -EINVAL, "LHREQ_IRQ_STATUS of 20 bytes");
	expect(req3(fd, LHREQ_IRQ_STATUS, LGUEST_IRQS, REG_STATUS, REG_ACK),
	       -EINVAL, "LHREQ_IRQ_STATUS of line 32");
	expect(req3(fd, LHREQ_IRQ_STATUS, REG_IRQ, PAGE, REG_ACK), -EINVAL,
	       "LHREQ_IRQ_STATUS in RAM");
	expect(req3(fd, LHREQ_IRQ_STATUS, REG_IRQ, REG_STATUS, PAGE), -EINVAL,
	       "LHREQ_IRQ_STATUS acknowledged in RAM");
	expect(req3(fd, LHREQ_IRQ_STATUS, REG_IRQ, REG_STATUS + 2, REG_ACK),
	       -EINVAL, "LHREQ_IRQ_STATUS not 4-byte aligned");
	expect(req3(fd, LHREQ_IRQ_STATUS, REG_IRQ, MMIO_PAGES * PAGE, REG_ACK),
	       -EINVAL, "LHREQ_IRQ_STATUS beyond device memory");
	expect(req3(fd, LHREQ_IRQ_STATUS, REG_IRQ, 0xfffffffcu, REG_ACK),
	       -EINVAL, "LHREQ_IRQ_STATUS at 0xfffffffc");
	expect(req3(fd, LHREQ_IRQ_STATUS, REG_IRQ, REG_STATUS, REG_STATUS),
	       -EINVAL, "LHREQ_IRQ_STATUS acknowledged at the status");
	expect(req3(fd, LHREQ_IRQ_STATUS, REG_IRQ, 0, 0), 16,
	       "LHREQ_IRQ_STATUS 0: none");

	w[0] = LHREQ_IOEVENTFD;
	w[1] = REG_BELL;
	w[2] = efd;
	expect(lgwrite(fd, w, 8, 0), -EINVAL, "LHREQ_IOEVENTFD of 8 bytes");
	expect(lgwrite(fd, w, 16, 0), -EINVAL, "LHREQ_IOEVENTFD of 16 bytes");
	expect(req2(fd, LHREQ_IOEVENTFD, PAGE, efd), -EINVAL,
	       "LHREQ_IOEVENTFD in RAM");
	expect(req2(fd, LHREQ_IOEVENTFD, REG_BELL + 1, efd), -EINVAL,
	       "LHREQ_IOEVENTFD not 4-byte aligned");
	expect(req2(fd, LHREQ_IOEVENTFD, MMIO_PAGES * PAGE, efd), -EINVAL,
	       "LHREQ_IOEVENTFD beyond device memory");
	expect(req2(fd, LHREQ_IOEVENTFD, REG_BELL, fd), -EINVAL,
	       "LHREQ_IOEVENTFD of /dev/lguest");
	if (!pipe(pfd))
		expect(req2(fd, LHREQ_IOEVENTFD, REG_BELL, pfd[0]), -EINVAL,
		       "LHREQ_IOEVENTFD of a pipe");
	expect(req2(fd, LHREQ_IOEVENTFD, REG_BELL, 1000), -EBADF,
	       "LHREQ_IOEVENTFD of a closed fd");
	expect(req2(fd, LHREQ_IOEVENTFD, REG_BELL, -2), -EBADF,
	       "LHREQ_IOEVENTFD of fd -2");
	expect(req2(fd, LHREQ_IOEVENTFD, REG_BELL, -1), -ENOENT,
	       "LHREQ_IOEVENTFD removes what is not there");
	for (i = 0; i < LGUEST_IOEVENTFDS; i++)
		if (req2(fd, LHREQ_IOEVENTFD, RAM_SIZE + PAGE + 4 * i,
			 efd) != 12)
			break;
	expect(i, LGUEST_IOEVENTFDS, "LHREQ_IOEVENTFD: %u doorbells",
	       LGUEST_IOEVENTFDS);
	expect(req2(fd, LHREQ_IOEVENTFD, REG_BELL, efd), -ENOSPC,
	       "LHREQ_IOEVENTFD: one more");
	expect(req2(fd, LHREQ_IOEVENTFD, RAM_SIZE + PAGE, efd), 12,
	       "LHREQ_IOEVENTFD again at the same address");
	expect(req2(fd, LHREQ_IOEVENTFD, RAM_SIZE + PAGE, -1), 12,
	       "LHREQ_IOEVENTFD -1 removes");
	expect(req2(fd, LHREQ_IOEVENTFD, REG_BELL, efd), 12,
	       "LHREQ_IOEVENTFD in the freed slot");
	/* One register where another is: only a line's own again. */
	expect(req3(fd, LHREQ_IRQ_STATUS, 4, REG_OTHER, REG_OTHER + 4), 16,
	       "LHREQ_IRQ_STATUS of line 4");
	expect(req3(fd, LHREQ_IRQ_STATUS, 4, REG_OTHER, REG_OTHER + 4), 16,
	       "LHREQ_IRQ_STATUS of line 4 again");
	expect(req3(fd, LHREQ_IRQ_STATUS, 5, REG_OTHER + 4, REG_OTHER + 8),
	       -EEXIST, "LHREQ_IRQ_STATUS at another line's acknowledge");
	expect(req3(fd, LHREQ_IRQ_STATUS, 5, REG_OTHER + 8, REG_OTHER), -EEXIST,
	       "LHREQ_IRQ_STATUS acknowledged at another line's status");
	expect(req3(fd, LHREQ_IRQ_STATUS, 5, REG_OTHER + 8, REG_BELL), -EEXIST,
	       "LHREQ_IRQ_STATUS acknowledged at a doorbell");
	expect(req2(fd, LHREQ_IOEVENTFD, REG_OTHER + 4, efd), -EEXIST,
	       "LHREQ_IOEVENTFD at a status register's acknowledge");
	expect(req3(fd, LHREQ_IRQ_STATUS, 4, 0, 0), 16,
	       "LHREQ_IRQ_STATUS 0 removes line 4's");
	expect(req2(fd, LHREQ_IOEVENTFD, RAM_SIZE + PAGE + 4, -1), 12,
	       "LHREQ_IOEVENTFD -1 again");
	expect(req2(fd, LHREQ_IOEVENTFD, REG_OTHER + 4, efd), 12,
	       "LHREQ_IOEVENTFD where it was");
	/* The rest stay registered: closing the guest drops them. */
	close(efd);
	close(pfd[0]);
	close(pfd[1]);
}

static void test_host_registers(void)
{
	struct lguest_pending p;
	uint32_t bad, eip;
	uint64_t rung = 0;
	char dir[128] = "";
	struct stats s;
	struct guest g;
	int efd;

	guest_mem(&g);
	page_tables(&g);
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	hypercall(&g, LHCALL_NEW_PGTABLE, PGD_GPA, 0, 0);
	load(&g, MMIO_VA + 0x60);			/* a1: status */
	mov_abs(&g, 0xc7, 0, MMIO_VA + 0x64);		/* c7: ack 4 */
	put32(&g, 4);
	mov_abs(&g, 0x8b, EBX, MMIO_VA + 0x60);		/* 8b: status */
	mov_abs(&g, 0x8b, EDX, MMIO_VA + 0x64);		/* the ack reads ~0 */
	mov_imm(&g, ECX, 0);
	mov_abs(&g, 0x89, ECX, MMIO_VA + 0x50);		/* 89: the doorbell */
	put8(&g, 0xa3);					/* a3: again */
	put32(&g, MMIO_VA + 0x50);
	out(&g, 0x80);
	eip = load(&g, MMIO_VA + 0x70);			/* not registered */
	bad = insn2(&g, 0x66, 0x8b);			/* mov 16-bit: #GP */
	put8(&g, 0x05);
	put32(&g, MMIO_VA + 0x60);
	spin(&g);
	if (!guest_start(&g, CODE_GPA, "host registers"))
		goto end;
	host_register_errors(g.fd);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	expect(req3(g.fd, LHREQ_IRQ_STATUS, REG_IRQ, REG_STATUS, REG_ACK), 16,
	       "LHREQ_IRQ_STATUS");
	expect(req2(g.fd, LHREQ_IOEVENTFD, REG_BELL, efd), 12,
	       "LHREQ_IOEVENTFD");
	expect(req2(g.fd, LHREQ_IRQ, REG_IRQ, 0x5), 12,
	       "LHREQ_IRQ with status bits 0x5");
	if (!run_to(&g, LGUEST_PENDING_PIO, &p,
		    "host registers: no trip out before the out")) {
		char reason[256] = "";

		lgread(g.fd, reason, sizeof(reason) - 1);
		defuse(reason);
		printf("lgabi: host registers: the guest ended: \"%s\"\n",
		       reason);
		goto end;
	}
	expect_reg(&g, LGUEST_REG_EAX, 0x5, "host registers: status read");
	expect_reg(&g, LGUEST_REG_EBX, 0x1,
		   "host registers: status after the ack of 4");
	expect_reg(&g, LGUEST_REG_EDX, 0xffffffffu,
		   "host registers: the ack register reads all ones");
	check(read(efd, &rung, sizeof(rung)) == sizeof(rung) && rung == 2,
	      "not signalled twice", "host registers: the doorbell rang twice");
	if (debugfs_stats(&s, dir, sizeof(dir))) {
		expect(stat_of(&s, "host_mmio"), 6,
		       "host registers: host_mmio counts the accesses");
		expect(stat_of(&s, "doorbell"), 2,
		       "host registers: doorbell counts the rings");
		expect(stat_of(&s, "launcher_mmio"), 0,
		       "host registers: no access went to the Launcher");
	}
	req2(g.fd, LHREQ_SETREG, LGUEST_REG_EIP, eip);
	if (run_to(&g, LGUEST_PENDING_MMIO, &p,
		   "host registers: the rest of device memory is ours"))
		expect(p.addr, RAM_SIZE + 0x70,
		       "host registers: the address of the rest");
	req2(g.fd, LHREQ_SETREG, LGUEST_REG_EIP, bad);
	check_death(&g, "device register",
		    "host registers: an access the host cannot decode");
	close(efd);
end:
	guest_end(&g);
	check_pins("host registers: no pages left pinned");
}

/*
 * XCR0: the host emulates the guest kernel's xsetbv for what it offers in
 * lguest_data.xcr0_max, and the guest runs with it (xgetbv reads it back);
 * any other value, or XCR1, is a #GP, which kills these handlerless
 * guests.  The host must never pass on a value its own xsetbv would fault
 * on.
 */
static uint32_t xsetbv_guest(struct guest *g, uint32_t ecx, uint64_t xcr0,
			     const char *name)
{
	uint32_t at;

	guest_mem(g);
	hypercall(g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	mov_imm(g, EAX, (uint32_t)xcr0);
	mov_imm(g, EDX, xcr0 >> 32);
	mov_imm(g, ECX, ecx);
	at = g->at;
	put8(g, 0x0f);				/* xsetbv */
	put8(g, 0x01);
	put8(g, 0xd1);
	mov_imm(g, ECX, 0);
	put8(g, 0x0f);				/* xgetbv */
	put8(g, 0x01);
	put8(g, 0xd0);
	out(g, 0x80);
	spin(g);
	return guest_start(g, CODE_GPA, name) ? at : 0;
}

static void test_xsetbv(void)
{
	static const struct {
		uint32_t ecx;
		uint64_t xcr0;
		const char *what;
	} bad[] = {
		{ 0, 0x2, "without x87" },
		{ 0, 0x5, "AVX without SSE" },
		{ 0, 0x203, "PKRU" },
		{ 0, 0xe7, "AVX-512" },
		{ 0, 0x100000003ull, "bit 32" },
		{ 1, 0x3, "XCR1" },
	};
	struct lguest_pending p;
	const struct guest_data *d;
	uint64_t max;
	struct guest g;
	unsigned int i;

	/* What the host offers, from a guest that only initializes. */
	guest_mem(&g);
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	out(&g, 0x80);
	d = (const struct guest_data *)(g.mem + DATA_GPA);
	if (!guest_start(&g, CODE_GPA, "xsetbv") ||
	    !run_to(&g, LGUEST_PENDING_PIO, &p, "xsetbv: lguest_data.xcr0_max"))
		max = 0;
	else
		max = d->xcr0_max;
	guest_end(&g);
	printf("lgabi: xsetbv: the host offers XCR0 %#llx\n",
	       (unsigned long long)max);
	if (!max) {
		check(false, "0: the lguest host has XSAVE under QEMU -cpu max",
		      "xsetbv: lguest_data.xcr0_max");
		return;
	}
	check((max & 3) == 3 && !(max & ~0x7ull), "not x87, SSE and AVX at most",
	      "xsetbv: lguest_data.xcr0_max %#llx", (unsigned long long)max);

	if (xsetbv_guest(&g, 0, max, "xsetbv of xcr0_max") &&
	    run_to(&g, LGUEST_PENDING_PIO, &p, "xsetbv of xcr0_max: emulated"))
		expect_reg(&g, LGUEST_REG_EAX, (uint32_t)max,
			   "xsetbv of xcr0_max: xgetbv reads it back");
	guest_end(&g);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char name[64];

		snprintf(name, sizeof(name), "xsetbv %s", bad[i].what);
		if (xsetbv_guest(&g, bad[i].ecx, bad[i].xcr0, name))
			check_death(&g, "general protection", name);
		guest_end(&g);
	}
	check_pins("xsetbv: no pages left pinned");
}

/* Now on a guest's clock: the TSC, or the host's monotonic ns. */
static uint64_t guest_clock(const struct guest_data *d)
{
	struct timespec ts;

	if (d->tsc_khz)
		return __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * One round of test_timer_deadline(): with deadline written, interrupts
 * enabled, the guest goes on at eip; its timer interrupt must come, and
 * not before the deadline.
 */
static bool deadline_round(struct guest *g, struct guest_data *d,
			   uint64_t deadline, uint32_t eip, const char *name)
{
	struct lguest_pending p;
	char what[96];
	bool in_handler, late_enough;

	d->timer_deadline = deadline;
	d->irq_enabled = 0x200;
	req2(g->fd, LHREQ_SETREG, LGUEST_REG_EIP, eip);
	snprintf(what, sizeof(what), "deadline: %s: the interrupt comes", name);
	if (!run_to(g, LGUEST_PENDING_PIO, &p, what))
		return false;
	late_enough = guest_clock(d) >= deadline;
	in_handler = p.insn[1] == 0x82;
	check(in_handler, "the guest is not in its handler",
	      "deadline: %s: the timer's handler runs", name);
	check(late_enough, "before the deadline",
	      "deadline: %s: not before the deadline", name);
	return in_handler;
}

/*
 * The timer deadline in lguest_data: line 0 rises at the deadline set
 * with LHCALL_TIMER_DEADLINE; timer_armed says when the host looks again;
 * after a tick it looks one period later, so that the next deadline of a
 * periodic tick needs no hypercall, and a later one is still honoured
 * without one; a deadline of 0 raises nothing.
 */
static void test_timer_deadline(void)
{
	uint32_t handler = CODE_GPA + 0x200, set, loop;
	struct lguest_pending p;
	struct guest_data *d;
	uint64_t period, dl;
	long long before;
	struct stats st;
	struct guest g;
	char dir[128];
	struct poke pk;

	guest_mem(&g);
	d = (struct guest_data *)(g.mem + DATA_GPA);
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	idt_entry(&g, LGUEST_IRQ_VECTOR, 14, handler);
	out(&g, 0x80);
	set = hypercall(&g, LHCALL_TIMER_DEADLINE, 0, 0, 0);
	out(&g, 0x81);
	loop = spin(&g);
	g.at = handler;
	out(&g, 0x82);
	if (!guest_start(&g, CODE_GPA, "deadline") ||
	    !run_to(&g, LGUEST_PENDING_PIO, &p, "deadline: the guest starts"))
		goto end;
	req2(g.fd, LHREQ_SETREG, LGUEST_REG_ESP, STACK_GPA);
	/* 20 ms on the guest's clock. */
	period = d->tsc_khz ? d->tsc_khz * 20ull : 20000000ull;

	/* With the hypercall, the host looks at the deadline itself. */
	dl = guest_clock(d) + period;
	d->timer_deadline = dl;
	req2(g.fd, LHREQ_SETREG, LGUEST_REG_EIP, set);
	if (!run_to(&g, LGUEST_PENDING_PIO, &p, "deadline: the hypercall"))
		goto end;
	check(d->timer_armed == dl, "timer_armed is not the deadline",
	      "deadline: timer_armed says the host looks at the deadline");
	if (!deadline_round(&g, d, dl, loop, "first tick"))
		goto end;

	/* A second tick a period later, then the host expects a third. */
	dl += period;
	d->timer_deadline = dl;
	req2(g.fd, LHREQ_SETREG, LGUEST_REG_EIP, set);
	if (!run_to(&g, LGUEST_PENDING_PIO, &p, "deadline: the second hypercall") ||
	    !deadline_round(&g, d, dl, loop, "second tick"))
		goto end;
	/* A little later: a tick comes out just after the period. */
	check(d->timer_armed >= dl + period &&
	      d->timer_armed <= dl + period + period / 64,
	      "timer_armed is not one period after the tick",
	      "deadline: after a tick the host looks one period later");

	/* The third without a hypercall; a later fourth without one either. */
	if (!debugfs_stats(&st, dir, sizeof(dir))) {
		check(false, "no lguest/PID-N/stats", "deadline: the counters");
		goto end;
	}
	/* Each raises the line once: no second time for the same deadline. */
	before = stat_of(&st, "timer");
	dl += period;
	if (!deadline_round(&g, d, dl, loop, "third tick, no hypercall"))
		goto end;
	dl += 3 * period;
	if (!deadline_round(&g, d, dl, loop, "a later one, no hypercall"))
		goto end;
	if (debugfs_stats(&st, dir, sizeof(dir)))
		expect(stat_of(&st, "timer"), before + 2,
		       "deadline: the line rose twice for those two");

	/* A deadline of 0: the host stops when it looks, and raises nothing. */
	d->timer_deadline = 0;
	d->irq_enabled = 0x200;
	req2(g.fd, LHREQ_SETREG, LGUEST_REG_EIP, loop);
	set_handler(SIGUSR1, 0, -1, 0);
	poke_later(&pk, SIGUSR1, 500);
	expect(lgread(g.fd, &p, sizeof(p)), -EINTR,
	       "deadline: 0 raises nothing: only the signal ends read()");
	poke_done(&pk);
	signal(SIGUSR1, SIG_IGN);
end:
	guest_end(&g);
	check_pins("deadline: no pages left pinned");
}

/*
 * The shadows' budget: a guest that loads six page tables, each mapping
 * every slot below the Switcher to one page table, and touches one
 * address per slot, would need six shadows full of PTE pages; the host
 * keeps at most four shadows' worth (PTE_PAGES_MAX in page_tables.c),
 * emptying the least recently loaded.  The reserve says the layout: 4 MB
 * slots without PAE, 2 MB with.
 */
#define BUDGET_ROOTS		6u
#define BUDGET_ROOT_GPA		(40u * PAGE)	/* six PDs or PDPTs */
#define BUDGET_PT_GPA		(46u * PAGE)	/* the one page table */
#define BUDGET_PMD_GPA		(47u * PAGE)	/* PAE: the one PMD page */
#define BUDGET_CODE_PAGES	16u		/* from CODE_GPA, identity */

static void test_shadow_budget(uint32_t reserve_mem)
{
	bool pae = reserve_mem < (4u << 20);
	unsigned int shift = pae ? 21 : 22;
	uint32_t slots = (uint32_t)((0x100000000ull - reserve_mem) >> shift);
	long before, grown, bound;
	struct lguest_pending p;
	char detail[128], dir[128];
	struct stats st;
	struct guest g;
	uint32_t k, i;

	guest_mem(&g);
	for (k = 0; k < BUDGET_ROOTS; k++) {
		uint8_t *root = g.mem + BUDGET_ROOT_GPA + k * PAGE;

		for (i = 0; i < (pae ? 4 : slots); i++) {
			uint64_t e = pae ? (BUDGET_PMD_GPA | 1u) :
				     (BUDGET_PT_GPA | UPPER_FLAGS);

			memcpy(root + i * (pae ? 8 : 4), &e, pae ? 8 : 4);
		}
	}
	for (i = 0; pae && i < 512; i++) {
		uint64_t e = BUDGET_PT_GPA | UPPER_FLAGS;

		memcpy(g.mem + BUDGET_PMD_GPA + 8 * i, &e, 8);
	}
	for (i = 0; i < BUDGET_CODE_PAGES; i++) {
		uint64_t e = (CODE_GPA + i * PAGE) | PTE_FLAGS;

		memcpy(g.mem + BUDGET_PT_GPA + (CODE_GPA / PAGE + i) * (pae ? 8 : 4),
		       &e, pae ? 8 : 4);
	}
	hypercall(&g, LHCALL_LGUEST_INIT, DATA_GPA, 0, 0);
	for (k = 0; k < BUDGET_ROOTS; k++) {
		hypercall(&g, LHCALL_NEW_PGTABLE, BUDGET_ROOT_GPA + k * PAGE, 0, 0);
		for (i = 0; i < slots; i++)
			load(&g, i << shift | CODE_GPA);
	}
	out(&g, 0x80);
	spin(&g);
	if (g.at > CODE_GPA + BUDGET_CODE_PAGES * PAGE) {
		check(false, "the guest's code does not fit", "budget");
		guest_end(&g);
		return;
	}

	before = meminfo("SecPageTables");
	if (guest_start(&g, CODE_GPA, "budget") &&
	    run_to(&g, LGUEST_PENDING_PIO, &p,
		   "budget: six page tables, every slot touched")) {
		grown = meminfo("SecPageTables") - before;
		/* Four shadows of PTE pages, and sixteen roots of five pages. */
		bound = (4 * (pae ? 2048 : 1024) + 16 * 5) * PAGE / 1024;
		snprintf(detail, sizeof(detail),
			 "SecPageTables grew by %ld kB, want at most %ld", grown,
			 bound);
		check(before >= 0 && grown <= bound, detail,
		      "budget: at most four shadows' worth of PTE pages");
		check(debugfs_stats(&st, dir, sizeof(dir)) &&
		      stat_of(&st, "root_shrink") > 0, "no root_shrink",
		      "budget: shadows emptied to keep it");
	}
	guest_end(&g);
	check_pins("budget: no pages left pinned");
}

int main(int argc, char **argv)
{
	uint32_t reserve;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tally = mmap(NULL, sizeof(*tally), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tally == MAP_FAILED) {
		perror("lgabi: mmap");
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "--after-exec"))
		return after_exec(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: lgabi [--after-exec FD]\n");
		return 2;
	}
	main_thread = pthread_self();
	main_tid = gettid();
	/* Should the host hang a read(), end rather than wait forever. */
	alarm(600);
	pins_base = pins();
	if (pins_base < 0) {
		check(false, "no nr_foll_pin_* in /proc/vmstat", "pinned pages");
		return 1;
	}
	printf("lgabi: %lld pages pinned before the guests\n", pins_base);

	test_file();
	test_before_init();
	test_init_args();
	test_requests();
	test_kept();
	reserve = test_endings();
	test_mmio_limit(reserve);
	test_trap_delivery();
	test_signals();
	test_threads();
	test_halt();
	test_timer();
	test_init_race();
	test_processes();
	test_exec();
	test_close_states();
	test_leaks();
	test_pins();
	test_launcher_ldt();
	halt_without_interrupts("halt, interrupts off", false);
	halt_without_interrupts("halt in the iret window", true);
	test_user_workers();
	test_debug_state();
	test_spare_cleared(reserve);
	test_ldt_window(reserve);
	test_syscall_msr();
	test_stats();
	test_host_registers();
	test_xsetbv();
	test_timer_deadline();
	test_shadow_budget(reserve);
	check_pins("the end: no pages left pinned");

	printf("lgabi: %d passed, %d failed\n", tally->passed, tally->failed);
	return tally->failed ? 1 : 0;
}
