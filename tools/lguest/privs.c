// SPDX-License-Identifier: GPL-2.0
/*
 * Dropping privileges: --chroot=DIR and --username=USER.
 *
 * The Launcher needs root to set the guest up (/dev/lguest, taps, maybe
 * the disk images), and nothing of it afterwards: once the guest is
 * loaded and its devices are open, it chroots to DIR and becomes USER, so
 * that a guest which found a hole in the device code gets no more than
 * that user in an empty directory.  USER is looked up (in /etc/passwd,
 * parsed here: a static program cannot count on the C library's NSS
 * modules) and DIR checked before anything starts, so that a typo is
 * refused at once.
 *
 * A guest that reboots is started again in the same Launcher, which then
 * needs a new /dev/lguest open file (one open file is one guest) and can
 * no longer open one: no root, and no /dev in its chroot.  So before it
 * drops anything, the Launcher forks a tiny helper that keeps root, stays
 * outside the chroot and does one thing: open /dev/lguest when asked, and
 * hand the file over a socket (SCM_RIGHTS).  It takes no other request
 * and holds nothing else open; it ends with the Launcher (end of file on
 * the socket, or PR_SET_PDEATHSIG if the Launcher is killed).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lguest.h"

/* A decimal user or group ID; -1 (0xffffffff) is not one. */
static bool parse_id(const char *s, size_t len, uint32_t *id)
{
	uint64_t v = 0;
	size_t i;

	if (!len || len > 10)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v >= 0xffffffffu)
		return false;
	*id = v;
	return true;
}

/*
 * The passwd entry of name (or, with name NULL, of uid): its uid and gid.
 * 1 found, 0 not found, -1 the file cannot be read.
 */
static int find_passwd(const char *file, const char *name, uid_t uid,
		       uid_t *uidp, gid_t *gidp)
{
	struct passwd pw, *p;
	char buf[4096];
	int found = 0;
	FILE *f;

	f = fopen(file, "re");
	if (!f)
		return -1;
	while (!found && !fgetpwent_r(f, &pw, buf, sizeof(buf), &p)) {
		if (name ? !strcmp(p->pw_name, name) : p->pw_uid == uid) {
			*uidp = p->pw_uid;
			*gidp = p->pw_gid;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/*
 * USER: a name from the passwd file, or a numeric UID[:GID]; without a
 * GID, the group is the one passwd gives that UID, or else the UID.
 */
static int lookup_user(const char *file, const char *user, struct creds *c)
{
	const char *colon = strchr(user, ':');
	uint32_t uid, gid;
	int ret;

	if (user[0] >= '0' && user[0] <= '9') {
		if (!parse_id(user, colon ? (size_t)(colon - user) : strlen(user),
			      &uid) ||
		    (colon && !parse_id(colon + 1, strlen(colon + 1), &gid))) {
			errorf("--username=%s is neither a user name nor a numeric UID or UID:GID",
			       user);
			return -1;
		}
		c->uid = uid;
		if (colon)
			c->gid = gid;
		else if (find_passwd(file, NULL, uid, &c->uid, &c->gid) != 1)
			c->gid = uid;
		return 0;
	}
	ret = find_passwd(file, user, 0, &c->uid, &c->gid);
	if (ret < 0) {
		errorf("cannot read %s to look up user '%s': %s (give a numeric UID[:GID] instead)",
		       file, user, strerror(errno));
		return -1;
	}
	if (!ret) {
		errorf("unknown user '%s': not in %s (%s)", user, file,
		       "give an existing user, or a numeric UID[:GID]");
		return -1;
	}
	return 0;
}

/* Check --username and --chroot, before the guest is set up. */
int creds_prepare(const struct config *cfg, const char *passwd_file,
		  struct creds *c)
{
	struct stat st;

	memset(c, 0, sizeof(*c));
	if (cfg->username) {
		if (lookup_user(passwd_file, cfg->username, c))
			return -1;
		c->set_ids = true;
	}
	if (cfg->chroot) {
		if (stat(cfg->chroot, &st) < 0) {
			errorf("cannot use --chroot=%s: %s (create the directory first)",
			       cfg->chroot, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			errorf("--chroot=%s is not a directory: give the %s",
			       cfg->chroot,
			       "(empty) directory to confine the Launcher to");
			return -1;
		}
		c->root = cfg->chroot;
	}
	if ((c->set_ids || c->root) && geteuid() != 0) {
		errorf("--username and --chroot take root's privileges away, %s %u: %s",
		       "and the Launcher runs as uid", (unsigned int)geteuid(),
		       "run it as root");
		return -1;
	}
	return 0;
}

/*
 * Become what --chroot and --username say.  The chroot first, while we
 * still may; then the groups, then the user, after which there is no way
 * back (a setuid() by root sets the saved ID too), which we check.
 */
int creds_drop(const struct creds *c)
{
	gid_t gid = c->gid;

	if (c->root && (chroot(c->root) < 0 || chdir("/") < 0)) {
		errorf("cannot chroot to %s: %s", c->root, strerror(errno));
		return -1;
	}
	if (!c->set_ids)
		return 0;
	if (setgroups(1, &gid) < 0 || setgid(c->gid) < 0 ||
	    setuid(c->uid) < 0) {
		errorf("cannot become uid %u, gid %u: %s", (unsigned int)c->uid,
		       (unsigned int)c->gid, strerror(errno));
		return -1;
	}
	if (c->uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		errorf("still root after becoming uid %u: refusing to go on",
		       (unsigned int)c->uid);
		return -1;
	}
	vmsg("running as uid %u, gid %u%s%s", (unsigned int)c->uid,
	     (unsigned int)c->gid, c->root ? ", chrooted to " : "",
	     c->root ? c->root : "");
	return 0;
}

/* ---- the helper that opens /dev/lguest for a restarted guest ---- */

static int opener_sock = -1;
static pid_t opener_pid;

/* The answer: an errno (0 for success), and the file with it. */
static void send_fd(int sock, int err, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static void __noreturn opener_main(int sock, const char *path, pid_t parent)
{
	unsigned int fd;
	char req;
	ssize_t n;
	int lg;

	/* Die with the Launcher, even if it is killed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	/* Its own process group: the terminal's signals are the Launcher's. */
	setpgid(0, 0);
	for (fd = 0; fd < 1024; fd++)
		if ((int)fd != sock)
			close(fd);
	for (;;) {
		n = recv(sock, &req, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		lg = open(path, O_RDWR | O_CLOEXEC);
		send_fd(sock, lg < 0 ? errno : 0, lg);
		if (lg >= 0)
			close(lg);
	}
}

/*
 * Fork the helper, before dropping privileges and before opening
 * anything else (it must not hold on to a tap or a disk).
 */
int opener_start(const char *path)
{
	pid_t parent = getpid(), pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		errorf("cannot make a socket for the /dev/lguest helper: %s",
		       strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		errorf("cannot fork the /dev/lguest helper: %s",
		       strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		opener_main(sv[1], path, parent);
	close(sv[1]);
	opener_sock = sv[0];
	opener_pid = pid;
	return 0;
}

bool opener_running(void)
{
	return opener_sock >= 0;
}

/* A new open file from the helper, or -1 with errno set. */
int opener_open(void)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	int err = EPIPE, fd = -1;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	char req = 'o';
	ssize_t n;

	do {
		n = send(opener_sock, &req, 1, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != 1) {
		errno = EPIPE;
		return -1;
	}
	do {
		n = recvmsg(opener_sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n != sizeof(err)) {
		errno = EPIPE;
		return -1;
	}
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET &&
	    cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (err || fd < 0) {
		if (fd >= 0)
			close(fd);
		errno = err ? err : EPROTO;
		return -1;
	}
	return fd;
}

/* The helper ends at the end of file on its socket. */
void opener_stop(void)
{
	if (opener_sock < 0)
		return;
	close(opener_sock);
	opener_sock = -1;
	while (waitpid(opener_pid, NULL, 0) < 0 && errno == EINTR)
		;
}
