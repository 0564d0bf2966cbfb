"""Wrap the interface text of Python modules in gettext calls (a one-off helper, kept for new code).

    python tools/i18n_wrap_py.py [--write] contracts_app/*/forms.py contracts_app/*/routes.py

What it wraps: the message of ``flash(...)``; in forms, a field's label (first argument of a
``...Field(...)`` call), ``description=``/``label=``/``message=`` keywords, a validator's message
(first argument of InputRequired/DataRequired), ``ValidationError(...)`` and the labels of
``choices=[(value, "Label")]``. An f-string becomes named placeholders: ``f"Saved {m.name}."``
-> ``_("Saved %(name)s.", name=m.name)``. In a class body (a form's fields, read when the class
is defined) the call is ``_l`` (lazy); in a function ``_``.
"""
import argparse
import ast
import re
import sys

LETTER = re.compile(r"[A-Za-z]")
VALIDATOR_MESSAGES = {"InputRequired", "DataRequired"}
TEXT_KEYWORDS = {"description", "label", "message"}


def placeholder(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        if node.args:
            return placeholder(node.args[0])
        return placeholder(node.func)
    if isinstance(node, ast.Subscript):
        if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            return node.slice.value.lower()
        return placeholder(node.value)
    if isinstance(node, ast.IfExp):
        return placeholder(node.body)
    return "value"


class Inner(ast.NodeTransformer):
    """Strings with words inside a placeholder's expression become _() too."""

    def visit_Subscript(self, node):
        node.value = self.visit(node.value)
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, str) and " " in node.value and LETTER.search(node.value):
            return ast.Call(ast.Name("_"), [node], [])
        return node


def gettext_source(node, func):
    """The source of func("...", name=expr) for a str Constant or JoinedStr."""
    if isinstance(node, ast.Constant):
        return f"{func}({node.value!r})"
    parts, args, used = [], [], {}
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(value.value.replace("%", "%%"))
            continue
        expr = value.value
        name = placeholder(expr)
        if not name.isidentifier() or name.startswith("_"):
            name = name.strip("_") or "value"
        src = ast.unparse(Inner().visit(expr))
        if value.format_spec is not None:
            spec = "".join(v.value for v in value.format_spec.values if isinstance(v, ast.Constant))
            src = f"format({src}, {spec!r})"
        if value.conversion == ord("r"):
            src = f"repr({src})"
        base, k = name, 2
        while name in used and used[name] != src:
            name = f"{base}_{k}"
            k += 1
        used[name] = src
        parts.append(f"%({name})s")
        if f"{name}={src}" not in args:
            args.append(f"{name}={src}")
    text = "".join(parts)
    return f"{func}({text!r}" + "".join(", " + a for a in args) + ")"


def is_text(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(LETTER.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and LETTER.search(v.value) for v in node.values)
    return False


def call_name(call):
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


EXTRA_CALLS = set()


def targets(tree, forms):
    """(node, lazy) for every string to wrap."""
    found = []

    def walk(node, lazy):
        for child in ast.iter_child_nodes(node):
            child_lazy = lazy
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                child_lazy = False
            elif isinstance(child, ast.ClassDef):
                child_lazy = True
            if isinstance(child, ast.Call):
                name = call_name(child)
                cands = []
                if (name == "flash" or name in EXTRA_CALLS) and child.args:
                    cands.append(child.args[0])
                if forms:
                    if name.endswith("Field") and child.args:
                        cands.append(child.args[0])
                    if name in VALIDATOR_MESSAGES and child.args:
                        cands.append(child.args[0])
                    if name in ("ValidationError", "StopValidation") and child.args:
                        cands.append(child.args[0])
                    for kw in child.keywords:
                        if kw.arg in TEXT_KEYWORDS:
                            cands.append(kw.value)
                        if kw.arg == "choices" and isinstance(kw.value, (ast.List, ast.Tuple)):
                            for elt in kw.value.elts:
                                if isinstance(elt, ast.Tuple) and len(elt.elts) == 2:
                                    cands.append(elt.elts[1])
                expanded = []
                for c in cands:
                    if isinstance(c, ast.IfExp):
                        expanded += [c.body, c.orelse]
                    else:
                        expanded.append(c)
                for c in expanded:
                    if is_text(c):
                        found.append((c, child_lazy))
            walk(child, child_lazy)

    walk(tree, False)
    return found


SENTENCE = re.compile(r"[A-Za-z]{2,}[,:;]? [a-z(]{2,}|^[A-Z][a-z]+$|^[A-Z][a-z]+ [A-Z][a-z]+$")
SKIP_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "print", "startswith", "endswith",
              "strftime", "strptime", "execute", "text", "getenv", "get", "setdefault", "RuntimeError", "label",
              "split", "replace", "Column", "String", "ForeignKey", "relationship", "Index", "CheckConstraint",
              "UniqueConstraint", "_", "_l", "gettext", "ngettext", "lazy_gettext", "re.compile", "compile"}


def sentence_targets(tree):
    """Every string that reads as interface text (--sentences): not docstrings, dict keys,
    comparisons, markup, log lines or arguments of the calls above."""
    found, skip = [], set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Dict):
            skip.update(id(k) for k in node.keys if k is not None)
        if isinstance(node, ast.Compare):
            for sub in ast.walk(node):
                skip.add(id(sub))
        if isinstance(node, ast.Subscript):
            for sub in ast.walk(node.slice):
                skip.add(id(sub))
        if isinstance(node, ast.Call) and call_name(node) in SKIP_CALLS:
            for sub in ast.walk(node):
                if sub is not node:
                    skip.add(id(sub))
        if isinstance(node, ast.JoinedStr):
            for sub in ast.walk(node):
                if sub is not node:
                    skip.add(id(sub))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            # Defaults are evaluated at import, outside any request: no gettext there.
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    skip.update(id(sub) for sub in ast.walk(default))
        if isinstance(node, ast.keyword) and node.arg in ("class_", "color", "fill", "stroke", "kind", "css"):
            skip.add(id(node.value))

    def text_of(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
        return None

    def walk(node, lazy):
        for child in ast.iter_child_nodes(node):
            child_lazy = False if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else lazy
            text = text_of(child)
            if (text is not None and id(child) not in skip and SENTENCE.search(text) and "<" not in text
                    and "=" not in text and "%" not in text and "\n" not in text):
                found.append((child, child_lazy))
                continue
            walk(child, child_lazy)

    walk(tree, True)
    return found


SENTENCES = False


def process(path, write):
    src = open(path, encoding="utf-8").read()
    tree = ast.parse(src)
    forms = path.endswith("forms.py") or path.endswith("forms_common.py")
    found = sentence_targets(tree) if SENTENCES else targets(tree, forms)
    if not found:
        return []
    raw = src.encode("utf-8")
    lines = raw.split(b"\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    edits, report = [], []
    for node, lazy in found:
        a = starts[node.lineno - 1] + node.col_offset
        b = starts[node.end_lineno - 1] + node.end_col_offset
        new = gettext_source(node, "_l" if lazy else "_")
        edits.append((a, b, new.encode("utf-8")))
        report.append(f"{path}:{node.lineno}: {new[:150]}")
    edits.sort(reverse=True)
    for a, b, new in edits:
        raw = raw[:a] + new + raw[b:]
    out = raw.decode("utf-8")
    need = set()
    if any(lazy for _n, lazy in found):
        need.add("lazy_gettext as _l")
    if any(not lazy for _n, lazy in found) or "_(" in out:
        need.add("gettext as _")
    have = re.findall(r"^from flask_babel import (.+)$", out, re.M)
    have = {x.strip() for line in have for x in line.split(",")}
    missing = sorted(need - have)
    if missing:
        line = "from flask_babel import " + ", ".join(missing) + "\n"
        parsed = ast.parse(out)
        first = next((n for n in parsed.body if isinstance(n, (ast.Import, ast.ImportFrom))
                      and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")), None)
        out_lines = out.split("\n")
        out_lines.insert(first.lineno - 1 if first else 0, line.rstrip("\n"))
        out = "\n".join(out_lines)
    compile(out, path, "exec")
    if write:
        open(path, "w", encoding="utf-8").write(out)
    return report


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--write", action="store_true")
    p.add_argument("--call", action="append", default=[],
                   help="also wrap the first argument of calls to this name (an error class)")
    p.add_argument("--sentences", action="store_true",
                   help="wrap every string that reads as interface text (review the output first)")
    p.add_argument("paths", nargs="+")
    a = p.parse_args()
    EXTRA_CALLS.update(a.call)
    global SENTENCES
    SENTENCES = a.sentences
    n = 0
    for path in a.paths:
        for line in process(path, a.write):
            print(line)
            n += 1
    print(f"{n} string(s)", file=sys.stderr)


if __name__ == "__main__":
    main()
