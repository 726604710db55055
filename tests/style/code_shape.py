#!/usr/bin/env python3
"""The house's size rule (README "Architecture"): no C++ source file over 600 lines and no function over 80, unless
a comment just above the function starts with "Long by nature:" and says why (a declarative table, a data-driven
test's rows). Run by ctest as `code_shape`; prints every offender and exits 1 when there is one.
usage: tests/style/code_shape.py [SOURCE_DIR]"""
import pathlib
import re
import subprocess
import sys

MAX_FILE = 600
MAX_FUNCTION = 80
REASON = "Long by nature:"
FOLDERS = ("app", "widgets", "connectors", "tests")


def blank_out(src):
    """Comments, string and character literals replaced by spaces (newlines kept), so braces count true."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i) + 2
        elif src.startswith('R"', i) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            delim = re.match(r'R"([^(]*)\(', src[i:]).group(1)
            j = src.find(")" + delim + '"', i) + len(delim) + 2
        elif c == "'" and i > 0 and src[i - 1].isdigit() and i + 1 < n and src[i + 1].isalnum():
            j = i + 1  # a digit separator: 1'000'000
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            j += 1
        else:
            out.append(c)
            i += 1
            continue
        out.append(re.sub(r"[^\n]", " ", src[i:j]))
        i = j
    return "".join(out)


def functions(path):
    """(first line, last line, header) of each function body at namespace level, and of member functions."""
    text = blank_out(path.read_text(encoding="utf-8", errors="replace"))
    lines = text.split("\n")
    stack, found = [], []
    for number, line in enumerate(lines, 1):
        for k, ch in enumerate(line):
            if ch == "{":
                head = " ".join(lines[max(0, number - 4):number - 1]) + " " + line[:k]
                head = re.split(r"[;{}]", head)[-1].strip()
                inside_function = any(kind == "f" for kind, _, _ in stack)
                if re.search(r"\bnamespace\b|extern \"C\"", head):
                    kind = "n"
                elif not inside_function and re.search(r"\b(class|struct|union|enum)\b[^()]*$", head):
                    kind = "c"
                elif (not inside_function and re.search(r"\)\s*(const|override|final|noexcept|mutable|->[^{]*|:.*)?$", head)
                      and not re.match(r"(if|for|while|switch|catch|else)\b", head)
                      and not re.search(r"[=,(]\s*\[[^\]]*\]\s*\(", head)):
                    kind = "f"
                else:
                    kind = "b"
                stack.append((kind, number, head))
            elif ch == "}" and stack:
                kind, start, head = stack.pop()
                if kind == "f":
                    found.append((start, number, head))
    return found


def has_reason(lines, start):
    """A "Long by nature:" comment in the lines just above the function's opening line."""
    above = "\n".join(lines[max(0, start - 8):start])
    return REASON in above


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])
    try:  # the files of the checkout (not build folders inside it); a tree without git: every file below
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "--cached", "--others", "--exclude-standard",
                                 *FOLDERS], capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        listed = [str(p.relative_to(root)) for folder in FOLDERS for p in (root / folder).rglob("*")]
    sources = [root / p for p in listed if p.endswith((".cpp", ".h")) and not p.startswith("tests/data/")]
    problems = []
    for path in sorted(sources):
        if not path.exists():
            continue
        raw = path.read_text(encoding="utf-8", errors="replace").split("\n")
        count = len(raw) - (1 if raw and raw[-1] == "" else 0)
        if count > MAX_FILE:
            problems.append(f"{path.relative_to(root)}: {count} lines (more than {MAX_FILE})")
        for start, end, head in functions(path):
            length = end - start + 1
            if length > MAX_FUNCTION and not has_reason(raw, start):
                name = head[-60:] if head else "?"
                problems.append(f"{path.relative_to(root)}:{start}: a function of {length} lines ({name})")
    for p in problems:
        print(p)
    print(f"{len(sources)} files: {len(problems)} over the limits" if problems else f"{len(sources)} files: all within "
          f"{MAX_FILE} lines a file and {MAX_FUNCTION} a function (or saying why)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
