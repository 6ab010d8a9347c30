"""docs/protocol.md against docs/kat.py: every known-answer value of §11 is
recomputed and must be the one written in the document; the script must
agree with tests/py/twamp_ref.py (an independent implementation); and every
`docs/protocol.md §N.M` cited anywhere in the tree must name a section that
exists."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import twamp_ref as t

TOP = Path(__file__).resolve().parents[2]
DOC = TOP / "docs" / "protocol.md"
KAT = TOP / "docs" / "kat.py"


def load_kat():
    spec = importlib.util.spec_from_file_location("protocol_kat", KAT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


kat = load_kat()


@pytest.fixture(scope="module")
def values():
    return kat.compute()


@pytest.fixture(scope="module")
def text():
    return DOC.read_text()


# ---- the document and the script ---------------------------------------------

def test_document_has_every_value(values, text):
    assert kat.differences(text, values) == []
    assert len(kat.documented(text)) == len(values) > 25


def test_a_changed_value_is_found(values, text):
    row = next(line for line in text.splitlines() if line.startswith("| `token-key` |"))
    wrong = row.replace("ad30bef5", "ad30bef6")
    assert wrong != row
    diffs = kat.differences(text.replace(row, wrong), values)
    assert diffs == [f"token-key: document ad30bef6{values['token-key'].hex()[8:]}, "
                     f"computed {values['token-key'].hex()}"]


def test_a_missing_value_is_found(values, text):
    row = next(line for line in text.splitlines() if line.startswith("| `capture-sid` |"))
    assert kat.differences(text.replace(row + "\n", ""), values) == ["capture-sid: not in the document"]


def test_an_unknown_value_is_found(values, text):
    extra = "| `made-up` | nothing | `00` |\n"
    assert kat.differences(text + extra, values) == ["made-up: in the document, not computed"]


def test_check_command(tmp_path):
    ok = subprocess.run([sys.executable, str(KAT), "--check", str(DOC)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "protocol.md"
    bad.write_text(DOC.read_text().replace("`6493444798ad093b8b60650d555bfdbf`",
                                           "`6493444798ad093b8b60650d555bfdbe`"))
    res = subprocess.run([sys.executable, str(KAT), "--check", str(bad)], capture_output=True, text=True)
    assert res.returncode == 1
    assert "start-sessions-hmac" in res.stderr


# ---- the script against twamp_ref ------------------------------------------

def test_control_values_agree_with_twamp_ref(values):
    k = t.token_key(kat.PASS, kat.SALT, kat.COUNT)
    assert k == values["token-key"]
    assert t.encrypt_token(k, kat.CHALLENGE, kat.AES_SESSION, kat.HMAC_SESSION) == values["token"]
    assert t.hmac16(kat.HMAC_SESSION, b"\x02" + bytes(15)) == values["start-sessions-hmac"]
    for name in ("sha1", "sha256"):
        secret = values[f"ippm-hmac-{name}"]
        assert t.token_key(secret, kat.SALT, kat.COUNT) == values[f"ippm-hmac-{name}-token-key"]


def ref_keys():
    return t.derive_test_keys(kat.SID, kat.AES_SESSION, kat.HMAC_SESSION)


def test_test_keys_agree_with_twamp_ref(values):
    keys = ref_keys()
    assert (keys.aes, keys.hmac) == (values["test-aes-key"], values["test-hmac-key"])


@pytest.mark.parametrize("sec,name", [(t.AUTH, "auth-sender-48"), (t.ENC, "enc-sender-48")])
def test_sender_packets_agree_with_twamp_ref(values, sec, name):
    plain = t.build_sender(kat.SEQ, kat.TS, kat.ERREST, b"", sec)
    assert t.protect(plain, t.sender_layout(sec), ref_keys()) == values[name]


@pytest.mark.parametrize("sec,name", [(t.AUTH, "auth-reflector-112"), (t.ENC, "enc-reflector-112")])
def test_reflector_packets_agree_with_twamp_ref(values, sec, name):
    plain = t.build_reflector(dict(seq=kat.REFL_SEQ, ts=kat.REFL_TS, errest=kat.ERREST,
                                   rx_ts=kat.RX_TS, sender_seq=kat.SEQ, sender_ts=kat.TS,
                                   sender_errest=kat.ERREST, sender_ttl=kat.TTL), sec)
    assert t.protect(plain, t.reflector_layout(sec), ref_keys()) == values[name]


def test_capture_check_fails_on_a_wrong_secret(monkeypatch):
    monkeypatch.setattr(kat, "CAPTURE_PASS", b"another passphrase")
    with pytest.raises(ValueError, match="Challenge"):
        kat.capture_kats()


# ---- citations of the document --------------------------------------------

HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", re.M)
CITATION = re.compile(r"docs/protocol\.md`?,?\s*((?:(?:§|Sections?\s+)\d+(?:\.\d+)?"
                      r"(?:\s*(?:-|–|,|/|and|or)\s*)?)+)")
SECTION = re.compile(r"(?:§|Sections?\s+|[-–,/]\s*|and\s+|or\s+)(\d+(?:\.\d+)?)")
SKIP_DIRS = {".git", "strongswan-src"}


def sections(text: str) -> set:
    return set(HEADING.findall(text))


def cited(text: str) -> list:
    """Every section number cited as docs/protocol.md §N.M in text."""
    out = []
    for m in CITATION.finditer(text):
        out += SECTION.findall(m.group(1))
    return out


def tree_files():
    """The tree's text files, but for this one (its examples cite on purpose)."""
    for p in TOP.rglob("*"):
        if p == Path(__file__).resolve():
            continue
        rel = p.relative_to(TOP).parts
        if p.is_file() and not any(part in SKIP_DIRS or part.startswith("build") for part in rel) \
                and p.suffix in {".c", ".h", ".py", ".md", ".yang", ".sh", ".build", ".txt"}:
            yield p


def test_citation_parser():
    assert cited("see docs/protocol.md §4.2-§4.3 and docs/protocol.md §7") == ["4.2", "4.3", "7"]
    assert cited("(`docs/protocol.md` §8.4)") == ["8.4"]
    assert cited("docs/protocol.md Section 8.2: used") == ["8.2"]
    assert cited("docs/protocol.md §5.1, §7.1") == ["5.1", "7.1"]


def test_every_citation_names_a_section(text):
    known = sections(text)
    assert {"1", "4.8", "11.6", "13"} <= known
    bad = [f"{p.relative_to(TOP)}: §{s}" for p in tree_files()
           for s in cited(p.read_text(errors="replace")) if s not in known]
    assert bad == []


def test_a_wrong_citation_would_be_found(text):
    known = sections(text)
    assert [s for s in cited("see docs/protocol.md §4.10") if s not in known] == ["4.10"]


# "protocol.md §" not preceded by "docs/": the old reference outside the tree
BARE = re.compile(r"(?<!docs/)(?<!docs/`)\bprotocol\.md`?\s*§")


def test_no_citation_of_the_old_reference():
    assert BARE.search("see protocol.md §5.2") and not BARE.search("see docs/protocol.md §7.2")
    bad = [f"{p.relative_to(TOP)}:{n}" for p in tree_files()
           for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if BARE.search(line)]
    assert bad == []
