"""The include graphs of control/ and dataplane/ have no cycle; the event
loop (control/ctl_loop.c) knows no handler (handlers -> loop, server ->
handlers), and the reflect pipeline (dataplane/pipeline.c) knows nothing of
the worker loop that calls it.

Nodes are modules: X.h with X.c and any X_*.c (ctl_conn_cmd.c belongs to
ctl_conn). A header belongs to its module and also to the module of every
control/*.c that defines a function the header declares, so that a header
shared by several files cannot hide their circle. An edge A -> B: a file of
A includes (#include "...") a control/ header that belongs to B. Only the
files directly in the folder count (config/ is a library of its own).
"""

import re
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
CONTROL = TOP / "control"
DATAPLANE = TOP / "dataplane"
LOOP_MAY_INCLUDE = {"ctl_loop.h", "ctl_timer.h"}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
# a function definition at column 0 that is not static
DEFINITION = re.compile(r"^(?!static\b|typedef\b)[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;{}]*\)\s*\{", re.M)
PROTOTYPE = re.compile(r"\b(\w+)\s*\([^;{}]*\)\s*;")


def files(folder):
    return sorted(p for p in folder.iterdir() if p.suffix in (".c", ".h"))


def module_of(stem, headers):
    """X for X.c, X.h and X_*.c when X.h exists (the longest such X)."""
    best = stem
    for h in headers:
        if stem.startswith(h + "_") and (best == stem or len(h) > len(best)):
            best = h
    return best


def without_braces(text):
    """Top-level text only: struct bodies and inline functions removed."""
    out, depth = [], 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def include_graph(folder=CONTROL):
    """{module: {module: why}} where why names one include making the edge."""
    srcs = {p: COMMENT.sub("", p.read_text()) for p in files(folder)}
    headers = {p.stem for p in srcs if p.suffix == ".h"}
    defined = {}  # function -> module of the .c defining it
    for p, text in srcs.items():
        if p.suffix == ".c":
            for name in DEFINITION.findall(text):
                defined[name] = module_of(p.stem, headers)
    owners = {}  # header -> {module: why the header belongs to it}
    for p, text in srcs.items():
        if p.suffix == ".h":
            owners[p.name] = {module_of(p.stem, headers): ""}
            for f in PROTOTYPE.findall(without_braces(text)):
                if f in defined:
                    owners[p.name].setdefault(defined[f], f", which declares {f}()")
    graph = {}
    for p, text in srcs.items():
        a = module_of(p.stem, headers)
        graph.setdefault(a, {})
        for inc in INCLUDE.findall(text):
            for b, why in owners.get(inc, {}).items():
                if b != a:
                    graph[a].setdefault(b, f"{p.name} includes {inc}{why}")
    return graph


def find_cycle(graph):
    """One cycle as [a, b, ..., a], or None."""
    state, stack = {}, []

    def visit(n):
        state[n] = "open"
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == "open":
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = "done"
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_cycle_finder():
    assert find_cycle({"a": {"b": ""}, "b": {"c": ""}, "c": {}}) is None
    assert find_cycle({"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}}) == ["a", "b", "c", "a"]


def test_graph_is_read():
    graph = include_graph()
    assert "ctl_conn" in graph.get("ctl_server", {}), graph.get("ctl_server")
    assert module_of("ctl_conn_cmd", {"ctl_conn"}) == "ctl_conn"
    assert sum(len(v) for v in graph.values()) > 10


def assert_no_cycle(folder):
    graph = include_graph(folder)
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"  {a} -> {b}: {graph[a][b]}" for a, b in zip(cycle, cycle[1:])]
        raise AssertionError(f"include cycle in {folder.name}/: " + " -> ".join(cycle) + "\n"
                             + "\n".join(steps))


def test_no_include_cycle_in_control():
    assert_no_cycle(CONTROL)


def test_no_include_cycle_in_dataplane():
    assert_no_cycle(DATAPLANE)
    graph = include_graph(DATAPLANE)
    assert "pipeline" in graph.get("worker", {}), graph.get("worker")


def test_pipeline_knows_no_worker_loop():
    """pipeline.c and the stages' helpers are called by the worker loop
    (worker.c) and never call back into it."""
    for name in ("pipeline.c", "pipeline.h", "tx.c", "tx.h", "exception.c", "exception.h"):
        text = COMMENT.sub("", (DATAPLANE / name).read_text())
        assert "worker.h" not in INCLUDE.findall(text), f"{name} includes worker.h"


def test_loop_includes_no_handler():
    for name in ("ctl_loop.c", "ctl_loop.h"):
        path = CONTROL / name
        assert path.exists(), f"{name}: the event loop lives there"
        text = COMMENT.sub("", path.read_text())
        ours = {inc for inc in INCLUDE.findall(text) if (CONTROL / inc).exists()}
        assert ours <= LOOP_MAY_INCLUDE, f"{name} includes {sorted(ours - LOOP_MAY_INCLUDE)}"
