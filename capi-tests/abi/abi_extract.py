#!/usr/bin/env python3
"""Extract the public ABI contract from a *reference* zmq.h / zmq_utils.h and
generate the C/C++ probe sources that check-header.sh compiles against both
the reference header and ours.

Usage:
    abi_extract.py --header REF_HEADER --include NAME [--include NAME ...]
                   --predef PREDEF_FILE --out DIR --prefix P

Writes into DIR:
    P_values.c         C11 program printing NAME=value lines (stable API)
    P_values_draft.c   same, for the DRAFT-only API (compile with
                       -DZMQ_BUILD_DRAFT_API)
    P_decls.c          compile-only TU (valid as C11 and C++11): prototypes,
                       typedefs, struct members, #if-usability of macros
    P_decls_draft.c    same for the DRAFT-only API
    P_summary.json     what was extracted (counts, names, skipped items)

How the reference header is read
--------------------------------
Conditionals are evaluated the way the C compiler used for the check would
see them on this platform: PREDEF_FILE is the output of `cc -dM -E -x c
/dev/null`, so `#if defined _WIN32` branches are dropped, `#elif defined
__GNUC__` branches kept, `#ifdef __cplusplus` dropped, and so on.  The header
is walked twice, without and with ZMQ_BUILD_DRAFT_API defined: what the first
walk sees is the STABLE API; what only the second walk sees is the DRAFT API.
errno.h is *not* consulted, so the `#ifndef ENOTSUP / #define ENOTSUP
(ZMQ_HAUSNUMERO + 1)` fallbacks are taken; the probes then print whatever the
name expands to after <errno.h> (on Linux: the native errno values), which
must be identical for both headers.

Which macros are checked (the rule)
-----------------------------------
  * include guards (`#ifndef X` immediately followed by an empty `#define X`)
    are skipped;
  * attribute helpers (ZMQ_EXPORT, or any value containing __attribute__,
    __declspec or __global) are skipped;
  * ZMQ_VERSION_MAJOR/MINOR/PATCH and ZMQ_VERSION may differ (ours is
    4.3.5): only MAJOR's value is compared; MINOR and PATCH must exist with
    the same type, ZMQ_VERSION must equal ZMQ_MAKE_VERSION(MAJOR,MINOR,PATCH)
    and be >= the reference's version (checked both at run time and in #if);
  * a macro with an empty body (ZMQ_HAVE_TIMERS, ZMQ_HAVE_POLLER) is a
    feature flag: only "is defined" is compared;
  * every other object-like macro whose body is a C constant expression
    (numbers, string/char literals, operators, parentheses and names of
    other macros of the same header) is compared by value AND C type
    (ZMQ_FD=14 (int) must not become 14u); ints must also be usable in #if;
  * a function-like macro M(a, b, ...) is compared by printing M(1, 2, ...),
    e.g. ZMQ_MAKE_VERSION(1, 2, 3) = 10203;
  * everything else (e.g. a macro whose body names a function) is reported
    as skipped in P_summary.json.
In the stable probe, every DRAFT macro must be *undefined* (as in the
reference) unless ZMQ_BUILD_DRAFT_API is defined.

Declarations: each `ZMQ_EXPORT ... ;` becomes a pointer of the exact
reference prototype type initialised with the function; each non-struct
typedef is re-declared under a new name and compared for type identity;
struct typedefs have their size, alignment and per-member offset/size
printed, and member types compared (members whose name starts with `_` are
private padding: only size/alignment of the struct count).
"""

import argparse
import json
import os
import re
import sys

VERSION_PARTS = ("ZMQ_VERSION_MAJOR", "ZMQ_VERSION_MINOR", "ZMQ_VERSION_PATCH")
ATTRIBUTE_WORDS = ("__attribute__", "__declspec", "__global")
DRAFT_MACRO = "ZMQ_BUILD_DRAFT_API"


# --------------------------------------------------------------------------
# Lexing helpers
# --------------------------------------------------------------------------

def strip_comments(text):
    """Remove /* */ and // comments, keeping string/char literals and line
    structure (newlines inside block comments are preserved)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(" " + "\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def logical_lines(text):
    """Join backslash continuations; yield (first_physical_line_no, line)."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        start = i
        cur = lines[i]
        while cur.endswith("\\") and i + 1 < len(lines):
            i += 1
            cur = cur[:-1] + " " + lines[i]
        yield start + 1, cur
        i += 1


TOKEN_RE = re.compile(r"""
    (?P<str>"(?:\\.|[^"\\])*")
  | (?P<chr>'(?:\\.|[^'\\])*')
  | (?P<num>(?:0[xX][0-9A-Fa-f]+|\d+)[uUlL]*)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<op><<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!<>?:(),])
  | (?P<ws>\s+)
  | (?P<bad>.)
""", re.X)


def tokens(expr):
    return [(m.lastgroup, m.group()) for m in TOKEN_RE.finditer(expr)
            if m.lastgroup != "ws"]


def c_int(lit):
    return int(lit.rstrip("uUlL"), 0)


# --------------------------------------------------------------------------
# #if evaluation
# --------------------------------------------------------------------------

class Evaluator:
    def __init__(self, predef):
        self.defs = dict(predef)  # name -> body text

    def value_of(self, name, depth=0):
        body = self.defs.get(name)
        if body is None or depth > 20:
            return 0
        try:
            return self.eval(body, depth + 1)
        except Exception:
            return 0

    def eval(self, expr, depth=0):
        toks = tokens(expr)
        py = []
        i = 0
        while i < len(toks):
            kind, t = toks[i]
            if kind == "id" and t == "defined":
                if toks[i + 1][1] == "(":
                    name = toks[i + 2][1]
                    i += 4
                else:
                    name = toks[i + 1][1]
                    i += 2
                py.append("1" if name in self.defs else "0")
                continue
            if kind == "id":
                py.append(str(self.value_of(t, depth)))
            elif kind == "num":
                py.append(str(c_int(t)))
            elif kind == "chr":
                py.append(str(ord(eval(t))))
            elif t == "&&":
                py.append(" and ")
            elif t == "||":
                py.append(" or ")
            elif t == "!":
                py.append(" not ")
            elif t == "/":
                py.append("//")
            else:
                py.append(t)
            i += 1
        return int(eval("".join(py), {"__builtins__": {}}, {}))


# --------------------------------------------------------------------------
# Walking the header
# --------------------------------------------------------------------------

DEFINE_RE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)(\(([^)]*)\))?\s*(.*?)\s*$")
DIRECTIVE_RE = re.compile(r"^\s*#\s*(\w+)\s*(.*?)\s*$")


def walk(text, predef, draft):
    """Return (macros, statements) active on this platform.
    macros: list of dicts {name, params, body, line, fallback, guard}
    statements: list of (line, text) of top-level C declarations."""
    ev = Evaluator(predef)
    if draft:
        ev.defs[DRAFT_MACRO] = "1"
    macros = []
    statements = []
    # stack entries: [parent_active, this_active, taken, ifndef_name]
    stack = []
    active = True
    pending = []       # pieces of the statement being accumulated
    pending_line = None
    depth = 0
    last_ifndef = None  # (name, index of line) for guard / fallback detection
    prev_was_ifndef = None

    lines = list(logical_lines(strip_comments(text)))
    for lineno, line in lines:
        d = DIRECTIVE_RE.match(line)
        if d:
            kw, rest = d.group(1), d.group(2)
            just_ifndef = None
            if kw in ("if", "ifdef", "ifndef"):
                if kw == "ifdef":
                    cond = rest.split()[0] in ev.defs
                elif kw == "ifndef":
                    cond = rest.split()[0] not in ev.defs
                    just_ifndef = rest.split()[0]
                else:
                    cond = bool(ev.eval(rest))
                this = active and cond
                stack.append([active, this, this,
                              rest.split()[0] if kw == "ifndef" else None])
                active = this
            elif kw == "elif":
                top = stack[-1]
                this = top[0] and not top[2] and bool(ev.eval(rest))
                top[1] = this
                top[2] = top[2] or this
                top[3] = None
                active = this
            elif kw == "else":
                top = stack[-1]
                this = top[0] and not top[2]
                top[1] = this
                top[2] = True
                top[3] = None
                active = this
            elif kw == "endif":
                stack.pop()
                active = stack[-1][1] if stack else True
            elif kw == "define" and active:
                m = DEFINE_RE.match(line)
                name, params, body = m.group(1), m.group(3), m.group(4)
                enclosing_ifndef = stack[-1][3] if stack else None
                macros.append({
                    "name": name,
                    "params": None if m.group(2) is None
                    else [p.strip() for p in params.split(",") if p.strip()],
                    "body": body,
                    "line": lineno,
                    # `#ifndef X` / `#define X ...`: a fallback definition
                    "fallback": enclosing_ifndef == name and body != "",
                    # `#ifndef X` / `#define X` (empty) right after it
                    "guard": prev_was_ifndef == name and body == "",
                })
                ev.defs[name] = body
            elif kw == "undef" and active:
                ev.defs.pop(rest.split()[0], None)
            prev_was_ifndef = just_ifndef
            continue
        prev_was_ifndef = None
        if not active:
            continue
        # accumulate top-level declarations
        for ch in line + "\n":
            if pending_line is None and not ch.isspace():
                pending_line = lineno
            pending.append(ch)
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == ";" and depth == 0:
                stmt = " ".join("".join(pending).split())
                statements.append((pending_line, stmt))
                pending, pending_line = [], None
    # extern "C" { ... } only appears under __cplusplus, which is inactive.
    return macros, statements


# --------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------

def classify_macros(macros, all_names):
    out, skipped = [], []
    for m in macros:
        name, body = m["name"], m["body"]
        if m["guard"]:
            skipped.append((name, "include guard"))
            continue
        if name == "ZMQ_EXPORT" or any(w in body for w in ATTRIBUTE_WORDS):
            skipped.append((name, "symbol-visibility/attribute helper"))
            continue
        if m["params"] is not None:
            out.append(dict(m, kind="function"))
            continue
        if name in VERSION_PARTS or name == "ZMQ_VERSION":
            out.append(dict(m, kind="version"))
            continue
        if body == "":
            out.append(dict(m, kind="flag"))
            continue
        toks = tokens(body)
        bad = [t for k, t in toks if k == "bad"
               or (k == "id" and t not in all_names)]
        if bad:
            skipped.append((name, "not a constant expression: " + " ".join(bad)))
            continue
        out.append(dict(m, kind="errno" if m["fallback"] else "value"))
    return out, skipped


def is_stringy(m, by_name, depth=0):
    if depth > 20:
        return True
    for k, t in tokens(m["body"]):
        if k in ("str", "chr"):
            return k == "str"
        if k == "id" and t in by_name and is_stringy(by_name[t], by_name, depth + 1):
            return True
    return False


def strip_attributes(s):
    """Remove __attribute__((...)) / __declspec(...) with balanced parens."""
    while True:
        m = re.search(r"\b(__attribute__|__declspec)\s*\(", s)
        if not m:
            return s
        i = m.end() - 1
        lvl = 0
        for j in range(i, len(s)):
            if s[j] == "(":
                lvl += 1
            elif s[j] == ")":
                lvl -= 1
                if lvl == 0:
                    break
        s = s[:m.start()] + s[j + 1:]


def parse_statements(statements):
    protos, typedefs, structs, others = [], [], [], []
    for line, st in statements:
        st = st.rstrip(";").strip()
        if st.startswith("ZMQ_EXPORT "):
            decl = st[len("ZMQ_EXPORT "):].strip()
            m = re.match(r"^(.*?)\b([A-Za-z_]\w*)\s*\((.*)\)$", decl)
            if not m:
                others.append((line, st))
                continue
            ret, name, params = m.group(1).strip(), m.group(2), m.group(3).strip()
            protos.append({"name": name, "ret": ret, "params": params,
                           "line": line, "decl": decl})
        elif st.startswith("typedef "):
            body = st[len("typedef "):]
            sm = re.match(r"^(struct|union)\s+(\w+)?\s*\{(.*)\}\s*(\w+)$", body)
            if sm:
                members = []
                for mem in sm.group(3).split(";"):
                    mem = " ".join(strip_attributes(mem).split())
                    if not mem:
                        continue
                    mm = re.match(r"^(.*?)\b([A-Za-z_]\w*)\s*((?:\[[^\]]*\])*)$", mem)
                    members.append({"name": mm.group(2), "decl": mem,
                                    "private": mm.group(2).startswith("_")})
                # dedupe (same member in several #if branches)
                seen, uniq = set(), []
                for mem in members:
                    if mem["name"] not in seen:
                        seen.add(mem["name"])
                        uniq.append(mem)
                structs.append({"name": sm.group(4), "kw": sm.group(1),
                                "tag": sm.group(2), "members": uniq,
                                "line": line})
                continue
            fm = re.search(r"\(\s*\*?\s*([A-Za-z_]\w*)\s*\)\s*\(", body)
            if fm:
                name, kind = fm.group(1), "function"
                start, end = fm.start(1), fm.end(1)
            else:
                nm = re.search(r"([A-Za-z_]\w*)\s*((?:\[[^\]]*\])*)\s*$", body)
                name, kind = nm.group(1), "object"
                start, end = nm.start(1), nm.end(1)
            typedefs.append({"name": name, "kind": kind, "line": line,
                             "ref": "typedef " + body[:start] + "abiref_t_" + name
                             + body[end:] + ";"})
        else:
            others.append((line, st))
    return protos, typedefs, structs, others


# --------------------------------------------------------------------------
# Code generation
# --------------------------------------------------------------------------

PRINT_HELPERS = r"""
#include <stdio.h>
#include <stddef.h>

#define ABI_UNUSED __attribute__ ((unused))
static ABI_UNUSED void abi_pi(const char *n, int v) { printf("%s=%d (int)\n", n, v); }
static ABI_UNUSED void abi_pu(const char *n, unsigned v) { printf("%s=%u (unsigned int)\n", n, v); }
static ABI_UNUSED void abi_pl(const char *n, long v) { printf("%s=%ld (long)\n", n, v); }
static ABI_UNUSED void abi_pul(const char *n, unsigned long v) { printf("%s=%lu (unsigned long)\n", n, v); }
static ABI_UNUSED void abi_pll(const char *n, long long v) { printf("%s=%lld (long long)\n", n, v); }
static ABI_UNUSED void abi_pull(const char *n, unsigned long long v) { printf("%s=%llu (unsigned long long)\n", n, v); }
static ABI_UNUSED void abi_psh(const char *n, int v) { printf("%s=%d (short)\n", n, v); }
static ABI_UNUSED void abi_push(const char *n, int v) { printf("%s=%d (unsigned short)\n", n, v); }
static ABI_UNUSED void abi_pc(const char *n, int v) { printf("%s=%d (char)\n", n, v); }
static ABI_UNUSED void abi_psc(const char *n, int v) { printf("%s=%d (signed char)\n", n, v); }
static ABI_UNUSED void abi_puc(const char *n, int v) { printf("%s=%d (unsigned char)\n", n, v); }
static ABI_UNUSED void abi_pb(const char *n, int v) { printf("%s=%d (_Bool)\n", n, v); }
static ABI_UNUSED void abi_pd(const char *n, double v) { printf("%s=%.17g (double)\n", n, v); }
static ABI_UNUSED void abi_pf(const char *n, double v) { printf("%s=%.9g (float)\n", n, v); }
static ABI_UNUSED void abi_ps(const char *n, const char *v)
{
    printf("%s=\"", n);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\') printf("\\%c", *v);
        else if (*v < 32 || *v > 126) printf("\\x%02x", (unsigned char) *v);
        else putchar(*v);
    }
    printf("\" (char *)\n");
}
static ABI_UNUSED void abi_px(const char *n, ...) { printf("%s=<value of unsupported type>\n", n); }

#define ABI_PRINT(n, x) _Generic((x), \
    int: abi_pi, unsigned int: abi_pu, long: abi_pl, unsigned long: abi_pul, \
    long long: abi_pll, unsigned long long: abi_pull, short: abi_psh, \
    unsigned short: abi_push, char: abi_pc, signed char: abi_psc, \
    unsigned char: abi_puc, _Bool: abi_pb, double: abi_pd, float: abi_pf, \
    char *: abi_ps, const char *: abi_ps, default: abi_px)(n, (x))
#define ABI_TYPENAME(x) _Generic((x), int: "int", unsigned int: "unsigned int", \
    long: "long", unsigned long: "unsigned long", long long: "long long", \
    unsigned long long: "unsigned long long", default: "other")
#define ABI_FACT(n, x) printf("%s=%lu\n", n, (unsigned long) (x))
#define ABI_UNDEF(n) printf("%s=<undefined>\n", n)
"""

DECL_HELPERS = r"""
#include <stddef.h>
#ifdef __cplusplus
template <class A, class B> struct abi_same { enum { value = 0 }; };
template <class A> struct abi_same<A, A> { enum { value = 1 }; };
#define ABI_SAME(a, b, msg) static_assert(abi_same<a, b>::value, msg)
#define ABI_TYPEOF(x) decltype(x)
#else
#define ABI_SAME(a, b, msg) _Static_assert(__builtin_types_compatible_p(a, b), msg)
#define ABI_TYPEOF(x) __typeof__(x)
#endif
"""


def gen_values(includes, macros, structs, typedefs, hidden, ref_version, draft):
    L = ["/* generated by abi_extract.py -- do not edit */"]
    if draft:
        L.append("#ifndef ZMQ_BUILD_DRAFT_API\n#error compile with -DZMQ_BUILD_DRAFT_API\n#endif")
    L += ["#include <%s>" % h for h in includes]
    L.append(PRINT_HELPERS)
    L.append("int main(void)\n{")
    n_values = 0
    for m in macros:
        name, tag = m["name"], "/*ABI:macro:%s*/" % m["name"]
        if m["kind"] == "function":
            args = ", ".join(str(i + 1) for i in range(len(m["params"])))
            call = "%s(%s)" % (name, args)
            L.append("#ifdef %s %s" % (name, tag))
            L.append('    ABI_PRINT("%s", (%s));' % (call, call))
            L.append("#else\n    ABI_UNDEF(\"%s\");\n#endif" % call)
        elif m["kind"] == "flag":
            L.append("#ifdef %s %s\n    puts(\"%s=<defined>\");" % (name, tag, name))
            L.append("#else\n    ABI_UNDEF(\"%s\");\n#endif" % name)
        elif m["kind"] == "version":
            L.append("#ifdef %s %s" % (name, tag))
            if name == "ZMQ_VERSION_MAJOR":
                L.append('    ABI_PRINT("%s", (%s));' % (name, name))
            else:
                # the value may differ; print only its type
                L.append('    printf("%%s=<any> (%%s)\\n", "%s", ABI_TYPENAME(%s));' % (name, name))
            L.append("#else\n    ABI_UNDEF(\"%s\");\n#endif" % name)
        else:
            L.append("#ifdef %s %s" % (name, tag))
            L.append('    ABI_PRINT("%s", (%s));' % (name, name))
            L.append("#else\n    ABI_UNDEF(\"%s\");\n#endif" % name)
        n_values += 1
    if ref_version and not draft:
        L.append("#if defined ZMQ_VERSION && defined ZMQ_MAKE_VERSION && defined ZMQ_VERSION_MAJOR "
                 "&& defined ZMQ_VERSION_MINOR && defined ZMQ_VERSION_PATCH")
        L.append('    printf("ZMQ_VERSION:equals-ZMQ_MAKE_VERSION(MAJOR,MINOR,PATCH)=%s\\n", '
                 '(ZMQ_VERSION) == ZMQ_MAKE_VERSION(ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, '
                 'ZMQ_VERSION_PATCH) ? "yes" : "no");')
        L.append('    printf("ZMQ_VERSION:at-least-%d.%d.%d=%%s\\n", (ZMQ_VERSION) >= ZMQ_MAKE_VERSION(%d, %d, %d) '
                 '? "yes" : "no");' % (ref_version * 2))
        L.append("#else\n    puts(\"ZMQ_VERSION=<incomplete version macros>\");\n#endif")
    for name in hidden:
        L.append("#ifdef %s /*ABI:draft-hidden:%s*/" % (name, name))
        L.append('    puts("draft-hidden:%s=<defined without ZMQ_BUILD_DRAFT_API>");' % name)
        L.append("#else\n    puts(\"draft-hidden:%s=<undefined>\");\n#endif" % name)
    n_facts = 0
    for t in typedefs:
        if t["kind"] == "object":
            L.append('    ABI_FACT("sizeof(%s)", sizeof(%s)); /*ABI:type:%s*/' % (t["name"], t["name"], t["name"]))
            L.append('    ABI_FACT("_Alignof(%s)", _Alignof(%s)); /*ABI:type:%s*/' % (t["name"], t["name"], t["name"]))
            n_facts += 2
    for s in structs:
        n = s["name"]
        L.append('    ABI_FACT("sizeof(%s)", sizeof(%s)); /*ABI:struct:%s*/' % (n, n, n))
        L.append('    ABI_FACT("_Alignof(%s)", _Alignof(%s)); /*ABI:struct:%s*/' % (n, n, n))
        n_facts += 2
        for mem in s["members"]:
            if mem["private"]:
                continue
            f = mem["name"]
            L.append('    ABI_FACT("offsetof(%s, %s)", offsetof(%s, %s)); /*ABI:member:%s.%s*/'
                     % (n, f, n, f, n, f))
            L.append('    ABI_FACT("sizeof(%s.%s)", sizeof(((%s *) 0)->%s)); /*ABI:member:%s.%s*/'
                     % (n, f, n, f, n, f))
            n_facts += 2
    L.append("    return 0;\n}")
    return "\n".join(L) + "\n", n_values, n_facts


def gen_decls(includes, macros, protos, typedefs, structs, by_name, ref_version, draft):
    L = ["/* generated by abi_extract.py -- do not edit; compile only (-c) */"]
    if draft:
        L.append("#ifndef ZMQ_BUILD_DRAFT_API\n#error compile with -DZMQ_BUILD_DRAFT_API\n#endif")
    L += ["#include <%s>" % h for h in includes]
    L.append(DECL_HELPERS)
    n_pp = 0
    for m in macros:
        if m["kind"] in ("value", "errno", "version") and not is_stringy(m, by_name):
            # must be usable in #if (no casts, no sizeof, no enum constants)
            L.append("#if defined %s && ((%s) != (%s)) /*ABI:macro-in-#if:%s*/\n#endif"
                     % (m["name"], m["name"], m["name"], m["name"]))
            n_pp += 1
    if ref_version and not draft:
        L.append("#if defined ZMQ_VERSION && defined ZMQ_MAKE_VERSION "
                 "/*ABI:macro-in-#if:ZMQ_VERSION*/")
        L.append("#if !(ZMQ_VERSION >= ZMQ_MAKE_VERSION (%d, %d, %d)) "
                 "/*ABI:macro-in-#if:ZMQ_VERSION*/" % ref_version)
        L.append("#error ZMQ_VERSION is older than the reference header /*ABI:macro-in-#if:ZMQ_VERSION*/")
        L.append("#endif\n#endif")
    for t in typedefs:
        L.append("%s /*ABI:typedef:%s*/" % (t["ref"], t["name"]))
        L.append('ABI_SAME(%s, abiref_t_%s, "typedef %s differs from the reference"); /*ABI:typedef:%s*/'
                 % (t["name"], t["name"], t["name"], t["name"]))
    for s in structs:
        n = s["name"]
        if s["tag"]:
            L.append('ABI_SAME(%s %s, %s, "%s %s is not the same type as %s"); /*ABI:struct:%s*/'
                     % (s["kw"], s["tag"], n, s["kw"], s["tag"], n, n))
        for mem in s["members"]:
            if mem["private"]:
                continue
            tn = "abiref_m_%s_%s" % (n, mem["name"])
            decl = re.sub(r"\b%s\b(?=\s*(\[|$))" % re.escape(mem["name"]), tn, mem["decl"])
            L.append("typedef %s; /*ABI:member:%s.%s*/" % (decl, n, mem["name"]))
            L.append('ABI_SAME(ABI_TYPEOF(((%s *) 0)->%s), %s, "member %s.%s has another type"); '
                     '/*ABI:member:%s.%s*/' % (n, mem["name"], tn, n, mem["name"], n, mem["name"]))
    for p in protos:
        L.append("%s (*abi_p_%s) (%s) = %s; /*ABI:proto:%s*/"
                 % (p["ret"], p["name"], p["params"], p["name"], p["name"]))
    return "\n".join(L) + "\n", n_pp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--header", required=True)
    ap.add_argument("--include", action="append", required=True,
                    help="header names the probes #include, in order")
    ap.add_argument("--predef", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prefix", required=True)
    a = ap.parse_args()

    predef = {}
    with open(a.predef) as f:
        for line in f:
            m = DEFINE_RE.match(line)
            if m:
                predef[m.group(1)] = m.group(4)
    predef.pop(DRAFT_MACRO, None)

    with open(a.header, encoding="utf-8", errors="replace") as f:
        text = f.read()

    res = {}
    for draft in (False, True):
        macros, stmts = walk(text, predef, draft)
        names = {m["name"] for m in macros}
        cls, skipped = classify_macros(macros, names)
        protos, typedefs, structs, others = parse_statements(stmts)
        res[draft] = dict(macros=cls, skipped=skipped, protos=protos,
                          typedefs=typedefs, structs=structs, others=others)

    st, dr = res[False], res[True]

    def key_m(m):
        return (m["name"], m["params"] and tuple(m["params"]), m["body"])

    st_m = {key_m(m) for m in st["macros"]}
    draft_macros = [m for m in dr["macros"] if key_m(m) not in st_m]
    st_p = {p["name"]: p["decl"] for p in st["protos"]}
    draft_protos = [p for p in dr["protos"] if st_p.get(p["name"]) != p["decl"]]
    st_t = {t["name"]: t["ref"] for t in st["typedefs"]}
    draft_typedefs = [t for t in dr["typedefs"] if st_t.get(t["name"]) != t["ref"]]
    st_s = {s["name"] for s in st["structs"]}
    draft_structs = [s for s in dr["structs"] if s["name"] not in st_s]
    stable_names = {m["name"] for m in st["macros"]}
    hidden = [m["name"] for m in draft_macros if m["name"] not in stable_names]

    by_name_st = {m["name"]: m for m in st["macros"]}
    by_name_dr = {m["name"]: m for m in dr["macros"]}

    ref_version = None
    try:
        ref_version = tuple(c_int(by_name_st[v]["body"]) for v in VERSION_PARTS)
    except (KeyError, ValueError):
        pass

    os.makedirs(a.out, exist_ok=True)
    P = os.path.join(a.out, a.prefix)
    v_src, n_val, n_facts = gen_values(a.include, st["macros"], st["structs"],
                                       st["typedefs"], hidden, ref_version, False)
    vd_src, n_val_d, n_facts_d = gen_values(a.include, draft_macros, draft_structs,
                                            draft_typedefs, [], None, True)
    d_src, n_pp = gen_decls(a.include, st["macros"], st["protos"], st["typedefs"],
                            st["structs"], by_name_st, ref_version, False)
    dd_src, n_pp_d = gen_decls(a.include, draft_macros, draft_protos, draft_typedefs,
                               draft_structs, by_name_dr, None, True)
    for suffix, src in (("_values.c", v_src), ("_values_draft.c", vd_src),
                        ("_decls.c", d_src), ("_decls_draft.c", dd_src)):
        with open(P + suffix, "w") as f:
            f.write(src)

    def mlist(ms):
        return [{"name": m["name"], "kind": m["kind"], "body": m["body"],
                 "params": m["params"]} for m in ms]

    summary = {
        "header": a.header,
        "ref_version": ref_version,
        "stable": {
            "macros": mlist(st["macros"]),
            "prototypes": [p["name"] for p in st["protos"]],
            "typedefs": [t["name"] for t in st["typedefs"]],
            "structs": [s["name"] for s in st["structs"]],
            "facts": n_facts,
            "pp_checks": n_pp,
            "skipped": st["skipped"],
            "other_statements": [s for _, s in st["others"]],
        },
        "draft": {
            "macros": mlist(draft_macros),
            "prototypes": [p["name"] for p in draft_protos],
            "typedefs": [t["name"] for t in draft_typedefs],
            "structs": [s["name"] for s in draft_structs],
            "facts": n_facts_d,
            "pp_checks": n_pp_d,
            "hidden_in_stable": hidden,
        },
    }
    with open(P + "_summary.json", "w") as f:
        json.dump(summary, f, indent=1)
    s = summary["stable"]
    print("%s: %d macros, %d prototypes, %d typedefs, %d structs; draft: %d macros, %d prototypes"
          % (a.prefix, len(s["macros"]), len(s["prototypes"]), len(s["typedefs"]),
             len(s["structs"]), len(summary["draft"]["macros"]),
             len(summary["draft"]["prototypes"])), file=sys.stderr)


if __name__ == "__main__":
    main()
