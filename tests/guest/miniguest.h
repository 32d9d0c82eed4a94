/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny lguest guests for the host's tests: the guest side of the ABI that
 * is not exported to user space, a guest memory layout, an encoder for the
 * few x86 instructions such guests are made of, and the /dev/lguest
 * requests.  Used by lgabi.c (the ABI checks) and lgfuzz.c (the fuzzer).
 * Include after <stdint.h>, <stdbool.h>, <stdio.h>, <string.h>, <errno.h>,
 * <fcntl.h>, <unistd.h>, <dirent.h> and <linux/lguest_launcher.h>.
 */
#ifndef MINIGUEST_H
#define MINIGUEST_H

/*
 * The guest's side of the ABI (arch/x86/include/asm/lguest_hcall.h and
 * include/linux/lguest.h), which is not exported to user space.
 */
#define LGUEST_TRAP_ENTRY	0x1f
#define LHCALL_FLUSH_ASYNC	0
#define LHCALL_LGUEST_INIT	1
#define LHCALL_SHUTDOWN		2
#define LHCALL_NEW_PGTABLE	3
#define LHCALL_FLUSH_TLB	4
#define LHCALL_FLUSH_ONE	5
#define LHCALL_LOAD_IDT_ENTRY	6
#define LHCALL_SET_STACK	7
#define LHCALL_SET_CLOCKEVENT	8
#define LHCALL_HALT		9
#define LHCALL_LOAD_TLS		10
#define LHCALL_LOAD_GDT_ENTRY	11
#define LHCALL_SEND_INTERRUPTS	12
#define LHCALL_READ_STATS	13
#define LHCALL_TIMER_DEADLINE	14
#define LHCALL_LOAD_LDT		15
#define LGUEST_IRQ_VECTOR	0x30
#define LGUEST_SHUTDOWN_POWEROFF 1
#define LGUEST_SHUTDOWN_RESTART	2
#define LHCALL_RING_SIZE	64
#define LGUEST_HCALL_FREE	0xff

struct guest_data {
	uint32_t irq_enabled;
	uint32_t blocked_interrupts[LGUEST_IRQS / 32];
	uint32_t cr2;
	uint32_t irq_pending;
	uint32_t noirq_iret;
	uint32_t noirq_iret_end;
	uint32_t reserve_mem;
	uint32_t tsc_khz;
	uint64_t clock_ns;
	uint64_t timer_deadline;
	uint64_t timer_armed;
	uint8_t hcall_status[LHCALL_RING_SIZE];
	uint32_t hcalls[LHCALL_RING_SIZE][5];
	uint64_t xcr0_max;
	uint32_t io_bitmap;
};

#define PAGE		4096u
#define RAM_PAGES	64u
#define RAM_SIZE	(RAM_PAGES * PAGE)
#define MMIO_PAGES	(RAM_PAGES + 4)

/* Where things are in a guest's memory (guest-physical addresses). */
#define DATA_GPA	0x0000u	/* struct guest_data */
#define MSG_GPA		0x0800u	/* a shutdown message */
#define PGD_GPA		0x1000u	/* page directory, or the PAE PDPT */
#define PT_GPA		0x2000u	/* its page table, or the PAE PMD page */
#define PAE_PT_GPA	0x3000u	/* the PAE page table */
#define CODE_GPA	0x4000u	/* the guest's code */
#define STACK_GPA	0x8000u	/* the top of its stack */

/* Device memory and beyond, as the page tables built here map them. */
#define MMIO_VA		0x5000u
#define BEYOND_VA	0x6000u

/* A call's result as a Launcher sees it: the value, or -errno. */
static inline long res(long ret)
{
	return ret < 0 ? -errno : ret;
}

static inline long lgwrite(int fd, const void *buf, size_t size, off_t off)
{
	return res(pwrite(fd, buf, size, off));
}

static inline long req1(int fd, uint32_t req, uint32_t arg)
{
	uint32_t w[2] = { req, arg };

	return lgwrite(fd, w, sizeof(w), 0);
}

static inline long req2(int fd, uint32_t req, uint32_t a, uint32_t b)
{
	uint32_t w[3] = { req, a, b };

	return lgwrite(fd, w, sizeof(w), 0);
}

static inline long req3(int fd, uint32_t req, uint32_t a, uint32_t b,
			uint32_t c)
{
	uint32_t w[4] = { req, a, b, c };

	return lgwrite(fd, w, sizeof(w), 0);
}

static inline long lginit(int fd, uintptr_t base, uint32_t pages, uint32_t start,
			  uint32_t mmio_pages)
{
	uint32_t w[5] = { LHREQ_INITIALIZE, (uint32_t)base, pages, start,
			  mmio_pages };

	return lgwrite(fd, w, sizeof(w), 0);
}

static inline long lgread(int fd, void *buf, size_t size)
{
	return res(pread(fd, buf, size, 0));
}

/* LHREQ_GETREG and the read() that returns the value: 4, or -errno. */
static inline long getreg(int fd, uint32_t reg, uint32_t *val)
{
	long r = req1(fd, LHREQ_GETREG, reg);

	if (r < 0)
		return r;
	return lgread(fd, val, sizeof(*val));
}

/*
 * A guest: its memory, and its code as it is written.  The instruction
 * encoders return the guest address of what they wrote.
 */
struct guest {
	uint8_t *mem;
	uint32_t at;
	int fd;
};

enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };

static inline void put8(struct guest *g, uint8_t b)
{
	g->mem[g->at++] = b;
}

static inline void put32(struct guest *g, uint32_t v)
{
	memcpy(g->mem + g->at, &v, sizeof(v));
	g->at += sizeof(v);
}

static inline uint32_t mov_imm(struct guest *g, int reg, uint32_t v)
{
	uint32_t at = g->at;

	put8(g, 0xb8 + reg);
	put32(g, v);
	return at;
}

/* int $0x1f with the call in %eax and its arguments in %ebx, %ecx, %edx. */
static inline uint32_t hypercall(struct guest *g, uint32_t call, uint32_t a1,
				 uint32_t a2, uint32_t a3)
{
	uint32_t at = mov_imm(g, EAX, call);

	mov_imm(g, EBX, a1);
	mov_imm(g, ECX, a2);
	mov_imm(g, EDX, a3);
	put8(g, 0xcd);
	put8(g, LGUEST_TRAP_ENTRY);
	return at;
}

/* A two-byte instruction. */
static inline uint32_t insn2(struct guest *g, uint8_t b0, uint8_t b1)
{
	uint32_t at = g->at;

	put8(g, b0);
	put8(g, b1);
	return at;
}

/* out %al,$port: the guest needs the Launcher (LGUEST_PENDING_PIO). */
static inline uint32_t out(struct guest *g, uint8_t port)
{
	return insn2(g, 0xe6, port);
}

/* mov addr,%eax */
static inline uint32_t load(struct guest *g, uint32_t addr)
{
	uint32_t at = g->at;

	put8(g, 0xa1);
	put32(g, addr);
	return at;
}

/* jmp . */
static inline uint32_t spin(struct guest *g)
{
	return insn2(g, 0xeb, 0xfe);
}

static inline uint32_t jump(struct guest *g, uint32_t to)
{
	uint32_t at = g->at;

	put8(g, 0xe9);
	put32(g, to - (at + 5));
	return at;
}

static inline uint32_t ud2(struct guest *g)
{
	return insn2(g, 0x0f, 0x0b);
}

/*
 * Page tables that work with and without PAE, for pages 2 to 511 (8 KB to
 * 2 MB): the page directory's first entry (the PDPT's, under PAE) points at
 * PT_GPA, which is the page table without PAE and the page of PMDs under
 * PAE; that PMD's first entry is the 2-level PTEs 0 and 1 (unused here)
 * and points at PAE_PT_GPA, the PAE page table.
 */
#define UPPER_FLAGS	0x27u	/* present, writable, user, accessed */
#define PTE_FLAGS	0x63u	/* present, writable, accessed, dirty */

static inline void map_page(struct guest *g, uint32_t va, uint32_t gpa)
{
	uint32_t i = va / PAGE, pte = gpa | PTE_FLAGS;

	memcpy(g->mem + PT_GPA + 4 * i, &pte, sizeof(pte));
	memcpy(g->mem + PAE_PT_GPA + 8 * i, &pte, sizeof(pte));
}

static inline void page_tables(struct guest *g)
{
	uint32_t pgd = PT_GPA | UPPER_FLAGS, pmd = PAE_PT_GPA | UPPER_FLAGS;

	memcpy(g->mem + PGD_GPA, &pgd, sizeof(pgd));
	memcpy(g->mem + PT_GPA, &pmd, sizeof(pmd));
	map_page(g, CODE_GPA, CODE_GPA);
	map_page(g, MMIO_VA, RAM_SIZE);
	map_page(g, BEYOND_VA, MMIO_PAGES * PAGE);
}

static inline void idt_entry(struct guest *g, uint32_t vector, uint32_t type,
			     uint32_t handler)
{
	hypercall(g, LHCALL_LOAD_IDT_ENTRY, vector,
		  (0x60u << 16) | (handler & 0xffff),
		  (handler & 0xffff0000u) | 0x8000u | type << 8);
}

/*
 * The host's debugfs directory of this process's newest guest,
 * lguest/PID-N, into dir: false if there is none (or no debugfs).
 */
static inline bool guest_debugfs_dir(char *dir, size_t size)
{
	DIR *d = opendir("/sys/kernel/debug/lguest");
	int pid, n, best = -1;
	struct dirent *e;

	if (!d)
		return false;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "%d-%d", &pid, &n) == 2 &&
		    pid == getpid() && n > best)
			best = n;
	closedir(d);
	if (best < 0)
		return false;
	snprintf(dir, size, "/sys/kernel/debug/lguest/%d-%d", getpid(), best);
	return true;
}

/* Pages the kernel holds pinned (lguest pins every guest page it maps). */
static inline long long pins(void)
{
	long long acquired = -1, released = -1, v;
	char key[64];
	FILE *f;
	int fd;

	/* The counters are per CPU until folded into the totals. */
	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			perror("stat_refresh");
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2) {
		if (!strcmp(key, "nr_foll_pin_acquired"))
			acquired = v;
		else if (!strcmp(key, "nr_foll_pin_released"))
			released = v;
	}
	fclose(f);
	if (acquired < 0 || released < 0)
		return -1;
	return acquired - released;
}

#endif /* MINIGUEST_H */
