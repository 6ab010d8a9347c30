/* Scripted Unix-socket server for the unit tests (fake_server.h). */
#include "fake_server.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void serve_one(struct fake_server *fs, int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = fs->stop_pipe[0], .events = POLLIN } };
	size_t got = 0;

	while (got < sizeof(fs->got) && poll(p, 2, 1000) > 0 && !p[1].revents) {
		ssize_t r = recv(fd, fs->got + got, sizeof(fs->got) - got, MSG_DONTWAIT);

		if (r <= 0)
			break;
		got += (size_t)r;
		if (got >= 48)
			break;
	}
	fs->got_len = got;
	fs->connections++;
	if (fs->mode == FAKE_REPLY)
		send(fd, fs->reply, fs->reply_len, MSG_NOSIGNAL);
	else if (fs->mode == FAKE_HANG)
		poll(&p[1], 1, 10000); /* until fake_stop */
	close(fd);
}

static void *run(void *arg)
{
	struct fake_server *fs = arg;
	struct pollfd p[2] = { { .fd = fs->lfd, .events = POLLIN },
			       { .fd = fs->stop_pipe[0], .events = POLLIN } };

	while (poll(p, 2, 10000) > 0 && !p[1].revents) {
		int fd = accept(fs->lfd, NULL, NULL);

		if (fd >= 0)
			serve_one(fs, fd);
	}
	return NULL;
}

int fake_start(struct fake_server *fs, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(fs->path, sizeof(fs->path), "%s", path);
	memcpy(sun.sun_path, fs->path, strlen(fs->path));
	unlink(fs->path);
	fs->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fs->lfd < 0 || pipe(fs->stop_pipe) != 0 ||
	    bind(fs->lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(fs->lfd, 8) != 0)
		return -1;
	return pthread_create(&fs->thread, NULL, run, fs) == 0 ? 0 : -1;
}

void fake_stop(struct fake_server *fs)
{
	if (write(fs->stop_pipe[1], "x", 1) != 1)
		return;
	pthread_join(fs->thread, NULL);
	close(fs->lfd);
	close(fs->stop_pipe[0]);
	close(fs->stop_pipe[1]);
	unlink(fs->path);
}
