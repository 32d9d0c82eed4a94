// SPDX-License-Identifier: GPL-2.0
/*
 * Requests to /dev/lguest (see <linux/lguest_launcher.h>).  Each request
 * is one write() of __u32 words, and the file offset is the virtual CPU:
 * always 0 here, hence pwrite()/pread() at offset 0.  One write() is one
 * request, so the device threads may raise interrupts while the main
 * thread runs the guest.
 *
 * A request the host refuses in the middle of a run means the Launcher
 * and the host no longer agree on something: that is an internal error.
 *
 * Before any of that, lgdev_memlock() makes room in RLIMIT_MEMLOCK for the
 * guest pages the host will pin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <linux/capability.h>
#include "lguest.h"

#define VCPU	0

static int lg_fd = -1;
/* Interrupts (from any thread) against the swap of lg_fd at a restart */
static pthread_mutex_t irq_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *req_name(uint32_t req)
{
	static const char *const names[] = {
		[LHREQ_INITIALIZE] = "LHREQ_INITIALIZE",
		[LHREQ_IRQ] = "LHREQ_IRQ",
		[LHREQ_GETREG] = "LHREQ_GETREG",
		[LHREQ_SETREG] = "LHREQ_SETREG",
		[LHREQ_TRAP] = "LHREQ_TRAP",
		[LHREQ_IRQ_STATUS] = "LHREQ_IRQ_STATUS",
		[LHREQ_IOEVENTFD] = "LHREQ_IOEVENTFD",
	};

	return req < ARRAY_SIZE(names) ? names[req] : "request";
}

static int request(const uint32_t *words, size_t n)
{
	ssize_t ret;

	do {
		ret = pwrite(lg_fd, words, n * sizeof(*words), VCPU);
	} while (ret < 0 && errno == EINTR);
	return ret == (ssize_t)(n * sizeof(*words)) ? 0 : -1;
}

static void must(const uint32_t *words, size_t n)
{
	if (request(words, n))
		fatal(EXIT_INTERNAL, "%s(%u) failed: %s", req_name(words[0]),
		      n > 1 ? words[1] : 0, strerror(errno));
}

/* Is CAP_IPC_LOCK in the effective set?  (CapEff in /proc/self/status.) */
static bool can_lock_memory(void)
{
	unsigned long long eff;
	char line[128];
	bool can = false;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			can = eff & (1ULL << CAP_IPC_LOCK);
			break;
		}
	}
	fclose(f);
	return can;
}

/*
 * The host pins the guest pages its shadow page tables map, and counts
 * them in the Launcher's RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK, which
 * root has until --username takes it away.  Make the limit cover all of
 * the guest's RAM, or refuse to start if it cannot.
 */
int lgdev_memlock(unsigned int mem_mb, bool drop_ids)
{
	rlim_t need = (rlim_t)mem_mb << 20;
	struct rlimit rl;
	char hard[32];
	rlim_t cur;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0) {
		errorf("cannot read RLIMIT_MEMLOCK: %s", strerror(errno));
		return -1;
	}
	cur = rl.rlim_cur;
	if (cur == RLIM_INFINITY || cur >= need)
		return 0;
	if (rl.rlim_max == RLIM_INFINITY)
		snprintf(hard, sizeof(hard), "unlimited");
	else
		snprintf(hard, sizeof(hard), "%llu kB",
			 (unsigned long long)rl.rlim_max >> 10);
	rl.rlim_cur = need;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		vmsg("RLIMIT_MEMLOCK raised from %llu kB to the guest's %u MB",
		     (unsigned long long)cur >> 10, mem_mb);
		return 0;
	}
	if (!drop_ids && can_lock_memory())
		return 0;
	errorf("RLIMIT_MEMLOCK is %llu kB (hard limit %s), less than the %u MB of %s%s: %s %u %s%s",
	       (unsigned long long)cur >> 10, hard, mem_mb,
	       "guest memory the host may pin",
	       drop_ids ? ", and --username takes CAP_IPC_LOCK away" : "",
	       "raise the hard limit (ulimit -l", mem_mb << 10,
	       "as root, or memlock in /etc/security/limits.conf)",
	       " or give the Launcher CAP_IPC_LOCK");
	return -1;
}

/*
 * One open file is one guest.  For a restarted guest the new file takes
 * the old one's place in a single dup3(), which closes the old one: the
 * host frees that guest, and a device thread raising an interrupt gets
 * one file or the other, never a closed or reused descriptor.  Once the
 * Launcher has dropped its privileges, the helper of privs.c opens the
 * file for it.
 */
int lgdev_open(const char *path)
{
	const char *hint = "";
	int fd;

	fd = opener_running() ? opener_open() :
				open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		if (lg_fd < 0) {
			lg_fd = fd;
			return 0;
		}
		pthread_mutex_lock(&irq_lock);
		if (dup3(fd, lg_fd, O_CLOEXEC) < 0)
			fatal(EXIT_INTERNAL, "cannot replace the guest's %s: %s",
			      path, strerror(errno));
		pthread_mutex_unlock(&irq_lock);
		close(fd);
		return 0;
	}
	if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
		hint = " (is the lg module loaded? try: modprobe lg)";
	else if (errno == EACCES || errno == EPERM)
		hint = " (run the Launcher as root, or give your user access to it)";
	else if (errno == EBUSY)
		hint = " (is another Launcher running?)";
	else if (errno == EPIPE && opener_running())
		hint = " (the helper that opens it once privileges are dropped is gone)";
	errorf("cannot open %s: %s%s", path, strerror(errno), hint);
	return -1;
}

/*
 * Tour 1.4: Handing the guest to the host
 *
 * One open file of /dev/lguest is one guest.  Its first write is
 * LHREQ_INITIALIZE: where guest memory starts in the Launcher, how many
 * pages of RAM the guest has, the guest-physical address it starts at,
 * and where its device memory ends: every access between the end of RAM
 * and that page comes back to us, but for the registers we hand to the
 * host (tour 8.5).  Every request is in
 * include/uapi/linux/lguest_launcher.h.  The next stop is in the host, at
 * what this write does there.
 */
int lgdev_initialize(uint32_t base, uint32_t mem_pages, uint32_t start,
		     uint32_t mmio_pages)
{
	uint32_t req[] = { LHREQ_INITIALIZE, base, mem_pages, start,
			   mmio_pages };
	char what[128];
	int err;

	if (request(req, ARRAY_SIZE(req))) {
		err = errno;
		snprintf(what, sizeof(what),
			 "LHREQ_INITIALIZE: base 0x%x, %u pages, start 0x%x, mmio up to page %u",
			 base, mem_pages, start, mmio_pages);
		errorf("the host refused the guest (%s): %s (see the host's kernel log: dmesg)",
		       what, strerror(err));
		return -1;
	}
	return 0;
}

uint32_t vcpu_getreg(enum lguest_reg reg)
{
	uint32_t req[] = { LHREQ_GETREG, reg };
	uint32_t val;
	ssize_t n;

	must(req, ARRAY_SIZE(req));
	do {
		n = pread(lg_fd, &val, sizeof(val), VCPU);
	} while (n < 0 && errno == EINTR);
	if (n != sizeof(val))
		fatal(EXIT_INTERNAL, "reading register %u after LHREQ_GETREG failed: %s",
		      reg, n < 0 ? strerror(errno) : "short read");
	return val;
}

void vcpu_setreg(enum lguest_reg reg, uint32_t val)
{
	uint32_t req[] = { LHREQ_SETREG, reg, val };

	must(req, ARRAY_SIZE(req));
}

/*
 * A device thread may raise an interrupt just as the guest dies; the
 * main thread then reports the death, so ENOENT is not an error here.
 * n is 2, or 3 with status bits for the line's status register.
 */
static void send_irq(const uint32_t *req, size_t n)
{
	int ret, err;

	pthread_mutex_lock(&irq_lock);
	ret = request(req, n);
	err = errno;
	pthread_mutex_unlock(&irq_lock);
	if (ret && err != ENOENT)
		fatal(EXIT_INTERNAL, "LHREQ_IRQ(%u) failed: %s", req[1],
		      strerror(err));
}

void vcpu_irq(unsigned int irq)
{
	uint32_t req[] = { LHREQ_IRQ, irq };

	send_irq(req, ARRAY_SIZE(req));
}

void vcpu_irq_status(unsigned int irq, uint32_t bits)
{
	uint32_t req[] = { LHREQ_IRQ, irq, bits };

	send_irq(req, ARRAY_SIZE(req));
}

/*
 * Registers the host answers itself (see <linux/lguest_launcher.h>).
 * Both return 0, or -1 with errno: the caller then answers the register
 * as before.
 */
int lgdev_irq_status(unsigned int irq, uint32_t status, uint32_t ack)
{
	uint32_t req[] = { LHREQ_IRQ_STATUS, irq, status, ack };

	return request(req, ARRAY_SIZE(req));
}

int lgdev_ioeventfd(uint32_t gpa, int fd)
{
	uint32_t req[] = { LHREQ_IOEVENTFD, gpa, (uint32_t)fd };

	return request(req, ARRAY_SIZE(req));
}

void vcpu_trap(unsigned int trapnr)
{
	uint32_t req[] = { LHREQ_TRAP, trapnr };

	must(req, ARRAY_SIZE(req));
}

/* Run the guest until it needs us: see the ABI header for the results. */
ssize_t vcpu_run(struct lguest_pending *p)
{
	return pread(lg_fd, p, sizeof(*p), VCPU);
}

ssize_t lgdev_death_reason(char *buf, size_t size)
{
	ssize_t n = pread(lg_fd, buf, size - 1, VCPU);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}
