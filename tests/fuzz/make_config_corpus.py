#!/usr/bin/python3
"""Write the seed corpora of the configuration fuzz targets (committed;
re-run by hand).

    /usr/bin/python3 tests/fuzz/make_config_corpus.py

corpus/fuzz_config_control/    the twamp-reflector configurations of
corpus/fuzz_config_dataplane/  dpdk-configs/ and tests/config/data/ as they
                               are, and variants of the fullest ones: each
                               leaf in turn removed, or set to a boundary
                               value of its kind (0, -1, 2^32, "", a long
                               string); the same files in both
corpus/fuzz_config_keyagent/   keyagent/twamp-keyagent.json and its variants
"""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = HERE.parent.parent
OUT = HERE / "corpus"


def leaves(node, path=()):
    """Every leaf (scalar or leaf-list) of a JSON tree, as a path of keys and indexes."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, path + (k,))
    elif isinstance(node, list) and node and isinstance(node[0], dict):
        for i, v in enumerate(node):
            yield from leaves(v, path + (i,))
    else:
        yield path, node


def edit(tree, path, value, remove=False):
    t = json.loads(json.dumps(tree))
    node = t
    for k in path[:-1]:
        node = node[k]
    if remove:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return t


def boundary(value, i):
    """One boundary value of the leaf's kind (i picks which)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return [0, -1, 4294967296, value + 1][i % 4]
    if isinstance(value, list):
        return [[], value * 40][i % 2]
    return ["", "x" * 300, value + "%eth0", "::"][i % 4]


def variants(tree, budget):
    out = []
    for n, (path, value) in enumerate(leaves(tree)):
        if len(out) >= budget:
            break
        name = "-".join(str(p) for p in path[1:]).replace(":", "_")
        out.append((f"drop-{name}", edit(tree, path, None, remove=True)))
        out.append((f"edge-{name}", edit(tree, path, boundary(value, n))))
    return out


REFLECTOR = ("fuzz_config_control", "fuzz_config_dataplane")


def write(targets, name, text):
    for target in targets:
        d = OUT / target
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(text)


def main():
    refl = sorted((TOP / "dpdk-configs").glob("*.json")) + \
        sorted((TOP / "tests/config/data").glob("*.json")) + \
        sorted((TOP / "tests/config/data").glob("*.xml"))
    for f in refl:
        write(REFLECTOR, f.name, f.read_bytes())
    for src in ("tests/config/data/ctl-full.json", "tests/config/data/full.json"):
        tree = json.loads((TOP / src).read_text())
        stem = Path(src).stem
        for name, t in variants(tree, 36):
            write(REFLECTOR, f"{stem}-{name}.json",
                  json.dumps(t, indent=1).encode())
    ka = TOP / "keyagent/twamp-keyagent.json"
    write(("fuzz_config_keyagent",), "example.json", ka.read_bytes())
    for name, t in variants(json.loads(ka.read_text()), 60):
        write(("fuzz_config_keyagent",), f"{name}.json", json.dumps(t, indent=1).encode())


if __name__ == "__main__":
    main()
