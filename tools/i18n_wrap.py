"""Find (and, with --write, wrap) the untranslated interface text of the Jinja templates.

    python tools/i18n_wrap.py templates/vendors/home.html ...          # report
    python tools/i18n_wrap.py --write templates/vendors/home.html ...  # wrap in {{ _("...") }}

A text node (the text between two HTML tags or Jinja statements, with the ``{{ expr }}`` in it)
that has a letter becomes one ``{{ _("... %(name)s ...", name=expr) }}`` call; the attributes a
person reads (title, aria-label, placeholder, alt) likewise. String literals inside Jinja tags are
only reported: those need a person to decide (an endpoint name is not interface text).
"""
import argparse
import re
import sys

TRANSLATED_ATTRS = ("title", "aria-label", "placeholder", "alt", "aria-description", "data-label")
SKIP_BLOCK_TAGS = ("script", "style")
LETTER = re.compile(r"[A-Za-z]")
WORD = re.compile(r"[A-Za-z_]\w*")
KEYWORDS = {"if", "else", "and", "or", "not", "in", "is", "none", "true", "false", "None", "True", "False"}
KEEP = {"RDC Tracker"}  # the product's name stays as it is


def tokenize(src):
    """[(kind, text)] with kind in text, expr, stmt, comment, tag."""
    out, i, n = [], 0, len(src)
    buf = []

    def flush():
        if buf:
            out.append(("text", "".join(buf)))
            buf.clear()

    while i < n:
        two = src[i:i + 2]
        if two in ("{{", "{%", "{#"):
            end = {"{{": "}}", "{%": "%}", "{#": "#}"}[two]
            j = src.index(end, i + 2) + 2
            flush()
            out.append(({"{{": "expr", "{%": "stmt", "{#": "comment"}[two], src[i:j]))
            i = j
        elif src.startswith("<!--", i):
            j = src.index("-->", i) + 3
            flush()
            out.append(("comment", src[i:j]))
            i = j
        elif src[i] == "<" and i + 1 < n and (src[i + 1].isalpha() or src[i + 1] in "/!"):
            j = i + 1
            while j < n and src[j] != ">":
                if src[j:j + 2] in ("{{", "{%", "{#"):
                    end = {"{{": "}}", "{%": "%}", "{#": "#}"}[src[j:j + 2]]
                    j = src.index(end, j + 2) + 2
                else:
                    j += 1
            flush()
            out.append(("tag", src[i:j + 1]))
            i = j + 1
        else:
            buf.append(src[i])
            i += 1
    flush()
    return out


PLURAL = re.compile(r"^(?P<n>.+?)\s*\|\s*plural\((?P<q>['\"])(?P<w>[^'\"]+)(?P=q)\)$")


def rewrite_plural(body):
    """ ``n|plural("row")`` -> ``ngettext("%(num)s row", "%(num)s rows", n)`` (or None)."""
    m = PLURAL.match(body)
    if not m:
        return None
    w = m.group("w")
    return f'ngettext("%(num)s {w}", "%(num)s {w}s", {m.group("n")})'


def expr_body(expr):
    return expr[2:-2].strip().strip("-").strip()


def placeholder_name(body, used):
    if body.startswith("ngettext("):
        body = body.rsplit(",", 1)[1].strip(" )")
    main = body.split("|")[0]
    words = [w for w in WORD.findall(re.sub(r"(['\"]).*?\1", "", main)) if w not in KEYWORDS]
    name = words[-1] if words else "value"
    if name in ("count", "length") and len(words) > 1:
        name = words[-2] if words[-2] not in ("count", "length") else name
    base, k = name, 2
    while name in used and used[name] != body:
        name = f"{base}_{k}"
        k += 1
    used[name] = body
    return name


def pylit(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def gettext_call(parts):
    """parts: [(kind, text)] of text and expr -> the {{ _(...) }} source."""
    used, msg, args = {}, [], []
    for kind, text in parts:
        if kind == "text":
            msg.append(re.sub(r"\s+", " ", text).replace("%", "%%"))
        else:
            body = expr_body(text)
            name = placeholder_name(body, used)
            msg.append(f"%({name})s")
            if f"{name}=" not in " ".join(args):
                args.append(f"{name}={body}")
    call = "_(" + pylit("".join(msg)) + "".join(", " + a for a in args) + ")"
    return "{{ " + call + " }}"


NO_WRAP_BEFORE = re.compile(r"(strftime\(|class_?=|_\(|gettext\(|value_attr=|label_attr=|any_label=None)\s*$")
NO_WRAP = {"CKAN", "Socrata", "CSV", "RDC Tracker"}


def wrap_literals(src):
    """Inside a Jinja tag: "Save user" -> _("Save user") (not endpoints, formats or CSS classes)."""
    def repl(m):
        lit = m.group(2)
        before = src[: m.start()]
        if (re.fullmatch(r"[A-Z]\w*Field", lit) or "%(" in lit or not LETTER.search(lit) or not (" " in lit or re.search(r"[A-Z]", lit)) or lit in NO_WRAP
                or NO_WRAP_BEFORE.search(before) or "~" in src[max(0, m.start() - 3):m.start()]
                or src[m.end():m.end() + 3].strip().startswith("~")):
            return m.group(0)
        return "_(" + m.group(0) + ")"
    return re.sub(r"(['\"])((?:\\.|(?!\1).)*)\1", repl, src)


def literal_with_letters(body):
    body = re.sub(r"_\((['\"]).*?\1", "", body)
    return [s for q, s in re.findall(r"(['\"])(.*?)\1", body) if LETTER.search(s) and (" " in s or re.search(r"[A-Z]", s))]


def convert_run(run):
    """A run of text and expr tokens -> (new source, changed?)."""
    src = "".join(t for _, t in run)
    texts = "".join(t for k, t in run if k == "text")
    if not LETTER.search(texts) or texts.strip() in KEEP:
        return src, False
    # keep the whitespace around the run outside the call
    first, last = 0, len(run) - 1
    lead = trail = ""
    if run[0][0] == "text":
        stripped = run[0][1].lstrip()
        lead = run[0][1][: len(run[0][1]) - len(stripped)]
        run = [("text", stripped)] + run[1:]
    if run[-1][0] == "text":
        stripped = run[-1][1].rstrip()
        trail = run[-1][1][len(stripped):]
        run = run[:-1] + [("text", stripped)]
    run = [p for p in run if p[1]]
    del first, last
    return lead + gettext_call(run) + trail, True


def convert_attrs(tag, report):
    def repl(m):
        name, value = m.group(1), m.group(2)
        if not LETTER.search(re.sub(r"{{.*?}}|{%.*?%}", "", value)):
            return m.group(0)
        if "{%" in value:
            report.append(f"attribute with a statement: {m.group(0)}")
            return m.group(0)
        if re.fullmatch(r"\s*{{\s*_\(.*\)\s*}}\s*", value):
            return m.group(0)
        toks = tokenize(value)
        call = gettext_call(toks)
        call = call.replace('_("', "_('", 1) if False else call
        return f'{name}="{single_quoted(call)}"'

    return re.sub(r'\b(' + "|".join(TRANSLATED_ATTRS) + r')="([^"]*)"', repl, tag)


def single_quoted(call):
    """Inside a double-quoted attribute the msgid literal must use single quotes."""
    m = re.match(r'{{ _\("((?:[^"\\]|\\.)*)"(.*)\) }}$', call, re.S)
    if not m:
        return call
    msg = m.group(1).replace('\\"', '"').replace("'", "\\'")
    return "{{ _('" + msg + "'" + m.group(2) + ") }}"


def process(path, write):
    src = open(path, encoding="utf-8").read()
    toks = tokenize(src)
    out, run, report, changed = [], [], [], False
    skip_until = None

    def end_run():
        nonlocal changed
        if run:
            if all(k == "expr" for k, _ in run):
                out.extend(t for _, t in run)
                run.clear()
                return
            new, c = convert_run(list(run))
            if c:
                joined = re.sub(r"\s+", " ", "".join(t for _, t in run)).strip()
                report.append("text: " + joined[:100])
            changed |= c
            out.append(new)
            run.clear()

    for kind, text in toks:
        if skip_until:
            out.append(text)
            if kind == "tag" and text.lower().startswith(skip_until):
                skip_until = None
            continue
        if kind == "expr":
            plural_call = rewrite_plural(expr_body(text))
            if plural_call:
                text = "{{ " + plural_call + " }}"
                changed = True
        if kind in ("expr", "stmt") and not re.match(r"{%-?\s*(extends|include|import|from|block|endblock)", text):
            new = wrap_literals(text)
            if new != text:
                changed = True
                report.append("literal: " + new[:140])
                text = new
        if kind in ("text", "expr"):
            if kind == "expr":
                body = expr_body(text)
                if body.startswith("ngettext("):
                    run.append(("expr", text))
                    continue
                if body.startswith(("_(", "ngettext(", "gettext(")):
                    end_run()
                    out.append(text)
                    continue
                lits = literal_with_letters(body)
                if lits:
                    report.append(f"REVIEW expr literal: {text[:120]}")
            run.append((kind, text))
            continue
        end_run()
        if kind == "tag":
            new = convert_attrs(text, report)
            if new != text:
                changed = True
                report.append(f"attr: {new[:120]}")
            out.append(new)
            for t in SKIP_BLOCK_TAGS:
                if re.match(rf"<{t}\b", text, re.I):
                    skip_until = f"</{t}"
        else:
            if kind == "stmt":
                lits = literal_with_letters(expr_body(text))
                if lits and not re.match(r"{%-?\s*(extends|include|import|from|block|endblock)", text):
                    report.append(f"REVIEW stmt literal: {text[:140]}")
            out.append(text)
    end_run()
    new_src = "".join(out)
    if write and changed:
        open(path, "w", encoding="utf-8").write(new_src)
    return report


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--write", action="store_true")
    p.add_argument("--review-only", action="store_true")
    p.add_argument("paths", nargs="+")
    a = p.parse_args()
    total = 0
    for path in a.paths:
        report = process(path, a.write)
        if a.review_only:
            report = [r for r in report if r.startswith("REVIEW")]
        if report:
            print(f"== {path}")
            for r in report:
                print("  ", r)
            total += len(report)
    print(f"{total} finding(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
