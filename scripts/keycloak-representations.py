#!/usr/bin/env python3
"""Prints the property table of harness/src/infra/realmrep.rs from the pinned
Keycloak's keycloak-core jar (with javap), walking every representation class
a realm export reaches from RealmRepresentation.

Usage: keycloak-representations.py KEYCLOAK_CORE_JAR [JAVAP]

Jackson's names: fields, setters and getters (leading capitals lower-cased,
as Jackson's default naming does) and @JsonProperty values: a superset of what
Jackson reads, so no key Keycloak takes is refused. A class with
@JsonIgnoreProperties(ignoreUnknown=true) or a @JsonAnySetter takes any key.
Enums read as strings; JsonNode and Object as anything.
"""
import re, subprocess, sys, zipfile
jar = sys.argv[1]
JAVAP = sys.argv[2] if len(sys.argv) > 2 else "javap"
def _batch(flags):
    # One javap for every representation class of the jar: a JVM start each would take minutes.
    names = sorted(
        n[:-6].replace("/", ".")
        for n in zipfile.ZipFile(jar).namelist()
        if n.startswith("org/keycloak/") and n.endswith(".class")
    )
    out = subprocess.run([JAVAP, *flags, "-classpath", jar, *names], capture_output=True, text=True, check=True).stdout
    found = {}
    for part in out.split("Compiled from ")[1:]:
        body = part.split("\n", 1)[1]
        head = body.splitlines()[0] if "-v" not in flags else next(l for l in body.splitlines() if l.lstrip().startswith(("public", "final", "abstract", "class", "interface", "enum")) and ("class " in l or "interface " in l))
        m = re.search(r"(?:class|interface) ([\w.$]+)", head)
        found[m.group(1)] = "Compiled from " + part
    return found
PLAIN = {}
VERBOSE = {}
def javap(cls):
    if not PLAIN:
        PLAIN.update(_batch(["-p"]))
    return PLAIN[cls]
def javap_verbose(cls):
    if not VERBOSE:
        VERBOSE.update(_batch(["-v", "-p"]))
    return VERBOSE.get(cls, "")
def mangle(name):
    out = []
    i = 0
    while i < len(name) and name[i].isupper():
        out.append(name[i].lower()); i += 1
    return "".join(out) + name[i:]
def split_args(s):
    depth, cur, out = 0, "", []
    for ch in s:
        if ch == "<": depth += 1
        if ch == ">": depth -= 1
        if ch == "," and depth == 0: out.append(cur.strip()); cur = ""; continue
        cur += ch
    if cur.strip(): out.append(cur.strip())
    return out
classes = {}
open_ = {}
queue = ["org.keycloak.representations.idm.RealmRepresentation"]
def kind(t):
    t = t.strip()
    if t.endswith("[]"): return ("List", kind(t[:-2]))
    base, _, rest = t.partition("<")
    args = split_args(rest[:-1]) if rest else []
    simple = base.split(".")[-1]
    if base in ("java.lang.String", "java.lang.Character", "char"): return ("Str",)
    if base in ("java.lang.Boolean", "boolean"): return ("Bool",)
    if base in ("java.lang.Integer", "java.lang.Long", "java.lang.Short", "int", "long", "short", "java.lang.Byte"): return ("Int",)
    if base in ("java.util.List", "java.util.Set", "java.util.Collection", "java.util.LinkedList", "java.util.ArrayList", "java.util.LinkedHashSet", "java.util.HashSet"):
        return ("List", kind(args[0]) if args else ("Any",))
    if base.endswith("MultivaluedHashMap") or base.endswith("MultivaluedMap"):
        return ("Map", ("List", kind(args[1]) if len(args) > 1 else ("Any",)))
    if base in ("java.util.Map", "java.util.HashMap", "java.util.LinkedHashMap", "java.util.TreeMap"):
        return ("Map", kind(args[1]) if len(args) > 1 else ("Any",))
    if base.startswith("org.keycloak.representations"):
        src = javap(base)
        if "extends java.lang.Enum" in src: return ("Str",)
        if base not in classes and base not in queue: queue.append(base)
        return ("Rep", simple)
    return ("Any",)
while queue:
    cls = queue.pop(0)
    if cls in classes: continue
    props = {}
    opens = False
    chain = cls
    while chain and chain.startswith("org.keycloak"):
        src = javap(chain)
        head = src.splitlines()[1]
        m = re.search(r"extends ([\w.$]+)", head)
        for line in src.splitlines()[2:]:
            line = line.strip().rstrip(";")
            if " static " in f" {line} " or line.startswith("static"): continue
            fm = re.match(r"^(?:(?:private|protected|public|final|transient|volatile)\s+)*([\w.$<>\[\], ?]+?)\s+(\w+)$", line)
            mm = re.match(r"^(?:(?:public|protected|private|final|synchronized|abstract)\s+)*(?:<.*?>\s+)?([\w.$<>\[\], ?]+?)\s+(set|get|is)(\w+)\((.*)\)", line)
            if mm:
                ret, pre, name, args = mm.groups()
                if "(" in ret: continue
                if pre == "set" and args.strip() and len(split_args(args)) == 1:
                    props.setdefault(mangle(name), kind(args))
                elif pre in ("get", "is") and not args.strip() and ret != "void":
                    props.setdefault(mangle(name), kind(ret))
            elif fm and "(" not in line:
                typ, name = fm.groups()
                props.setdefault(name, kind(typ))
        verbose = javap_verbose(chain)
        for name in re.findall(r'JsonProperty\(\s*value="([^"]+)"', verbose):
            props.setdefault(name, ("Any",))
        if re.search(r"ignoreUnknown=true|JsonAnySetter", verbose): opens = True
        chain = m.group(1) if m else None
    classes[cls] = props
    open_[cls] = opens
def rs(k):
    if k[0] in ("Str", "Bool", "Int", "Any"): return f"T::{k[0]}"
    if k[0] == "Rep": return f'T::Rep("{k[1]}")'
    return f"T::{k[0]}(&{rs(k[1])})"
out = []
for cls in sorted(classes, key=lambda c: c.split(".")[-1]):
    simple = cls.split(".")[-1]
    out.append(f'    Rep {{\n        class: "{simple}",\n        open: {str(open_[cls]).lower()},\n        properties: &[')
    for name in sorted(classes[cls]):
        out.append(f'            ("{name}", {rs(classes[cls][name])}),')
    out.append("        ],\n    },")
print("\n".join(out))
