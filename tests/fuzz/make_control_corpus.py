#!/usr/bin/python3
"""Write the seed corpus of fuzz_control_msg (committed; re-run by hand).

    /usr/bin/python3 tests/fuzz/make_control_corpus.py

Reads the captured control exchanges in tests/data (*.control.hex, the
passphrase in twping_mode_A.keys), decrypts them (docs/protocol.md §5) and writes
corpus/fuzz_control_msg/:

  msg_<name>      byte 0 = the codec index of fuzz_control_msg.c, then one
                  plaintext message (every captured message, plus RFC 5938
                  N-messages built here, which no capture has)
  c2s_<capture>   byte 0 bit 7 clear, then the captured client->server
                  stream (Request-TW-Session, Start-Sessions, Stop-Sessions)
  s2c_<capture>   byte 0 bit 7 set, then Server-Start, Accept-Session,
                  Start-Ack as captured
  open_c2s_*      plaintext client streams, read in open mode

The fuzz target's fixed keys are those of twping_mode_A, so the mode A
streams verify; the mode E ones exercise the HMAC failure path.
"""
import hashlib
import struct
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
OUT = HERE / "corpus" / "fuzz_control_msg"

# codec indices of CODECS[] in fuzz_control_msg.c
GREETING, SETUP, SERVER_START, REQUEST, ACCEPT, START, START_ACK, STOP = range(8)
NMSG = {7: 8, 8: 9, 9: 10, 10: 11}


def records(name):
    out = []
    for line in (DATA / f"{name}.control.hex").read_text().splitlines():
        if line and not line.startswith("#"):
            _, d, h = line.split()
            out.append((d, bytes.fromhex(h)))
    return out


def passphrase():
    for line in (DATA / "twping_mode_A.keys").read_text().splitlines():
        if line.startswith("passphrase "):
            return bytes.fromhex(line.split()[1])
    raise SystemExit("no passphrase in twping_mode_A.keys")


def cbc_decrypt(key, iv, data):
    d = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return d.update(data) + d.finalize()


def decrypt_capture(name, pw):
    """(messages as plaintext, client wire stream, server wire stream)"""
    recs = records(name)
    s = [m for d, m in recs if d == "s"]
    c = [m for d, m in recs if d == "c"]
    greet, setup, sstart = s[0], c[0], s[1]
    salt, count = greet[32:48], struct.unpack(">I", greet[48:52])[0]
    k = hashlib.pbkdf2_hmac("sha1", pw, salt, count, 16)
    token = cbc_decrypt(k, bytes(16), setup[84:148])
    aes = token[16:32]
    s2c_wire = sstart[32:] + b"".join(s[2:])
    c2s_wire = b"".join(c[1:])
    s2c = cbc_decrypt(aes, sstart[16:32], s2c_wire)
    c2s = cbc_decrypt(aes, setup[148:164], c2s_wire)
    plain = {
        "greeting": (GREETING, greet),
        "setup": (SETUP, setup),
        "server_start": (SERVER_START, sstart[:32] + s2c[:16]),
        "accept": (ACCEPT, s2c[16:64]),
        "start_ack": (START_ACK, s2c[64:96]),
        "request": (REQUEST, c2s[:112]),
        "start": (START, c2s[112:144]),
        "stop": (STOP, c2s[144:176]),
    }
    return plain, c2s_wire, sstart + b"".join(s[2:]), c2s


def nmsg(cmd, accept, sids):
    hdr = bytes([cmd, accept]) + bytes(10) + struct.pack(">I", len(sids))
    return hdr + b"".join(sids) + bytes(16)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    pw = passphrase()
    seeds = {}
    for cap in ["twping_mode_A", "twping_mode_E"]:
        plain, c2s_wire, s2c_wire, c2s_plain = decrypt_capture(cap, pw)
        tag = cap[-1]
        for name, (idx, msg) in plain.items():
            seeds[f"msg_{name}_{tag}"] = bytes([idx]) + msg
        seeds[f"c2s_{cap}"] = bytes([REQUEST]) + c2s_wire
        seeds[f"s2c_{cap}"] = bytes([0x80 | SERVER_START]) + s2c_wire
        seeds[f"open_c2s_{cap}"] = bytes([REQUEST]) + c2s_plain
    wrong = records("twping_mode_A_wrong_passphrase")
    seeds["msg_server_start_reject"] = bytes([SERVER_START]) + wrong[2][1]
    seeds["msg_setup_reject"] = bytes([SETUP]) + wrong[1][1]

    sid = bytes.fromhex("7f000001eead0687c7e93187783c403c")
    sid2 = bytes.fromhex("7f000001eead068e1291212516f5ee24")
    for cmd, idx in NMSG.items():
        accept = 0 if cmd == 7 else 3
        seeds[f"msg_nmsg_{cmd}_one"] = bytes([idx]) + nmsg(cmd, accept, [sid])
        seeds[f"msg_nmsg_{cmd}_two"] = bytes([idx]) + nmsg(cmd, accept, [sid, sid2])
    _, _, _, c2s_a = decrypt_capture("twping_mode_A", pw)
    seeds["open_c2s_nmsgs"] = bytes([REQUEST]) + c2s_a[:112] + nmsg(7, 0, [sid]) + \
        nmsg(9, 0, [sid, sid2]) + c2s_a[144:176]
    for name, data in seeds.items():
        (OUT / name).write_bytes(data)


if __name__ == "__main__":
    main()
