"""Wrap the values of module-level label tables ({code: "Label"}) in _l() (lazy: translated when
shown). Usage: python tools/i18n_wrap_labels.py FILE:NAME[,NAME...] ..."""
import ast
import sys


def main(specs):
    for spec in specs:
        path, names = spec.split(":")
        names = set(names.split(","))
        src = open(path, encoding="utf-8").read()
        tree = ast.parse(src)
        lines = src.encode("utf-8").split(b"\n")
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line) + 1)
        edits = []
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
                isinstance(t, ast.Name) and t.id in names for t in node.targets
            ):
                for value in node.value.values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        a = starts[value.lineno - 1] + value.col_offset
                        b = starts[value.end_lineno - 1] + value.end_col_offset
                        edits.append((a, b))
        raw = src.encode("utf-8")
        for a, b in sorted(edits, reverse=True):
            raw = raw[:a] + b"_l(" + raw[a:b] + b")" + raw[b:]
        out = raw.decode("utf-8")
        if edits and "import lazy_gettext as _l" not in out:
            first = next(n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)))
            pos = starts[first.lineno - 1]
            out = out[:pos] + "from contracts_app.i18n import lazy_gettext as _l\n" + out[pos:]
        open(path, "w", encoding="utf-8").write(out)
        print(path, len(edits))


if __name__ == "__main__":
    main(sys.argv[1:])
