// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: dropping privileges (privs.c).
 */
#include "unit.h"

/* ---------------------------------------------------------------- */
/* Privileges                                                        */

static const char *passwd_file, *jail, *secret;

static void check_user(const char *user, uid_t uid, gid_t gid)
{
	struct config cfg = { .username = user };
	struct creds c;

	clear_error();
	CHECK(creds_prepare(&cfg, passwd_file, &c) == 0 && c.set_ids &&
	      c.uid == uid && c.gid == gid && !c.root,
	      "--username=%s is %u:%u", user, (unsigned int)uid,
	      (unsigned int)gid);
}

static void check_user_err(const char *user, const char *file,
			   const char *err)
{
	struct config cfg = { .username = user };
	struct creds c;

	clear_error();
	CHECK_ERR(creds_prepare(&cfg, file, &c) < 0, err);
}

/* In a child: chroot, become 4242:4343, open a file through the helper. */
static void drop_child(void)
{
	struct config cfg = { .username = "lgtest", .chroot = jail };
	char buf[32] = "";
	struct creds c;
	int fd, fd2;

	group = "privileges";
	CHECK(creds_prepare(&cfg, passwd_file, &c) == 0, "prepared");
	CHECK(opener_start(secret) == 0 && opener_running(), "the helper starts");
	CHECK(creds_drop(&c) == 0, "dropped");
	CHECK(getuid() == 4242 && geteuid() == 4242 && getgid() == 4343 &&
	      getegid() == 4343, "now uid 4242, gid 4343");
	CHECK(getgroups(0, NULL) == 1, "one group");
	CHECK(setuid(0) < 0 && geteuid() == 4242, "no way back to root");
	CHECK(access("/inside-the-jail", F_OK) == 0, "chrooted");
	CHECK(open(secret, O_RDONLY) < 0, "the file outside is out of reach");
	fd = opener_open();
	CHECK(fd >= 0 && pread(fd, buf, sizeof(buf) - 1, 0) == 13 &&
	      !strcmp(buf, "lguest-secret"), "... but the helper opens it");
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "close-on-exec");
	fd2 = opener_open();
	CHECK(fd2 >= 0 && fd2 != fd, "and again (a second restart)");
	close(fd);
	close(fd2);
	opener_stop();
	CHECK(!opener_running(), "the helper ends");
}

static void test_privileges(void)
{
	static const char pw[] =
		"root:x:0:0:root:/root:/bin/sh\n"
		"lgtest:x:4242:4343:test:/:/bin/sh\n"
		"other:x:5000:5001::/:/bin/sh\n";
	struct config cfg = { .chroot = "/nonexistent" };
	struct creds c;
	char path[300];

	group = "privileges";
	passwd_file = write_tmp("passwd", pw, strlen(pw));
	check_user("lgtest", 4242, 4343);
	check_user("root", 0, 0);
	check_user("4242", 4242, 4343);
	check_user("1000", 1000, 1000);
	check_user("1000:5", 1000, 5);
	check_user("0:0", 0, 0);
	check_user_err("nosuchuser", passwd_file,
		       "unknown user 'nosuchuser': not in ");
	check_user_err("nosuchuser", passwd_file,
		       " (give an existing user, or a numeric UID[:GID])");
	check_user_err("lgtes", passwd_file, "unknown user 'lgtes'");
	check_user_err("12x", passwd_file,
		       "--username=12x is neither a user name nor a numeric UID or UID:GID");
	check_user_err("1000:", passwd_file, "neither a user name");
	check_user_err("1000:x", passwd_file, "neither a user name");
	check_user_err("4294967295", passwd_file, "neither a user name");
	check_user_err("99999999999", passwd_file, "neither a user name");
	check_user_err("bob", "/nonexistent/passwd",
		       "cannot read /nonexistent/passwd to look up user 'bob': No such file or directory (give a numeric UID[:GID] instead)");

	clear_error();
	CHECK_ERR(creds_prepare(&cfg, passwd_file, &c) < 0,
		  "cannot use --chroot=/nonexistent: No such file or directory (create the directory first)");
	cfg.chroot = passwd_file;
	CHECK_ERR(creds_prepare(&cfg, passwd_file, &c) < 0,
		  "is not a directory: give the (empty) directory to confine the Launcher to");
	cfg.chroot = tmpdir;
	CHECK(creds_prepare(&cfg, passwd_file, &c) == (geteuid() ? -1 : 0) &&
	      (geteuid() || (c.root == tmpdir && !c.set_ids)),
	      "--chroot alone");
	if (geteuid()) {
		CHECK_ERR(true, "run it as root");
		skip("not root: dropping privileges");
		return;
	}

	snprintf(path, sizeof(path), "%s/jail", tmpdir);
	jail = path;
	if (mkdir(jail, 0755) < 0 && errno != EEXIST)
		CHECK(false, "mkdir %s: %s", jail, strerror(errno));
	write_tmp("jail/inside-the-jail", "", 0);
	secret = write_tmp("secret", "lguest-secret", 13);
	chmod(secret, 0600);
	in_child("dropping privileges", drop_child);
	rmdir_at_end = jail;
}

UNIT_TEST(test_privileges, 90);
