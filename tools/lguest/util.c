// SPDX-License-Identifier: GPL-2.0
/*
 * Messages, the ways out, threads, and the terminal.
 *
 * Every error goes through errorf(), which also keeps the last one in
 * last_error so that the unit tests can check what a user would read.
 *
 * Only the main thread runs the guest and ends the Launcher normally.  A
 * device thread that wants the Launcher to stop (three Ctrl-C on the
 * console) asks the main thread with request_stop(), which interrupts its
 * read() of /dev/lguest; a thread that hits an internal error calls
 * fatal(), and exit() then ends every thread.  One lock makes sure that
 * exit() runs once, whichever threads get there.
 *
 * A device thread (struct dev_thread) waits in poll() for one file of its
 * device and for the main thread, which wakes it up through a pipe: for a
 * notify from the guest, a reset, or to make it end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "lguest.h"

bool verbose;
bool errors_quiet;		/* the unit tests set it to keep stderr clean */
char last_error[512];

static void vreport(const char *fmt, va_list ap)
{
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	if (!errors_quiet)
		fprintf(stderr, "lguest: %s\n", last_error);
}

void errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}

/* A message for --verbose only: what the guest did that we did not like. */
void vmsg(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	fputs("lguest: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static pthread_mutex_t exit_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * exit() runs the atexit handlers, which put the terminal back.  A second
 * thread on its way out waits here for the first one to end the process.
 */
void lguest_exit(int status)
{
	pthread_mutex_lock(&exit_lock);
	exit(status);
}

void fatal(int status, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&exit_lock);
	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	exit(status);
}

void vdump(const char *what, const uint8_t *bytes, size_t len)
{
	size_t i;

	if (!verbose)
		return;
	fprintf(stderr, "lguest: %s:", what);
	for (i = 0; i < len; i++)
		fprintf(stderr, " %02x", bytes[i]);
	fputc('\n', stderr);
}

/* The first stop request wins; the main thread acts on it. */
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static int stop_status;
static char stop_msg[256];
static pthread_t main_thread;
static bool have_main_thread;
static int stop_pending;	/* atomic: signal handlers read it */

void set_main_thread(void)
{
	main_thread = pthread_self();
	have_main_thread = true;
}

/*
 * SIGUSR1 interrupts the main thread's read() of /dev/lguest (the device
 * threads block every signal).  Should it land just before that read()
 * starts, the SIGALRM that main.c keeps re-arming while a stop is pending
 * comes a second later.
 */
void request_stop(int status, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&stop_lock);
	if (!stop_is_pending()) {
		stop_status = status;
		va_start(ap, fmt);
		vsnprintf(stop_msg, sizeof(stop_msg), fmt, ap);
		va_end(ap);
		__atomic_store_n(&stop_pending, 1, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&stop_lock);
	if (have_main_thread) {
		alarm(1);
		pthread_kill(main_thread, SIGUSR1);
	}
}

/*
 * A termination signal came (main.c's handler calls this).  The main
 * thread reports the signal and stops; what retries after EINTR (console
 * output, disk I/O) must give up on seeing stop_is_pending().  Async-
 * signal-safe: a lock-free atomic store.  It leaves no message, so the
 * main thread looks at its signal before stop_requested().
 */
void stop_signalled(void)
{
	__atomic_store_n(&stop_pending, 1, __ATOMIC_SEQ_CST);
}

/* Async-signal-safe: a lock-free atomic load. */
bool stop_is_pending(void)
{
	return __atomic_load_n(&stop_pending, __ATOMIC_SEQ_CST);
}

bool stop_requested(int *status, char *msg, size_t size)
{
	bool ret;

	pthread_mutex_lock(&stop_lock);
	ret = stop_is_pending();
	if (ret) {
		*status = stop_status;
		snprintf(msg, size, "%s", stop_msg);
	}
	pthread_mutex_unlock(&stop_lock);
	return ret;
}

/*
 * A device thread.  It blocks every signal, so that the termination
 * signals, and the wake-ups of request_stop(), go to the main thread.
 */
static int start_thread(pthread_t *tid, void *(*fn)(void *), void *arg,
			const char *what)
{
	sigset_t block, old;
	int ret;

	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	ret = pthread_create(tid, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		errorf("cannot start the %s thread: %s", what, strerror(ret));
		return -1;
	}
	return 0;
}

void dev_thread_init(struct dev_thread *t, const char *name, const char *what)
{
	t->name = name;
	t->what = what;
	t->wake[0] = -1;
	t->wake[1] = -1;
	t->started = false;
	t->stopping = false;
}

/* The thread runs fn(arg), which waits with dev_thread_wait(). */
int dev_thread_start(struct dev_thread *t, void *(*fn)(void *), void *arg)
{
	char what[64];

	if (pipe2(t->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		errorf("%s: cannot make a pipe for the %s thread: %s",
		       t->name, t->what, strerror(errno));
		return -1;
	}
	t->stopping = false;
	snprintf(what, sizeof(what), "%s %s", t->name, t->what);
	if (start_thread(&t->tid, fn, arg, what)) {
		close(t->wake[0]);
		close(t->wake[1]);
		t->wake[0] = -1;
		t->wake[1] = -1;
		return -1;
	}
	t->started = true;
	return 0;
}

/* From the main thread; a no-op while the thread is not running. */
void dev_thread_wake(struct dev_thread *t)
{
	char c = 0;

	/* Non-blocking: if the pipe is full, a wake-up is pending anyway. */
	if (t->wake[1] >= 0 && write(t->wake[1], &c, 1) < 0 &&
	    errno != EAGAIN)
		vmsg("%s: cannot wake the %s thread: %s", t->name, t->what,
		     strerror(errno));
}

/* Make the thread end and wait for it; nothing if it never started. */
void dev_thread_stop(struct dev_thread *t)
{
	if (!t->started)
		return;
	__atomic_store_n(&t->stopping, true, __ATOMIC_SEQ_CST);
	dev_thread_wake(t);
	pthread_join(t->tid, NULL);
	t->started = false;
	close(t->wake[0]);
	close(t->wake[1]);
	t->wake[0] = -1;
	t->wake[1] = -1;
}

/*
 * In the thread: wait for a wake-up, or for fd to be readable (or to fail:
 * any event on it counts).  fd may be negative: a wake-up only, then.
 * Returns 1 if fd has an event, 0 after a wake-up alone, and -1 when the
 * thread must end: it was told to, or poll() or the pipe failed.
 */
int dev_thread_wait(struct dev_thread *t, int fd)
{
	struct pollfd fds[2] = {
		{ .fd = t->wake[0], .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
	};
	char drain[64];

	while (poll(fds, 2, -1) < 0) {
		if (errno != EINTR) {
			vmsg("%s: %s stops: poll: %s", t->name, t->what,
			     strerror(errno));
			return -1;
		}
	}
	if (__atomic_load_n(&t->stopping, __ATOMIC_SEQ_CST))
		return -1;
	if (fds[0].revents && read(t->wake[0], drain, sizeof(drain)) < 0 &&
	    errno != EAGAIN)
		return -1;
	return fd >= 0 && fds[1].revents;
}

/* The terminal, if stdin is one, as we found it. */
static struct termios saved_term;
static int term_fd = -1;

/*
 * Raw input: every key goes to the guest as it is typed, Ctrl-C and
 * Ctrl-Z included, with no echo (the guest echoes).  Output processing is
 * left alone.  term_restore() undoes it; main() makes sure it runs on
 * every way out.
 */
int term_raw(int fd)
{
	struct termios t;

	if (!isatty(fd) || tcgetattr(fd, &saved_term) < 0)
		return 0;
	t = saved_term;
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
		       ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSAFLUSH, &t) < 0) {
		errorf("cannot put the terminal in raw mode: %s",
		       strerror(errno));
		return -1;
	}
	term_fd = fd;
	return 0;
}

/* Async-signal-safe: the fatal signal handlers call it. */
void term_restore(void)
{
	if (term_fd >= 0)
		tcsetattr(term_fd, TCSAFLUSH, &saved_term);
}
