"""Every sentence the Kubernetes engine marks with N_() has a zh_Hans translation with the same fields."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def marked() -> set[str]:
    found = set()
    for path in (ROOT / "cloudlab/engine/kubernetes").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
    return found


def catalogue() -> dict[str, str]:
    text = (ROOT / "cloudlab/locale/zh_Hans/LC_MESSAGES/django.po").read_text()
    out = {}
    pattern = r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)'
    for m in re.finditer(pattern, text, re.M):
        msgid, msgstr = ("".join(ast.literal_eval(p) for p in re.findall(r'^".*"$', g, re.M)) for g in m.groups())
        out[msgid] = msgstr
    return out


def fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


def test_every_engine_sentence_is_translated() -> None:
    cat = catalogue()
    sentences = marked()
    assert len(sentences) > 50
    missing = sorted(s for s in sentences if not cat.get(s))
    assert missing == []
    assert [s for s in sentences if fields(s) != fields(cat[s])] == []
