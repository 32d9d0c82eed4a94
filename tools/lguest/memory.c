// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: guest-physical address P is Launcher address
 * guest_mem.base + P, for P below guest_mem.size.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "lguest.h"

struct guest_memory guest_mem;

#define MiB		(1024u * 1024u)

/*
 * Tour 1.1: Guest memory is the Launcher's memory
 *
 * A guest's RAM needs no special allocation: it is an ordinary anonymous
 * mapping of the Launcher's, and guest-physical address P is
 * guest_mem.base + P here.  The host reaches it as the Launcher's user
 * memory, with copy_from_user() and by pinning the pages it maps for the
 * guest, so guest memory is accounted, limited and freed as the
 * Launcher's own.
 */
int guest_memory_map(unsigned int mem_mb)
{
	uint32_t size = mem_mb * MiB;
	void *p;

	/*
	 * MAP_NORESERVE: the guest touches what it uses, so a big guest does
	 * not need all of its memory committed up front.
	 */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		errorf("cannot map %u MiB of guest memory: %s (try a smaller MEM_MB)",
		       mem_mb, strerror(errno));
		return -1;
	}
	guest_mem.base = p;
	guest_mem.size = size;
	guest_mem.mapped = true;
	return 0;
}

/* For the unit tests: guest memory in a buffer of theirs. */
int guest_memory_use(void *buf, uint32_t size)
{
	if (size % PAGE_SIZE)
		return -1;
	guest_mem.base = buf;
	guest_mem.size = size;
	guest_mem.mapped = false;
	return 0;
}

/*
 * All of guest memory back to zeroes, for a restarted guest.  Our own
 * mapping is private and anonymous: MADV_DONTNEED drops its pages, which
 * read as zeroes again and take no memory until the guest touches them.
 */
void guest_memory_clear(void)
{
	if (!guest_mem.mapped ||
	    madvise(guest_mem.base, guest_mem.size, MADV_DONTNEED) < 0)
		memset(guest_mem.base, 0, guest_mem.size);
}

/*
 * The Launcher address of guest-physical [gpa, gpa + len), or NULL if any
 * of it is outside RAM.  Everything the guest tells us about its memory
 * goes through here.
 */
void *guest_ptr(uint64_t gpa, uint64_t len)
{
	if (gpa > guest_mem.size || len > guest_mem.size - gpa)
		return NULL;
	return guest_mem.base + gpa;
}
