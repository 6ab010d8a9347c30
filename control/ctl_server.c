/* twamp-controld's server: setup, the handlers' wiring, shutdown (see
 * ctl_server.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "cfg_file.h"
#include "ctl_server.h"
#include "ntp_time.h"
#include "ctl_state.h"
#include "keyagent_client.h"
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

	struct ctl_ip src;

	if (ok)
		return;
	what = ctl_guard_fail(&s->guard, peer, ctl_mono_ms());
	src = ctl_guard_source(&s->guard, peer);
	ctl_guard_source_str(&s->guard, &src, ip, sizeof(ip));
	s->ctr.v[CTL_C_TRACKER_EVICTED] += (what & CTL_GUARD_EVICTED) != 0;
	s->ctr.v[CTL_C_TRACKER_EVICTED_BLOCKED] += (what & CTL_GUARD_EVICTED_BLOCKED) != 0;
	if (what & CTL_GUARD_ALL_BLOCKED)
		ctl_logf(&s->log, LOG_ERR,
			 "ip-block: all %u tracked sources are blocked: the one closest to its "
			 "unblocking is unblocked early to track %s (counted in "
			 "tracker-evicted-blocked, logged once)", CTL_GUARD_TRACK, ip);
	if (what & CTL_GUARD_UNBLOCKED)
		ctl_logf(&s->log, LOG_NOTICE, "address unblocked: %s", ip);
	if (what & CTL_GUARD_NOW_BLOCKED) {
		s->ctr.v[CTL_C_BLOCKED]++;
		ctl_log_peer(&s->log, LOG_WARNING, peer, "address blocked",
			     "address blocked: %s after %u failed authentications within %us, for %us",
			     ip, sec->block_failed_times, sec->block_failed_period_s,
			     sec->block_reactive_s);
	}
	if (what & CTL_GUARD_ALARM_RAISED) {
		s->ctr.v[CTL_C_ALARMS]++;
		ctl_log_always(&s->log, LOG_ERR,
			 "alarm raised: login-failed-threshold: %u failed authentications within %us",
			 sec->alarm_upper, sec->alarm_period_s);
	}
}

static bool env_ike_offer(void *arg)
{
	const struct ctl_server *s = arg;

	return ctl_ika_offer(&s->ika);
}

/* On an authentication worker: reads the configuration only. */
static enum ka_status env_ike_lookup(void *arg, const uint8_t spi_i[KA_SPI_LEN],
				     const uint8_t spi_r[KA_SPI_LEN], struct ka_reply *out)
{
	const struct ctl_server *s = arg;

	return ka_lookup_spi(s->cfg->server.ka_socket, spi_i, spi_r,
			     (int)s->cfg->server.ka_timeout_ms, out);
}

static void env_ike_seen(void *arg, enum ka_status st)
{
	struct ctl_server *s = arg;

	ctl_ika_seen(&s->ika, st);
}

static void set_env(struct ctl_server *s)
{
	env_random(NULL, s->dummy_secret, sizeof(s->dummy_secret));
	s->env = (struct ctl_conn_env){
		.cfg = s->cfg, .dp = s->dp, .ports = s->ports, .ctr = &s->ctr, .log = &s->log,
		.start_time = ntp_now(), .dummy_secret = s->dummy_secret,
		.dummy_len = sizeof(s->dummy_secret), .random = env_random,
		.ntp_now = env_ntp_now, .mono_ms = env_mono_ms, .auth_result = env_auth_result,
		.auth_async = true, .arg = s,
	};
	if (s->cfg->server.modes & TWC_MODE_IKEV2) {
		s->env.ike_offer = env_ike_offer;
		s->env.ike_lookup = env_ike_lookup;
		s->env.ike_seen = env_ike_seen;
	}
}

/* ---- housekeeping ---- */

static void unblocked(void *arg, const struct ctl_ip *ip)
{
	struct ctl_server *s = arg;
	char a[CTL_ADDR_STR];

	ctl_logf(&s->log, LOG_NOTICE, "address unblocked: %s",
		 ctl_guard_source_str(&s->guard, ip, a, sizeof(a)));
}

static void tick(struct ctl_timer *t, uint64_t now)
{
	struct ctl_server *s = (struct ctl_server *)((char *)t - offsetof(struct ctl_server, tick));

	if (ctl_guard_tick(&s->guard, now, unblocked, s))
		ctl_log_always(&s->log, LOG_NOTICE,
			 "alarm cleared: login-failed-threshold: %u failed authentications within %us",
			 ctl_guard_alarm_count(&s->guard, now), s->cfg->security.alarm_period_s);
	ctl_log_tick(&s->log);
	ctl_loop_arm(&s->loop, t, now + CTL_TICK_MS);
}

/* ---- what the handlers ask of the server ---- */

static struct ctl_conn_counts conn_counts(void *arg, const struct ctl_ip *peer)
{
	const struct ctl_server *s = arg;

	return ctl_peer_counts(&s->peers, &s->guard, peer);
}

static bool make_room(void *arg, enum ctl_admit why, const char *newcomer)
{
	struct ctl_server *s = arg;

	return ctl_peer_make_room(&s->peers, why, newcomer);
}

static void admitted(void *arg, int fd, const struct ctl_ip *peer, uint16_t pport,
		     const struct ctl_ip *local, uint16_t lport)
{
	struct ctl_server *s = arg;

	ctl_peer_add(&s->peers, fd, peer, pport, local, lport);
}

/* The state document: the server's figures and every connection. */
static char *state_doc(void *arg)
{
	struct ctl_server *s = arg;
	struct ctl_conn **conns = malloc((s->peers.n + 1) * sizeof(*conns));
	struct ctl_state_src src = {
		.yctx = s->yctx, .dp = s->dp, .ctr = &s->ctr, .guard = &s->guard, .log = &s->log,
		.ike_offered = ctl_ika_offer(&s->ika), .ka_status = ctl_ka_state_str(s->ika.state),
		.conns = conns, .now_ms = ctl_mono_ms(),
		.auth_queue_depth = ctl_authpool_depth(&s->pool),
	};
	char *doc;

	if (!conns)
		return NULL;
	for (const struct ctl_peer *p = s->peers.head; p; p = p->next)
		conns[src.nconns++] = p->conn;
	doc = ctl_state_json(&src);
	free(conns);
	return doc;
}

static int open_handlers(struct ctl_server *s, const struct ctl_server_opts *o, char *err,
			 size_t errlen)
{
	const struct ctl_statesock_env st = {
		.loop = &s->loop, .log = &s->log, .ctr = &s->ctr, .build = state_doc, .arg = s,
		.dir_owner = o->run_uid,
	};
	const struct ctl_listen_env ls = {
		.loop = &s->loop, .cfg = s->cfg, .log = &s->log, .ctr = &s->ctr, .guard = &s->guard,
		.counts = conn_counts, .make_room = make_room, .admitted = admitted, .arg = s,
	};

	ctl_peer_init(&s->peers, &s->loop, &s->env);
	s->peers.pool = &s->pool;
	ctl_ika_init(&s->ika, &s->loop, s->cfg, &s->log);
	if (ctl_statesock_open(&s->state, &st, o->state_socket, err, errlen) != 0)
		return -1;
	return ctl_listen_open(&s->lis, &ls, err, errlen);
}

/* ---- setup and shutdown ---- */

static void on_signal(void *ctx, uint32_t events)
{
	struct ctl_server *s = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		ctl_log_always(&s->log, LOG_NOTICE, "signal %u: shutting down", si.ssi_signo);
		ctl_loop_stop(&s->loop);
	}
}

static int open_signals(struct ctl_server *s, char *err, size_t errlen)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig_fd < 0 || ctl_loop_add(&s->loop, s->sig_fd, CTL_LOOP_IN, on_signal, s) != 0) {
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
		ctl_log_always(&s->log, LOG_NOTICE, "dataplane at %s: flushed; %u sessions at most", path,
			 info.max_sessions);
	else
		ctl_log_always(&s->log, LOG_WARNING,
			 "dataplane at %s: %s; sessions are refused (Accept 2) until it answers",
			 path, ctl_dp_status_str(st));
	return 0;
}

int ctl_server_init(struct ctl_server *s, const struct ctl_config *cfg,
		    const struct ctl_server_opts *o, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->loop.epfd = -1;
	s->sig_fd = -1;
	s->state.fd = -1;
	if (ctl_log_open(&s->log, cfg, err, errlen) != 0)
		return -1;
	if (cfg->server.modes & ~CTL_MODES_SUPPORTED)
		ctl_log_always(&s->log, LOG_WARNING,
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
	if (ctl_loop_init(&s->loop) != 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	if (open_signals(s, err, errlen) != 0 ||
	    open_dataplane(s, o->session_socket, err, errlen) != 0)
		return -1;
	set_env(s);
	if (open_handlers(s, o, err, errlen) != 0)
		return -1;
	ctl_timer_init(&s->tick, tick);
	ctl_loop_arm(&s->loop, &s->tick, ctl_mono_ms() + CTL_TICK_MS);
	return 0;
}

/* The authentication workers (ctl_authpool.h), the only threads: started
 * last, after the privilege drop (common/run_as.h checks that every
 * thread has dropped). Each blocks every signal: SIGTERM and SIGINT go to
 * the loop's signalfd (open_signals). */
static int open_pool(struct ctl_server *s)
{
	const struct ctl_security_cfg *sec = &s->cfg->security;
	unsigned n = ctl_authpool_workers(s->cfg->server.auth_workers);

	/* fair by the sources ip-block counts */
	if (ctl_authpool_init(&s->pool, &s->loop, &s->ctr, n, CTL_AUTH_QUEUE_MAX,
			      sec->source_v4_len, sec->source_v6_len) != 0) {
		ctl_log_always(&s->log, LOG_ERR, "authentication workers: %s", strerror(errno));
		return -1;
	}
	ctl_log_always(&s->log, LOG_NOTICE,
		       "authentication pool: %u workers (auth-workers %u), queue of %u jobs, "
		       "round robin by /%u and /%u sources", n, s->cfg->server.auth_workers,
		       CTL_AUTH_QUEUE_MAX, sec->source_v4_len, sec->source_v6_len);
	return 0;
}

int ctl_server_run(struct ctl_server *s)
{
	if (open_pool(s) != 0)
		return -1;
	ctl_log_always(&s->log, LOG_NOTICE, "twamp-controld %s running: %zu listening sockets",
		       TWR_VERSION, s->lis.n);
	if (ctl_loop_run(&s->loop) != 0) {
		ctl_log_always(&s->log, LOG_ERR, "epoll_wait: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void ctl_server_fini(struct ctl_server *s)
{
	ctl_peer_close_all(&s->peers, "server shutting down");
	ctl_authpool_fini(&s->pool);
	ctl_statesock_close(&s->state);
	ctl_ika_fini(&s->ika);
	ctl_listen_close(&s->lis);
	if (s->sig_fd >= 0) {
		ctl_loop_del(&s->loop, s->sig_fd);
		close(s->sig_fd);
	}
	ctl_loop_fini(&s->loop);
	ctl_dp_free(s->dp);
	ctl_guard_fini(&s->guard);
	free(s->ports);
	if (s->yctx)
		ly_ctx_destroy(s->yctx);
	ctl_log_close(&s->log);
	wipe(s->dummy_secret, sizeof(s->dummy_secret));
}
