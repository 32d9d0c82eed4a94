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
