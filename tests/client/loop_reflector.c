/* In-process loopback reflector for the end-to-end tests: see
 * loop_reflector.h. Stateless (Sequence Number copied from the sender),
 * answers to the source of each request, every wait bounded. */
#include "loop_reflector.h"

#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "error_estimate.h"
#include "ntp_time.h"

#define REFL_BUF 65536

struct held {
	uint8_t buf[REFL_BUF];
	size_t len;
	struct sockaddr_storage to;
};

static void put_ts_and_protect(struct loop_refl *r, uint8_t *p, size_t len, const struct tw_layout *refl)
{
	bool ts_protected = r->keys && (refl->enc_len > refl->ts_off || refl->mac_len > refl->ts_off);

	if (r->keys && !ts_protected)
		tw_protect(p, len, refl, r->keys);
	tw_put_ts(p, refl, ntp_now());
	if (ts_protected)
		tw_protect(p, len, refl, r->keys);
}

/* Build the reply in place; returns its length, 0 to drop. */
static size_t make_reply(struct loop_refl *r, uint8_t *p, const struct tsock_msg *m, uint32_t *seq)
{
	const struct tw_layout *snd = tw_sender_layout(r->sec, r->symmetrical);
	const struct tw_layout *refl = tw_reflector_layout(r->sec);
	struct tw_reply_hdr hdr = {
		.seq_from_sender = true,
		.errest = errest_encode(r->synced, 1e-6),
		.rx_ts = m->rx_ntp,
		.sender_ttl = m->ttl < 0 ? 0 : (uint8_t)m->ttl,
	};
	struct tw_sender_fields sf;
	size_t len;

	if (m->len < snd->base_len || (r->keys && tw_unprotect(p, m->len, snd, r->keys)))
		return 0;
	tw_sender_read(p, snd, &sf);
	*seq = sf.seq;
	if (tw_build_reply(p, m->len, REFL_BUF, snd, refl, &hdr, &len))
		return 0;
	if (r->behaviour == REFL_MIXED && sf.seq % 4 == 2)
		p[refl->snd_ts_off + 7] ^= 1;
	put_ts_and_protect(r, p, len, refl);
	if (r->behaviour == REFL_MIXED && sf.seq % 4 == 1)
		p[refl->hmac_off] ^= 0xff;
	return len;
}

static void send_to(struct loop_refl *r, struct tsock *s, const uint8_t *p, size_t len,
		    const struct sockaddr_storage *to)
{
	if (tsock_send(s, p, len, to) == 0)
		atomic_fetch_add(&r->reflected, 1);
}

static void handle(struct loop_refl *r, uint8_t *p, const struct tsock_msg *m, struct held *h)
{
	uint32_t seq = 0;
	size_t len = make_reply(r, p, m, &seq);

	if (len == 0) {
		atomic_fetch_add(&r->dropped, 1);
		return;
	}
	switch (r->behaviour) {
	case REFL_DUPLICATE:
		send_to(r, &r->sock, p, len, &m->from);
		if (seq != r->last_seq)
			send_to(r, &r->sock, p, len, &m->from);
		return;
	case REFL_SWAP_PAIRS:
		if (seq % 2 == 0) {
			memcpy(h->buf, p, len);
			h->len = len;
			h->to = m->from;
			return;
		}
		send_to(r, &r->sock, p, len, &m->from);
		if (h->len)
			send_to(r, &r->sock, h->buf, h->len, &h->to);
		h->len = 0;
		return;
	case REFL_MIXED:
		send_to(r, seq % 4 == 3 ? &r->other : &r->sock, p, len, &m->from);
		return;
	default:
		send_to(r, &r->sock, p, len, &m->from);
	}
}

static void *refl_main(void *arg)
{
	struct loop_refl *r = arg;
	uint8_t *buf = malloc(REFL_BUF);
	struct held *held = calloc(1, sizeof(*held));
	struct tsock_msg m;

	while (buf && held && !atomic_load(&r->stop)) {
		struct pollfd pfd = { .fd = r->sock.fd, .events = POLLIN };

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		while (tsock_recv(&r->sock, buf, REFL_BUF, &m) == 1)
			handle(r, buf, &m, held);
	}
	/* what arrived before the stop is still handled, so the counters do
	 * not depend on when this thread last ran */
	while (buf && held && tsock_recv(&r->sock, buf, REFL_BUF, &m) == 1)
		handle(r, buf, &m, held);
	free(buf);
	free(held);
	return NULL;
}

int loop_refl_start(struct loop_refl *r)
{
	struct sockaddr_storage bind_addr;
	socklen_t len = r->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	char err[128];

	memset(&bind_addr, 0, sizeof(bind_addr));
	bind_addr.ss_family = (sa_family_t)r->family;
	if (r->family == AF_INET)
		((struct sockaddr_in *)&bind_addr)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&bind_addr)->sin6_addr = in6addr_loopback;
	atomic_store(&r->stop, false);
	atomic_store(&r->reflected, 0);
	atomic_store(&r->dropped, 0);
	r->sock.fd = r->other.fd = -1;
	if (tsock_open(&r->sock, r->family, &bind_addr, len, -1, err, sizeof(err)) ||
	    tsock_open(&r->other, r->family, &bind_addr, len, -1, err, sizeof(err)) ||
	    tsock_local(&r->sock, &r->addr) ||
	    pthread_create(&r->thread, NULL, refl_main, r)) {
		tsock_close(&r->sock);
		tsock_close(&r->other);
		return -1;
	}
	return 0;
}

void loop_refl_stop(struct loop_refl *r)
{
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	tsock_close(&r->sock);
	tsock_close(&r->other);
}
