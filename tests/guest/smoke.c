// SPDX-License-Identifier: GPL-2.0
/*
 * The smoke suite run inside an lguest guest (tests/40-lguest.sh): the
 * things every userspace program relies on, each checked for its result.
 *
 *   smoke [TEST...]     (default: all; names below)
 *
 * Prints "smoke: NAME ok" or "smoke: NAME FAILED: why" per test and exits
 * 0 only when all passed. Built static for i386 with SSE2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <asm/ldt.h>

/* Shared with the children that run the tests, for their failure reason. */
#define WHY_LEN 256
static char *why;

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, WHY_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

/* Run fn in a child and return its exit status as a test result. */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn() ? 1 : 0);
	if (waitpid(pid, &status, 0) != pid)
		return fail("waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!why[0])	/* else the child said why */
		fail("child status %#x", status);
	return -1;
}

/* fork, exec and wait for many processes, each with its own exit code. */
#define NPROC 200
static int test_fork_exec(void)
{
	pid_t pids[NPROC];
	int i, status;

	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return fail("fork %d: %s", i, strerror(errno));
		if (pids[i] == 0) {
			char code[16];

			snprintf(code, sizeof(code), "exit %d", i % 256);
			execl("/bin/sh", "sh", "-c", code, (char *)NULL);
			_exit(255);
		}
	}
	for (i = 0; i < NPROC; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i])
			return fail("waitpid %d: %s", i, strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != i % 256)
			return fail("child %d: status %#x, want exit %d",
				    i, status, i % 256);
	}
	return 0;
}

static volatile sig_atomic_t usr1_count, usr2_count;
static sigjmp_buf recover;
static volatile void *fault_addr;

static void on_usr1(int sig) { usr1_count++; }
static void on_usr2(int sig) { usr2_count++; }

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	fault_addr = si->si_addr;
	siglongjmp(recover, sig);
}

static int catch_fault(int sig, void (*fn)(void *), void *arg)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
	int got;

	sigaction(sig, &sa, NULL);
	got = sigsetjmp(recover, 1);
	if (!got)
		fn(arg);
	signal(sig, SIG_DFL);
	return got;
}

static void write_to(void *p) { *(volatile int *)p = 1; }
static void divide_by(void *p)
{
	unsigned int lo = 1000, hi = 0;

	/* A real divl: the compiler turns 1 / x into a comparison. */
	__asm__ volatile("divl %2" : "+a" (lo), "+d" (hi) : "rm" (*(int *)p));
	*(int *)p = lo;
}

/*
 * Signals: to self, between processes (a ping-pong of 100 round trips
 * through sigsuspend), and the ones the kernel raises for a page fault
 * and a divide error, recovered from.
 */
static int test_signals(void)
{
	sigset_t block, old;
	pid_t parent = getpid(), child;
	int i, status, zero = 0;

	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	raise(SIGUSR1);
	kill(getpid(), SIGUSR1);
	if (usr1_count != 2)
		return fail("SIGUSR1 to self: handled %d times, want 2",
			    (int)usr1_count);

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &old);
	usr1_count = 0;
	child = fork();
	if (child < 0)
		return fail("fork: %s", strerror(errno));
	if (child == 0) {
		for (i = 0; i < 100; i++) {
			kill(parent, SIGUSR2);
			while (usr1_count == i)
				sigsuspend(&old);
		}
		_exit(0);
	}
	for (i = 0; i < 100; i++) {
		while (usr2_count == i)
			sigsuspend(&old);
		kill(child, SIGUSR1);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (waitpid(child, &status, 0) != child || status)
		return fail("ping-pong child status %#x", status);
	if (usr2_count != 100)
		return fail("ping-pong: %d signals, want 100", (int)usr2_count);

	if (catch_fault(SIGSEGV, write_to, (void *)16) != SIGSEGV)
		return fail("write to address 16: no SIGSEGV");
	if (fault_addr != (void *)16)
		return fail("SIGSEGV si_addr %p, want 0x10", fault_addr);
	if (catch_fault(SIGFPE, divide_by, &zero) != SIGFPE)
		return fail("division by zero: no SIGFPE");
	return 0;
}

/*
 * x87 and SSE state across context switches: two processes run the same
 * floating point recurrences from different seeds, yielding to each other
 * all the time; each result must be bit for bit the one computed before
 * forking, with nobody else running.
 */
typedef float v4sf __attribute__((vector_size(16)));

struct fpu_result {
	long double x87;
	v4sf sse;
};

static void fpu_work(int n, int yield, void *out)
{
	double seed = 1.5 + n * 7.25;
	volatile long double x = seed;
	v4sf v = { seed, seed / 2, seed / 3, seed / 5 };
	v4sf k = { 1.0001f, 0.9999f, 1.00007f, 0.99993f };
	struct fpu_result *r = out;
	int i;

	for (i = 0; i < 20000; i++) {
		x = x * 1.0000001L + 0.5L / (x + 1.0L);
		v = v * k + (v4sf){ 0.25f, 0.125f, 0.0625f, 0.03125f };
		__asm__ volatile("" : "+x" (v));
		if (yield && i % 64 == 0)
			sched_yield();
	}
	/* The x87 value's 10 bytes; the rest stays as it was, zeroed. */
	memcpy(&r->x87, (const void *)&x, 10);
	r->sse = v;
}

/*
 * work(n, 0, result) here for n = 0 and 1, then work(n, 1, result) in two
 * children at once, which yield to each other all the time: each child's
 * result (size bytes) must be bit for bit the one computed here.
 */
static int same_in_two_children(void (*work)(int n, int yield, void *out),
				size_t size, const char *what)
{
	unsigned char want[2][64] __attribute__((aligned(32))) = { 0 };
	unsigned char *got;
	int i, status, bad = 0;
	pid_t pids[2];

	got = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (got == MAP_FAILED || size > sizeof(want[0]))
		return fail("mmap: %s", strerror(errno));
	for (i = 0; i < 2; i++)
		work(i, 0, want[i]);
	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return fail("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			work(i, 1, got + 64 * i);
			_exit(0);
		}
	}
	for (i = 0; i < 2; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] || status)
			bad = fail("%s child %d status %#x", what, i, status);
		else if (memcmp(want[i], got + 64 * i, size))
			bad = fail("%s child %d: result differs", what, i);
	}
	munmap(got, 4096);
	return bad;
}

static int test_fpu(void)
{
	return same_in_two_children(fpu_work, sizeof(struct fpu_result),
				    "x87/SSE");
}

/*
 * AVX: what CPUID promises, XCR0 must enable, since programs trust CPUID
 * (coreutils' wc runs AVX2 code when CPUID has AVX2).  With AVX2 usable,
 * two processes run 256-bit integer recurrences from different seeds,
 * yielding to each other all the time, as test_fpu() does for x87 and SSE:
 * the upper halves of the ymm registers must survive the kernel's context
 * switches.  Without AVX, only the first check applies.
 */
typedef int v8si __attribute__((vector_size(32)));

static __attribute__((target("avx2"))) void avx_work(int n, int yield,
						     void *out)
{
	int seed = 3 + n * 1000;
	v8si v = { seed, seed * 3, seed * 5, seed * 7, seed * 11, seed * 13,
		   seed * 17, seed * 19 };
	v8si k = { 0x10001, 0x20003, 0x30005, 0x40007, 0x50009, 0x6000b,
		   0x7000d, 0x8000f };
	int i;

	for (i = 0; i < 20000; i++) {
		v = v * k + (v >> 3);
		__asm__ volatile("" : "+x" (v));
		if (yield && i % 64 == 0)
			sched_yield();
	}
	memcpy(out, &v, sizeof(v));
}

/* Is flag in the "flags" line of /proc/cpuinfo? */
static int cpuinfo_flag(const char *flag)
{
	char line[4096], *p;
	size_t n = strlen(flag);
	int found = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		for (p = strstr(line, flag); p && !found; p = strstr(p + 1, flag))
			found = p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n');
	}
	fclose(f);
	return found;
}

static int test_avx(void)
{
	unsigned int a, b, c, d, xlo = 0, xhi = 0;
	int avx, avx2;

	__asm__ volatile("cpuid" : "=a" (a), "=b" (b), "=c" (c), "=d" (d)
			 : "a" (1), "c" (0));
	avx = c >> 28 & 1;
	if (c >> 27 & 1)	/* OSXSAVE: xgetbv works */
		__asm__ volatile("xgetbv" : "=a" (xlo), "=d" (xhi) : "c" (0));
	__asm__ volatile("cpuid" : "=a" (a), "=b" (b), "=c" (c), "=d" (d)
			 : "a" (7), "c" (0));
	avx2 = avx && (b >> 5 & 1);
	printf("smoke: avx: CPUID AVX %d AVX2 %d, XCR0 %#x\n", avx, avx2, xlo);
	if (avx && (xlo & 6) != 6)
		return fail("CPUID says AVX, XCR0 %#x enables no AVX state",
			    xlo);
	/* AVX state on, then the kernel must save it: its flags say so. */
	if ((xlo & 6) == 6 && !cpuinfo_flag("avx"))
		return fail("XCR0 %#x enables AVX, the kernel's flags lack avx",
			    xlo);
	if (!avx2)
		return 0;
	return same_in_two_children(avx_work, sizeof(v8si), "AVX");
}

/*
 * The LDT: a process makes a data segment in its LDT, and two children,
 * which inherit it, each point it at a buffer of their own with
 * modify_ldt() and read their buffer through %fs while yielding to each
 * other all the time: each context switch loads the other child's LDT,
 * and %fs must come back right.  Each child has the other's buffer too,
 * with other values: the other's LDT would read those.  A 16-bit segment is refused: a guest has
 * no ESPFIX (see x86/ldt in the guest's Documentation).
 */
#define LDT_FS	0x7	/* entry 0, RPL 3 */

static int set_ldt_data(void *base, int seg_32bit)
{
	struct user_desc d = {
		.entry_number = 0,
		.base_addr = (unsigned long)base,
		.limit = 4095,
		.seg_32bit = seg_32bit,
	};

	return syscall(SYS_modify_ldt, 1, &d, sizeof(d));
}

static void ldt_work(int n, int yield, void *out)
{
	static uint32_t buf[2][1024];
	uint32_t sum = 0, v;
	int i;

	for (i = 0; i < 1024; i++) {
		buf[n][i] = n * 0x10000 + i;
		buf[!n][i] = 0xdead0000 + i;
	}
	if (set_ldt_data(buf[n], 1))
		return;
	__asm__ volatile("mov %0, %%fs" : : "r" (LDT_FS));
	for (i = 0; i < 20000; i++) {
		__asm__ volatile("movl %%fs:(,%1,4), %0"
				 : "=r" (v) : "r" (i % 1024) : "memory");
		sum = sum * 31 + v;
		if (yield && i % 64 == 0)
			sched_yield();
	}
	__asm__ volatile("mov %%fs, %0" : "=r" (v));
	memcpy(out, &sum, sizeof(sum));
	memcpy((char *)out + sizeof(sum), &v, sizeof(v));
}

static int test_ldt(void)
{
	static char page[4096];

	if (set_ldt_data(page, 1))
		return fail("modify_ldt: %s", strerror(errno));
	if (set_ldt_data(page, 0) == 0 || errno != EINVAL)
		return fail("a 16-bit segment: want EINVAL, got %s",
			    strerror(errno));
	return same_in_two_children(ldt_work, 2 * sizeof(uint32_t), "LDT");
}

/*
 * Memory: anonymous mappings filled and read back, copy-on-write after
 * fork in both directions, a shared mapping seen by both, and munmap
 * really unmapping.
 */
#define MAP_BYTES (8 << 20)
static int test_memory(void)
{
	uint32_t *p, *shared;
	size_t i, n = MAP_BYTES / sizeof(*p);
	int status;
	pid_t child;

	p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || shared == MAP_FAILED)
		return fail("mmap: %s", strerror(errno));
	for (i = 0; i < n; i++)
		p[i] = i * 2654435761u;

	child = fork();
	if (child < 0)
		return fail("fork: %s", strerror(errno));
	if (child == 0) {
		for (i = 0; i < n; i++)
			if (p[i] != i * 2654435761u)
				_exit(2);
		for (i = 0; i < n; i += 1024)
			p[i] = ~p[i];
		for (i = 0; i < n; i += 1024)
			if (p[i] != ~(uint32_t)(i * 2654435761u))
				_exit(3);
		shared[0] = 0xc0ffee;
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child)
		return fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fail("copy-on-write child: status %#x", status);
	for (i = 0; i < n; i++)
		if (p[i] != i * 2654435761u)
			return fail("parent page changed by the child at %zu", i);
	if (shared[0] != 0xc0ffee)
		return fail("shared mapping: child's write not seen");

	/* The parent writes now: the child's view must not change. */
	child = fork();
	if (child == 0) {
		while (shared[1] != 1)
			sched_yield();
		for (i = 0; i < n; i += 512)
			if (p[i] != i * 2654435761u)
				_exit(4);
		_exit(0);
	}
	for (i = 0; i < n; i += 512)
		p[i] = 0;
	shared[1] = 1;
	if (waitpid(child, &status, 0) != child || status)
		return fail("copy-on-write (parent writes): child status %#x",
			    status);

	if (munmap(p, MAP_BYTES))
		return fail("munmap: %s", strerror(errno));
	if (catch_fault(SIGSEGV, write_to, p + n / 2) != SIGSEGV)
		return fail("write after munmap: no SIGSEGV");
	munmap(shared, 4096);
	return 0;
}

/*
 * Page faults taken with the direction flag set (as in a backward memmove):
 * each one exits to the lguest host with DF set, which must not leak into
 * the host.  Then the same with rep stosb running downwards over fresh
 * pages, and a check of what it wrote.
 */
#define STD_PAGES 1024
static int test_std_faults(void)
{
	unsigned char *p, *dst;
	unsigned int i, cnt, n = STD_PAGES * 4096;

	p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return fail("mmap: %s", strerror(errno));
	for (i = 0; i < STD_PAGES / 2; i++)
		__asm__ volatile("std; movb $1, (%0); cld"
				 : : "r" (p + i * 4096) : "memory");
	dst = p + n - 1;
	cnt = n / 2;
	__asm__ volatile("std; rep stosb; cld"
			 : "+D" (dst), "+c" (cnt) : "a" (0x5a) : "memory");
	for (i = 0; i < STD_PAGES / 2; i++)
		if (p[i * 4096] != 1)
			return fail("page %u: %#x, want 1", i, p[i * 4096]);
	for (i = n / 2; i < n; i++)
		if (p[i] != 0x5a)
			return fail("byte %u: %#x, want 0x5a", i, p[i]);
	munmap(p, n);
	return 0;
}

/* /proc/cpuinfo reads and names a CPU with the FPU the guest uses. */
static int test_cpuinfo(void)
{
	char buf[8192];
	ssize_t len;
	int fd = open("/proc/cpuinfo", O_RDONLY);

	if (fd < 0)
		return fail("open /proc/cpuinfo: %s", strerror(errno));
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return fail("read /proc/cpuinfo: %zd", len);
	buf[len] = '\0';
	if (!strstr(buf, "processor\t: 0"))
		return fail("/proc/cpuinfo has no processor 0");
	if (!strstr(buf, " fpu ") || !strstr(buf, " sse2"))
		return fail("/proc/cpuinfo flags lack fpu or sse2");
	return 0;
}

/* One second of sleep is about one second of this kernel's clock. */
static int test_sleep(void)
{
	struct timespec a, b;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &a);
	sleep(1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("smoke: sleep 1 took %.3f s of guest time\n", s);
	if (s < 1.0 || s > 1.5)
		return fail("sleep 1 took %.3f s", s);
	return 0;
}

/*
 * Memory that changes while its process is switched out: the parent
 * writes into the child through /proc/PID/mem, which breaks copy-on-write
 * in the child's page tables while the child waits on a pipe; the child,
 * which had read every page already, must then read the new value, not
 * the page it saw before.  (Under lguest the child's cached shadow must
 * not be kept: its mm's TLB generation moved on.)
 */
#define POKE_PAGES 16
static uint32_t poke_pages[POKE_PAGES][1024] __attribute__((aligned(4096)));

static int test_poke(void)
{
	int to_child[2], to_parent[2], fd, status, r;
	char path[64], c = 0;
	uint32_t v, want;
	pid_t child;

	for (r = 0; r < POKE_PAGES; r++)
		poke_pages[r][0] = r;
	if (pipe(to_child) || pipe(to_parent))
		return fail("pipe: %s", strerror(errno));
	child = fork();
	if (child < 0)
		return fail("fork: %s", strerror(errno));
	if (child == 0) {
		volatile uint32_t sum = 0;

		for (r = 0; r < POKE_PAGES; r++)
			sum += *(volatile uint32_t *)&poke_pages[r][0];
		for (r = 0; r < POKE_PAGES; r++) {
			if (write(to_parent[1], &c, 1) != 1 ||
			    read(to_child[0], &c, 1) != 1)
				_exit(2);
			v = *(volatile uint32_t *)&poke_pages[r][0];
			if (write(to_parent[1], &v, sizeof(v)) != sizeof(v))
				_exit(3);
		}
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", child);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return fail("%s: %s", path, strerror(errno));
	for (r = 0; r < POKE_PAGES; r++) {
		if (read(to_parent[0], &c, 1) != 1)
			return fail("round %d: the child is gone", r);
		want = 1000 + r;
		if (pwrite(fd, &want, sizeof(want),
			   (off_t)(uintptr_t)&poke_pages[r][0]) != sizeof(want))
			return fail("write to %s: %s", path, strerror(errno));
		if (write(to_child[1], &c, 1) != 1 ||
		    read(to_parent[0], &v, sizeof(v)) != sizeof(v))
			return fail("round %d: the child is gone", r);
		if (v != want)
			return fail("page %d: the child read %u, not %u (a stale mapping)",
				    r, v, want);
		if (poke_pages[r][0] != (uint32_t)r)
			return fail("page %d: the parent's copy changed", r);
	}
	close(fd);
	if (waitpid(child, &status, 0) != child || status)
		return fail("child status %#x", status);
	return 0;
}

/*
 * A seeded fuzzer of address space changes, checked against a model:
 * what every page of a small region holds and allows.  Random operations
 * map private and shared anonymous memory over it, unmap, mprotect,
 * madvise(MADV_DONTNEED) and mremap parts of it, write and read its pages
 * from user mode (a forbidden access must fault) and from the kernel (a
 * pipe, which must refuse a page it may not use with EFAULT), and fork
 * children that check the whole model, write their own copies and the
 * shared pages, and sometimes wait while the parent writes; each change is
 * probed at once on a few of its pages.  The region straddles a page
 * table boundary, and an operation on more than 33 pages flushes the
 * whole address space instead of page by page.  A translation that a TLB or a
 * shadow page table kept when it should not shows as a wrong value or a
 * missing fault.
 *
 * SMOKE_SEED and SMOKE_OPS (environment) pick the seed (default 1) and
 * the number of operations (default 3000); a failure names both.
 */
#define FZ_PAGES	64
#define FZ_WORDS	1024
#define FZ_SPAN		(8u << 20)

enum { FZ_NONE, FZ_READ, FZ_RW };

/*
 * Every page is mapped: an unmapped one is reserved again at once, as
 * private anonymous memory with PROT_NONE, which the model says it is.
 */
struct fz_page {
	int shared, prot;
	uint32_t tag;		/* word k holds tag ^ k, 0: all zero */
};

static struct fz_page fz[FZ_PAGES];
static uint32_t *fz_base;
static uint32_t fz_seed, fz_rand_state;
static int fz_op;

static uint32_t fz_rand(void)
{
	fz_rand_state ^= fz_rand_state << 13;
	fz_rand_state ^= fz_rand_state >> 17;
	fz_rand_state ^= fz_rand_state << 5;
	return fz_rand_state;
}

static uint32_t *fz_addr(int i)
{
	return fz_base + (size_t)i * FZ_WORDS;
}

static uint32_t fz_word(uint32_t tag, int k)
{
	return tag ? tag ^ k : 0;
}

static int fz_fail(const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail("seed %u op %d (SMOKE_OPS=%d reproduces): %s", fz_seed,
		    fz_op, fz_op + 1, msg);
}

/* A fault outside fz_catch() is a failure, with its address. */
static void fz_unexpected(int sig, siginfo_t *si, void *ctx)
{
	snprintf(why, WHY_LEN, "seed %u op %d (SMOKE_OPS=%d reproduces): unexpected SIGSEGV at %p",
		 fz_seed, fz_op, fz_op + 1, si->si_addr);
	_exit(1);
}

static void fz_catch_unexpected(void)
{
	struct sigaction sa = { .sa_sigaction = fz_unexpected,
				.sa_flags = SA_SIGINFO };

	sigaction(SIGSEGV, &sa, NULL);
}

/* catch_fault(), and faults are unexpected again after it. */
static int fz_catch(void (*fn)(void *), void *arg)
{
	int got = catch_fault(SIGSEGV, fn, arg);

	fz_catch_unexpected();
	return got;
}

static uint32_t fz_pending;

static void fz_write_page(void *p)
{
	volatile uint32_t *w = p;
	int k;

	for (k = 0; k < FZ_WORDS; k++)
		w[k] = fz_pending ^ k;
}

static uint32_t fz_read_sum;

static void fz_read_page(void *p)
{
	fz_read_sum += *(volatile uint32_t *)p;
}

/* Page i against the model, from user mode. */
static int fz_check(int i)
{
	struct fz_page *pg = &fz[i];
	uint32_t *w = fz_addr(i);
	int k, got;

	if (pg->prot == FZ_NONE) {
		got = fz_catch(fz_read_page, w);
		if (got != SIGSEGV)
			return fz_fail("page %d (PROT_NONE): a read did not fault",
				       i);
		return 0;
	}
	for (k = 0; k < FZ_WORDS; k += 97) {
		if (w[k] != fz_word(pg->tag, k))
			return fz_fail("page %d word %d: %#x, not %#x", i, k,
				       w[k], fz_word(pg->tag, k));
	}
	if (w[FZ_WORDS - 1] != fz_word(pg->tag, FZ_WORDS - 1))
		return fz_fail("page %d last word: %#x, not %#x", i,
			       w[FZ_WORDS - 1], fz_word(pg->tag, FZ_WORDS - 1));
	return 0;
}

static int fz_check_all(void)
{
	int i;

	for (i = 0; i < FZ_PAGES; i++) {
		if (fz_check(i))
			return -1;
	}
	return 0;
}

/* Write page i from user mode: it must fault unless writable. */
static int fz_write(int i, uint32_t tag)
{
	struct fz_page *pg = &fz[i];
	int got;

	fz_pending = tag;
	got = fz_catch(fz_write_page, fz_addr(i));
	if (pg->prot == FZ_RW) {
		if (got)
			return fz_fail("page %d: a write faulted", i);
		pg->tag = tag;
		return 0;
	}
	if (got != SIGSEGV)
		return fz_fail("page %d (%s): a write did not fault", i,
			       pg->prot == FZ_READ ? "read-only" : "PROT_NONE");
	/* A write that faulted on its first word changed nothing. */
	return 0;
}

/* The kernel reads page i, through a pipe: EFAULT unless it may. */
static int fz_kernel_read(int i, int fds[2])
{
	static uint32_t buf[FZ_WORDS];
	struct fz_page *pg = &fz[i];
	ssize_t n;
	int k;

	n = write(fds[1], fz_addr(i), sizeof(buf));
	if (pg->prot == FZ_NONE) {
		if (n != -1 || errno != EFAULT)
			return fz_fail("page %d (PROT_NONE): write() from it gave %zd, not EFAULT",
				       i, n);
		/*
		 * The failed write left an empty buffer in the pipe (6.12
		 * does): sixteen of them fill it.  A new pipe.
		 */
		close(fds[0]);
		close(fds[1]);
		if (pipe(fds))
			return fz_fail("pipe: %s", strerror(errno));
		return 0;
	}
	if (n != sizeof(buf) || read(fds[0], buf, sizeof(buf)) != sizeof(buf))
		return fz_fail("page %d: write() from it: %s", i,
			       strerror(errno));
	for (k = 0; k < FZ_WORDS; k++) {
		if (buf[k] != fz_word(pg->tag, k))
			return fz_fail("page %d word %d via a pipe: %#x, not %#x",
				       i, k, buf[k], fz_word(pg->tag, k));
	}
	return 0;
}

/* The kernel writes page i, from a pipe: EFAULT unless it may. */
static int fz_kernel_write(int i, int fds[2], uint32_t tag)
{
	static uint32_t buf[FZ_WORDS];
	struct fz_page *pg = &fz[i];
	ssize_t n;
	int k;

	for (k = 0; k < FZ_WORDS; k++)
		buf[k] = tag ^ k;
	if (write(fds[1], buf, sizeof(buf)) != sizeof(buf))
		return fz_fail("pipe write: %s", strerror(errno));
	n = read(fds[0], fz_addr(i), sizeof(buf));
	if (pg->prot == FZ_RW) {
		if (n != sizeof(buf))
			return fz_fail("page %d: read() into it: %zd (%s)", i,
				       n, strerror(errno));
		pg->tag = tag;
		return 0;
	}
	if (n != -1 || errno != EFAULT)
		return fz_fail("page %d (%s): read() into it gave %zd, not EFAULT",
			       i, pg->prot == FZ_READ ? "read-only" : "PROT_NONE", n);
	/* Empty the pipe for the next time. */
	if (read(fds[0], buf, sizeof(buf)) != sizeof(buf))
		return fz_fail("pipe read: %s", strerror(errno));
	return 0;
}

/* Right after a change to [i, i + n): some of its pages, user or kernel. */
static int fz_probe(int i, int n, int fds[2])
{
	int k, p;

	for (k = 0; k < 3; k++) {
		p = i + fz_rand() % n;
		if (fz_rand() % 2 ? fz_check(p) : fz_kernel_read(p, fds))
			return -1;
	}
	return 0;
}

static int fz_prot(int prot)
{
	return prot == FZ_RW ? PROT_READ | PROT_WRITE :
	       prot == FZ_READ ? PROT_READ : PROT_NONE;
}

/*
 * Pages [i, i + n) are unmapped: reserve them again, so that nothing else
 * lands there.
 */
static int fz_unmap_reserved(int i, int n)
{
	if (mmap(fz_addr(i), (size_t)n * 4096, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		 -1, 0) == MAP_FAILED)
		return fz_fail("mmap PROT_NONE: %s", strerror(errno));
	while (n--)
		fz[i + n] = (struct fz_page){ 0, FZ_NONE, 0 };
	return 0;
}

static int fz_unmap(int i, int n)
{
	if (munmap(fz_addr(i), (size_t)n * 4096))
		return fz_fail("munmap: %s", strerror(errno));
	return fz_unmap_reserved(i, n);
}

/*
 * A child checks the model, writes its private pages and the shared ones;
 * with wait set, it first reads everything, then waits until the parent
 * has written its pages, then checks that it still sees its own.
 */
static int fz_fork(int wait)
{
	int to_child[2], status, i;
	uint32_t tag = fz_rand() | 1;
	char c = 0;
	pid_t pid;

	if (pipe(to_child))
		return fz_fail("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return fz_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(to_child[1]);
		if (fz_check_all())
			_exit(1);
		if (wait && read(to_child[0], &c, 1) != 1)
			_exit(1);
		if (fz_check_all())
			_exit(1);
		for (i = 0; i < FZ_PAGES; i++) {
			if (fz[i].prot == FZ_RW &&
			    fz_write(i, (tag + 2 * i) | 1))
				_exit(1);
		}
		_exit(fz_check_all() ? 1 : 0);
	}
	if (wait) {
		/* The parent's writes, private ones which the child must not see. */
		for (i = 0; i < FZ_PAGES; i++) {
			if (!fz[i].shared && fz[i].prot == FZ_RW &&
			    fz_write(i, (~tag - i) | 1)) {
				/* The child reads end of file, and gives up. */
				close(to_child[1]);
				waitpid(pid, &status, 0);
				return -1;
			}
		}
		if (write(to_child[1], &c, 1) != 1)
			return fz_fail("pipe: %s", strerror(errno));
	}
	close(to_child[0]);
	close(to_child[1]);
	if (waitpid(pid, &status, 0) != pid)
		return fz_fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return why[0] ? -1 : fz_fail("child status %#x", status);
	/* The child's writes to shared pages are the parent's too. */
	for (i = 0; i < FZ_PAGES; i++) {
		if (fz[i].shared && fz[i].prot == FZ_RW)
			fz[i].tag = (tag + 2 * i) | 1;
	}
	return fz_check_all();
}

static int fz_step(int fds[2])
{
	int i = fz_rand() % FZ_PAGES, j, k;
	/* Past 33 pages, Linux flushes a whole address space, not pages. */
	int n = 1 + fz_rand() % (fz_rand() % 3 ? 4 : 48);
	int prot = fz_rand() % 3, op = fz_rand() % 100;
	uint32_t tag = fz_rand() | 1;

	if (i + n > FZ_PAGES)
		n = FZ_PAGES - i;
	if (op < 22)
		return fz_write(i, tag) || fz_check(i);
	if (op < 40)
		return fz_check(i);
	if (op < 48)
		return fz_kernel_write(i, fds, tag) ||
		       fz_kernel_read(i, fds) || fz_check(i);
	if (op < 56) {
		int shared = fz_rand() % 3 == 0;

		if (mmap(fz_addr(i), (size_t)n * 4096, fz_prot(prot),
			 (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS |
			 MAP_FIXED, -1, 0) == MAP_FAILED)
			return fz_fail("mmap: %s", strerror(errno));
		for (k = i; k < i + n; k++)
			fz[k] = (struct fz_page){ shared, prot, 0 };
		return fz_probe(i, n, fds);
	}
	if (op < 61)
		return fz_unmap(i, n) || fz_probe(i, n, fds);
	if (op < 65)
		return sched_yield(), 0;
	if (op < 73)
		return fz_fork(op < 69);

	if (op < 85) {
		if (mprotect(fz_addr(i), (size_t)n * 4096, fz_prot(prot)))
			return fz_fail("mprotect: %s", strerror(errno));
		for (k = i; k < i + n; k++)
			fz[k].prot = prot;
		return fz_probe(i, n, fds);
	}
	if (op < 93) {
		if (madvise(fz_addr(i), (size_t)n * 4096, MADV_DONTNEED))
			return fz_fail("madvise: %s", strerror(errno));
		for (k = i; k < i + n; k++) {
			if (!fz[k].shared)
				fz[k].tag = 0;
		}
		return fz_probe(i, n, fds);
	}

	/* Move [i, i + n) to [j, j + n), which must not overlap it. */
	j = fz_rand() % (FZ_PAGES - n + 1);
	if (j < i + n && i < j + n)
		return 0;
	/*
	 * A range across two mappings is refused (EFAULT), the source left
	 * alone, the destination maybe unmapped already.
	 */
	if (mremap(fz_addr(i), (size_t)n * 4096, (size_t)n * 4096,
		   MREMAP_MAYMOVE | MREMAP_FIXED, fz_addr(j)) == MAP_FAILED) {
		if (errno != EFAULT)
			return fz_fail("mremap: %s", strerror(errno));
		i = j;
	} else {
		for (k = 0; k < n; k++)
			fz[j + k] = fz[i + k];
	}
	return fz_unmap_reserved(i, n) || fz_probe(i, n, fds) ||
	       fz_probe(j, n, fds);
}

static int test_mapfuzz(void)
{
	const char *seed = getenv("SMOKE_SEED"), *ops = getenv("SMOKE_OPS");
	int nops = ops ? atoi(ops) : 3000, fds[2], k;
	uintptr_t span;

	fz_seed = seed ? strtoul(seed, NULL, 0) : 1;
	fz_rand_state = fz_seed * 2654435761u ^ 0x5eed;
	if (!fz_rand_state)
		fz_rand_state = 1;
	/* 64 pages around a 4 MB boundary: two page tables, PAE or not. */
	span = (uintptr_t)mmap(NULL, FZ_SPAN, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (span == (uintptr_t)MAP_FAILED)
		return fail("mmap: %s", strerror(errno));
	span += FZ_PAGES / 2 * 4096;
	span = (span + (4 << 20) - 1) & ~((uintptr_t)(4 << 20) - 1);
	fz_base = (uint32_t *)(span - FZ_PAGES / 2 * 4096);
	if (pipe(fds))
		return fail("pipe: %s", strerror(errno));
	for (k = 0; k < FZ_PAGES; k++)
		fz[k] = (struct fz_page){ 0, FZ_NONE, 0 };
	fz_catch_unexpected();
	for (fz_op = 0; fz_op < nops; fz_op++) {
		if (fz_step(fds))
			return -1;
	}
	return fz_check_all();
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "fork-exec", test_fork_exec },
	{ "signals", test_signals },
	{ "fpu", test_fpu },
	{ "avx", test_avx },
	{ "ldt", test_ldt },
	{ "memory", test_memory },
	{ "std-faults", test_std_faults },
	{ "cpuinfo", test_cpuinfo },
	{ "sleep", test_sleep },
	{ "poke", test_poke },
	{ "mapfuzz", test_mapfuzz },
};

int main(int argc, char **argv)
{
	int i, j, failed = 0, ran = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	why = mmap(NULL, WHY_LEN, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (why == MAP_FAILED) {
		perror("smoke: mmap");
		return 2;
	}
	for (i = 0; i < (int)(sizeof(tests) / sizeof(tests[0])); i++) {
		if (argc > 1) {
			for (j = 1; j < argc; j++)
				if (!strcmp(argv[j], tests[i].name))
					break;
			if (j == argc)
				continue;
		}
		ran++;
		why[0] = '\0';
		if (in_child(tests[i].fn) == 0) {
			printf("smoke: %s ok\n", tests[i].name);
		} else {
			printf("smoke: %s FAILED: %s\n", tests[i].name, why);
			failed++;
		}
	}
	if (!ran) {
		fprintf(stderr, "smoke: no test named %s\n", argv[1]);
		return 2;
	}
	printf("smoke: %d passed, %d failed\n", ran - failed, failed);
	return failed ? 1 : 0;
}
