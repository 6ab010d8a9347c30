/* twamp-controld's event loop: setup, the loop, shutdown (see
 * ctl_server.h). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "config_file.h"
#include "ctl_server.h"
#include "ntp_time.h"
#include "secure_mem.h"
#include "twr_build_config.h"

/* ---- the environment of every connection ---- */

static void env_random(void *arg, uint8_t *buf, size_t n)
{
	(void)arg;
	while (n > 0) {
		ssize_t r = getrandom(buf, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) { /* no randomness: nothing safe can be done */
			fprintf(stderr, "twamp-controld: error: getrandom: %s\n", strerror(errno));
			abort();
		}
		buf += r;
		n -= (size_t)r;
	}
}

static uint64_t env_ntp_now(void *arg)
{
	(void)arg;
	return ntp_now();
}

static uint64_t env_mono_ms(void *arg)
{
	(void)arg;
	return ctl_mono_ms();
}

static void env_auth_result(void *arg, const struct ctl_ip *peer, bool ok)
{
	struct ctl_server *s = arg;
	const struct ctl_security_cfg *sec = &s->cfg->security;
	char ip[CTL_ADDR_STR];
	unsigned what;

	if (ok)
		return;
	what = ctl_guard_fail(&s->guard, peer, ctl_mono_ms());
	if (what & CTL_GUARD_NOW_BLOCKED) {
		s->ctr.v[CTL_C_BLOCKED]++;
		ctl_logf(&s->log, LOG_WARNING,
			 "address blocked: %s after %u failed authentications within %us, for %us",
			 ctl_ip_str(peer, ip, sizeof(ip)), sec->block_failed_times,
			 sec->block_failed_period_s, sec->block_reactive_s);
	}
	if (what & CTL_GUARD_ALARM_RAISED) {
		s->ctr.v[CTL_C_ALARMS]++;
		ctl_logf(&s->log, LOG_ERR,
			 "alarm raised: login-failed-threshold: %u failed authentications within %us",
			 sec->alarm_upper, sec->alarm_period_s);
	}
}

static void set_env(struct ctl_server *s)
{
	env_random(NULL, s->dummy_secret, sizeof(s->dummy_secret));
	s->env = (struct ctl_conn_env){
		.cfg = s->cfg, .dp = s->dp, .ports = s->ports, .ctr = &s->ctr, .log = &s->log,
		.start_time = ntp_now(), .dummy_secret = s->dummy_secret,
		.dummy_len = sizeof(s->dummy_secret), .random = env_random,
		.ntp_now = env_ntp_now, .mono_ms = env_mono_ms, .auth_result = env_auth_result,
		.arg = s,
	};
	if (s->cfg->server.modes & TWC_MODE_IKEV2) {
		s->env.ike_offer = ctl_ika_offer;
		s->env.ike_lookup = ctl_ika_lookup;
	}
}

/* ---- housekeeping ---- */

static void unblocked(void *arg, const struct ctl_ip *ip)
{
	struct ctl_server *s = arg;
	char a[CTL_ADDR_STR];

	ctl_logf(&s->log, LOG_NOTICE, "address unblocked: %s", ctl_ip_str(ip, a, sizeof(a)));
}

static void tick(struct ctl_timer *t, uint64_t now)
{
	struct ctl_server *s = (struct ctl_server *)((char *)t - offsetof(struct ctl_server, tick));

	if (ctl_guard_tick(&s->guard, now, unblocked, s))
		ctl_logf(&s->log, LOG_NOTICE,
			 "alarm cleared: login-failed-threshold: %u failed authentications within %us",
			 ctl_guard_alarm_count(&s->guard, now), s->cfg->security.alarm_period_s);
	ctl_timer_arm(&s->timers, t, now + CTL_TICK_MS);
}

/* ---- setup and shutdown ---- */

static int open_signals(struct ctl_server *s, char *err, size_t errlen)
{
	sigset_t set;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->sig };

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->sig.kind = CTL_EV_SIGNAL;
	s->sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig.fd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sig.fd, &ev) != 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* One descriptor per connection: take what the hard limit allows. */
static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static int open_dataplane(struct ctl_server *s, const char *path, char *err, size_t errlen)
{
	struct twr_api_info info;
	int st;

	s->dp = ctl_dp_unix_new(path, CTL_DP_TIMEOUT_MS);
	if (!s->dp) {
		snprintf(err, errlen, "session socket path too long: %s", path);
		return -1;
	}
	/* the first call that reaches the dataplane FLUSHes it (ctl_dp.h) */
	st = s->dp->call(s->dp, TWR_OP_INFO, NULL, 0, &info, sizeof(info));
	if (st == TWR_API_OK)
		ctl_logf(&s->log, LOG_NOTICE, "dataplane at %s: flushed; %u sessions at most", path,
			 info.max_sessions);
	else
		ctl_logf(&s->log, LOG_WARNING,
			 "dataplane at %s: %s; sessions are refused (Accept 2) until it answers",
			 path, ctl_dp_status_str(st));
	return 0;
}

int ctl_server_init(struct ctl_server *s, const struct ctl_config *cfg,
		    const struct ctl_server_opts *o, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->epfd = -1;
	s->ika.ev.fd = -1;
	s->sig.fd = -1;
	s->state_lis.fd = -1;
	if (ctl_log_open(&s->log, cfg, err, errlen) != 0)
		return -1;
	if (cfg->server.modes & ~CTL_MODES_SUPPORTED)
		ctl_logf(&s->log, LOG_WARNING,
			 "modes 0x%x are configured but this server does not support them: not offered",
			 cfg->server.modes & ~CTL_MODES_SUPPORTED);
	s->ports = calloc(1, sizeof(*s->ports));
	if (!s->ports || ctl_guard_init(&s->guard, cfg) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->yctx = cfg_ctx_new(err, errlen);
	if (!s->yctx)
		return -1;
	raise_nofile();
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	if (open_signals(s, err, errlen) != 0 ||
	    open_dataplane(s, o->session_socket, err, errlen) != 0)
		return -1;
	set_env(s);
	ctl_ika_init(s);
	if (ctl_statesock_open(s, o->state_socket, err, errlen) != 0 ||
	    ctl_listen_open(s, err, errlen) != 0)
		return -1;
	ctl_timer_init(&s->tick, tick);
	ctl_timer_arm(&s->timers, &s->tick, ctl_mono_ms() + CTL_TICK_MS);
	return 0;
}

static void on_signal(struct ctl_server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sig.fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		ctl_logf(&s->log, LOG_NOTICE, "signal %u: shutting down", si.ssi_signo);
		s->stop = true;
	}
}

static void dispatch(struct ctl_server *s, struct ctl_ev *ev, uint32_t events)
{
	if (ev->fd < 0)
		return; /* closed earlier in this batch */
	switch (ev->kind) {
	case CTL_EV_LISTEN: ctl_listen_accept(s, (struct ctl_listener *)ev); break;
	case CTL_EV_PEER: ctl_peer_event((struct ctl_peer *)ev, events); break;
	case CTL_EV_STATE_LISTEN: ctl_statesock_accept(s); break;
	case CTL_EV_STATE_CLIENT: ctl_statesock_event((struct ctl_state_client *)ev, events); break;
	case CTL_EV_SIGNAL: on_signal(s); break;
	case CTL_EV_KEYAGENT: ctl_ika_event((struct ctl_ika *)ev, events); break;
	}
}

void ctl_bury(struct ctl_server *s, struct ctl_ev *ev)
{
	ev->dead = s->graveyard;
	s->graveyard = ev;
}

/* every owner has its ctl_ev first: freeing the ctl_ev frees the owner */
static void free_graveyard(struct ctl_server *s)
{
	while (s->graveyard) {
		struct ctl_ev *n = s->graveyard->dead;

		free(s->graveyard);
		s->graveyard = n;
	}
}

int ctl_server_run(struct ctl_server *s)
{
	struct epoll_event evs[64];

	ctl_logf(&s->log, LOG_NOTICE, "twamp-controld %s running: %zu listening sockets", TWR_VERSION,
		 s->nlis);
	while (!s->stop) {
		uint64_t now = ctl_mono_ms(), next = ctl_timer_next(&s->timers);
		int timeout = next == UINT64_MAX ? -1 : next <= now ? 0
			      : next - now > INT_MAX ? INT_MAX : (int)(next - now);
		int n = epoll_wait(s->epfd, evs, 64, timeout);

		if (n < 0 && errno != EINTR) {
			ctl_logf(&s->log, LOG_ERR, "epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++)
			dispatch(s, evs[i].data.ptr, evs[i].events);
		free_graveyard(s);
		ctl_timer_run(&s->timers, ctl_mono_ms());
		free_graveyard(s);
	}
	return 0;
}

void ctl_server_fini(struct ctl_server *s)
{
	while (s->clients)
		ctl_peer_close(s->clients, "server shutting down");
	free_graveyard(s);
	ctl_statesock_close_all(s);
	ctl_ika_fini(&s->ika);
	for (size_t i = 0; i < s->nlis; i++)
		close(s->lis[i].ev.fd);
	if (s->sig.fd >= 0)
		close(s->sig.fd);
	if (s->epfd >= 0)
		close(s->epfd);
	ctl_dp_free(s->dp);
	ctl_timers_free(&s->timers);
	ctl_guard_fini(&s->guard);
	free(s->ports);
	if (s->yctx)
		ly_ctx_destroy(s->yctx);
	ctl_log_close(&s->log);
	wipe(s->dummy_secret, sizeof(s->dummy_secret));
}
