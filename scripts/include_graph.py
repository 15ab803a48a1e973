#!/usr/bin/env python3
"""Folder-level include graph of the C++ sources.

Prints one line per edge between folders, with the number of #include "..." lines behind it:

    $ python3 scripts/include_graph.py src
    genome/small_variants -> genome/readers (8)

A file's folder is its directory relative to the include root (default `src`, the directory every
project include is written against: #include "genome/windows.h"); files outside the include root
(e.g. tools/) are labelled with their directory relative to the repository root. An include is
resolved against the including file's own directory first (#include "commands.h",
#include "../test_fs.h"), then against the include root; includes that resolve to no file (the
generated oncolm/build_info.h) are counted on stderr and left out.

Options:
  --rev REV     read the tree of a commit instead of the working tree (git ls-tree / git show), so
                the graph before a restructure can be recomputed after it: --rev 808e1a6
  --root DIR    the include root (default: src)
  --self        also print edges from a folder to itself
  --external    also print edges to <htslib> and <torch> (ATen, c10, torch) system headers
  --files       print file-level edges instead of folder-level ones
  --map FILE    label files by where they moved: lines "OLD NEW", or `git diff -M --name-status A B`
                output (its R lines; A, M and D lines are skipped), so the graph of the tree before a
                move is printed in the folder names after it:
                  git diff -M --name-status BEFORE AFTER > moves.txt
                  python3 scripts/include_graph.py src tools --rev BEFORE --map moves.txt

Run from the repository root. Paths may be directories or single files.
"""
import argparse
import collections
import os
import posixpath
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
SOURCE_SUFFIXES = (".h", ".hpp", ".cpp", ".cc", ".cxx", ".h.in")
EXTERNAL = {"htslib": "<htslib>", "ATen": "<torch>", "c10": "<torch>", "torch": "<torch>"}


class Tree:
    """The files of the working tree or of one commit, and their text."""

    def __init__(self, rev):
        self.rev = rev
        if rev:
            out = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev], check=True,
                                 capture_output=True, text=True).stdout
            self.files = set(out.splitlines())
        else:
            self.files = None

    def exists(self, path):
        path = posixpath.normpath(path)
        if self.files is not None:
            return path in self.files
        return os.path.isfile(path)

    def list(self, root):
        root = posixpath.normpath(root)
        if self.files is not None:
            if root in self.files:
                return [root]
            return sorted(f for f in self.files if f.startswith(root + "/"))
        if os.path.isfile(root):
            return [root]
        found = []
        for directory, _, names in os.walk(root):
            for name in names:
                found.append(posixpath.normpath(posixpath.join(directory, name)))
        return sorted(found)

    def read(self, path):
        if self.files is not None:
            return subprocess.run(["git", "show", f"{self.rev}:{path}"], check=True, capture_output=True,
                                  text=True, errors="replace").stdout
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()


def folder_of(path, root):
    directory = posixpath.dirname(path)
    if directory == root or directory.startswith(root + "/"):
        relative = posixpath.relpath(directory, root)
        return root if relative == "." else relative
    return directory or "."


def read_map(path):
    moves = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            if re.fullmatch(r"[RC][0-9]*", fields[0]) and len(fields) == 3:  # git: R100 OLD NEW
                fields = fields[1:]
            elif re.fullmatch(r"[ADMTUX]", fields[0]):  # git: added, deleted, modified: no move
                continue
            if len(fields) == 2:
                moves[posixpath.normpath(fields[0])] = posixpath.normpath(fields[1])
    return moves


def label_of(path, root, files, moves):
    path = moves.get(path, path)
    return path if files else folder_of(path, root)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="directories or files to scan (e.g. src)")
    parser.add_argument("--rev", help="commit to read instead of the working tree")
    parser.add_argument("--root", default="src", help="include root (default: src)")
    parser.add_argument("--self", action="store_true", help="also print edges within a folder")
    parser.add_argument("--external", action="store_true", help="also print edges to <htslib> and <torch>")
    parser.add_argument("--files", action="store_true", help="file-level edges")
    parser.add_argument("--map", help='file of "OLD NEW" path pairs (git diff -M --name-status output works)')
    args = parser.parse_args()

    tree = Tree(args.rev)
    root = posixpath.normpath(args.root)
    moves = read_map(args.map) if args.map else {}
    edges = collections.Counter()
    unresolved = collections.Counter()
    sources = []
    for path in args.paths:
        listed = [f for f in tree.list(path) if f.endswith(SOURCE_SUFFIXES)]
        if not listed:
            sys.exit(f"include_graph.py: no C++ sources under {path}" + (f" at {args.rev}" if args.rev else ""))
        sources.extend(listed)
    for source in sorted(set(sources)):
        origin = label_of(source, root, args.files, moves)
        for line in tree.read(source).splitlines():
            match = INCLUDE.match(line)
            if not match:
                continue
            bracket, name = match.groups()
            if bracket == "<":
                top = name.split("/", 1)[0]
                if args.external and top in EXTERNAL:
                    edges[(origin, EXTERNAL[top])] += 1
                continue
            local = posixpath.normpath(posixpath.join(posixpath.dirname(source), name))
            rooted = posixpath.normpath(posixpath.join(root, name))
            target = local if tree.exists(local) else rooted if tree.exists(rooted) else None
            if target is None:
                unresolved[name] += 1
                continue
            destination = label_of(target, root, args.files, moves)
            if destination == origin and not args.self:
                continue
            edges[(origin, destination)] += 1
    for (origin, destination), count in sorted(edges.items()):
        print(f"{origin} -> {destination} ({count})")
    if unresolved:
        names = ", ".join(f"{name} ({count})" for name, count in sorted(unresolved.items()))
        print(f"include_graph.py: left out, resolved to no file: {names}", file=sys.stderr)


if __name__ == "__main__":
    main()
