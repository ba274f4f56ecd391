#!/usr/bin/env python3
"""Checks the variants' patches of every scenario file (scenarios/*/*.yaml).

For every variant it
  (a) builds the scenario document as the harness does (Case::document): the
      Keycloak realm inlined when `keycloak.realm` is a path (relative to the
      scenario file), the `variants` key removed;
  (b) applies the variant's patch op by op with RFC 6902 semantics (as the
      json-patch crate does) and reports every op that fails, a failing
      `test` op included (a guard that no longer holds);
  (c) checks that every positional op is guarded: for each numeric segment
      (a sequence index) at position k of an op's `path` or `from`, an
      earlier `test` op of the same patch has a path that begins with
      segments 0..=k of it. An `add` at `-` (append) is not positional; `test`
      ops themselves are exempt.

With --compare REV (e.g. HEAD) it also checks that the files at REV (read
with `git show REV:scenarios/...`) give the same document for every variant
and the same patches once the `test` ops are left out, and the same scenario
otherwise: guards must not change what a patch does.

Exits 1 on any problem, 0 when it reports nothing.

Usage: python3 scenarios/check_patch_guards.py [--compare HEAD] [-v] [FILE...]
"""

import argparse
import copy
import json
import re
import subprocess
import sys
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("check_patch_guards.py needs PyYAML: pip install pyyaml")

SCENARIOS = Path(__file__).resolve().parent
REPO = SCENARIOS.parent


# --- YAML as serde_yaml 0.9 reads it (YAML 1.2 core schema) ----------------
#
# PyYAML resolves plain scalars by YAML 1.1 (`yes`, `no`, `on`, `off` are
# booleans there, `2024-01-01` a date, `0755` octal); serde_yaml does not.


class CoreLoader(yaml.SafeLoader):
    pass


CoreLoader.yaml_implicit_resolvers = {}
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null",
    re.compile(r"^(?:~|null|Null|NULL|)$"),
    ["~", "n", "N", ""],
)
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def _core_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _core_float(loader, node):
    text = loader.construct_scalar(node).lower()
    if text.endswith("inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text.endswith("nan"):
        return float("nan")
    return float(text)


CoreLoader.add_constructor("tag:yaml.org,2002:int", _core_int)
CoreLoader.add_constructor("tag:yaml.org,2002:float", _core_float)


def load_yaml(text):
    return yaml.load(text, Loader=CoreLoader)


# --- JSON values compared as serde_json compares them ----------------------


def same(a, b):
    """serde_json::Value equality: 1 != 1.0, true != 1, key order ignored."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same(a[k], b[k]) for k in a)
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b))
        )
    return type(a) is type(b) and a == b


def canonical(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# --- RFC 6901 pointers and RFC 6902 operations -----------------------------


class PatchError(Exception):
    pass


def tokens(pointer):
    if not isinstance(pointer, str):
        raise PatchError(f"pointer {pointer!r} is not a string")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"pointer {pointer!r} does not start with `/`")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


INDEX = re.compile(r"^(?:0|[1-9][0-9]*)$")  # RFC 6901: no leading zeroes, no sign


def index(token, length, pointer):
    if not INDEX.match(token):
        raise PatchError(f"`{token}` in {pointer} is not an array index")
    i = int(token)
    if i >= length:
        raise PatchError(f"index {i} in {pointer} is out of bounds (length {length})")
    return i


def resolve(doc, toks, pointer):
    node = doc
    for t in toks:
        if isinstance(node, dict):
            if t not in node:
                raise PatchError(f"{pointer}: no member `{t}`")
            node = node[t]
        elif isinstance(node, list):
            node = node[index(t, len(node), pointer)]
        else:
            raise PatchError(f"{pointer}: `{t}` reaches into a scalar")
    return node


def add(doc, toks, value, pointer):
    if not toks:
        return value
    parent = resolve(doc, toks[:-1], pointer)
    last = toks[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            parent.insert(index(last, len(parent) + 1, pointer), value)
    else:
        raise PatchError(f"{pointer}: the parent is a scalar")
    return doc


def remove(doc, toks, pointer):
    if not toks:
        raise PatchError("cannot remove the whole document")
    parent = resolve(doc, toks[:-1], pointer)
    last = toks[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{pointer}: no member `{last}`")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(index(last, len(parent), pointer))
    raise PatchError(f"{pointer}: the parent is a scalar")


OPS = {"add", "remove", "replace", "move", "copy", "test"}
KEYS = {
    "add": {"path", "value"},
    "remove": {"path"},
    "replace": {"path", "value"},
    "move": {"path", "from"},
    "copy": {"path", "from"},
    "test": {"path", "value"},
}


def apply_op(doc, op):
    """Returns the new document; raises PatchError when the op fails."""
    if not isinstance(op, dict):
        raise PatchError("not a map")
    kind = op.get("op")
    if kind not in OPS:
        raise PatchError(f"unknown op {kind!r}")
    missing = KEYS[kind] - op.keys()
    if missing:
        raise PatchError(f"`{kind}` without {', '.join(sorted(missing))}")
    extra = op.keys() - KEYS[kind] - {"op"}
    if extra:
        raise PatchError(f"`{kind}` with unknown field(s) {', '.join(sorted(extra))}")
    path = op["path"]
    toks = tokens(path)
    if kind == "add":
        return add(doc, toks, copy.deepcopy(op["value"]), path)
    if kind == "remove":
        return remove(doc, toks, path)[0]
    if kind == "replace":
        if not toks:
            return copy.deepcopy(op["value"])
        resolve(doc, toks, path)
        parent = resolve(doc, toks[:-1], path)
        last = toks[-1]
        if isinstance(parent, dict):
            parent[last] = copy.deepcopy(op["value"])
        else:
            parent[index(last, len(parent), path)] = copy.deepcopy(op["value"])
        return doc
    if kind == "test":
        actual = resolve(doc, toks, path)
        if not same(actual, op["value"]):
            raise PatchError(
                f"test failed: {path} is {canonical(actual)}, not {canonical(op['value'])}"
            )
        return doc
    source = op["from"]
    ftoks = tokens(source)
    if kind == "move":
        if toks[: len(ftoks)] == ftoks and len(toks) > len(ftoks):
            raise PatchError(f"cannot move {source} into its own child {path}")
        doc, value = remove(doc, ftoks, source)
        return add(doc, toks, value, path)
    value = copy.deepcopy(resolve(doc, ftoks, source))
    return add(doc, toks, value, path)


# --- the rule -------------------------------------------------------------


def positions(op):
    """(field, pointer, toks, k) for each sequence index k of the op's pointers."""
    out = []
    for field in ("path", "from"):
        pointer = op.get(field)
        if not isinstance(pointer, str):
            continue
        toks = tokens(pointer)
        for k, t in enumerate(toks):
            if re.fullmatch(r"[0-9]+", t):  # "-" (append) is not positional
                out.append((field, pointer, toks, k))
    return out


def unguarded(patch):
    """(op number, field, pointer, prefix) for each index no earlier test guards."""
    problems = []
    tests = []
    for n, op in enumerate(patch):
        if not isinstance(op, dict):
            continue
        if op.get("op") == "test":
            try:
                tests.append(tokens(op.get("path")))
            except PatchError:
                pass
            continue
        try:
            found = positions(op)
        except PatchError:
            continue  # reported when applied
        for field, pointer, toks, k in found:
            prefix = toks[: k + 1]
            if not any(t[: k + 1] == prefix for t in tests):
                problems.append((n, field, pointer, "/" + "/".join(prefix)))
    return problems


# --- scenario documents ---------------------------------------------------


def base_document(raw, scenario_path, label):
    doc = copy.deepcopy(raw)
    keycloak = doc.get("keycloak") if isinstance(doc, dict) else None
    if isinstance(keycloak, dict) and isinstance(keycloak.get("realm"), str):
        realm_path = scenario_path.parent / keycloak["realm"]
        try:
            keycloak["realm"] = json.loads(realm_path.read_text())
        except (OSError, ValueError) as e:
            raise SystemExit(f"{label}: realm {realm_path}: {e}")
    if isinstance(doc, dict):
        doc.pop("variants", None)
    return doc


def variants(raw):
    vs = raw.get("variants") if isinstance(raw, dict) else None
    return vs if isinstance(vs, list) else []


def patched(base, patch, on_error):
    doc = copy.deepcopy(base)
    for n, op in enumerate(patch):
        try:
            doc = apply_op(doc, op)
        except PatchError as e:
            on_error(n, op, e)
            return None
    return doc


def describe(op):
    if isinstance(op, dict):
        s = f"{op.get('op')} {op.get('path')}"
        if "from" in op:
            s += f" from {op['from']}"
        return s
    return repr(op)


def check_file(path, compare, verbose, stats):
    problems = []
    label = path.relative_to(REPO)
    raw = load_yaml(path.read_text())
    base = base_document(raw, path, label)
    docs = {}
    for v in variants(raw):
        name = v.get("name", "?")
        patch = v.get("patch") or []
        if not isinstance(patch, list):
            problems.append(f"{label}: variant `{name}`: `patch` is not a list")
            continue

        def on_error(n, op, e, name=name):
            problems.append(f"{label}: variant `{name}`: op {n} ({describe(op)}) fails: {e}")

        docs[name] = patched(base, patch, on_error)
        for n, field, pointer, prefix in unguarded(patch):
            problems.append(
                f"{label}: variant `{name}`: op {n} ({describe(patch[n])}): "
                f"`{field}` {pointer} has no earlier test under {prefix}"
            )
        ops = [op for op in patch if isinstance(op, dict) and op.get("op") != "test"]
        stats["ops"] += len(ops)
        stats["positional"] += sum(1 for op in ops if positions(op))
        stats["tests"] += len(patch) - len(ops)
        if verbose:
            for op in patch:
                print(f"  {label} {name}: {describe(op)}")

    if compare:
        rel = path.relative_to(REPO).as_posix()
        shown = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{compare}:{rel}"],
            capture_output=True,
            text=True,
        )
        if shown.returncode != 0:
            problems.append(f"{label}: not at {compare}: {shown.stderr.strip()}")
            return problems
        old_raw = load_yaml(shown.stdout)
        old_base = base_document(old_raw, path, f"{label}@{compare}")
        problems += compare_files(label, compare, raw, old_raw, base, old_base, docs)
    return problems


def without_tests(patch):
    return [op for op in patch or [] if not (isinstance(op, dict) and op.get("op") == "test")]


def compare_files(label, rev, raw, old_raw, base, old_base, docs):
    problems = []
    if not same(base, old_base):
        problems.append(f"{label}: the scenario outside `variants` differs from {rev}")
    new_vs = {v.get("name"): v for v in variants(raw)}
    old_vs = {v.get("name"): v for v in variants(old_raw)}
    if list(new_vs) != list(old_vs):
        problems.append(f"{label}: variants {list(new_vs)} at {rev} were {list(old_vs)}")
    for name, old in old_vs.items():
        new = new_vs.get(name)
        if new is None:
            continue
        rest_new = {k: v for k, v in new.items() if k != "patch"}
        rest_old = {k: v for k, v in old.items() if k != "patch"}
        if not same(rest_new, rest_old):
            problems.append(f"{label}: variant `{name}`: fields other than `patch` differ from {rev}")
        if not same(without_tests(new.get("patch")), without_tests(old.get("patch"))):
            problems.append(f"{label}: variant `{name}`: its non-test ops differ from {rev}")
        old_doc = patched(
            old_base,
            old.get("patch") or [],
            lambda n, op, e, name=name: problems.append(
                f"{label}@{rev}: variant `{name}`: op {n} ({describe(op)}) fails: {e}"
            ),
        )
        new_doc = docs.get(name)
        if old_doc is not None and new_doc is not None and not same(new_doc, old_doc):
            problems.append(f"{label}: variant `{name}`: the patched document differs from {rev}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--compare", metavar="REV", help="also compare with the files at REV")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every op")
    args = ap.parse_args()
    files = [f.resolve() for f in args.files] or sorted(SCENARIOS.glob("*/*.yaml"))
    stats = {"ops": 0, "positional": 0, "tests": 0}
    problems = []
    for f in files:
        problems += check_file(f, args.compare, args.verbose, stats)
    for p in problems:
        print(p)
    print(
        f"{len(files)} files: {stats['ops']} ops ({stats['positional']} positional), "
        f"{stats['tests']} test ops; {len(problems)} problem(s)"
        + (f"; compared with {args.compare}" if args.compare else "")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
