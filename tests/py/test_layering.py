"""The layering rule, read from the source tree (no build, no root needed).

control/ and keyagent/ (keyagent/plugin included) never use the dataplane:
none of their C files includes a header that lives only under dataplane/
(or names a path into it), and none of their meson targets, nor a test or
fuzz target built on them, depends on a dataplane library, directly or
through another library. common/ knows no process: its C files include
nothing from dataplane/, control/, keyagent/ or client/.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_PARTS = ("common", "dataplane", "control", "keyagent", "client", "bench", "tests")
INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)
# a dataplane library by its name, wherever it is declared
DP_NAME = re.compile(r"^(twr_dp_\w+|dp_core\w*|dpdk|ipsecmb)$")
TARGET_FUNCS = ("executable", "static_library", "shared_library", "shared_module",
                "library", "both_libraries", "declare_dependency")
CALL = re.compile(r"(?:\b(\w+)\s*=\s*)?\b(%s)\s*\(" % "|".join(TARGET_FUNCS))
DEP_ARG = re.compile(r"\b(?:dependencies|link_with|link_whole)\s*:\s*(\[[^\]]*\]|\w+)")
IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


def c_files(part):
    return sorted(p for p in (ROOT / part).rglob("*") if p.suffix in (".c", ".h"))


def headers(parts):
    """Header file names under the given top-level directories."""
    return {p.name for part in parts for p in (ROOT / part).rglob("*.h")}


def includes(path):
    text = path.read_text(errors="replace")
    for m in INCLUDE.finditer(text):
        yield text.count("\n", 0, m.start()) + 1, m.group(1)


def inside(path, part):
    try:
        path.resolve().relative_to(ROOT / part)
        return True
    except ValueError:
        return False


def rel(path):
    try:
        return path.relative_to(ROOT)
    except ValueError:
        return path


def include_violations(srcs, banned):
    """#include "..." lines of the files srcs that reach into a banned part:
    by path (a directory of that name in it, or the file it resolves to,
    from the including file or the project root), or by a file name that
    exists only under a banned part."""
    banned_only = headers(banned) - headers(set(SOURCE_PARTS) - set(banned))
    bad = []
    for src in srcs:
        for line, inc in includes(src):
            by_path = bool(set(banned) & set(Path(inc).parts[:-1]))
            by_path |= any(inside(base / inc, b) for base in (src.parent, ROOT)
                           for b in banned if (base / inc).exists())
            if by_path or Path(inc).name in banned_only:
                bad.append(f"{rel(src)}:{line}: #include \"{inc}\"")
    return bad


# --- meson -----------------------------------------------------------------

def string_end(text, i):
    """Index after the meson string that starts at text[i]: '...' with
    backslash escapes, or a triple-quoted one."""
    if text.startswith("'''", i):
        end = text.find("'''", i + 3)
        return len(text) if end < 0 else end + 3
    j = i + 1
    while j < len(text) and text[j] != "'":
        j += 2 if text[j] == "\\" else 1
    return min(j + 1, len(text))


def meson_code(path):
    """The file's text with comments removed and string contents blanked, so
    parentheses and brackets can be matched."""
    out, i, text = [], 0, path.read_text()
    while i < len(text):
        c = text[i]
        if c == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        if c == "'":
            end = string_end(text, i)
            out.append("''" + "\n" * text.count("\n", i, end))
            i = end
            continue
        out.append(c)
        i += 1
    return "".join(out)


def call_body(code, open_paren):
    depth = 0
    for j in range(open_paren, len(code)):
        depth += {"(": 1, ")": -1}.get(code[j], 0)
        if depth == 0:
            return code[open_paren + 1:j]
    return code[open_paren + 1:]


class Target:
    def __init__(self, path, line, var, func, refs):
        self.path, self.line, self.var, self.func, self.refs = path, line, var, func, refs

    def __str__(self):
        assign = f"{self.var} = " if self.var else ""
        return f"{rel(self.path)}:{self.line}: {assign}{self.func}(...)"


def targets(path):
    code = meson_code(path)
    for m in CALL.finditer(code):
        body = call_body(code, m.end() - 1)
        refs = {i for a in DEP_ARG.finditer(body) for i in IDENT.findall(a.group(1))}
        yield Target(path, code.count("\n", 0, m.start()) + 1, m.group(1), m.group(2), refs)


def meson_files(part):
    return sorted((ROOT / part).rglob("meson.build"))


def all_targets():
    files = [ROOT / "meson.build"] + [f for part in SOURCE_PARTS for f in meson_files(part)]
    return [t for f in files for t in targets(f)]


class Graph:
    """Which variables each named target depends on, over the whole tree."""

    def __init__(self, tgts):
        self.deps = {}
        for t in tgts:
            if t.var:
                self.deps.setdefault(t.var, set()).update(t.refs)

    def closure(self, names):
        seen, todo = set(), list(names)
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(self.deps.get(n, ()))
        return seen


def declared_in(tgts, parts):
    return {t.var for t in tgts if t.var and any(inside(t.path, p) for p in parts)}


def dataplane_names(tgts):
    return declared_in(tgts, ("dataplane",)) | {"dpdk", "ipsecmb"}


def daemon_targets(tgts, graph):
    """Targets of control/ and keyagent/, and those under tests/ built on
    one of their libraries."""
    own = declared_in(tgts, ("control", "keyagent"))
    for t in tgts:
        if any(inside(t.path, p) for p in ("control", "keyagent")):
            yield t
        elif inside(t.path, "tests") and graph.closure(t.refs) & own:
            yield t


def meson_violations():
    tgts = all_targets()
    graph, dp = Graph(tgts), dataplane_names(tgts)
    bad = []
    for t in daemon_targets(tgts, graph):
        reached = {n for n in graph.closure(t.refs) if n in dp or DP_NAME.match(n)}
        if reached:
            bad.append(f"{t} depends on {', '.join(sorted(reached))}")
    return bad


# --- the tests ---------------------------------------------------------------

def test_parsers_see_the_tree():
    """The checks below read something: if the patterns stopped matching,
    they would pass on any tree."""
    tgts = all_targets()
    graph = Graph(tgts)
    names = {t.var for t in tgts}
    assert {"twr_ctl_lib", "twr_keyagent_lib", "twr_config", "dp_core"} <= names
    assert "twr_common" in graph.closure({"twr_ctl"})
    daemon = list(daemon_targets(tgts, graph))
    assert any("fuzz" in t.path.parts for t in daemon)
    assert any(t.func == "shared_module" for t in daemon)  # the charon plugin
    assert any(inc == "ctl_config.h" for src in c_files("control") for _, inc in includes(src))
    assert c_files("keyagent/plugin")


@pytest.mark.parametrize("part", ["control", "keyagent"])
def test_daemon_includes_no_dataplane_header(part):
    bad = include_violations(c_files(part), ["dataplane"])
    assert not bad, "\n".join(bad)


def test_common_includes_no_process_header():
    bad = include_violations(c_files("common"), ["dataplane", "control", "keyagent", "client"])
    assert not bad, "\n".join(bad)


def test_daemon_targets_link_no_dataplane_library():
    bad = meson_violations()
    assert not bad, "\n".join(bad)


def test_meson_strings_and_comments_are_blanked(tmp_path):
    """Parentheses in strings and comments do not end a target's call, and
    names in them are not dependencies."""
    f = tmp_path / "meson.build"
    f.write_text("x = static_library('a)', 'it\\'s (', # dpdk )\n"
                 "  dependencies : [twr_common, # dp_core\n dep_b])\n"
                 "y = declare_dependency(link_with : x)\n")
    x, y = targets(f)
    assert (x.var, x.func, x.refs) == ("x", "static_library", {"twr_common", "dep_b"})
    assert (y.var, y.refs) == ("y", {"x"})
    assert Graph([x, y]).closure({"y"}) == {"y", "x", "twr_common", "dep_b"}


def test_banned_include_is_caught(tmp_path):
    """A dataplane-only header by name, and paths into dataplane/, are
    flagged; a common header and a name that is also outside are not."""
    src = tmp_path / "x.c"
    src.write_text('#include "worker.h"\n#include "../dataplane/config/x.h"\n'
                   '#include "dataplane/light.h"\n#include "secure_mem.h"\n'
                   '#include "ctl_config.h"\n')
    bad = include_violations([src], ["dataplane"])
    assert [b.split("#include ")[1] for b in bad] == [
        '"worker.h"', '"../dataplane/config/x.h"', '"dataplane/light.h"']
    assert len(include_violations([src], ["dataplane", "control"])) == 4
