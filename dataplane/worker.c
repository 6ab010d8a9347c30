/* The worker loop: poll, classify, reflect; the TAP now and then. */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>

#include "dp_log.h"
#include "worker.h"

volatile bool dp_quit;

static void process(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n, uint64_t now)
{
	struct tp tps[DP_MAX_BURST];
	struct rte_mbuf *exc[DP_MAX_BURST];
	unsigned nt, nexc;

	nt = classify_burst(w, pkts, n, tps, exc, &nexc, now);
	exception_to_kernel(w, exc, nexc);
	reflect_burst(w, tps, nt, now);
}

int worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct rte_mbuf *pkts[DP_MAX_BURST];
	uint64_t hz = rte_get_tsc_hz();

	w->tap_poll_tsc = hz * TAP_POLL_US / 1000000;
	rte_rcu_qsbr_thread_register(dp_sess.rcu, w->idx);
	rte_rcu_qsbr_thread_online(dp_sess.rcu, w->idx);
	dp_log(DP_INFO, "worker %u on lcore %u: port %u queue %u, crypto %s", w->idx, w->lcore,
	       w->port->port_id, w->queue, mb_arch_name(w->mb));

	/* One TSC read per poll, before the rx burst: it stamps the burst's
	 * packets (they were all in the ring when the burst read its head, just
	 * after) and ends the previous poll for the busy-cycle figures. A read
	 * after the burst would add the burst's own copying to every receive
	 * timestamp and waits there for the ring's loads. */
	uint64_t prev = rte_rdtsc();
	uint16_t prev_n = 0;

	while (!dp_quit) {
		uint64_t now = rte_rdtsc();
		uint16_t n;

		if (prev_n > 0) {
			w->busy_cycles += now - prev;
			w->busy_packets += prev_n;
			w->busy_bursts++;
		}
		prev = now;
		rte_rcu_qsbr_quiescent(dp_sess.rcu, w->idx);
		n = rte_eth_rx_burst(w->port->port_id, w->queue, pkts, w->burst);
		prev_n = n;
		if (n > 0)
			process(w, pkts, n, now);
		if (now >= w->next_tap_poll) {
			exception_from_kernel(w);
			w->next_tap_poll = now + w->tap_poll_tsc;
			prev_n = 0; /* not a test burst's time */
		}
		if (dp_light.nstateful > 0 && now >= w->next_sweep) {
			light_sweep(&w->light, now);
			w->next_sweep = now + hz / 1000;
			prev_n = 0;
		}
	}
	rte_rcu_qsbr_thread_offline(dp_sess.rcu, w->idx);
	rte_rcu_qsbr_thread_unregister(dp_sess.rcu, w->idx);
	return 0;
}
