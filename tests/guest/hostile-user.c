// SPDX-License-Identifier: GPL-2.0
/*
 * Guest user mode tries lguest's hypercall trap (int $0x1f), with the
 * registers of hypercalls that would end the guest if the host took them
 * as such: a panic, a second LHCALL_LGUEST_INIT, an unknown number.  Only
 * the guest kernel may make hypercalls: from ring 3 each must be a general
 * protection fault with the error code of an IDT gate the program may not
 * use, (0x1f << 3) | 2, which the guest kernel turns into a SIGSEGV.
 * Prints "hostile-user: PASS" and exits 0 if all three are; part of
 * tests/45-lguest-hostile.sh (run by tests/guest/hostile-guest.sh).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

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

int main(void)
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
	setvbuf(stdout, NULL, _IONBF, 0);

	/* LHCALL_SHUTDOWN, message at 0, LGUEST_SHUTDOWN_PANIC */
	fails += try_hcall("shutdown (panic)", 2, 0, 3);
	/* LHCALL_LGUEST_INIT at 0 */
	fails += try_hcall("lguest_init", 1, 0, 0);
	fails += try_hcall("unknown hypercall 99", 99, 0, 0);
	if (fails)
		return 1;
	printf("hostile-user: PASS\n");
	return 0;
}
