/* The worker loop (worker.h): poll, hand the burst to the pipeline; the TAP
 * and the stateful Light senders now and then. */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>

#include "dp_log.h"
#include "exception.h"
#include "pipeline.h"
#include "worker.h"

volatile bool dp_quit;

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

	/* t0: when this poll began, i.e. when the previous iteration ended (one
	 * TSC read fewer per poll; a busy burst counts from its poll's start) */
	uint64_t t0 = rte_rdtsc();

	while (!dp_quit) {
		uint64_t now, r0 = 0;
		uint16_t n;

		rte_rcu_qsbr_quiescent(dp_sess.rcu, w->idx);
		if (w->stages_on)
			r0 = rte_rdtsc();
		n = rte_eth_rx_burst(w->port->port_id, w->queue, pkts, w->burst);
		/* the receive timestamp: read after the burst, so that it never
		 * precedes a packet's arrival (a read before it would, for packets
		 * that came while the worker was preempted between the two) */
		now = rte_rdtsc();
		if (n > 0) {
			uint64_t end;

			if (w->stages_on)
				w->stage_cycles[DP_ST_rx] += now - r0;
			pipeline_burst(w, pkts, n, now);
			end = rte_rdtsc();
			w->busy_cycles += end - t0;
			w->busy_packets += n;
			w->busy_bursts++;
			t0 = end;
		} else {
			t0 = now;
		}
		if (now >= w->next_tap_poll) {
			exception_from_kernel(w);
			w->next_tap_poll = now + w->tap_poll_tsc;
			t0 = rte_rdtsc();
		}
		if (dp_light.nstateful > 0 && now >= w->next_sweep) {
			light_sweep(&w->light, now);
			w->next_sweep = now + hz / 1000;
			t0 = rte_rdtsc();
		}
	}
	rte_rcu_qsbr_thread_offline(dp_sess.rcu, w->idx);
	rte_rcu_qsbr_thread_unregister(dp_sess.rcu, w->idx);
	return 0;
}
