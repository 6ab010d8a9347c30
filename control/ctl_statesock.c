/* The operational-state socket: a Unix SOCK_STREAM socket, mode 0600. A
 * reader connects, gets the state as YANG JSON (ctl_state.c), and the
 * server closes. Writes are non-blocking like everything else; a reader
 * that does not take the document within CTL_STATE_TIMEOUT_MS is
 * dropped, and at most CTL_STATE_CLIENTS are served at once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_server.h"

#define CTL_STATE_CLIENTS 16
#define CTL_STATE_TIMEOUT_MS 5000u

static int make_dir(const char *path, char *err, size_t errlen)
{
	char dir[108], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "state socket directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int ctl_statesock_open(struct ctl_server *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->state_lis };
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "state socket path too long: %s", path);
		return -1;
	}
	if (make_dir(path, err, errlen) != 0)
		return -1;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path); /* left by a previous run */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	old = umask(0177);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(path, 0600) != 0 ||
	    listen(fd, 8) != 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		umask(old);
		snprintf(err, errlen, "state socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	umask(old);
	s->state_lis = (struct ctl_ev){ .kind = CTL_EV_STATE_LISTEN, .fd = fd };
	snprintf(s->state_path, sizeof(s->state_path), "%s", path);
	ctl_logf(&s->log, LOG_NOTICE, "operational state on %s (mode 0600)", path);
	return 0;
}

static void sc_close(struct ctl_state_client *sc)
{
	struct ctl_server *s = sc->srv;

	epoll_ctl(s->epfd, EPOLL_CTL_DEL, sc->ev.fd, NULL);
	close(sc->ev.fd);
	sc->ev.fd = -1;
	ctl_timer_cancel(&s->timers, &sc->timer);
	if (sc->prev)
		sc->prev->next = sc->next;
	else
		s->state_clients = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	free(sc->buf);
	sc->buf = NULL;
	s->nstate--;
	ctl_bury(s, &sc->ev);
}

static void sc_timeout(struct ctl_timer *t, uint64_t now)
{
	(void)now;
	sc_close((struct ctl_state_client *)((char *)t - offsetof(struct ctl_state_client, timer)));
}

/* Write what the reader takes; close when done or broken. */
static void sc_write(struct ctl_state_client *sc)
{
	while (sc->off < sc->len) {
		ssize_t w = send(sc->ev.fd, sc->buf + sc->off, sc->len - sc->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = sc };

			epoll_ctl(sc->srv->epfd, EPOLL_CTL_MOD, sc->ev.fd, &ev);
			return;
		}
		if (w <= 0)
			break;
		sc->off += (size_t)w;
	}
	sc_close(sc);
}

void ctl_statesock_event(struct ctl_state_client *sc, uint32_t events)
{
	(void)events;
	sc_write(sc);
}

static void serve(struct ctl_server *s, int fd)
{
	struct ctl_state_client *sc = calloc(1, sizeof(*sc));
	struct epoll_event ev = { .events = 0, .data.ptr = sc };

	s->ctr.v[CTL_C_STATE_REQUESTS]++;
	if (sc)
		sc->buf = ctl_state_json(s);
	if (!sc || !sc->buf || epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		ctl_logf(&s->log, LOG_ERR, "operational state: cannot build or serve it");
		if (sc)
			free(sc->buf);
		free(sc);
		close(fd);
		return;
	}
	sc->ev = (struct ctl_ev){ .kind = CTL_EV_STATE_CLIENT, .fd = fd };
	sc->srv = s;
	sc->len = strlen(sc->buf);
	ctl_timer_init(&sc->timer, sc_timeout);
	ctl_timer_arm(&s->timers, &sc->timer, ctl_mono_ms() + CTL_STATE_TIMEOUT_MS);
	sc->next = s->state_clients;
	if (s->state_clients)
		s->state_clients->prev = sc;
	s->state_clients = sc;
	s->nstate++;
	sc_write(sc);
}

void ctl_statesock_accept(struct ctl_server *s)
{
	for (int i = 0; i < CTL_STATE_CLIENTS; i++) {
		int fd = accept4(s->state_lis.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (s->nstate >= CTL_STATE_CLIENTS) {
			close(fd);
			continue;
		}
		serve(s, fd);
	}
}

void ctl_statesock_close_all(struct ctl_server *s)
{
	while (s->state_clients)
		sc_close(s->state_clients);
	if (s->state_lis.fd >= 0) {
		close(s->state_lis.fd);
		unlink(s->state_path);
	}
	s->state_lis.fd = -1;
}
