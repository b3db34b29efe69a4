"""Tang poems: 全唐诗 (57,607 poems, traditional characters) and 唐诗三百首, from chinese-poetry.

``<root>/tang-poetry/chinese-poetry-tang.tar.gz`` is read directly (no extraction): its
``poet.tang.N.json`` files, in order of N, are JSON arrays of
``{"author", "title", "paragraphs": [...], "id"}``. ``tangshi300.json`` has the same entries plus
``tags``.
"""
from __future__ import annotations

import json
import re
import tarfile
import unicodedata

from ._files import find_file

_POET_FILE = re.compile(r"(?:^|/)poet\.tang\.(\d+)\.json$")
_LINE = re.compile(r"([^，。！？；]+)([，。！？；]*)")  # a line and the punctuation after it


def read_tang_tar(path) -> list:
    """All poems in the tarball, concatenated in the order of the files' numbers."""
    parts = {}
    with tarfile.open(path, "r|gz") as tar:  # stream in archive order: no backward seeks
        for info in tar:
            m = _POET_FILE.search(info.name)
            if info.isfile() and m:
                parts[int(m.group(1))] = json.loads(tar.extractfile(info).read().decode("utf-8"))
    if not parts:
        raise ValueError(f"read_tang_tar: {path} contains no poet.tang.N.json files")
    return [poem for key in sorted(parts) for poem in parts[key]]


def load_tang_poems(root=None, verify=True) -> list:
    """The 57,607 poems of the Complete Tang Poems, as dicts (no download: the tarball is a
    local packing of the chinese-poetry repository; see shared/data/README.md)."""
    return read_tang_tar(find_file("tang-poetry", "chinese-poetry-tang.tar.gz", root, False, verify))


def load_tangshi300(root=None, download=False, verify=True) -> list:
    """唐诗三百首: 366 entries as dicts (with ``tags`` such as 五言律诗)."""
    path = find_file("tang-poetry", "tangshi300.json", root, download, verify)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def poem_text(poem) -> str:
    """The body of a poem: its paragraphs joined, punctuation kept."""
    return "".join(poem.get("paragraphs", []))


def poem_lines(poem) -> list:
    """The body split into lines at the full-width punctuation ，。！？；."""
    return [line for line, _ in _LINE.findall(poem_text(poem))]


def is_five_char_poem(poem, n_lines=None) -> bool:
    """True for a poem (五言诗) whose lines all have 5 characters, all of them Chinese characters
    (no editorial notes, brackets or missing-character marks such as □); with ``n_lines``, it must
    also have exactly that many lines."""
    lines = poem_lines(poem)
    return (bool(lines) and (n_lines is None or len(lines) == n_lines)
            and all(len(line) == 5 for line in lines)
            and all(unicodedata.category(c) == "Lo" for line in lines for c in line))


def is_five_char_quatrain(poem) -> bool:
    """True for a 五言绝句: exactly 4 lines of 5 Chinese characters."""
    return is_five_char_poem(poem, 4)


def five_char_poems(poems, n_lines=None) -> list:
    """Bodies of the five-character poems in ``poems`` (only those of ``n_lines`` lines if given):
    every line followed by one punctuation mark (the source's own; a repeated mark such as 。。 is
    kept once, a missing final mark becomes 。), so a body is 6 characters per line."""
    return ["".join(line + (punct[:1] or "。") for line, punct in _LINE.findall(poem_text(p)))
            for p in poems if is_five_char_poem(p, n_lines)]


def five_char_quatrains(poems) -> list:
    """Bodies of the five-character quatrains in ``poems``, 24 characters each."""
    return five_char_poems(poems, 4)
