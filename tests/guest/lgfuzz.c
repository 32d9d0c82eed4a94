// SPDX-License-Identifier: GPL-2.0
/*
 * lgfuzz: a seeded fuzzer of the lguest host, run as root in an lguest
 * host (tests/47-lguest-fuzz.sh, make fuzz).
 *
 *   lgfuzz [--seed S] [--ops N] [--guest I] [--limit K] [--verbose]
 *
 * It is a hostile guest and a hostile Launcher at once.  Each guest is a
 * program of random blocks (the guest side, in ring 1 on the boot mapping
 * or on page tables it builds): hypercalls with interesting arguments,
 * random instruction bytes, privileged and system instructions, segment
 * loads with descriptors of its own (in its GDT and in LDTs it loads and
 * rewrites), far transfers and iret frames to every
 * ring, page table entries nearly right, the asynchronous hypercall ring,
 * interrupts while the virtual flag is off, bad stacks, traps of every
 * vector, port and device memory accesses (in every form, at the
 * registers the host answers and elsewhere).  Every trap goes to one handler
 * that resets the stack and the data segments and goes on with the next
 * block, so one guest runs many operations until it ends them all or the
 * host kills it.  The Launcher side answers each exit at random (skip the
 * block, LHREQ_TRAP, LHREQ_IRQ with and without status bits, LHREQ_SETREG
 * of any register, status registers and doorbells, mostly in device
 * memory, requests of random words and lengths), and sometimes sends
 * other threads and a
 * forked child at the same file, unmaps guest memory or closes the file
 * while the guest runs.
 *
 * Guest I is generated from the seed and I alone: "--seed S --guest I"
 * runs that guest again (the other threads' timing is not reproduced).
 * A guest whose blocks stop moving for 15 ms, or that still runs after
 * 2 s (its blocks may jump back to earlier ones), is counted as stuck and
 * closed.
 * It counts what it did, prints the reasons the host gave for killing
 * guests, and checks at the end that every pinned page and every page of
 * SecPageTables came back.  The host's console is checked by the test.
 * The last line is "lgfuzz: PASS" (exit 0) or "lgfuzz: FAIL ..." (exit 1).
 *
 * Build: gcc -m32 -static -O2 -Wall -Wextra -Werror -pthread
 *        -I<installed uapi headers> -o lgfuzz lgfuzz.c
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/lguest_launcher.h>

#include "miniguest.h"

/* The fuzzer's guests are bigger than launcher_abi's: room for many blocks. */
#define FZ_PAGES	256u
#define FZ_SIZE		(FZ_PAGES * PAGE)
#define FZ_MMIO_PAGES	(FZ_PAGES + 16)
#define HANDLER_GPA	0x4000u	/* the trap handler: next block */
#define DONE_PORT	0xf0	/* out to it: the program is over */
#define COUNTER_GPA	0x4ff0u	/* the block running now */
#define TABLE_GPA	0x5000u	/* the address of each block */
#define STACK_TOP	0x8000u
#define BLOCKS_GPA	0x10000u
#define BLOCKS_END	0xf0000u
#define SCRATCH_GPA	0xf0000u
#define MAX_BLOCKS	1000u
/* A guest runs for at most this many ticks of 5 ms. */
#define GUEST_TICKS	400u
#define KERNEL_DS	0x69u	/* __KERNEL_DS | 1 */
#define KERNEL_CS	0x61u

#define LHCALL_COUNT	(LHCALL_VCPU_DATA + 1)
#define LGUEST_REG_COUNT 12	/* enum lguest_reg, and one beyond */

/* xorshift64*: all the randomness comes from here. */
static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
	if (!rng_state)
		rng_state = 1;
}

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545f4914f6cdd1dull) >> 32;
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(uint32_t one_in)
{
	return below(one_in) == 0;
}

#define PICK(a)		((a)[below(sizeof(a) / sizeof((a)[0]))])

/* Values that sit on the edges of what the host checks. */
static uint32_t interesting(void)
{
	static const uint32_t v[] = {
		0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256,
		0x7f, 0x80, 0xfff, 0x1000, 0xffff, 0x10000, 0x7fffffff,
		0x80000000, 0xc0000000, 0xfffff000, 0xfffffff0, 0xffffffff,
		FZ_SIZE - 4, FZ_SIZE, FZ_SIZE + 0x1000, FZ_MMIO_PAGES * PAGE,
		STACK_TOP, HANDLER_GPA, SCRATCH_GPA, PGD_GPA,
		0x61, 0x69, 0x73, 0x7b, 0x50, 0x58, 0x80, 0xe9, 0xf1,
	};

	switch (below(4)) {
	case 0:
		return rnd();
	case 1:
		return PICK(v) + below(3) - 1;
	default:
		return PICK(v);
	}
}

/* Selectors: the guest's, the host's, TLS, null, LDT, every RPL. */
static uint32_t selector(void)
{
	static const uint32_t entries[] = {
		0, 1, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 29, 30, 31, 32,
	};

	if (chance(8))
		return rnd() & 0xffff;
	return PICK(entries) << 3 | below(4) | (chance(8) ? 4 : 0);
}

/* A descriptor that is nearly a good one: any type, ring, base, limit. */
static void descriptor(uint32_t *lo, uint32_t *hi)
{
	uint32_t base = chance(2) ? 0 : interesting();
	uint32_t limit = chance(2) ? 0xfffff : rnd() & 0xfffff;
	uint32_t type = below(16), s = !chance(4), dpl = below(4);

	*lo = (base & 0xffff) << 16 | (limit & 0xffff);
	*hi = (base & 0xff000000) | (base >> 16 & 0xff) |
	      (limit & 0xf0000) | type << 8 | s << 12 | dpl << 13 |
	      (uint32_t)!chance(8) << 15 | (rnd() & 0x00700000) | 0x00800000;
	if (chance(8))
		*hi = rnd();
}

struct stats {
	unsigned long long ops;
	unsigned long guests, requests, exits, timeouts, poweroffs, restarts;
	unsigned long deaths, finished, lost_file;
	/* From the host's debugfs counters of each guest */
	unsigned long long host_mmio, doorbells;
	bool no_debugfs;
};

static struct stats st;
static bool verbose;
/* --limit K: guests stop after their first K blocks. */
static unsigned int block_limit = MAX_BLOCKS;
/* --guest I --verbose: print each block's bytes. */
static bool dump_blocks;

/* Kill reasons, with the numbers taken out, and how often each came. */
#define MAX_REASONS	128
static struct {
	char text[96];
	unsigned long n;
} reasons[MAX_REASONS];

static void count_reason(const char *reason)
{
	char norm[96];
	unsigned int i, j = 0;

	/* A panic's message is the guest's own: random bytes here. */
	if (!strncmp(reason, "guest panic: ", 13))
		reason = "guest panic: (its message)";

	for (i = 0; reason[i] && j < sizeof(norm) - 2; i++) {
		if (reason[i] >= '0' && reason[i] <= '9') {
			if (j == 0 || norm[j - 1] != 'N')
				norm[j++] = 'N';
			while ((reason[i + 1] >= '0' && reason[i + 1] <= '9') ||
			       (reason[i + 1] >= 'a' && reason[i + 1] <= 'f') ||
			       reason[i + 1] == 'x')
				i++;
			continue;
		}
		norm[j++] = reason[i] >= ' ' && reason[i] < 127 ? reason[i] : '?';
	}
	norm[j] = '\0';
	for (i = 0; i < MAX_REASONS && reasons[i].n; i++) {
		if (!strcmp(reasons[i].text, norm)) {
			reasons[i].n++;
			return;
		}
	}
	if (i < MAX_REASONS) {
		snprintf(reasons[i].text, sizeof(reasons[i].text), "%s", norm);
		reasons[i].n = 1;
	}
}

/* The guest side: blocks of hostile operations. */

static void put16(struct guest *g, uint16_t v)
{
	put8(g, v);
	put8(g, v >> 8);
}

static void bytes(struct guest *g, const char *b, unsigned int n)
{
	while (n--)
		put8(g, *b++);
}

/* mov %eax, %sreg (es 0, ss 2, ds 3, fs 4, gs 5) */
static void load_sreg(struct guest *g, unsigned int sreg, uint32_t sel)
{
	mov_imm(g, EAX, sel);
	put8(g, 0x8e);
	put8(g, 0xc0 | sreg << 3);
}

/* A hypercall number: the ones that end the guest less often. */
static uint32_t hcall_nr(void)
{
	uint32_t nr;

	if (chance(32))
		return interesting();
	nr = below(LHCALL_COUNT);
	if ((nr == LHCALL_LGUEST_INIT || nr == LHCALL_SHUTDOWN) && !chance(8))
		nr = below(LHCALL_COUNT);
	return nr;
}

/* Arguments that are nearly right for the hypercall, or anything. */
static void hcall_args(uint32_t nr, uint32_t a[4])
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		a[i] = interesting();
	if (chance(16))
		return;
	switch (nr) {
	case LHCALL_LGUEST_INIT:
		a[0] = DATA_GPA;
		a[1] = VCPU_GPA;
		break;
	case LHCALL_VCPU_DATA:
		/* Where it is, elsewhere in RAM, or anything. */
		a[0] = chance(2) ? VCPU_GPA :
		       chance(2) ? SCRATCH_GPA + 8 * below(64) : interesting();
		break;
	case LHCALL_SHUTDOWN:
		a[0] = SCRATCH_GPA;
		a[1] = 1 + below(3);
		break;
	case LHCALL_NEW_PGTABLE:
		a[0] = chance(2) ? PGD_GPA : below(FZ_PAGES) * PAGE;
		break;
	case LHCALL_FLUSH_TLB:
		a[0] = below(2);
		break;
	case LHCALL_LOAD_IDT_ENTRY:
		a[0] = below(256);
		a[1] = (KERNEL_CS & ~3u) << 16 | (HANDLER_GPA & 0xffff);
		a[2] = (HANDLER_GPA & 0xffff0000u) | 0x8000 | below(4) << 13 |
		       (chance(2) ? 0xe00 : 0xf00);
		if (chance(8))
			a[2] = (a[2] & ~0xf00u) | below(16) << 8;
		break;
	case LHCALL_SET_STACK:
		a[0] = chance(8) ? selector() : KERNEL_DS;
		a[1] = chance(8) ? interesting() : STACK_TOP - 4 * below(64);
		a[2] = chance(8) ? interesting() : 1 + below(2);
		break;
	case LHCALL_SET_CLOCKEVENT:
		a[0] = below(2000000);
		break;
	case LHCALL_LOAD_TLS:
		a[0] = SCRATCH_GPA + 8 * below(64);
		break;
	case LHCALL_LOAD_GDT_ENTRY:
		a[0] = below(32);
		descriptor(&a[1], &a[2]);
		break;
	case LHCALL_LOAD_LDT:
		a[0] = chance(2) ? SCRATCH_GPA : interesting();
		a[1] = chance(2) ? below(64) : interesting();
		break;
	}
}

/* movl $v,addr */
static void store32(struct guest *g, uint32_t addr, uint32_t v)
{
	put8(g, 0xc7);
	put8(g, 0x05);
	put32(g, addr);
	put32(g, v);
}

/*
 * A timer deadline into lguest_data: none, long past, soon on either of
 * the guest's clocks (clock_ns, or the TSC), or anything.
 */
static void deadline_op(struct guest *g)
{
	uint32_t field = DATA_GPA + offsetof(struct guest_data, timer_deadline);
	uint32_t clock = DATA_GPA + offsetof(struct guest_data, clock_ns);

	switch (below(4)) {
	case 0:
		store32(g, field, below(2));
		store32(g, field + 4, 0);
		return;
	case 1:
		store32(g, field, rnd());
		store32(g, field + 4, chance(2) ? rnd() : interesting());
		return;
	case 2:
		put8(g, 0xa1);			/* mov clock_ns,%eax */
		put32(g, clock);
		put8(g, 0x8b);			/* mov clock_ns+4,%edx */
		put8(g, 0x15);
		put32(g, clock + 4);
		break;
	default:
		put8(g, 0x0f);			/* rdtsc */
		put8(g, 0x31);
	}
	put8(g, 0x05);				/* add $soon,%eax */
	put32(g, below(5000000));
	put8(g, 0x83);				/* adc $0,%edx */
	put8(g, 0xd2);
	put8(g, 0x00);
	put8(g, 0xa3);				/* mov %eax,field */
	put32(g, field);
	put8(g, 0x89);				/* mov %edx,field+4 */
	put8(g, 0x15);
	put32(g, field + 4);
}

static void hcall_op(struct guest *g, uint32_t nr)
{
	uint32_t a[4];

	if (nr == LHCALL_TIMER_DEADLINE && !chance(8))
		deadline_op(g);
	hcall_args(nr, a);
	mov_imm(g, EBX, a[0]);
	mov_imm(g, ECX, a[1]);
	mov_imm(g, EDX, a[2]);
	mov_imm(g, ESI, a[3]);
	mov_imm(g, EAX, nr);
	put8(g, 0xcd);
	put8(g, LGUEST_TRAP_ENTRY);
}

/* A trap to the host: a hypercall that does nothing, or an exit. */
static void trip(struct guest *g)
{
	switch (below(4)) {
	case 0:
		mov_imm(g, EAX, LHCALL_FLUSH_ASYNC);
		put8(g, 0xcd);
		put8(g, LGUEST_TRAP_ENTRY);
		break;
	case 1:
		out(g, 0x80);
		break;
	case 2:
		put8(g, 0xcd);		/* int $N */
		put8(g, below(256));
		break;
	default:
		load(g, FZ_SIZE + below(16) * PAGE);	/* device memory */
	}
}

/* System and privileged instructions, with random operands after them. */
static void system_op(struct guest *g)
{
	static const char *const ops[] = {
		"\xfa", "\xfb", "\xf4", "\x0f\x06", "\x0f\x09", "\x0f\x0b",
		"\x0f\x30", "\x0f\x32", "\x0f\x31", "\x0f\x33", "\x0f\xa2",
		"\x0f\x34", "\x0f\x35", "\x0f\x05", "\x0f\x07", "\xcc", "\xce",
		"\xf1", "\xec", "\xee", "\xed", "\xef", "\x0f\x01\xc8",
		"\x0f\x01\xc9", "\x0f\x01\xd0", "\x0f\x01\xd1", "\x0f\x01\xf8",
		"\x0f\x01\xf9", "\x9d", "\xcf", "\xcb", "\x0f\xaa",
	};
	static const uint8_t modrm_ops[][2] = {
		{ 0x01, 0x10 }, { 0x01, 0x18 }, { 0x01, 0x38 }, { 0x01, 0x00 },
		{ 0x01, 0x08 }, { 0x01, 0x20 }, { 0x00, 0x10 }, { 0x00, 0x18 },
		{ 0x00, 0x00 }, { 0x00, 0x08 }, { 0x01, 0x30 },
	};
	const char *op;
	unsigned int i;

	/* Registers the instruction may use: ecx for MSRs, the stack. */
	mov_imm(g, ECX, chance(2) ? 0xc0000080 + below(4) : interesting());
	mov_imm(g, EDX, interesting());
	mov_imm(g, EAX, interesting());
	switch (below(5)) {
	case 0: /* lgdt/lidt/invlpg/lldt/ltr/... on memory or a register */
		i = below(sizeof(modrm_ops) / sizeof(modrm_ops[0]));
		put8(g, 0x0f);
		put8(g, modrm_ops[i][0]);
		if (chance(2)) {
			put8(g, modrm_ops[i][1] | 0x05);	/* disp32 */
			put32(g, chance(2) ? SCRATCH_GPA : interesting());
		} else {
			put8(g, modrm_ops[i][1] | 0xc0 | below(8));
		}
		break;
	case 1: /* mov to and from control and debug registers */
		put8(g, 0x0f);
		put8(g, PICK(((const uint8_t[]){ 0x20, 0x21, 0x22, 0x23 })));
		put8(g, 0xc0 | below(64));
		break;
	case 2: /* in and out with an immediate port */
		put8(g, PICK(((const uint8_t[]){ 0xe4, 0xe5, 0xe6, 0xe7 })));
		put8(g, rnd());
		break;
	case 3: /* int $N */
		put8(g, 0xcd);
		put8(g, below(256));
		break;
	default:
		op = PICK(ops);
		if (!strcmp(op, "\x9d") || !strcmp(op, "\xcf") ||
		    !strcmp(op, "\xcb")) {
			/* Something on the stack for popf, iret, lret. */
			for (i = 0; i < 5; i++) {
				put8(g, 0x68);
				put32(g, interesting());
			}
		}
		bytes(g, op, strlen(op));
	}
}

/*
 * An LDT of up to 16 nearly good descriptors in the scratch page (which
 * the boot mapping maps at its guest-physical address), loaded with
 * LHCALL_LOAD_LDT, and sometimes rewritten afterwards: the host must go
 * on with what it read.  Returns an LDT selector for segment_op().
 */
static uint32_t ldt_op(struct guest *g)
{
	unsigned int i, n = 1 + below(16);
	uint32_t lo, hi;

	for (i = 0; i < n; i++) {
		descriptor(&lo, &hi);
		store32(g, SCRATCH_GPA + 8 * i, lo);
		store32(g, SCRATCH_GPA + 8 * i + 4, hi);
	}
	hypercall(g, LHCALL_LOAD_LDT, SCRATCH_GPA,
		  chance(16) ? interesting() : n, 0);
	if (chance(4)) {
		descriptor(&lo, &hi);
		store32(g, SCRATCH_GPA + 8 * below(n), chance(2) ? lo : rnd());
	}
	return below(n + 1) << 3 | 4 | below(4);
}

/* Segment registers, with descriptors of the guest's own first. */
static void segment_op(struct guest *g)
{
	uint32_t lo, hi, entry = PICK(((const uint32_t[]){
		0, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 29, 30, 31 }));
	unsigned int sreg = PICK(((const uint8_t[]){ 0, 2, 3, 4, 5 }));

	if (chance(4)) {
		load_sreg(g, sreg, ldt_op(g));
		trip(g);
		if (chance(4)) {	/* no LDT under the register */
			hypercall(g, LHCALL_LOAD_LDT, 0, 0, 0);
			trip(g);
		}
		return;
	}
	if (chance(2)) {
		descriptor(&lo, &hi);
		hypercall(g, LHCALL_LOAD_GDT_ENTRY, entry, lo, hi);
	}
	load_sreg(g, sreg, chance(2) ? (entry << 3 | below(4)) : selector());
	if (sreg == 2 && chance(2)) {
		/* mov %ss, then int: the CVE-2018-8897 pattern. */
		put8(g, 0x8e);
		put8(g, 0xd0);		/* mov %eax, %ss again */
		put8(g, 0xcd);
		put8(g, chance(2) ? LGUEST_TRAP_ENTRY : 3);
		return;
	}
	trip(g);
	if (chance(4)) {		/* and the guest changes its mind */
		hypercall(g, LHCALL_LOAD_GDT_ENTRY, entry, 0, 0);
		trip(g);
	}
}

/* Far jumps, calls and returns, and iret frames to every ring. */
static void far_op(struct guest *g)
{
	uint32_t eip = chance(2) ? HANDLER_GPA : interesting();
	unsigned int i;

	switch (below(3)) {
	case 0:
		put8(g, chance(2) ? 0xea : 0x9a);	/* ljmp / lcall */
		put32(g, eip);
		put16(g, selector());
		break;
	case 1:
		put8(g, 0x68);
		put32(g, selector());
		put8(g, 0x68);
		put32(g, eip);
		put8(g, 0xcb);				/* lret */
		break;
	default:
		/* ss, esp, eflags, cs, eip: vm86 frames have more below. */
		for (i = 0; i < 4; i++) {
			put8(g, 0x68);
			put32(g, chance(2) ? selector() : interesting());
		}
		put8(g, 0x68);
		put32(g, chance(2) ? STACK_TOP - 64 : interesting());
		put8(g, 0x68);
		put32(g, chance(4) ? rnd() :
			 0x202 | (rnd() & (chance(8) ? 0x267cd5 : 0x247cd5)));
		put8(g, 0x68);
		put32(g, chance(2) ? (0x18 + 8 * below(4)) | below(4) :
				     selector());
		put8(g, 0x68);
		put32(g, eip);
		put8(g, 0xcf);				/* iret */
	}
}

/* Page table entries nearly right, then a switch or flush, then a use. */
static void pagetable_op(struct guest *g)
{
	static const uint32_t flags[] = { 0x27, 0x67, 0x63, 0x25, 0xe7, 0x1,
					  0x7, 0x3, 0x0, 0x80, 0x183 };
	unsigned int i, n = 1 + below(4);

	for (i = 0; i < n; i++) {
		uint32_t where = PGD_GPA + below(3 * PAGE / 4) * 4;
		uint32_t val = (chance(2) ? below(FZ_MMIO_PAGES + 4) * PAGE :
			       interesting() & ~0xfffu) | PICK(flags);

		put8(g, 0xc7);			/* movl $val, where */
		put8(g, 0x05);
		put32(g, where);
		put32(g, chance(8) ? rnd() : val);
	}
	switch (below(4)) {
	case 0:
		mov_imm(g, EBX, chance(4) ? interesting() : PGD_GPA);
		mov_imm(g, EAX, LHCALL_NEW_PGTABLE);
		break;
	case 1:
		mov_imm(g, EBX, chance(8) ? below(3) : below(2));
		mov_imm(g, EAX, LHCALL_FLUSH_TLB);
		break;
	default:
		mov_imm(g, EBX, below(512) * PAGE);
		mov_imm(g, EAX, LHCALL_FLUSH_ONE);
	}
	put8(g, 0xcd);
	put8(g, LGUEST_TRAP_ENTRY);
	load(g, chance(2) ? below(0x200) * PAGE : interesting());
}

/* The asynchronous ring: slots filled with anything, then drained. */
static void ring_op(struct guest *g)
{
	unsigned int i, n = 1 + below(8);

	for (i = 0; i < n; i++) {
		uint32_t slot = below(LHCALL_RING_SIZE);
		uint32_t args = offsetof(struct guest_data, hcalls) + slot * 20;
		unsigned int w;

		for (w = 0; w < 5; w++) {
			put8(g, 0xc7);
			put8(g, 0x05);
			put32(g, DATA_GPA + args + 4 * w);
			put32(g, w ? interesting() : below(LHCALL_COUNT + 2));
		}
		put8(g, 0xc6);			/* movb $status, slot */
		put8(g, 0x05);
		put32(g, DATA_GPA + offsetof(struct guest_data, hcall_status) +
			 slot);
		put8(g, chance(4) ? rnd() : 0);
	}
	trip(g);
}

/* The virtual interrupt flag, the mask, halts and pending interrupts. */
static void irq_op(struct guest *g)
{
	put8(g, 0xc7);
	put8(g, 0x05);
	put32(g, DATA_GPA + offsetof(struct guest_data, irq_enabled));
	put32(g, chance(4) ? 0 : chance(8) ? interesting() : 0x200);
	if (chance(2)) {
		put8(g, 0xc7);
		put8(g, 0x05);
		put32(g, DATA_GPA +
			 offsetof(struct guest_data, blocked_interrupts));
		put32(g, chance(2) ? 0 : rnd());
	}
	if (chance(2)) {
		/* Lines whose status the host moves into lguest_data. */
		put8(g, 0xc7);
		put8(g, 0x05);
		put32(g, DATA_GPA +
			 offsetof(struct guest_data, irq_status_lines));
		put32(g, chance(4) ? ~0u : rnd());
	}
	switch (below(5)) {
	case 0:
		/* A tick to wake it, unless its interrupts are off. */
		hypercall(g, LHCALL_SET_CLOCKEVENT, below(200000), 0, 0);
		hypercall(g, LHCALL_HALT, 0, 0, 0);
		break;
	case 1:
		hypercall(g, LHCALL_SEND_INTERRUPTS, 0, 0, 0);
		break;
	case 2:
		hypercall(g, LHCALL_SET_CLOCKEVENT, below(2000000), 0, 0);
		break;
	case 3:
		/* A deadline to wake it, with or without telling the host. */
		deadline_op(g);
		if (!chance(4))
			hypercall(g, LHCALL_TIMER_DEADLINE, 0, 0, 0);
		hypercall(g, LHCALL_HALT, 0, 0, 0);
		break;
	default:
		put8(g, 0xfb);				/* sti, hlt */
		put8(g, 0xf4);
	}
}

/* A stack the host must write a trap frame to, then a trap. */
static void stack_op(struct guest *g)
{
	if (chance(2))
		hcall_op(g, LHCALL_SET_STACK);
	/* Mostly in RAM, at odd places; sometimes anywhere. */
	mov_imm(g, ESP, chance(4) ? interesting() :
			below(FZ_PAGES) * PAGE + below(16));
	if (chance(2))
		put8(g, 0xcc);
	else
		trip(g);
}

/*
 * Random bytes, but never the three-byte opcode escapes 0f 38 and 0f 3a:
 * QEMU 7.2's TCG (Debian 12's) crashes on some of them without a prefix,
 * from any ring and with no lguest involved ("0f 38 0c e9" in a user
 * program of an unpatched kernel: a call through a null pointer), which
 * would end the run with nothing learned about the host.
 */
static void bytes_op(struct guest *g)
{
	unsigned int i, n = 1 + below(12);
	uint8_t b, prev = 0;

	for (i = 0; i < n; i++) {
		b = rnd();
		if (prev == 0x0f && (b == 0x38 || b == 0x3a))
			b ^= 0x80;
		put8(g, b);
		prev = b;
	}
}

static void any_hcall_op(struct guest *g)
{
	hcall_op(g, hcall_nr());
}

/*
 * Mostly where virtio-mmio has the registers the host may answer
 * (QueueNotify, InterruptStatus, InterruptACK) in two devices' pages.
 */
static uint32_t mmio_addr(void)
{
	static const uint16_t regs[] = { 0x50, 0x60, 0x64, 0x54, 0x5c };

	return FZ_SIZE + below(2) * PAGE +
	       (chance(8) ? below(PAGE) : regs[below(chance(4) ? 5 : 3)]);
}

/*
 * Device memory: a mov in each form the host decodes for its registers
 * (a1, a3, 89, 8b, c7, with an absolute address or a base register and a
 * displacement), or one it does not (16 and 8 bits, movzx).
 */
static void mmio_op(struct guest *g)
{
	static const char *const other[] = {
		"\x66\x8b\x05", "\x66\x89\x05", "\x8a\x05", "\x88\x05",
		"\x0f\xb7\x05", "\x66\xc7\x05",
	};
	uint32_t addr = mmio_addr(), d = below(256), r;
	const char *o;

	/* Device memory is only on page tables, not the boot mapping. */
	if (!chance(4))
		hypercall(g, LHCALL_NEW_PGTABLE, PGD_GPA, 0, 0);
	switch (below(6)) {
	case 0:
		put8(g, chance(2) ? 0xa1 : 0xa3);
		put32(g, addr);
		break;
	case 1:
		put8(g, chance(2) ? 0x89 : 0x8b);
		put8(g, 0x05 | below(8) << 3);
		put32(g, addr);
		break;
	case 2:
		put8(g, 0xc7);
		put8(g, 0x05);
		put32(g, addr);
		put32(g, interesting());
		break;
	case 3:
		/* %ecx or %edx, at %ebx + disp8 (with a SIB) or + disp32 */
		r = 1 + below(2);
		mov_imm(g, EBX, addr - d);
		put8(g, chance(2) ? 0x89 : 0x8b);
		if (chance(2)) {
			put8(g, 0x44 | r << 3);
			put8(g, 0x23);
			put8(g, d);
		} else {
			put8(g, 0x83 | r << 3);
			put32(g, d);
		}
		break;
	default:
		o = other[below(sizeof(other) / sizeof(other[0]))];
		bytes(g, o, strlen(o));
		put32(g, addr);
		if (o[1] == '\xc7')
			put16(g, interesting());
	}
}

/* The kinds of block, with their weights. */
static const struct op_kind {
	const char *name;
	void (*emit)(struct guest *g);
	unsigned int weight;
} op_kinds[] = {
	{ "hypercall", any_hcall_op, 4 },
	{ "bytes", bytes_op, 2 },
	{ "system", system_op, 4 },
	{ "segment", segment_op, 4 },
	{ "far", far_op, 2 },
	{ "pagetable", pagetable_op, 2 },
	{ "ring", ring_op, 2 },
	{ "irq", irq_op, 2 },
	{ "stack", stack_op, 1 },
	{ "mmio", mmio_op, 3 },
};
#define OP_KINDS	(sizeof(op_kinds) / sizeof(op_kinds[0]))

/* The kind of each block of the guest running now. */
static uint8_t block_kind[MAX_BLOCKS];
static unsigned long kills_in[OP_KINDS];

static void block(struct guest *g, unsigned int k)
{
	unsigned int total = 0, i, pick;

	/* Prologue: the data segment, and the block number. */
	load_sreg(g, 3, KERNEL_DS);
	put8(g, 0xc7);
	put8(g, 0x05);
	put32(g, COUNTER_GPA);
	put32(g, k);

	for (i = 0; i < OP_KINDS; i++)
		total += op_kinds[i].weight;
	pick = below(total);
	for (i = 0; pick >= op_kinds[i].weight; i++)
		pick -= op_kinds[i].weight;
	block_kind[k] = i;
	op_kinds[i].emit(g);
	jump(g, HANDLER_GPA);
}

/*
 * The handler every trap and every block ends in: the guest kernel's stack
 * and data segments again, then the next block, or "out DONE_PORT".
 */
static void handler(struct guest *g, unsigned int nblocks)
{
	uint32_t done;

	g->at = HANDLER_GPA;
	load_sreg(g, 2, KERNEL_DS);
	mov_imm(g, ESP, STACK_TOP);
	load_sreg(g, 3, KERNEL_DS);
	load_sreg(g, 0, KERNEL_DS);
	load(g, COUNTER_GPA);
	put8(g, 0x40);				/* inc %eax */
	put8(g, 0xa3);				/* mov %eax, COUNTER */
	put32(g, COUNTER_GPA);
	put8(g, 0x3d);				/* cmp $nblocks, %eax */
	put32(g, nblocks);
	put8(g, 0x73);				/* jae done */
	put8(g, 7);
	put8(g, 0xff);				/* jmp *TABLE(,%eax,4) */
	put8(g, 0x24);
	put8(g, 0x85);
	put32(g, TABLE_GPA);
	done = out(g, DONE_PORT);
	jump(g, done);
}

/* --verbose --guest I: what block k is, and its bytes. */
static void dump_block(const struct guest *g, unsigned int k, uint32_t start)
{
	uint32_t a;

	printf("lgfuzz: block %u (%s) at %#x:", k,
	       op_kinds[block_kind[k]].name, start);
	for (a = start; a < g->at; a++)
		printf(" %02x", g->mem[a]);
	printf("\n");
}

/* Guest i of the run: its whole memory, made from the seed and i. */
static unsigned int make_guest(struct guest *g, uint64_t seed, unsigned long i,
			       unsigned int max_blocks)
{
	unsigned int k, nblocks;
	uint32_t *table;

	/* Everything of guest i, its size too, comes from the seed and i. */
	rng_seed(seed ^ (uint64_t)i << 32 ^ i);
	nblocks = 1 + below(max_blocks);
	memset(g->mem, 0, FZ_SIZE);
	/*
	 * Page tables for the blocks that switch to them: RAM from page 2
	 * and device memory, mapped where they are (see miniguest.h for the
	 * layout that serves with and without PAE; pages 0 and 1 stay out).
	 */
	page_tables(g);
	for (k = 2; k < FZ_MMIO_PAGES; k++)
		map_page(g, k * PAGE, k * PAGE);
	/* Entry: lguest_data and the vCPU's, a gate for every trap and IRQ. */
	g->at = BLOCKS_GPA;
	if (!chance(64))
		hypercall(g, LHCALL_LGUEST_INIT, DATA_GPA, VCPU_GPA, 0);
	/*
	 * The gates go through the asynchronous ring, which the first
	 * hypercall after LHCALL_LGUEST_INIT drains: 64 of them, one exit.
	 */
	for (k = 0; k < LHCALL_RING_SIZE; k++) {
		uint32_t vector = k < 0x20 ? k : k + 0x10;	/* IRQs: 0x30 on */
		struct guest_data *d = (struct guest_data *)(g->mem + DATA_GPA);

		d->hcalls[k][0] = LHCALL_LOAD_IDT_ENTRY;
		d->hcalls[k][1] = vector;
		d->hcalls[k][2] = (KERNEL_CS & ~3u) << 16 | (HANDLER_GPA & 0xffff);
		d->hcalls[k][3] = (HANDLER_GPA & 0xffff0000u) | 0x8000 |
				  (chance(4) ? 0xe00 : 0xf00);
		d->hcall_status[k] = 0;
	}
	hypercall(g, LHCALL_FLUSH_ASYNC, 0, 0, 0);
	mov_imm(g, EAX, ~0u);
	put8(g, 0xa3);
	put32(g, COUNTER_GPA);
	jump(g, HANDLER_GPA);

	table = (uint32_t *)(g->mem + TABLE_GPA);
	for (k = 0; k < nblocks && g->at < BLOCKS_END - 256; k++) {
		table[k] = g->at;
		block(g, k);
		if (dump_blocks)
			dump_block(g, k, table[k]);
	}
	/* Generated in full, whatever the limit: the same random numbers. */
	nblocks = k < block_limit ? k : block_limit;
	handler(g, nblocks);
	/* Scratch: what lgdt, lidt and the like find there. */
	for (k = 0; k < 64; k++)
		memcpy(g->mem + SCRATCH_GPA + 4 * k, &(uint32_t){ rnd() }, 4);
	return nblocks;
}

/* The Launcher side. */

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * A request of random words and length, at a random vCPU offset now and
 * then: whatever the host answers, it must answer.
 */
static void junk_request(int fd)
{
	unsigned int i, len = below(8 * sizeof(uint32_t) + 1);
	uint32_t w[8];
	ssize_t r;

	for (i = 0; i < 8; i++)
		w[i] = chance(2) ? below(8) : interesting();
	st.requests++;
	r = pwrite(fd, w, len, chance(8) ? interesting() : 0);
	(void)r;
}

struct poker {
	pthread_t thread;
	int fd;
	uint64_t seed;
	int stop;		/* atomic */
	int closed;		/* atomic: it closed the file */
	bool close_it;
};

/* Another thread at the guest's file: IRQs, requests, maybe a close. */
static void *poker_main(void *arg)
{
	struct poker *pk = arg;
	uint64_t s = pk->seed | 1;
	unsigned int n = 0;
	sigset_t alarm;

	/* The ticks are for the thread in read(), to see stuck guests. */
	sigemptyset(&alarm);
	sigaddset(&alarm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alarm, NULL);

	while (!__atomic_load_n(&pk->stop, __ATOMIC_SEQ_CST)) {
		uint32_t w[3] = { LHREQ_IRQ, 0, 0 };

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		w[1] = s % 40;
		w[2] = s >> 16;		/* status bits, with 12 bytes */
		if (s & 0x100)
			w[0] = s >> 32 & 7;
		if (pwrite(pk->fd, w, 8 + (s >> 40 & 4), 0) < 0 &&
		    errno == EBADF)
			break;
		if (pk->close_it && ++n == 50) {
			__atomic_store_n(&pk->closed, 1, __ATOMIC_SEQ_CST);
			close(pk->fd);
			break;
		}
		usleep(200 + (s >> 20) % 2000);
	}
	return NULL;
}

/* A forked child with the file: nothing of the guest is its to touch. */
static void child_pokes(int fd)
{
	pid_t pid = fork();
	uint32_t p[64];
	int i, status;

	if (pid < 0)
		return;
	if (pid == 0) {
		for (i = 0; i < 20; i++) {
			junk_request(fd);
			if (pread(fd, p, sizeof(p), 0) >= 0)
				_exit(3);	/* it ran the guest */
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 3) {
		printf("lgfuzz: FAIL: a forked child ran the guest\n");
		exit(1);
	}
}

/*
 * A status register or a doorbell (LHREQ_IRQ_STATUS, LHREQ_IOEVENTFD),
 * mostly where the guest's mmio blocks look, of an eventfd or not.
 */
static void host_register(int fd, int efd)
{
	st.requests++;
	if (chance(2))
		req3(fd, LHREQ_IRQ_STATUS, below(34),
		     chance(8) ? interesting() : chance(8) ? 0 : mmio_addr(),
		     chance(8) ? interesting() : mmio_addr());
	else
		req2(fd, LHREQ_IOEVENTFD,
		     chance(8) ? interesting() : mmio_addr(),
		     chance(4) ? interesting() : chance(4) ? ~0u : (uint32_t)efd);
}

/* Answer an exit: skip the block, and maybe more. */
static void answer(int fd, int efd)
{
	uint32_t val;

	switch (below(16)) {
	case 0:
		st.requests++;
		req1(fd, LHREQ_TRAP, below(40));
		break;
	case 1:
		st.requests++;
		if (chance(2))
			req1(fd, LHREQ_IRQ, below(34));
		else
			req2(fd, LHREQ_IRQ, below(34), rnd());
		break;
	case 2:
		st.requests++;
		req2(fd, LHREQ_SETREG, below(LGUEST_REG_COUNT), interesting());
		break;
	case 3:
		st.requests++;
		getreg(fd, below(LGUEST_REG_COUNT), &val);
		break;
	case 4:
		junk_request(fd);
		break;
	case 5:
		host_register(fd, efd);
		break;
	case 6:
		st.requests++;
		req2(fd, LHREQ_IRQ, below(34), chance(2) ? rnd() : 1);
		break;
	}
	st.requests++;
	req2(fd, LHREQ_SETREG, LGUEST_REG_EIP, chance(16) ? interesting() :
						HANDLER_GPA);
	if (chance(8)) {
		st.requests++;
		req2(fd, LHREQ_SETREG, LGUEST_REG_ESP, STACK_TOP);
	}
}

/*
 * Before a guest goes: add up the device registers the host answered for
 * it, from the newest lguest/PID-N/stats of ours in debugfs, so that the
 * run shows its mmio blocks reached them.
 */
static void add_host_counts(void)
{
	char dir[96], path[128], name[32];
	unsigned long long v;
	FILE *f;

	if (!guest_debugfs_dir(dir, sizeof(dir))) {
		if (access("/sys/kernel/debug/lguest", F_OK))
			st.no_debugfs = true;
		return;
	}
	snprintf(path, sizeof(path), "%s/stats", dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fscanf(f, "%31s %llu", name, &v) == 2) {
		if (!strcmp(name, "host_mmio"))
			st.host_mmio += v;
		else if (!strcmp(name, "doorbell"))
			st.doorbells += v;
	}
	fclose(f);
}

/* Run one guest to its end; returns the operations it ran. */
static unsigned long run_guest(uint64_t seed, unsigned long i,
			       unsigned int max_blocks)
{
	struct guest g = { .fd = -1 };
	struct poker pk = { 0 };
	unsigned int nblocks, eintr = 0, ticks = 0, exits = 0, k;
	bool poking, unmapped = false;
	uint32_t counter = 0, last = 0;
	char buf[256];
	int efd;
	long r;

	g.mem = mmap(NULL, FZ_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g.mem == MAP_FAILED) {
		perror("lgfuzz: mmap");
		exit(1);
	}
	nblocks = make_guest(&g, seed, i, max_blocks);
	g.fd = open("/dev/lguest", O_RDWR);
	if (g.fd < 0) {
		perror("lgfuzz: open /dev/lguest");
		exit(1);
	}
	st.guests++;
	st.requests++;
	r = lginit(g.fd, (uintptr_t)g.mem, FZ_PAGES, BLOCKS_GPA, FZ_MMIO_PAGES);
	if (r != 5 * sizeof(uint32_t)) {
		printf("lgfuzz: FAIL: guest %lu: LHREQ_INITIALIZE: %ld\n", i, r);
		exit(1);
	}
	st.requests++;
	req2(g.fd, LHREQ_SETREG, LGUEST_REG_ESP, STACK_TOP);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (k = 2 + below(6); k; k--)
		host_register(g.fd, efd);
	poking = chance(8);
	if (poking) {
		pk.fd = g.fd;
		pk.seed = rnd();
		pk.close_it = chance(8);
		if (pthread_create(&pk.thread, NULL, poker_main, &pk))
			poking = false;
	}
	if (chance(32))
		child_pokes(g.fd);

	for (;;) {
		struct lguest_pending p;

		r = lgread(g.fd, &p, sizeof(p));
		if (r == sizeof(p)) {
			exits++;
			st.exits++;
			eintr = 0;
			if (p.reason == LGUEST_PENDING_PIO && p.insn[0] == 0xe6 &&
			    p.insn[1] == DONE_PORT) {
				st.finished++;
				break;
			}
			if (!unmapped && chance(512)) {
				/* Half the guest's memory goes away. */
				munmap(g.mem + FZ_SIZE / 2, FZ_SIZE / 2);
				unmapped = true;
			}
			answer(g.fd, efd);
			continue;
		}
		if (r == 4)		/* a register asked for */
			continue;
		if (r == -EINTR) {
			uint32_t now;

			/*
			 * A tick every 5 ms: a guest whose block number has
			 * not moved for 3 of them is stuck (a loop, or a halt
			 * nothing will end), and so is one that is still
			 * running after GUEST_TICKS (its blocks jump back to
			 * earlier ones).
			 */
			memcpy(&now, g.mem + COUNTER_GPA, sizeof(now));
			eintr = now == last ? eintr + 1 : 0;
			last = now;
			if (eintr >= 3 || ++ticks >= GUEST_TICKS) {
				st.timeouts++;
				break;
			}
			continue;
		}
		if (r == 0) {
			st.poweroffs++;
		} else if (r == -ERESTART) {
			st.restarts++;
		} else if (r == -ENOENT) {
			st.deaths++;
			memset(buf, 0, sizeof(buf));
			r = lgread(g.fd, buf, sizeof(buf) - 1);
			count_reason(r > 0 ? buf : "(no reason)");
			memcpy(&counter, g.mem + COUNTER_GPA, sizeof(counter));
			if (counter < nblocks)
				kills_in[block_kind[counter]]++;
			if (verbose)
				printf("lgfuzz: guest %lu died in block %u (%s): %s\n",
				       i, counter, counter < nblocks ?
				       op_kinds[block_kind[counter]].name : "setup",
				       buf);
		} else if (r == -EBADF) {
			st.lost_file++;
		} else {
			printf("lgfuzz: FAIL: guest %lu: read: %ld\n", i, r);
			exit(1);
		}
		break;
	}
	if (poking) {
		__atomic_store_n(&pk.stop, 1, __ATOMIC_SEQ_CST);
		pthread_join(pk.thread, NULL);
	}
	if (!__atomic_load_n(&pk.closed, __ATOMIC_SEQ_CST)) {
		add_host_counts();
		close(g.fd);
	}
	close(efd);
	/* The block number is in the half that is never unmapped. */
	memcpy(&counter, g.mem + COUNTER_GPA, sizeof(counter));
	munmap(g.mem, unmapped ? FZ_SIZE / 2 : FZ_SIZE);
	if (verbose)
		printf("lgfuzz: guest %lu: %u blocks, reached %u, %u exits\n",
		       i, nblocks, counter + 1, exits);
	return counter < nblocks ? counter + 1 : nblocks;
}

static long sec_page_tables_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "SecPageTables: %ld kB", &kb);
	fclose(f);
	return kb;
}

static void usage(void)
{
	fprintf(stderr, "usage: lgfuzz [--seed S] [--ops N] [--guest I] [--limit K] [--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long target = 100000;
	uint64_t seed = 1;
	long one = -1;
	long long pins0, pins1;
	long spt0, spt1;
	struct itimerval tick = { { 0, 5000 }, { 0, 5000 } };
	struct sigaction sa;
	unsigned long i;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			seed = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--ops") && a + 1 < argc)
			target = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--guest") && a + 1 < argc)
			one = strtol(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--verbose"))
			verbose = true;
		else if (!strcmp(argv[a], "--limit") && a + 1 < argc)
			block_limit = strtoul(argv[++a], NULL, 0);
		else
			usage();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	dump_blocks = verbose && one >= 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setitimer(ITIMER_REAL, &tick, NULL);

	pins0 = pins();
	spt0 = sec_page_tables_kb();
	printf("lgfuzz: seed %llu, %llu operations%s\n",
	       (unsigned long long)seed, one >= 0 ? 0ull : target,
	       one >= 0 ? " (one guest)" : "");
	if (one >= 0) {
		st.ops += run_guest(seed, one, MAX_BLOCKS);
	} else {
		for (i = 0; st.ops < target; i++) {
			st.ops += run_guest(seed, i, MAX_BLOCKS);
			if (i % 500 == 499)
				printf("lgfuzz: %llu operations in %lu guests\n",
				       st.ops, st.guests);
		}
	}
	tick.it_value.tv_usec = 0;
	tick.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &tick, NULL);

	printf("lgfuzz: %llu operations in %lu guests, %lu requests, %lu exits to the Launcher\n",
	       st.ops, st.guests, st.requests, st.exits);
	if (st.no_debugfs)
		printf("lgfuzz: no debugfs: the host's counters are not known\n");
	else
		printf("lgfuzz: the host answered %llu device register accesses, %llu of them doorbells\n",
		       st.host_mmio, st.doorbells);
	printf("lgfuzz: ends: %lu finished, %lu killed, %lu powered off, %lu restarted, %lu stuck, %lu lost their file\n",
	       st.finished, st.deaths, st.poweroffs, st.restarts, st.timeouts,
	       st.lost_file);
	for (i = 0; i < MAX_REASONS && reasons[i].n; i++)
		printf("lgfuzz: killed %6lu: %s\n", reasons[i].n,
		       reasons[i].text);
	printf("lgfuzz: killed in blocks of kind:");
	for (i = 0; i < OP_KINDS; i++)
		printf(" %s %lu", op_kinds[i].name, kills_in[i]);
	printf("\n");
	pins1 = pins();
	spt1 = sec_page_tables_kb();
	printf("lgfuzz: pinned pages %lld -> %lld, SecPageTables %ld -> %ld kB\n",
	       pins0, pins1, spt0, spt1);
	if (pins0 < 0 || pins1 != pins0) {
		printf("lgfuzz: FAIL: pinned pages not back\n");
		return 1;
	}
	if (spt0 < 0 || spt1 != spt0) {
		printf("lgfuzz: FAIL: SecPageTables not back\n");
		return 1;
	}
	printf("lgfuzz: PASS\n");
	return 0;
}
