// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile lguest guest kernel, for tests/45-lguest-hostile.sh.
 *
 * Loading this module in an lguest guest makes the bad hypercall, or sets
 * up the bad guest state, that its parameter case= names.  For most cases
 * the host must kill the guest: the module first prints the reason the
 * host should give ("hostile: expect: REASON"), and if the guest is still
 * running after the deed, loading fails.  The case "ignored" makes changes
 * that the host must silently refuse or adjust, checks that it did, and
 * loads.  lgdata= is the address of the guest kernel's lguest_data and
 * lgvcpu= that of its per-CPU lguest_vcpu (from System.map), which are not
 * exported to modules.
 */
#define pr_fmt(fmt) "hostile: " fmt

#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/lguest.h>
#include <asm/desc.h>
#include <asm/lguest.h>
#include <asm/lguest_hcall.h>
#include <asm/pgtable.h>
#include <asm/segment.h>
#include <asm/trapnr.h>

static char *hostile_case = "";
module_param_named(case, hostile_case, charp, 0444);
MODULE_PARM_DESC(case, "what to do wrong (see the table at the end)");

static unsigned long lgdata;
module_param(lgdata, ulong, 0444);
MODULE_PARM_DESC(lgdata, "the address of the kernel's lguest_data");

static unsigned long lgvcpu;
module_param(lgvcpu, ulong, 0444);
MODULE_PARM_DESC(lgvcpu, "the address of the kernel's per-CPU lguest_vcpu");

/*
 * A guest-physical address beyond the RAM of any guest: guest memory is
 * part of the Launcher's address space, below the 3 GB user split.
 */
#define OUTSIDE_RAM		0xc0000000UL

/* A page frame beyond RAM and device memory: above 4 GB under PAE. */
#ifdef CONFIG_X86_PAE
#define BEYOND_PFN		0x100000ULL
#else
#define BEYOND_PFN		0xfff00UL
#endif

/* A hypercall number for the asynchronous ring: no such hypercall. */
#define RING_GARBAGE		0xdeadbeefU

/* The flags of a page table entry for user data, as the kernel sets them. */
#define USER_ENTRY		(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | \
				 _PAGE_ACCESSED | _PAGE_DIRTY)

/* The privilege of the guest kernel's segments, as lar reports it. */
#define AR_DPL1			(1 * (1 << 13))

/* A selector for an LDT entry, in the guest kernel's ring. */
#define LGUEST_LDT_SEL(i)	((i) << 3 | SEGMENT_LDT | GUEST_PL)

/* Unused GDT entries of a 32-bit kernel (see asm/segment.h). */
#define GDT_ENTRY_SPARE_A	29
#define GDT_ENTRY_SPARE_B	30

static __printf(1, 2) void expect(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info("expect: %pV\n", &vaf);
	va_end(args);
}

/* The guest's lguest_data at lgdata=, after a few sanity checks. */
static struct lguest_data *guest_data(void)
{
	struct lguest_data *data = (struct lguest_data *)lgdata;

	if (!lgdata || !IS_ALIGNED(lgdata, PAGE_SIZE) ||
	    !virt_addr_valid(data)) {
		pr_err("lgdata=%#lx: not the address of lguest_data\n", lgdata);
		return NULL;
	}
	if (!data->reserve_mem || !IS_ALIGNED(data->reserve_mem, PMD_SIZE) ||
	    data->noirq_iret >= data->noirq_iret_end) {
		pr_err("lgdata=%#lx does not look like lguest_data\n", lgdata);
		return NULL;
	}
	return data;
}

/* This CPU's lguest_vcpu, from lgvcpu=; the caller keeps the CPU. */
static struct lguest_vcpu_data *guest_vcpu(void)
{
	struct lguest_vcpu_data *vcpu;

	if (!lgvcpu) {
		pr_err("no lgvcpu=\n");
		return NULL;
	}
	vcpu = this_cpu_ptr((struct lguest_vcpu_data __percpu *)lgvcpu);
	if (!IS_ALIGNED((unsigned long)vcpu, PAGE_SIZE) ||
	    !virt_addr_valid(vcpu)) {
		pr_err("lgvcpu=%#lx: not the address of lguest_vcpu\n", lgvcpu);
		return NULL;
	}
	return vcpu;
}

/* The page-table slot (pmd entry, or pgd entry without PAE) for addr. */
static pmd_t *slot_of(unsigned long addr)
{
	pgd_t *pgd = pgd_offset(current->mm, addr);
	p4d_t *p4d = p4d_offset(pgd, addr);
	pud_t *pud = pud_offset(p4d, addr);

	if (pud_none(*pud) || !pud_present(*pud))
		return NULL;
	return pmd_offset(pud, addr);
}

/* An empty slot in the user half of this (insmod's) address space. */
static pmd_t *free_user_slot(unsigned long *addr)
{
	unsigned long a;

	for (a = SZ_1G; a < TASK_SIZE; a += PMD_SIZE) {
		pmd_t *pmd = slot_of(a);

		if (pmd && pmd_none(*pmd)) {
			*addr = a;
			return pmd;
		}
	}
	pr_err("no free page-table slot in the user address space\n");
	return NULL;
}

/*
 * The guest is still here after the deed: undo a slot we filled, and make
 * the host forget whatever it may have shadowed from it.
 */
static void clear_slot(pmd_t *pmd)
{
	set_pmd(pmd, __pmd(0));
	hcall(LHCALL_FLUSH_TLB, LGUEST_FLUSH_ALL, 0, 0, 0);
}

/* Read a user address from the kernel, as copy_from_user() does. */
static void touch_user(unsigned long addr)
{
	u32 val;

	if (get_user(val, (u32 __user *)addr))
		pr_info("reading %#lx faulted in the guest\n", addr);
	else
		pr_info("read %#x at %#lx\n", val, addr);
}

static int hcall_unknown(void)
{
	expect("bad hypercall 99");
	hcall(99, 0, 0, 0, 0);
	return 0;
}

/* Every slot of the asynchronous ring queued, with a bad number. */
static int ring_garbage(void)
{
	struct lguest_vcpu_data *data;
	unsigned long flags;
	unsigned int i;

	local_irq_save(flags);
	data = guest_vcpu();
	if (!data) {
		local_irq_restore(flags);
		return -EINVAL;
	}
	expect("bad hypercall %u", RING_GARBAGE);
	for (i = 0; i < LHCALL_RING_SIZE; i++) {
		data->hcalls[i].arg0 = RING_GARBAGE;
		data->hcalls[i].arg1 = OUTSIDE_RAM;
		data->hcalls[i].arg2 = ~0U;
		data->hcalls[i].arg3 = ~0U;
		data->hcalls[i].arg4 = ~0U;
	}
	/* The host reads the arguments once the status says so. */
	smp_wmb();
	for (i = 0; i < LHCALL_RING_SIZE; i++)
		WRITE_ONCE(data->hcall_status[i], 0);
	hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
	for (i = 0; i < LHCALL_RING_SIZE; i++)
		WRITE_ONCE(data->hcall_status[i], LGUEST_HCALL_FREE);
	local_irq_restore(flags);
	return 0;
}

/* LHCALL_LGUEST_INIT again, and outside guest memory at that. */
static int init_twice(void)
{
	expect("LHCALL_LGUEST_INIT twice");
	hcall(LHCALL_LGUEST_INIT, OUTSIDE_RAM, 0, 0, 0);
	return 0;
}

static int gdt_range(void)
{
	expect("bad GDT entry %u", GDT_ENTRIES);
	hcall(LHCALL_LOAD_GDT_ENTRY, GDT_ENTRIES, 0, 0, 0);
	return 0;
}

static int idt_range(void)
{
	expect("bad IDT entry %u", IDT_ENTRIES);
	hcall(LHCALL_LOAD_IDT_ENTRY, IDT_ENTRIES, 0, 0, 0);
	return 0;
}

/* The raw words of a present gate of the given type and privilege. */
static u32 gate_hi(unsigned int type, unsigned int dpl)
{
	return 0x8000 | dpl << 13 | type << 8;
}

/* A task gate (to the kernel's TSS) for an interrupt vector. */
static int idt_taskgate(void)
{
	unsigned int vector = LGUEST_IRQ_VECTOR + 16;

	expect("IDT entry %u has type %u", vector, GATE_TASK);
	hcall(LHCALL_LOAD_IDT_ENTRY, vector, GDT_ENTRY_TSS * 8 << 16,
	      gate_hi(GATE_TASK, 0), 0);
	return 0;
}

static int pgtable_outside(void)
{
	expect("bad page table at %#lx", OUTSIDE_RAM);
	hcall(LHCALL_NEW_PGTABLE, OUTSIDE_RAM, 0, 0, 0);
	return 0;
}

/* The three TLS descriptors at an address that wraps around 4 GB. */
static int tls_outside(void)
{
	unsigned long gpa = 0xfffffff0UL;

	expect("bad read of %zu bytes at %#lx",
	       GDT_ENTRY_TLS_ENTRIES * sizeof(struct desc_struct), gpa);
	hcall(LHCALL_LOAD_TLS, gpa, 0, 0, 0);
	return 0;
}

/* A shutdown of no known kind, its message outside guest memory. */
static int shutdown_bad(void)
{
	expect("bad shutdown request 7");
	hcall(LHCALL_SHUTDOWN, OUTSIDE_RAM, 7, 0, 0);
	return 0;
}

/* The kernel stack for traps from user mode, with the user's segment. */
static int stack_ss(void)
{
	unsigned long top = (unsigned long)task_stack_page(current) +
			    THREAD_SIZE;

	expect("bad stack segment %#x", __USER_DS);
	hcall(LHCALL_SET_STACK, __USER_DS, top, THREAD_SIZE / PAGE_SIZE, 0);
	return 0;
}

/* A user page directory entry naming a page table beyond RAM. */
static int pmd_beyond(void)
{
	unsigned long addr;
	pmd_t *pmd = free_user_slot(&addr);
	pmd_t val = __pmd((pmdval_t)BEYOND_PFN << PAGE_SHIFT | _PAGE_TABLE);

	if (!pmd)
		return -ENOSPC;
	expect("bad page table entry %#llx at %#lx (pfn beyond RAM)",
	       (u64)pmd_val(val), (unsigned long)__pa(pmd));
	set_pmd(pmd, val);
	touch_user(addr);
	clear_slot(pmd);
	return 0;
}

/* A user page table entry naming a page beyond RAM and device memory. */
static int pte_beyond(void)
{
	pte_t val = __pte((pteval_t)BEYOND_PFN << PAGE_SHIFT | USER_ENTRY);
	unsigned long addr, ptes;
	pte_t *pte;
	pmd_t *pmd;

	pmd = free_user_slot(&addr);
	if (!pmd)
		return -ENOSPC;
	ptes = get_zeroed_page(GFP_KERNEL);
	if (!ptes)
		return -ENOMEM;
	pte = (pte_t *)ptes + pte_index(addr);
	*pte = val;
	expect("bad page table entry %#llx at %#lx (pfn beyond RAM)",
	       (u64)pte_val(val), (unsigned long)__pa(pte));
	set_pmd(pmd, __pmd(__pa(ptes) | _PAGE_TABLE));
	touch_user(addr);
	clear_slot(pmd);
	free_page(ptes);
	return 0;
}

/* A large page in a user slot: the host takes no large pages. */
static int pmd_large(void)
{
	unsigned long addr;
	pmd_t *pmd = free_user_slot(&addr);
	pmd_t val = __pmd(USER_ENTRY | _PAGE_PSE);

	if (!pmd)
		return -ENOSPC;
	expect("large page at %#lx (entry %#llx at %#lx)", addr,
	       (u64)pmd_val(val), (unsigned long)__pa(pmd));
	set_pmd(pmd, val);
	touch_user(addr);
	clear_slot(pmd);
	return 0;
}

/*
 * A page table in the slot the host keeps for the Switcher, the top
 * reserve_mem bytes, which the guest kernel leaves empty.  The host maps
 * the LDT window at the start of the slot: the read goes just above it.
 */
static int switcher_map(void)
{
	struct lguest_data *data = guest_data();
	unsigned long addr, ptes;
	pmd_t *pmd;
	u32 val;

	if (!data)
		return -EINVAL;
	addr = -(unsigned long)data->reserve_mem + LDT_ENTRIES * LDT_ENTRY_SIZE;
	pmd = slot_of(addr);
	if (!pmd || !pmd_none(*pmd)) {
		pr_err("the Switcher's slot at %#lx is not empty\n", addr);
		return -EEXIST;
	}
	ptes = get_zeroed_page(GFP_KERNEL);
	if (!ptes)
		return -ENOMEM;
	expect("mapping at %#lx, in the Switcher's range", addr);
	set_pmd(pmd, __pmd(__pa(ptes) | _KERNPG_TABLE));
	if (copy_from_kernel_nofault(&val, (void *)addr, sizeof(val)))
		pr_info("reading %#lx faulted in the guest\n", addr);
	clear_slot(pmd);
	free_page(ptes);
	return 0;
}

/* The clock's interrupt gate taken away; then wait for a tick. */
static int irq_nohandler(void)
{
	unsigned int i;

	expect("no handler for interrupt 0");
	hcall(LHCALL_LOAD_IDT_ENTRY, LGUEST_IRQ_VECTOR, 0, 0, 0);
	for (i = 0; i < 50; i++)
		msleep(100);
	return 0;
}

/* An invalid opcode, at a known address. */
void hostile_ud2(void);
asm(".pushsection .text, \"ax\"\n"
	"hostile_ud2:\n\t"
	"ud2\n\t"
	"ret\n"
	".popsection");

/* The gate for invalid opcodes taken away; then one. */
static int trap_nohandler(void)
{
	expect("unhandled trap %u at %#lx (error %#x)", X86_TRAP_UD,
	       (unsigned long)hostile_ud2, 0);
	hcall(LHCALL_LOAD_IDT_ENTRY, X86_TRAP_UD, 0, 0, 0);
	hostile_ud2();
	return 0;
}

/*
 * A segment register that holds a selector whose descriptor the guest then
 * replaces, with a hypercall, by a null one.  The host loads the guest's
 * segment registers, in ring 0, each time it enters the guest: the load of
 * this one fails there.  (The guest kernel itself clears %gs around
 * LHCALL_LOAD_TLS for that reason.)
 */
static int stale_gs(void)
{
	u32 sel = GDT_ENTRY_SPARE_A * 8 | GUEST_PL;
	unsigned int old;

	/* A flat 4 GB, ring 1 data segment. */
	hcall(LHCALL_LOAD_GDT_ENTRY, GDT_ENTRY_SPARE_A, 0x0000ffff, 0x00cfb300,
	      0);
	savesegment(gs, old);
	loadsegment(gs, sel);
	hcall(LHCALL_LOAD_GDT_ENTRY, GDT_ENTRY_SPARE_A, 0, 0, 0);
	loadsegment(gs, old);
	return 0;
}

/*
 * The same with the stack segment, which the host loads with the iret that
 * enters the guest.
 */
static int stale_ss(void)
{
	u32 sel = GDT_ENTRY_SPARE_B * 8 | GUEST_PL;
	unsigned long flags;
	unsigned int old;

	hcall(LHCALL_LOAD_GDT_ENTRY, GDT_ENTRY_SPARE_B, 0x0000ffff, 0x00cfb300,
	      0);
	local_irq_save(flags);
	savesegment(ss, old);
	asm volatile("movl %0, %%ss" : : "r" (sel) : "memory");
	hcall(LHCALL_LOAD_GDT_ENTRY, GDT_ENTRY_SPARE_B, 0, 0, 0);
	asm volatile("movl %0, %%ss" : : "r" (old) : "memory");
	local_irq_restore(flags);
	return 0;
}

/*
 * Trips through the Switcher with a data segment register that is the
 * guest's own but not flat: GDT entry SPARE_A, a 4 GB ring 1 data segment
 * whose base is the start of the Switcher's slot (-reserve_mem), loaded in
 * turn into %ds, %es, %fs and %gs.  With it, each makes a hypercall, takes
 * a page fault the host handles (the first touch of a vmalloc() page,
 * read through %ss) and spins long enough for timer interrupts.  A
 * Switcher that used the guest's %ds on its way back to the host would
 * read its saved host cr3, GDT, IDT and stack reserve_mem bytes below
 * where they are: in memory this guest kernel could map and fill at will.
 * The guest must run on.  Nothing here may touch memory through %ds or
 * %es but the CPU's own trap frames, so each round is one asm block.
 */
#define SWITCHER_DS_SPIN	20000000

#define SWITCHER_DS_ROUND(seg)						\
	asm volatile("mov %%" seg ", %%edi\n\t"				\
		     "mov %[sel], %%" seg "\n\t"				\
		     "int $" __stringify(LGUEST_TRAP_ENTRY) "\n\t"	\
		     "mov %%ss:(%[page]), %%eax\n\t"			\
		     "mov $" __stringify(SWITCHER_DS_SPIN) ", %%ecx\n"	\
		     "1:\tdec %%ecx\n\t"					\
		     "jnz 1b\n\t"						\
		     "mov %%edi, %%" seg					\
		     : "+a" (eax)						\
		     : [sel] "r" (sel), [page] "r" (page + offset)		\
		     : "ecx", "edi", "memory")

static int switcher_ds(void)
{
	struct lguest_data *data = guest_data();
	u32 sel = GDT_ENTRY_SPARE_A * 8 | GUEST_PL;
	unsigned long base, eax, offset = 0;
	u8 *page;

	if (!data)
		return -EINVAL;
	/* Four pages, one fresh one for each round. */
	page = vmalloc(4 * PAGE_SIZE);
	if (!page)
		return -ENOMEM;
	base = -(unsigned long)data->reserve_mem;
	pr_info("segment base %#lx in %%ds, %%es, %%fs, %%gs in turn\n", base);
	hcall(LHCALL_LOAD_GDT_ENTRY, GDT_ENTRY_SPARE_A,
	      (base & 0xffff) << 16 | 0xffff,
	      (base & 0xff000000) | 0x00cfb300 | (base >> 16 & 0xff), 0);
	eax = LHCALL_FLUSH_ASYNC;
	SWITCHER_DS_ROUND("ds");
	offset += PAGE_SIZE;
	eax = LHCALL_FLUSH_ASYNC;
	SWITCHER_DS_ROUND("es");
	offset += PAGE_SIZE;
	eax = LHCALL_FLUSH_ASYNC;
	SWITCHER_DS_ROUND("fs");
	offset += PAGE_SIZE;
	eax = LHCALL_FLUSH_ASYNC;
	SWITCHER_DS_ROUND("gs");
	hcall(LHCALL_LOAD_GDT_ENTRY, GDT_ENTRY_SPARE_A, 0, 0, 0);
	vfree(page);
	pr_info("the guest ran on through the Switcher with each\n");
	return 0;
}

/* The access rights of a selector (lar), if the CPU lets us see them. */
static bool access_rights(u32 sel, u32 *ar)
{
	bool ok;

	asm volatile("lar %[sel], %[ar]\n\t"
		     "setz %[ok]"
		     : [ok] "=qm" (ok), [ar] "=r" (*ar)
		     : [sel] "r" (sel)
		     : "cc");
	return ok;
}

/*
 * Does the selector name a present, accessed, flat 32-bit segment of the
 * guest kernel's ring, of the given type (AR_TYPE_*)?
 */
static bool ring1_flat(const char *what, u32 sel, u32 type)
{
	u32 want = AR_P | AR_S | AR_DPL1 | AR_A | AR_DB | AR_G | type;
	u32 mask = AR_P | AR_S | AR_DPL_MASK | AR_A | AR_DB | AR_G |
		   AR_TYPE_MASK;
	u32 ar = 0;

	if (!access_rights(sel, &ar) || (ar & mask) != want) {
		pr_err("%s (selector %#x): access rights %#x, want %#x\n",
		       what, sel, ar & mask, want);
		return false;
	}
	return true;
}

/*
 * What the host must refuse without killing the guest: new descriptors
 * for its own GDT entries and the guest kernel's code and data segments,
 * gates for the NMI, double fault and hypercall vectors (task gates, which
 * would kill the guest anywhere else), and a call gate into the host's
 * ring 0 code.  What it must adjust: a ring 0 segment becomes a ring 1
 * one.  The guest then keeps running, through many trips to the host.
 */
static int host_refuses(void)
{
	static const unsigned int entries[] = {
		GDT_ENTRY_LGUEST_CS, GDT_ENTRY_LGUEST_DS, GDT_ENTRY_KERNEL_CS,
		GDT_ENTRY_KERNEL_DS, GDT_ENTRY_TSS, GDT_ENTRY_DOUBLEFAULT_TSS,
	};
	static const unsigned int vectors[] = {
		X86_TRAP_NMI, X86_TRAP_DF, LGUEST_TRAP_ENTRY,
	};
	u32 gate_sel = GDT_ENTRY_SPARE_A * 8 | GUEST_PL;
	u32 data_sel = GDT_ENTRY_SPARE_B * 8 | GUEST_PL;
	unsigned int i;
	bool ok = true;
	u32 ar;

	/* A present, ring 0, 16-bit, 64 KB data segment. */
	for (i = 0; i < ARRAY_SIZE(entries); i++)
		hcall(LHCALL_LOAD_GDT_ENTRY, entries[i], 0x0000ffff, 0x00009300,
		      0);
	for (i = 0; i < ARRAY_SIZE(vectors); i++)
		hcall(LHCALL_LOAD_IDT_ENTRY, vectors[i], GDT_ENTRY_TSS * 8 << 16,
		      gate_hi(GATE_TASK, 0), 0);
	/* A call gate to offset 0 of the Switcher's code, for user mode. */
	hcall(LHCALL_LOAD_GDT_ENTRY, GDT_ENTRY_SPARE_A, LGUEST_CS << 16,
	      gate_hi(GATE_CALL, 3), 0);
	/* A flat 4 GB, ring 0, not yet accessed data segment. */
	hcall(LHCALL_LOAD_GDT_ENTRY, GDT_ENTRY_SPARE_B, 0x0000ffff, 0x00cf9200,
	      0);

	ok &= ring1_flat("kernel CS", __KERNEL_CS | GUEST_PL, AR_TYPE_XRCODE);
	ok &= ring1_flat("kernel DS", __KERNEL_DS | GUEST_PL, AR_TYPE_RWDATA);
	ok &= ring1_flat("the ring 0 data segment", data_sel, AR_TYPE_RWDATA);
	if (access_rights(gate_sel, &ar)) {
		pr_err("the call gate is there (selector %#x, access rights %#x)\n",
		       gate_sel, ar);
		ok = false;
	}

	hcall(LHCALL_LOAD_GDT_ENTRY, GDT_ENTRY_SPARE_A, 0, 0, 0);
	hcall(LHCALL_LOAD_GDT_ENTRY, GDT_ENTRY_SPARE_B, 0, 0, 0);
	for (i = 0; i < 10; i++)
		msleep(20);
	if (!ok)
		return -EIO;
	pr_info("the host refused or adjusted every entry\n");
	return 0;
}

/*
 * The LDT: the same checks as for GDT entries, on a table the host reads
 * at LHCALL_LOAD_LDT and keeps.  Descriptors by index in ldt_refused():
 */
enum {
	LDT_CALL_GATE,		/* to the Switcher's code, for user mode */
	LDT_RING0_DATA,		/* flat, not accessed: a ring 1 one */
	LDT_RING0_CONFORMING,	/* flat conforming code: ring 1 */
	LDT_TSS,		/* system descriptors: dropped */
	LDT_LDT,
	LDT_TASK_GATE,
	LDT_HUGE_LIMIT,		/* a ring 3 data segment of 4 GB ... */
	LDT_SWITCHER_BASE,	/* ... and one based on the Switcher's slot */
	LDT_TEST_ENTRIES
};

/* Raw descriptor words: base, 20-bit limit, and the flags of the high word. */
static void raw_desc(u32 *d, u32 base, u32 limit, u32 flags)
{
	d[0] = (base & 0xffff) << 16 | (limit & 0xffff);
	d[1] = (base & 0xff000000) | (base >> 16 & 0xff) | (limit & 0xf0000) |
	       flags;
}

/* Does writing a word at addr fault?  (No exported helper does it.) */
static bool write_faults(unsigned long addr)
{
	u32 zero = 0;

	pagefault_disable();
	__put_kernel_nofault((void *)addr, &zero, u32, fault);
	pagefault_enable();
	return false;
fault:
	pagefault_enable();
	return true;
}

static int ldt_refused(void)
{
	struct lguest_data *data = guest_data();
	u32 sel = LGUEST_LDT_SEL(LDT_RING0_DATA);
	unsigned long window;
	unsigned long eax = LHCALL_FLUSH_ASYNC;
	u32 (*ldt)[2], seen[2], ar;
	bool ok = true;
	u16 fs;

	if (!data)
		return -EINVAL;
	ldt = (void *)get_zeroed_page(GFP_KERNEL);
	if (!ldt)
		return -ENOMEM;
	window = -(unsigned long)data->reserve_mem;
	ldt[LDT_CALL_GATE][0] = LGUEST_CS << 16;
	ldt[LDT_CALL_GATE][1] = gate_hi(GATE_CALL, 3);
	raw_desc(ldt[LDT_RING0_DATA], 0, 0xfffff, 0x00c09200);
	raw_desc(ldt[LDT_RING0_CONFORMING], 0, 0xfffff, 0x00c09e00);
	raw_desc(ldt[LDT_TSS], 0, 0x67, 0x00008900);
	raw_desc(ldt[LDT_LDT], 0, 0xffff, 0x00008200);
	ldt[LDT_TASK_GATE][0] = GDT_ENTRY_TSS * 8 << 16;
	ldt[LDT_TASK_GATE][1] = gate_hi(GATE_TASK, 3);
	raw_desc(ldt[LDT_HUGE_LIMIT], 0, 0xfffff, 0x00c0f300);
	raw_desc(ldt[LDT_SWITCHER_BASE], window, 0xfffff, 0x00c0f300);
	hcall(LHCALL_LOAD_LDT, (unsigned long)ldt, LDT_TEST_ENTRIES, 0, 0);

	/* A call gate in our own table now: the host keeps what it read. */
	memcpy(ldt[LDT_RING0_DATA], ldt[LDT_CALL_GATE], sizeof(ldt[0]));

	ok &= ring1_flat("the ring 0 LDT data segment", sel, AR_TYPE_RWDATA);
	ok &= ring1_flat("the ring 0 conforming code",
			 LGUEST_LDT_SEL(LDT_RING0_CONFORMING),
			 AR_TYPE_XRCODE_CONF);
	/* Ring 3 and 4 GB stay as they are. */
	if (!access_rights(LGUEST_LDT_SEL(LDT_HUGE_LIMIT), &ar) ||
	    (ar & (AR_P | AR_S | AR_DPL_MASK | AR_G | AR_DB)) !=
	    (AR_P | AR_S | 3 << 13 | AR_G | AR_DB)) {
		pr_err("the 4 GB ring 3 LDT segment: access rights %#x\n", ar);
		ok = false;
	}
	if (access_rights(LGUEST_LDT_SEL(LDT_CALL_GATE), &ar) ||
	    access_rights(LGUEST_LDT_SEL(LDT_TSS), &ar) ||
	    access_rights(LGUEST_LDT_SEL(LDT_LDT), &ar) ||
	    access_rights(LGUEST_LDT_SEL(LDT_TASK_GATE), &ar)) {
		pr_err("a system descriptor is in the LDT (access rights %#x)\n",
		       ar);
		ok = false;
	}
	/*
	 * The CPU reads the host's copy, at the start of the Switcher's
	 * slot, which the guest sees read-only: through the segment based
	 * there too, and %fs comes back from trips to the host.
	 */
	savesegment(fs, fs);
	loadsegment(fs, LGUEST_LDT_SEL(LDT_SWITCHER_BASE));
	asm volatile("movl %%fs:8, %0\n\t"
		     "movl %%fs:12, %1\n\t"
		     "int $" __stringify(LGUEST_TRAP_ENTRY)
		     : "=r" (seen[0]), "=r" (seen[1]), "+a" (eax)
		     : : "memory");
	loadsegment(fs, fs);
	if (seen[0] != 0xffff || seen[1] != 0x00cfb300) {
		pr_err("the LDT window has %08x %08x at entry 1\n", seen[0],
		       seen[1]);
		ok = false;
	}
	if (!write_faults(window)) {
		pr_err("the guest wrote its LDT window\n");
		ok = false;
	}
	hcall(LHCALL_LOAD_LDT, 0, 0, 0, 0);
	if (access_rights(sel, &ar)) {
		pr_err("the LDT is still there after loading none\n");
		ok = false;
	}
	free_page((unsigned long)ldt);
	if (!ok)
		return -EIO;
	pr_info("the host refused or adjusted every LDT entry\n");
	return 0;
}

/* An LDT larger than the CPU's (8192 entries), or wrapping around. */
static int ldt_huge(void)
{
	expect("bad LDT: %u entries at %#lx", LDT_ENTRIES + 1, PAGE_OFFSET);
	hcall(LHCALL_LOAD_LDT, PAGE_OFFSET, LDT_ENTRIES + 1, 0, 0);
	return 0;
}

static int ldt_wrap(void)
{
	expect("bad LDT: %u entries at %#lx", LDT_ENTRIES, -PAGE_SIZE);
	hcall(LHCALL_LOAD_LDT, -PAGE_SIZE, LDT_ENTRIES, 0, 0);
	return 0;
}

/* An LDT in a slot of the address space that maps nothing. */
static int ldt_unmapped(void)
{
	unsigned long addr;

	if (!free_user_slot(&addr))
		return -ENOSPC;
	expect("LDT at %#lx is not mapped to guest RAM", addr);
	hcall(LHCALL_LOAD_LDT, addr, 1, 0, 0);
	return 0;
}

/* As stale_gs, with an LDT entry that the guest then loads no LDT over. */
static int stale_ldt_gs(void)
{
	u32 (*ldt)[2] = (void *)get_zeroed_page(GFP_KERNEL);
	unsigned int old;

	if (!ldt)
		return -ENOMEM;
	raw_desc(ldt[0], 0, 0xfffff, 0x00c0b300);
	hcall(LHCALL_LOAD_LDT, (unsigned long)ldt, 1, 0, 0);
	savesegment(gs, old);
	loadsegment(gs, LGUEST_LDT_SEL(0));
	hcall(LHCALL_LOAD_LDT, 0, 0, 0, 0);
	loadsegment(gs, old);
	free_page((unsigned long)ldt);
	return 0;
}

struct hostile_case {
	const char *name;
	int (*run)(void);
	bool kills;
};

static const struct hostile_case cases[] = {
	{ "hcall-unknown", hcall_unknown, true },
	{ "ring-garbage", ring_garbage, true },
	{ "init-twice", init_twice, true },
	{ "gdt-range", gdt_range, true },
	{ "idt-range", idt_range, true },
	{ "idt-taskgate", idt_taskgate, true },
	{ "pgtable-outside", pgtable_outside, true },
	{ "tls-outside", tls_outside, true },
	{ "shutdown-bad", shutdown_bad, true },
	{ "stack-ss", stack_ss, true },
	{ "pmd-beyond", pmd_beyond, true },
	{ "pte-beyond", pte_beyond, true },
	{ "pmd-large", pmd_large, true },
	{ "switcher-map", switcher_map, true },
	{ "irq-nohandler", irq_nohandler, true },
	{ "trap-nohandler", trap_nohandler, true },
	{ "stale-gs", stale_gs, true },
	{ "stale-ss", stale_ss, true },
	{ "ldt-huge", ldt_huge, true },
	{ "ldt-wrap", ldt_wrap, true },
	{ "ldt-unmapped", ldt_unmapped, true },
	{ "stale-ldt-gs", stale_ldt_gs, true },
	{ "ignored", host_refuses, false },
	{ "switcher-ds", switcher_ds, false },
	{ "ldt-refused", ldt_refused, false },
};

static int __init hostile_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (strcmp(cases[i].name, hostile_case))
			continue;
		pr_info("case %s\n", cases[i].name);
		err = cases[i].run();
		if (err || !cases[i].kills)
			return err;
		pr_err("%s: the guest is still running\n", cases[i].name);
		return -EIO;
	}
	pr_err("unknown case '%s'\n", hostile_case);
	return -EINVAL;
}

static void __exit hostile_exit(void)
{
}

module_init(hostile_init);
module_exit(hostile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A hostile lguest guest, for testing the host");
