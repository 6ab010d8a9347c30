"""The manual pages of docs/man: each renders with groff without a warning,
has the sections a manual page needs, and documents exactly the options its
program accepts -- those of the program's option tables in the source, and
those its --help prints -- and nothing else. Every installed program has its
page installed (meson introspect)."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
MAN = TOP / "docs" / "man"
BUILD = Path(os.environ.get("TWR_BUILD", TOP / "build"))

# EAL arguments that let a DPDK program reach its own option parser anywhere
PREFIX = f"twr-man-{os.getpid()}"
EAL = ["--no-huge", "--no-pci", "-m", "64", "--no-shconf", "--log-level=lib.eal:error",
       "--file-prefix", PREFIX, "--"]

# (page, section of the page, sources with the option tables, binary, --help argv)
GROUPS = [
    ("twamp-reflector.8", "OPTIONS", ["dataplane/main.c"], "dataplane/twamp-reflector",
     EAL + ["--help"]),
    ("twamp-controld.8", "OPTIONS", ["control/main.c"], "control/twamp-controld", ["--help"]),
    ("twamp-keyagent.8", "OPTIONS", ["keyagent/main.c"], "keyagent/twamp-keyagent", ["--help"]),
    ("twamp-keyagent-query.8", "OPTIONS", ["keyagent/query.c"], "keyagent/twamp-keyagent-query",
     ["-h"]),
    ("twamp-client.1", "OPTIONS", ["client/main.c"], "client/twamp-client", ["--help"]),
    ("twamp-client.1", "LIGHT OPTIONS", ["client/light_opts.c"], "client/twamp-client",
     ["light", "--help"]),
    ("twamp-client.1", "TWAMP OPTIONS", ["client/twamp_opts.c"], "client/twamp-client",
     ["twamp", "--help"]),
    ("twamp-loadgen.1", "OPTIONS", ["client/loadgen/lg_opts.c"], "client/loadgen/twamp-loadgen",
     EAL + ["--help"]),
]
PAGES = sorted({g[0] for g in GROUPS})
REQUIRED = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "SEE ALSO"]

OPTION = re.compile(r"(?<![\w/.-])(--[a-z0-9][a-z0-9-]*|-[A-Za-z])(?![\w-])")

pytestmark = pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")


# ---- rendering --------------------------------------------------------------

def groff(roff: str) -> tuple:
    """(plain text, warnings) of a page, with very long lines so that no
    option is broken across two."""
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-rLL=400n", "-P-cbou"],
                       input=roff, capture_output=True, text=True, check=True)
    text = r.stdout.replace("\u2010", "-").replace("\u2212", "-")
    return text, r.stderr.strip()


def sections(text: str) -> dict:
    """Section title -> its lines, from the rendered page."""
    out, title = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace():
            title = line.strip()
            out.setdefault(title, [])
        elif title is not None:
            out[title].append(line)
    return out


def tag_options(lines: list) -> set:
    """Options named in the tags of a section's tagged paragraphs (the
    lines indented as a tag, not as its text)."""
    found = set()
    for line in lines:
        if re.match(r"^ {7}\S", line):
            found.update(OPTION.findall(line))
    return found


def page_options(roff: str, section: str) -> set:
    return tag_options(sections(groff(roff)[0]).get(section, []))


# ---- what the programs accept -----------------------------------------------

def source_options(files: list) -> set:
    """Long options of `struct option` tables, short ones of the getopt
    strings, and options compared by hand with argv[1]."""
    found = set()
    for f in files:
        src = (TOP / f).read_text()
        found.update("--" + n for n in re.findall(
            r'\{\s*"([a-z0-9-]+)",\s*(?:no|required|optional)_argument', src))
        for short in re.findall(r'\b(?:getopt_long|getopt|opts_run)\([^;"]*"([^"]*)"', src):
            found.update("-" + c for c in short if c.isalnum())
        found.update(re.findall(r'strcmp\(argv\[1\], "(-[^"]+)"\)', src))
    return found


def help_options(binary: str, argv: list) -> set:
    exe = BUILD / binary
    if not exe.exists():
        pytest.skip(f"{exe} is not built")
    try:
        r = subprocess.run([str(exe)] + argv, capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(f"/var/run/dpdk/{PREFIX}", ignore_errors=True)  # EAL's runtime folder
    out = r.stdout + r.stderr
    if "usage:" not in out:
        pytest.skip(f"{binary} printed no usage here: {out[-300:]}")
    usage = out[out.index("usage:"):]
    usage = re.sub(r"\([^()]*\)", "", usage)  # asides: "(as swanctl --list-sas prints them)"
    return set(OPTION.findall(usage))


# ---- the pages --------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_renders_without_warnings(page):
    text, warnings = groff((MAN / page).read_text())
    assert warnings == ""
    assert text.strip()


@pytest.mark.parametrize("page", PAGES)
def test_has_the_sections(page):
    secs = sections(groff((MAN / page).read_text())[0])
    assert [s for s in REQUIRED if s not in secs] == []
    name = Path(page).stem
    assert " ".join(secs["NAME"]).split()[0] == name


@pytest.mark.parametrize("page", PAGES)
def test_see_also_names_existing_pages(page):
    see = " ".join(sections(groff((MAN / page).read_text())[0])["SEE ALSO"])
    ours = re.findall(r"(twamp-[a-z-]+)\((\d)\)", see)
    assert ours
    assert [f"{n}.{s}" for n, s in ours if not (MAN / f"{n}.{s}").exists()] == []


def test_man_l_renders_every_page():
    if shutil.which("man") is None:
        pytest.skip("man is not installed")
    for page in PAGES:
        r = subprocess.run(["man", "-l", str(MAN / page)], capture_output=True, text=True,
                           env=dict(os.environ, MANPAGER="cat", MANWIDTH="80"))
        assert r.returncode == 0 and Path(page).stem in r.stdout, page


# ---- options ----------------------------------------------------------------

@pytest.mark.parametrize("page,section,sources,binary,argv", GROUPS,
                         ids=[f"{g[0]}:{g[1]}" for g in GROUPS])
def test_documents_exactly_the_accepted_options(page, section, sources, binary, argv):
    documented = page_options((MAN / page).read_text(), section)
    accepted = source_options(sources)
    assert accepted, "no option found in the sources"
    assert sorted(accepted - documented) == [], "accepted but not documented"
    assert sorted(documented - accepted) == [], "documented but not accepted"


@pytest.mark.parametrize("page,section,sources,binary,argv", GROUPS,
                         ids=[f"{g[0]}:{g[1]}" for g in GROUPS])
def test_documents_every_option_of_the_usage(page, section, sources, binary, argv):
    printed = help_options(binary, argv)
    assert printed
    assert sorted(printed - page_options((MAN / page).read_text(), section)) == []


def test_a_missing_option_is_found():
    roff = (MAN / "twamp-controld.8").read_text()
    cut = roff.replace(".TP\n.B \\-\\-version\nPrint the version and exit.\n", "")
    assert cut != roff
    accepted = source_options(["control/main.c"])
    assert accepted - page_options(cut, "OPTIONS") == {"--version"}


def test_an_unknown_option_is_found():
    roff = (MAN / "twamp-keyagent-query.8").read_text()
    extra = roff.replace(".SH OUTPUT", ".TP\n.B \\-\\-frobnicate\nNot an option.\n.SH OUTPUT")
    assert page_options(extra, "OPTIONS") - source_options(["keyagent/query.c"]) == {"--frobnicate"}


def test_a_warning_is_found():
    assert groff(".TH X 1\n.SH NAME\n.XY x\n")[1] != ""


def test_source_parser():
    assert source_options(["keyagent/query.c"]) == {"-s", "-t", "-h"}
    assert {"-V", "--version", "-h", "--help"} <= source_options(["client/main.c"])


# ---- installation -----------------------------------------------------------

def installed() -> dict:
    if not (BUILD / "meson-info").exists():
        pytest.skip(f"no meson build in {BUILD}")
    r = subprocess.run(["meson", "introspect", "--installed", str(BUILD)], capture_output=True,
                       text=True, check=True)
    return json.loads(r.stdout)


def test_every_installed_program_has_its_page():
    dests = installed().values()
    programs = {Path(d).name for d in dests if re.search(r"/s?bin/twamp-[a-z-]+$", d)}
    pages = {Path(d).name for d in dests if re.search(r"/man/man\d/", d)}
    assert programs
    assert sorted(p for p in programs if not {f"{p}.1", f"{p}.8"} & pages) == []
    assert pages <= set(PAGES)
