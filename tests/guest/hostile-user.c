// SPDX-License-Identifier: GPL-2.0
/*
 * What an unprivileged program in a guest can try against the host; part
 * of tests/45-lguest-hostile.sh (run by tests/guest/hostile-guest.sh).
 * Prints "hostile-user: PASS" and exits 0 if all went as it must.
 *
 * "hostile-user hcall": lguest's hypercall trap (int $0x1f), with the
 * registers of hypercalls that would end the guest if the host took them
 * as such: a panic, a second LHCALL_LGUEST_INIT, an unknown number.  Only
 * the guest kernel may make hypercalls: from ring 3 each must be a general
 * protection fault with the error code of an IDT gate the program may not
 * use, (0x1f << 3) | 2, which the guest kernel turns into a SIGSEGV.
 *
 * "hostile-user segments": %ds, %es, %fs and %gs in turn hold a TLS data
 * segment of the program's own (set_thread_area()) with base 0x1000 and a
 * 4 GB limit, then a null selector, while the program spins through many
 * timer interrupts, each a trip through the host's Switcher.  A Switcher
 * that read its saved host state through the guest's %ds would load a
 * cr3, GDT, IDT and stack from 4 KB further on and reset the host.  The
 * program must finish.  TCG gives a null selector base 0 and never faults
 * on it, so under QEMU the null rounds cannot show what they would on
 * hardware (a #GP in the Switcher); the base rounds can.
 *
 * "hostile-user noirq ADDR": a code segment of the program's own, in its
 * LDT, whose base puts the program's eip at ADDR, the guest kernel's
 * lguest_noirq_iret (from System.map), while the instruction there, a jump
 * to itself, is in a page of the program's.  The host delivers no
 * interrupt while the guest kernel's eip is in that iret window; if it
 * looked at eip alone, no interrupt would reach the guest again.  An alarm
 * must end the spin: its handler prints PASS and exits 0.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <asm/ldt.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TRAP_ENTRY	0x1f
#define TRAP_GP		13
#define GATE_ERRCODE	((TRAP_ENTRY << 3) | 2)

/* What the handler saw; read after siglongjmp(), a call away. */
static sigjmp_buf back;
static int got_trapno, got_err, got_code;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	got_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	got_err = uc->uc_mcontext.gregs[REG_ERR];
	got_code = si->si_code;
	siglongjmp(back, 1);
}

/* int $0x1f with a hypercall's registers; 0 if it was the expected #GP. */
static int try_hcall(const char *what, unsigned long nr, unsigned long a1,
		     unsigned long a2)
{
	got_trapno = -1;
	got_err = -1;
	got_code = -1;
	if (sigsetjmp(back, 1) == 0) {
		asm volatile("int $0x1f"
			     : "+a" (nr)
			     : "b" (a1), "c" (a2), "d" (0), "S" (0)
			     : "memory");
		printf("hostile-user: FAIL: %s: int $0x1f returned %#lx\n",
		       what, nr);
		return 1;
	}
	printf("hostile-user: %s: SIGSEGV, trap %d, error %#x, si_code %#x\n",
	       what, got_trapno, got_err, got_code);
	if (got_trapno != TRAP_GP || got_err != GATE_ERRCODE ||
	    got_code != SI_KERNEL) {
		printf("hostile-user: FAIL: %s: want trap %d, error %#x, si_code %#x\n",
		       what, TRAP_GP, GATE_ERRCODE, SI_KERNEL);
		return 1;
	}
	return 0;
}

static int hcall_tests(void)
{
	struct sigaction sa;
	int fails = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSEGV, &sa, NULL)) {
		perror("hostile-user: sigaction");
		return 1;
	}
	/* LHCALL_SHUTDOWN, message at 0, LGUEST_SHUTDOWN_PANIC */
	fails += try_hcall("shutdown (panic)", 2, 0, 3);
	/* LHCALL_LGUEST_INIT at 0 */
	fails += try_hcall("lguest_init", 1, 0, 0);
	fails += try_hcall("unknown hypercall 99", 99, 0, 0);
	return fails;
}

/* Iterations of each spin: some tenths of a second, many timer ticks. */
#define SPIN		50000000
#define STR(x)		#x
#define XSTR(x)		STR(x)

/*
 * Load sel into the segment register seg, spin, and put back what it had.
 * Only the stack is touched meanwhile (through %ss).
 */
#define SPIN_WITH(seg, sel)						\
	asm volatile("mov %%" seg ", %%edx\n\t"				\
		     "mov %0, %%" seg "\n\t"				\
		     "mov $" XSTR(SPIN) ", %%ecx\n"				\
		     "1:\tdec %%ecx\n\t"					\
		     "jnz 1b\n\t"						\
		     "mov %%edx, %%" seg					\
		     : : "r" (sel) : "ecx", "edx", "memory")

static int segment_tests(void)
{
	static const char *const regs[] = { "ds", "es", "fs", "gs" };
	struct user_desc d;
	unsigned int i, sel;

	memset(&d, 0, sizeof(d));
	d.entry_number = -1;
	d.base_addr = 0x1000;
	d.limit = 0xfffff;
	d.seg_32bit = 1;
	d.limit_in_pages = 1;
	d.useable = 1;
	if (syscall(SYS_set_thread_area, &d)) {
		perror("hostile-user: set_thread_area");
		return 1;
	}
	sel = d.entry_number << 3 | 3;
	for (i = 0; i < 4; i++) {
		printf("hostile-user: %%%s = %#x (base 0x1000), spinning\n",
		       regs[i], sel);
		switch (i) {
		case 0: SPIN_WITH("ds", sel); break;
		case 1: SPIN_WITH("es", sel); break;
		case 2: SPIN_WITH("fs", sel); break;
		case 3: SPIN_WITH("gs", sel); break;
		}
	}
	for (i = 0; i < 4; i++) {
		printf("hostile-user: %%%s = 0 (null), spinning\n", regs[i]);
		switch (i) {
		case 0: SPIN_WITH("ds", 0); break;
		case 1: SPIN_WITH("es", 0); break;
		case 2: SPIN_WITH("fs", 0); break;
		case 3: SPIN_WITH("gs", 0); break;
		}
	}
	return 0;
}

static void on_alarm(int sig)
{
	static const char pass[] = "hostile-user: PASS (the alarm came)\n";

	(void)sig;
	if (write(STDOUT_FILENO, pass, sizeof(pass) - 1) < 0)
		_exit(1);
	_exit(0);
}

static int noirq_test(const char *arg)
{
	struct { uint32_t eip; uint16_t cs; } __attribute__((packed)) far;
	uint32_t addr = strtoul(arg, NULL, 0);
	struct user_desc d;
	uint8_t *page;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || !addr) {
		perror("hostile-user: mmap, or no address");
		return 1;
	}
	page[0] = 0xeb;			/* jmp . */
	page[1] = 0xfe;
	memset(&d, 0, sizeof(d));
	d.entry_number = 0;
	d.base_addr = (uintptr_t)page - addr;
	d.limit = 0xfffff;
	d.seg_32bit = 1;
	d.contents = 2;			/* code */
	d.limit_in_pages = 1;
	d.useable = 1;
	if (syscall(SYS_modify_ldt, 1, &d, sizeof(d))) {
		perror("hostile-user: modify_ldt");
		return 1;
	}
	printf("hostile-user: eip %#x in an LDT code segment based at %#x\n",
	       addr, d.base_addr);
	signal(SIGALRM, on_alarm);
	alarm(1);
	far.eip = addr;
	far.cs = 0x7;			/* LDT entry 0, RPL 3 */
	asm volatile("ljmp *%0" : : "m" (far));
	return 1;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	int fails;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(what, "hcall")) {
		fails = hcall_tests();
	} else if (!strcmp(what, "segments")) {
		fails = segment_tests();
	} else if (!strcmp(what, "noirq") && argc > 2) {
		return noirq_test(argv[2]);
	} else {
		fprintf(stderr, "usage: hostile-user hcall|segments|noirq ADDR\n");
		return 2;
	}
	if (fails)
		return 1;
	printf("hostile-user: PASS\n");
	return 0;
}
