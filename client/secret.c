/* Shared secret from a file or the terminal: see secret.h. */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "private_file.h"
#include "secure_mem.h"

void secret_wipe(struct secret *s)
{
	wipe(s, sizeof(*s));
}

int secret_parse(const char *text, size_t len, struct secret *s, char *err, size_t errlen)
{
	if (len && text[len - 1] == '\n') {
		len--;
		if (len && text[len - 1] == '\r')
			len--;
	}
	secret_wipe(s);
	if (len == 0) {
		snprintf(err, errlen, "the passphrase is empty");
		return -1;
	}
	if (len > SECRET_MAX) {
		snprintf(err, errlen, "the passphrase is longer than %d octets", SECRET_MAX);
		return -1;
	}
	memcpy(s->buf, text, len);
	s->len = len;
	return 0;
}

int secret_from_file(const char *path, uid_t owner, struct secret *s, char *err, size_t errlen)
{
	char buf[SECRET_MAX + 3];   /* passphrase, "\r\n", NUL */
	ssize_t len = private_file_read(path, owner, buf, SECRET_MAX + 2, err, errlen);
	int rc = -1;

	if (len >= 0)
		rc = secret_parse(buf, (size_t)len, s, err, errlen);
	wipe(buf, sizeof(buf));
	if (rc)
		secret_wipe(s);
	return rc;
}

/* ---- terminal -------------------------------------------------------- */

static const int cancel_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
#define NCANCEL (sizeof(cancel_signals) / sizeof(cancel_signals[0]))

static volatile sig_atomic_t cancelled;

static void on_cancel(int sig)
{
	(void)sig;
	cancelled = 1;
}

/* Handlers without SA_RESTART, so a signal ends the read with EINTR. */
static void catch_cancel(struct sigaction old[NCANCEL])
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_cancel;
	sigemptyset(&sa.sa_mask);
	cancelled = 0;
	for (size_t i = 0; i < NCANCEL; i++)
		sigaction(cancel_signals[i], &sa, &old[i]);
}

static void restore_signals(const struct sigaction old[NCANCEL])
{
	for (size_t i = 0; i < NCANCEL; i++)
		sigaction(cancel_signals[i], &old[i], NULL);
}

/* One line (up to '\n' or EOF) into buf; returns its length or -1. */
static ssize_t read_line(int fd, char *buf, size_t cap, char *err, size_t errlen)
{
	size_t len = 0;

	while (len < cap) {
		ssize_t r = read(fd, buf + len, 1);

		if (r < 0 && errno == EINTR && !cancelled)
			continue;
		if (r < 0) {
			snprintf(err, errlen, cancelled ? "interrupted" : "reading the terminal: %s",
				 strerror(errno));
			return -1;
		}
		if (r == 0 || buf[len] == '\n')
			return (ssize_t)(len + (size_t)r);
		len++;
	}
	snprintf(err, errlen, "the passphrase is longer than %d octets", SECRET_MAX);
	return -1;
}

static void write_str(int fd, const char *s)
{
	ssize_t r = write(fd, s, strlen(s));

	(void)r; /* a prompt that cannot be shown still lets the user type */
}

int secret_from_tty(const char *prompt, struct secret *s, char *err, size_t errlen)
{
	char buf[SECRET_MAX + 2];
	struct sigaction old[NCANCEL];
	struct termios saved, quiet;
	ssize_t len = -1;
	int rc = -1, fd;

	secret_wipe(s);
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the terminal: %s", strerror(errno));
		return -1;
	}
	if (tcgetattr(fd, &saved) < 0) {
		snprintf(err, errlen, "not a terminal: %s", strerror(errno));
		close(fd);
		return -1;
	}
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL | ICANON;
	catch_cancel(old);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		snprintf(err, errlen, "cannot turn echo off: %s", strerror(errno));
	} else {
		write_str(fd, prompt);
		len = read_line(fd, buf, sizeof(buf), err, errlen);
	}
	tcsetattr(fd, TCSAFLUSH, &saved);
	restore_signals(old);
	if (cancelled)
		write_str(fd, "\n");
	close(fd);
	if (len >= 0 && cancelled)
		snprintf(err, errlen, "interrupted");
	else if (len >= 0)
		rc = secret_parse(buf, (size_t)len, s, err, errlen);
	wipe(buf, sizeof(buf));
	return rc;
}
