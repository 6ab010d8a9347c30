/* Request-TW-Session validation (see ctl_request.h for the rules). */
#include <stdio.h>
#include <string.h>

#include "ctl_request.h"
#include "ntp_time.h"
#include "session_api.h"
#include "tw_pkt.h"

#define UDP_HDR 8u

uint32_t ctl_max_padding(uint8_t ipver, uint8_t sec, bool symmetrical)
{
	uint32_t ip_hdr = ipver == 4 ? 20u : 40u;
	uint32_t base = tw_sender_layout((enum tw_sec)sec, symmetrical)->base_len;

	return CTL_MAX_IP_PACKET - ip_hdr - UDP_HDR - base;
}

uint8_t ctl_mode_test_sec(uint32_t mode)
{
	if (mode & TWC_MODE_AUTH)
		return TW_SEC_AUTH;
	if (mode & TWC_MODE_ENC)
		return TW_SEC_ENC;
	return TW_SEC_OPEN; /* unauthenticated, and mixed (RFC 5618) */
}

static struct ctl_ip req_addr(uint8_t ipver, const uint8_t a[16])
{
	struct ctl_ip ip = { .ver = ipver };

	memcpy(ip.a, a, ipver == 4 ? 4 : 16);
	return ip;
}

/* An address test packets may be sent to: one of the dataplane ports'
 * addresses, or, when the configuration lists none, the address the
 * control connection reached. */
static bool served(const struct ctl_req_ctx *ctx, const struct ctl_ip *ip)
{
	if (ctx->ntest_addrs == 0)
		return ctl_ip_equal(ip, &ctx->local);
	return ctl_ip_listed(ip, ctx->test_addrs, ctx->ntest_addrs);
}

static uint8_t check_receiver(const struct ctl_req_ctx *ctx, struct ctl_req_spec *s,
			      const char **why, char *buf, size_t len)
{
	char a[CTL_ADDR_STR];

	if (ctl_ip_is_zero(&s->reflector)) {
		s->reflector = ctx->local; /* RFC 5357 §3.5: the server's choice */
		if (served(ctx, &s->reflector))
			return TWC_ACCEPT_OK;
		snprintf(buf, len, "the control connection's address %s is not served by the "
			 "dataplane: the request must name a Receiver Address",
			 ctl_ip_str(&ctx->local, a, sizeof(a)));
		*why = buf;
		return TWC_ACCEPT_FAILURE;
	}
	if (served(ctx, &s->reflector))
		return TWC_ACCEPT_OK;
	if (ctx->ntest_addrs == 0) {
		*why = "Receiver Address is not the address the control connection reached";
	} else {
		snprintf(buf, len, "Receiver Address %s is not an address of the dataplane ports",
			 ctl_ip_str(&s->reflector, a, sizeof(a)));
		*why = buf;
	}
	return TWC_ACCEPT_FAILURE;
}

static uint8_t check_addresses(const struct twc_request *r, const struct ctl_req_ctx *ctx,
			       struct ctl_req_spec *s, const char **why, char *buf, size_t len)
{
	s->sender = req_addr(r->ipvn, r->sender_addr);
	s->reflector = req_addr(r->ipvn, r->receiver_addr);
	if (ctl_ip_is_zero(&s->sender)) {
		s->sender = ctx->peer;
	} else if (!ctl_ip_equal(&s->sender, &ctx->peer)) {
		if (!ctx->allow_other_peer) {
			*why = "Sender Address is not the control peer";
			return TWC_ACCEPT_FAILURE;
		}
		if (!ctl_ip_unicast(&s->sender)) {
			*why = "Sender Address is not a unicast address";
			return TWC_ACCEPT_FAILURE;
		}
	}
	return check_receiver(ctx, s, why, buf, len);
}

static uint32_t timeout_ms(uint64_t timeout, uint32_t dflt)
{
	uint64_t ns, ms;

	if (timeout == 0)
		return dflt;
	ns = ntp_duration_to_ns(timeout);
	ms = ns / 1000000u + (ns % 1000000u != 0);
	return ms > CTL_MAX_TIMEOUT_MS ? CTL_MAX_TIMEOUT_MS : (uint32_t)ms;
}

/* RFC 6038 fields and flags from the negotiated Mode. */
static uint8_t check_rfc6038(const struct twc_request *r, uint32_t mode, struct ctl_req_spec *s,
			     const char **why)
{
	if (mode & TWC_MODE_SYMMETRICAL)
		s->flags |= TWR_SF_SYMMETRICAL;
	if (!(mode & TWC_MODE_REFLECT_OCTETS))
		return TWC_ACCEPT_OK; /* the two fields are MBZ: ignored */
	if (r->pad_to_reflect > r->padding_len) {
		*why = "Length of Padding to Reflect exceeds Padding Length";
		return TWC_ACCEPT_FAILURE;
	}
	s->flags |= TWR_SF_REFLECT_OCTETS;
	s->reflect_len = r->pad_to_reflect;
	s->reflected_octets = r->octets_to_reflect;
	return TWC_ACCEPT_OK;
}

uint8_t ctl_request_check(const struct twc_request *r, const struct ctl_req_ctx *ctx,
			  struct ctl_req_spec *s, const char **why, char *buf, size_t len)
{
	uint8_t acc;

	memset(s, 0, sizeof(*s));
	*why = "ok";
	if (r->ipvn != ctx->local.ver) {
		*why = "IPVN is not the control connection's IP version";
		return TWC_ACCEPT_NOT_SUPPORTED;
	}
	acc = check_addresses(r, ctx, s, why, buf, len);
	if (acc != TWC_ACCEPT_OK)
		return acc;
	if (r->sender_port == 0) {
		*why = "Sender Port is 0";
		return TWC_ACCEPT_FAILURE;
	}
	s->sec = ctl_mode_test_sec(ctx->mode);
	acc = check_rfc6038(r, ctx->mode, s, why);
	if (acc != TWC_ACCEPT_OK)
		return acc;
	if (r->padding_len > ctl_max_padding(r->ipvn, s->sec, s->flags & TWR_SF_SYMMETRICAL)) {
		*why = "Padding Length too large for a 1500-octet packet";
		return TWC_ACCEPT_FAILURE;
	}
	s->sender_port = r->sender_port;
	s->receiver_port = r->receiver_port;
	s->padding_len = r->padding_len;
	s->dscp = TWC_TYPEP_DSCP(r->type_p);
	s->flags |= TWR_SF_DSCP_SET;
	s->timeout_ms = timeout_ms(r->timeout, ctx->default_timeout_ms);
	return TWC_ACCEPT_OK;
}
