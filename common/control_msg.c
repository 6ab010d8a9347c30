/* TWAMP-Control message codecs (see control_msg.h; docs/protocol.md §4).
 * Each codec has its layout drawn above it, offsets in octets. */
#include <string.h>

#include "control_msg.h"
#include "ntp_time.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static enum twc_err exact_len(size_t len, size_t want)
{
	if (len < want)
		return TWC_E_SHORT;
	return len > want ? TWC_E_LONG : TWC_OK;
}

/* Decoder prologue: exact length, else the output is zeroed. */
static enum twc_err dec_len(size_t len, size_t want, void *out, size_t out_size)
{
	enum twc_err e = exact_len(len, want);

	if (e != TWC_OK && out)
		memset(out, 0, out_size);
	return e;
}

/* Encoder prologue: room for the message; the buffer is then zeroed so
 * every MBZ and the HMAC field go out as zero. */
static enum twc_err enc_room(uint8_t *buf, size_t cap, size_t want)
{
	if (cap < want)
		return TWC_E_NOSPACE;
	memset(buf, 0, want);
	return TWC_OK;
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static enum twc_err check_accept(uint8_t accept)
{
	return accept <= TWC_ACCEPT_MAX ? TWC_OK : TWC_E_ACCEPT;
}

/* ---- errors ---------------------------------------------------------- */

static const char *const ERR_STR[TWC_E_COUNT_ERRORS] = {
	[TWC_OK] = "ok",
	[TWC_E_SHORT] = "message truncated",
	[TWC_E_LONG] = "message longer than its type",
	[TWC_E_NOSPACE] = "output buffer too small",
	[TWC_E_COMMAND] = "unexpected or unknown command number",
	[TWC_E_COUNT] = "Count is not a power of 2 of at least 1024",
	[TWC_E_MODE] = "Mode is not one security mode with known features",
	[TWC_E_ACCEPT] = "Accept value unknown (above 6)",
	[TWC_E_IPVN] = "IPVN is neither 4 nor 6",
	[TWC_E_SENDER_ADDR] = "IPv4 Sender Address has non-zero unused octets",
	[TWC_E_RECEIVER_ADDR] = "IPv4 Receiver Address has non-zero unused octets",
	[TWC_E_CONF_SENDER] = "Conf-Sender is not 0",
	[TWC_E_CONF_RECEIVER] = "Conf-Receiver is not 0",
	[TWC_E_SLOTS] = "Number of Schedule Slots is not 0",
	[TWC_E_PACKETS] = "Number of Packets is not 0",
	[TWC_E_TYPEP] = "Type-P Descriptor is not a DSCP",
	[TWC_E_NSESS] = "Number of Sessions above the limit",
	[TWC_E_BLOCKLEN] = "length is not a whole number of 16-octet blocks",
	[TWC_E_HMAC] = "control HMAC does not verify",
	[TWC_E_CHALLENGE] = "Token does not carry the Challenge",
	[TWC_E_CRYPTO] = "control crypto failure",
};

const char *twc_strerror(enum twc_err e)
{
	if ((unsigned)e >= TWC_E_COUNT_ERRORS || !ERR_STR[e])
		return "unknown error";
	return ERR_STR[e];
}

uint8_t twc_err_accept(enum twc_err e)
{
	if (e == TWC_E_IPVN || e == TWC_E_TYPEP)
		return TWC_ACCEPT_NOT_SUPPORTED;
	return TWC_ACCEPT_FAILURE;
}

/* ---- Server Greeting, 64 octets (RFC 4656 §3.1) -----------------------
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Unused (12 octets)                        | 0-11
 * +---------------------------------------------------------------+
 * |                            Modes                              | 12-15
 * +---------------------------------------------------------------+
 * |                     Challenge (16 octets)                     | 16-31
 * +---------------------------------------------------------------+
 * |                       Salt (16 octets)                        | 32-47
 * +---------------------------------------------------------------+
 * |                            Count                              | 48-51
 * +---------------------------------------------------------------+
 * |                       MBZ (12 octets)                         | 52-63
 * +---------------------------------------------------------------+
 *
 * Modes is taken as sent (0 tells the client to go away; bits it does not
 * know are the client's to ignore). Count must be a power of 2, >= 1024.
 */
static enum twc_err check_count(uint32_t count)
{
	if (count < 1024u || (count & (count - 1)) != 0)
		return TWC_E_COUNT;
	return TWC_OK;
}

enum twc_err twc_greeting_enc(const struct twc_greeting *m, uint8_t *buf, size_t cap)
{
	enum twc_err e = check_count(m->count);

	if (e == TWC_OK)
		e = enc_room(buf, cap, TWC_GREETING_LEN);
	if (e != TWC_OK)
		return e;
	put32(buf + 12, m->modes);
	memcpy(buf + 16, m->challenge, 16);
	memcpy(buf + 32, m->salt, 16);
	put32(buf + 48, m->count);
	return TWC_OK;
}

enum twc_err twc_greeting_dec(const uint8_t *buf, size_t len, struct twc_greeting *m)
{
	enum twc_err e = dec_len(len, TWC_GREETING_LEN, m, sizeof(*m));

	if (e != TWC_OK)
		return e;
	m->modes = get32(buf + 12);
	memcpy(m->challenge, buf + 16, 16);
	memcpy(m->salt, buf + 32, 16);
	m->count = get32(buf + 48);
	return check_count(m->count);
}

/* ---- Set-Up-Response, 164 octets (RFC 4656 §3.1) ----------------------
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                             Mode                              | 0-3
 * +---------------------------------------------------------------+
 * |                KeyID (80 octets, zero-padded)                 | 4-83
 * +---------------------------------------------------------------+
 * |                       Token (64 octets)                       | 84-147
 * |     = AES-128-CBC_K, IV 0 (Challenge | AES key | HMAC key)    |
 * +---------------------------------------------------------------+
 * |                     Client-IV (16 octets)                     | 148-163
 * +---------------------------------------------------------------+
 *
 * ⚠ UNCONFIRMED (docs/protocol.md §8.4): RFC 8913's YANG says that in the
 * IKEv2-derived mode the Client-IV is 12 octets and the Token 16, which
 * would make this message shorter. The seed draft keeps the layout above,
 * and so do we, for every mode. setup_layout() is the one place that maps
 * a Mode to a layout: a variant goes there, and its shorter fields then
 * fill the front of token[] and client_iv[].
 *
 * Mode 0 (the client declines) is a valid message. Otherwise exactly one
 * security bit (1, 2, 4 or 8), only known feature bits, and IKEv2Derived
 * only with a secured mode (it replaces the shared secret, which open mode
 * does not use). Whether the server offered the mode is the caller's.
 */
struct setup_layout {
	size_t len;
	size_t keyid_off, token_off, token_len, iv_off, iv_len;
};

static const struct setup_layout SETUP_RFC4656 = {
	.len = TWC_SETUP_LEN,
	.keyid_off = 4, .token_off = 84, .token_len = 64, .iv_off = 148, .iv_len = 16,
};

static const struct setup_layout *setup_layout(uint32_t mode)
{
	(void)mode; /* the RFC 7717 variant would be chosen on TWC_MODE_IKEV2 */
	return &SETUP_RFC4656;
}

size_t twc_setup_len(uint32_t mode)
{
	return setup_layout(mode)->len;
}

static enum twc_err check_setup_mode(uint32_t mode)
{
	uint32_t sec = mode & TWC_MODE_SECURITY;

	if (mode == 0)
		return TWC_OK;
	if (mode & ~TWC_MODE_KNOWN)
		return TWC_E_MODE;
	if (sec != TWC_MODE_UNAUTH && sec != TWC_MODE_AUTH && sec != TWC_MODE_ENC &&
	    sec != TWC_MODE_MIXED)
		return TWC_E_MODE;
	if ((mode & TWC_MODE_IKEV2) && sec == TWC_MODE_UNAUTH)
		return TWC_E_MODE;
	return TWC_OK;
}

enum twc_err twc_setup_enc(const struct twc_setup *m, uint8_t *buf, size_t cap)
{
	const struct setup_layout *l = setup_layout(m->mode);
	enum twc_err e = check_setup_mode(m->mode);

	if (e == TWC_OK)
		e = enc_room(buf, cap, l->len);
	if (e != TWC_OK)
		return e;
	put32(buf, m->mode);
	memcpy(buf + l->keyid_off, m->keyid, TWC_KEYID_LEN);
	memcpy(buf + l->token_off, m->token, l->token_len);
	memcpy(buf + l->iv_off, m->client_iv, l->iv_len);
	return TWC_OK;
}

enum twc_err twc_setup_dec(const uint8_t *buf, size_t len, struct twc_setup *m)
{
	const struct setup_layout *l;
	enum twc_err e;

	memset(m, 0, sizeof(*m));
	if (len < 4)
		return TWC_E_SHORT;
	l = setup_layout(get32(buf));
	e = exact_len(len, l->len);
	if (e != TWC_OK)
		return e;
	m->mode = get32(buf);
	memcpy(m->keyid, buf + l->keyid_off, TWC_KEYID_LEN);
	memcpy(m->token, buf + l->token_off, l->token_len);
	memcpy(m->client_iv, buf + l->iv_off, l->iv_len);
	return check_setup_mode(m->mode);
}

/* ---- Server-Start, 48 octets (RFC 4656 §3.1) ---------------------------
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        MBZ (15 octets)                        | 0-14
 * +                                               +-+-+-+-+-+-+-+-+
 * |                                               |    Accept     | 15
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Server-IV (16 octets)                     | 16-31
 * +---------------------------------------------------------------+ -.
 * |                    Start-Time (timestamp)                     | 32-39
 * +---------------------------------------------------------------+  |
 * |                        MBZ (8 octets)                         | 40-47
 * +---------------------------------------------------------------+ -'
 *   octets 32-47: the first block of the server->client stream
 *   (encrypted when the mode is secured and Accept is 0)
 */
enum twc_err twc_server_start_enc(const struct twc_server_start *m, uint8_t *buf, size_t cap)
{
	enum twc_err e = check_accept(m->accept);

	if (e == TWC_OK)
		e = enc_room(buf, cap, TWC_SERVER_START_LEN);
	if (e != TWC_OK)
		return e;
	buf[15] = m->accept;
	memcpy(buf + 16, m->server_iv, 16);
	ntp_put(buf + 32, m->start_time);
	return TWC_OK;
}

enum twc_err twc_server_start_dec(const uint8_t *buf, size_t len, struct twc_server_start *m)
{
	enum twc_err e = dec_len(len, TWC_SERVER_START_LEN, m, sizeof(*m));

	if (e != TWC_OK)
		return e;
	m->accept = buf[15];
	memcpy(m->server_iv, buf + 16, 16);
	m->start_time = ntp_get(buf + 32);
	return check_accept(m->accept);
}

/* ---- Request-TW-Session, 112 octets (RFC 5357 §3.5, RFC 6038 §4.1) -----
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      5        |  MBZ  | IPVN  |  Conf-Sender  | Conf-Receiver | 0-3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Number of Schedule Slots                     | 4-7
 * +---------------------------------------------------------------+
 * |                      Number of Packets                        | 8-11
 * +-------------------------------+-------------------------------+
 * |          Sender Port          |         Receiver Port         | 12-15
 * +-------------------------------+-------------------------------+
 * |              Sender Address (16; IPv4: 4 + 12 zero)           | 16-31
 * +---------------------------------------------------------------+
 * |             Receiver Address (16; IPv4: 4 + 12 zero)          | 32-47
 * +---------------------------------------------------------------+
 * |                          SID (16)                             | 48-63
 * +---------------------------------------------------------------+
 * |                       Padding Length                          | 64-67
 * +---------------------------------------------------------------+
 * |                     Start Time (timestamp)                    | 68-75
 * +---------------------------------------------------------------+
 * |                   Timeout (timestamp format)                  | 76-83
 * +---------------------------------------------------------------+
 * |                      Type-P Descriptor                        | 84-87
 * +-------------------------------+-------------------------------+
 * |     Octets to be Reflected    | Length of Padding to Reflect  | 88-91
 * +-------------------------------+-------------------------------+
 * |                            MBZ                                | 92-95
 * +---------------------------------------------------------------+
 * |                          HMAC (16)                            | 96-111
 * +---------------------------------------------------------------+
 *
 * TWAMP errors, not ignored MBZ: Conf-Sender, Conf-Receiver, Schedule
 * Slots and Packets must be 0 (RFC 5357 §3.5; PS refuses them). The IPv4
 * addresses' unused octets must be zero: PS ignores them, we refuse them
 * rather than guess which address a peer meant. The Type-P Descriptor
 * must be DSCP << 24 (the RFC 4656 PHB-ID form, prefix 01, is ⚠
 * UNCONFIRMED and unused; PS answers Accept 3 to it, see twc_err_accept).
 * Octets 88-91 need Reflect Octets mode to be non-zero: that is the
 * caller's check, since it depends on the negotiated mode.
 */
static int v4_tail_zero(uint8_t ipvn, const uint8_t a[16])
{
	return ipvn != 4 || all_zero(a + 4, 12);
}

static enum twc_err check_request(const struct twc_request *m)
{
	if (m->ipvn != 4 && m->ipvn != 6)
		return TWC_E_IPVN;
	if (!v4_tail_zero(m->ipvn, m->sender_addr))
		return TWC_E_SENDER_ADDR;
	if (!v4_tail_zero(m->ipvn, m->receiver_addr))
		return TWC_E_RECEIVER_ADDR;
	if (m->type_p & ~TWC_TYPEP(0x3f))
		return TWC_E_TYPEP;
	return TWC_OK;
}

enum twc_err twc_request_enc(const struct twc_request *m, uint8_t *buf, size_t cap)
{
	enum twc_err e = check_request(m);

	if (e == TWC_OK)
		e = enc_room(buf, cap, TWC_REQUEST_LEN);
	if (e != TWC_OK)
		return e;
	buf[0] = TWC_CMD_REQUEST_TW_SESSION;
	buf[1] = m->ipvn;
	put16(buf + 12, m->sender_port);
	put16(buf + 14, m->receiver_port);
	memcpy(buf + 16, m->sender_addr, 16);
	memcpy(buf + 32, m->receiver_addr, 16);
	memcpy(buf + 48, m->sid, 16);
	put32(buf + 64, m->padding_len);
	ntp_put(buf + 68, m->start_time);
	ntp_put(buf + 76, m->timeout);
	put32(buf + 84, m->type_p);
	put16(buf + 88, m->octets_to_reflect);
	put16(buf + 90, m->pad_to_reflect);
	return TWC_OK;
}

/* the four fields TWAMP fixes at zero, in wire order */
static enum twc_err check_twamp_zeros(const uint8_t *buf)
{
	if (buf[2])
		return TWC_E_CONF_SENDER;
	if (buf[3])
		return TWC_E_CONF_RECEIVER;
	if (get32(buf + 4))
		return TWC_E_SLOTS;
	return get32(buf + 8) ? TWC_E_PACKETS : TWC_OK;
}

enum twc_err twc_request_dec(const uint8_t *buf, size_t len, struct twc_request *m)
{
	enum twc_err e = dec_len(len, TWC_REQUEST_LEN, m, sizeof(*m));

	if (e != TWC_OK)
		return e;
	m->ipvn = buf[1] & 0x0f;  /* the high nibble is MBZ */
	m->sender_port = get16(buf + 12);
	m->receiver_port = get16(buf + 14);
	memcpy(m->sender_addr, buf + 16, 16);
	memcpy(m->receiver_addr, buf + 32, 16);
	memcpy(m->sid, buf + 48, 16);
	m->padding_len = get32(buf + 64);
	m->start_time = ntp_get(buf + 68);
	m->timeout = ntp_get(buf + 76);
	m->type_p = get32(buf + 84);
	m->octets_to_reflect = get16(buf + 88);
	m->pad_to_reflect = get16(buf + 90);
	if (buf[0] != TWC_CMD_REQUEST_TW_SESSION)
		return TWC_E_COMMAND;
	e = check_twamp_zeros(buf);
	return e != TWC_OK ? e : check_request(m);
}

/* ---- Accept-Session, 48 octets (RFC 5357 §3.5, RFC 6038 §4.2) ----------
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Accept     |  MBZ          |            Port               | 0-3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          SID (16)                             | 4-19
 * +-------------------------------+-------------------------------+
 * |       Reflected Octets        |        Server Octets          | 20-23
 * +-------------------------------+-------------------------------+
 * |                        MBZ (8 octets)                         | 24-31
 * +---------------------------------------------------------------+
 * |                          HMAC (16)                            | 32-47
 * +---------------------------------------------------------------+
 */
enum twc_err twc_accept_session_enc(const struct twc_accept_session *m, uint8_t *buf, size_t cap)
{
	enum twc_err e = check_accept(m->accept);

	if (e == TWC_OK)
		e = enc_room(buf, cap, TWC_ACCEPT_SESSION_LEN);
	if (e != TWC_OK)
		return e;
	buf[0] = m->accept;
	put16(buf + 2, m->port);
	memcpy(buf + 4, m->sid, 16);
	put16(buf + 20, m->reflected_octets);
	put16(buf + 22, m->server_octets);
	return TWC_OK;
}

enum twc_err twc_accept_session_dec(const uint8_t *buf, size_t len, struct twc_accept_session *m)
{
	enum twc_err e = dec_len(len, TWC_ACCEPT_SESSION_LEN, m, sizeof(*m));

	if (e != TWC_OK)
		return e;
	m->accept = buf[0];
	m->port = get16(buf + 2);
	memcpy(m->sid, buf + 4, 16);
	m->reflected_octets = get16(buf + 20);
	m->server_octets = get16(buf + 22);
	return check_accept(m->accept);
}

/* ---- Start-Sessions and Start-Ack, 32 octets each (RFC 5357 §3.7) ------
 *
 *  Start-Sessions (client -> server)     Start-Ack (server -> client)
 * +-------+-----------------------+     +-------+-----------------------+
 * |   2   |     MBZ (15)     0-15 |     |Accept |     MBZ (15)     0-15 |
 * +-------+-----------------------+     +-------+-----------------------+
 * |          HMAC (16)      16-31 |     |          HMAC (16)      16-31 |
 * +-------------------------------+     +-------------------------------+
 */
enum twc_err twc_start_enc(uint8_t *buf, size_t cap)
{
	enum twc_err e = enc_room(buf, cap, TWC_START_LEN);

	if (e == TWC_OK)
		buf[0] = TWC_CMD_START_SESSIONS;
	return e;
}

enum twc_err twc_start_dec(const uint8_t *buf, size_t len)
{
	enum twc_err e = exact_len(len, TWC_START_LEN);

	if (e != TWC_OK)
		return e;
	return buf[0] == TWC_CMD_START_SESSIONS ? TWC_OK : TWC_E_COMMAND;
}

enum twc_err twc_start_ack_enc(uint8_t accept, uint8_t *buf, size_t cap)
{
	enum twc_err e = check_accept(accept);

	if (e == TWC_OK)
		e = enc_room(buf, cap, TWC_START_ACK_LEN);
	if (e == TWC_OK)
		buf[0] = accept;
	return e;
}

enum twc_err twc_start_ack_dec(const uint8_t *buf, size_t len, uint8_t *accept)
{
	enum twc_err e = dec_len(len, TWC_START_ACK_LEN, accept, sizeof(*accept));

	if (e != TWC_OK)
		return e;
	*accept = buf[0];
	return check_accept(*accept);
}

/* ---- Stop-Sessions, TWAMP form, 32 octets (RFC 5357 §3.8) --------------
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      3        |    Accept     |             MBZ               | 0-3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Number of Sessions                       | 4-7
 * +---------------------------------------------------------------+
 * |                        MBZ (8 octets)                         | 8-15
 * +---------------------------------------------------------------+
 * |                          HMAC (16)                            | 16-31
 * +---------------------------------------------------------------+
 */
enum twc_err twc_stop_enc(const struct twc_stop *m, uint8_t *buf, size_t cap)
{
	enum twc_err e = check_accept(m->accept);

	if (e == TWC_OK)
		e = enc_room(buf, cap, TWC_STOP_LEN);
	if (e != TWC_OK)
		return e;
	buf[0] = TWC_CMD_STOP_SESSIONS;
	buf[1] = m->accept;
	put32(buf + 4, m->nsessions);
	return TWC_OK;
}

enum twc_err twc_stop_dec(const uint8_t *buf, size_t len, struct twc_stop *m)
{
	enum twc_err e = dec_len(len, TWC_STOP_LEN, m, sizeof(*m));

	if (e != TWC_OK)
		return e;
	m->accept = buf[1];
	m->nsessions = get32(buf + 4);
	if (buf[0] != TWC_CMD_STOP_SESSIONS)
		return TWC_E_COMMAND;
	return check_accept(m->accept);
}

/* ---- RFC 5938 N-messages, 32 + 16*N octets -----------------------------
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Command      | Accept / MBZ  |                               | 0-3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+           MBZ (10)            +
 * |                                                               | 4-11
 * +---------------------------------------------------------------+
 * |                  Number of Sessions (N)                       | 12-15
 * +---------------------------------------------------------------+
 * |                        SID 1 (16)                             | 16-31
 * ~                           ...                                 ~
 * |                        SID N (16)                             |
 * +---------------------------------------------------------------+
 * |                          HMAC (16)                  16+16N .. |
 * +---------------------------------------------------------------+
 *
 *  Command 7 Start-N-Sessions: octet 1 MBZ.
 *  Command 8 Start-N-Ack and 10 Stop-N-Ack: octet 1 is Accept.
 *  Command 9 Stop-N-Sessions: octet 1 is MBZ in SL, possibly Accept as in
 *    Stop-Sessions. ⚠ UNCONFIRMED: we read and write it as Accept (0
 *    for a normal stop), which is the same octets as MBZ from a peer that
 *    sends 0, and refuse values above 6 as for every Accept.
 * ⚠ UNCONFIRMED (docs/protocol.md §4.8): all four layouts rest on one
 * implementation (SL), not on the RFC 5938 text. N = 0 is accepted (a
 * 32-octet message naming no session; the server answers it in kind).
 */
static int nmsg_cmd_ok(uint8_t cmd)
{
	return cmd >= TWC_CMD_START_N_SESSIONS && cmd <= TWC_CMD_STOP_N_ACK;
}

static uint8_t nmsg_accept(uint8_t cmd, uint8_t octet1)
{
	return cmd == TWC_CMD_START_N_SESSIONS ? 0 : octet1;
}

enum twc_err twc_nmsg_enc(const struct twc_nmsg *m, uint8_t *buf, size_t cap)
{
	uint8_t accept = nmsg_accept(m->cmd, m->accept);
	enum twc_err e;

	if (!nmsg_cmd_ok(m->cmd))
		return TWC_E_COMMAND;
	if (m->n > TWC_NMSG_MAX)
		return TWC_E_NSESS;
	e = check_accept(accept);
	if (e == TWC_OK)
		e = enc_room(buf, cap, TWC_NMSG_LEN(m->n));
	if (e != TWC_OK)
		return e;
	buf[0] = m->cmd;
	buf[1] = accept;
	put32(buf + 12, m->n);
	memcpy(buf + TWC_BLOCK, m->sid, TWC_SID_LEN * (size_t)m->n);
	return TWC_OK;
}

enum twc_err twc_nmsg_dec(const uint8_t *buf, size_t len, uint8_t cmd, struct twc_nmsg *m)
{
	memset(m, 0, sizeof(*m));
	if (len < TWC_BLOCK)
		return TWC_E_SHORT;
	m->cmd = buf[0];
	m->accept = nmsg_accept(buf[0], buf[1]);
	m->n = get32(buf + 12);
	if (!nmsg_cmd_ok(cmd) || buf[0] != cmd)
		return TWC_E_COMMAND;
	if (m->n > TWC_NMSG_MAX)
		return TWC_E_NSESS;
	if (len != TWC_NMSG_LEN(m->n))
		return len < TWC_NMSG_LEN(m->n) ? TWC_E_SHORT : TWC_E_LONG;
	memcpy(m->sid, buf + TWC_BLOCK, TWC_SID_LEN * (size_t)m->n);
	return check_accept(m->accept);
}

/* ---- Peek at the first block of a command (§4.9 point 4) --------------- */
enum twc_err twc_peek(const uint8_t block[TWC_BLOCK], uint8_t *cmd, size_t *msg_len)
{
	uint32_t n;

	*cmd = block[0];
	*msg_len = 0;
	switch (block[0]) {
	case TWC_CMD_START_SESSIONS:
		*msg_len = TWC_START_LEN;
		return TWC_OK;
	case TWC_CMD_STOP_SESSIONS:
		*msg_len = TWC_STOP_LEN;
		return TWC_OK;
	case TWC_CMD_REQUEST_TW_SESSION:
		*msg_len = TWC_REQUEST_LEN;
		return TWC_OK;
	case TWC_CMD_START_N_SESSIONS:
	case TWC_CMD_START_N_ACK:
	case TWC_CMD_STOP_N_SESSIONS:
	case TWC_CMD_STOP_N_ACK:
		n = get32(block + 12);
		if (n > TWC_NMSG_MAX)
			return TWC_E_NSESS;
		*msg_len = TWC_NMSG_LEN(n);
		return TWC_OK;
	default:
		return TWC_E_COMMAND;
	}
}
