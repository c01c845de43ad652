"""A small, safe Markdown for instructions and hints: everything is escaped, then a subset is
recognised (headings ``#``–``###``, paragraphs, ``-``/``*`` and ``1.`` lists, ``**bold**``,
``*italic*``, `` `code` ``, fenced code blocks, and ``[links](https://…)`` to http(s) only).
Raw HTML in the source stays text, so an instruction can never inject markup into a page."""

from __future__ import annotations

import re
from html import escape

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?!\*)")


def inline(text: str) -> str:
    codes: list[str] = []

    def keep(m: re.Match[str]) -> str:
        codes.append(f"<code>{m.group(1)}</code>")
        return f"\x00{len(codes) - 1}\x00"

    out = _CODE.sub(keep, escape(text, quote=True))
    out = _LINK.sub(lambda m: f'<a href="{m.group(2)}" rel="noopener noreferrer">{m.group(1)}</a>', out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    out = _ITALIC.sub(r"<em>\1</em>", out)
    return re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], out)


def render(source: str) -> str:
    """The HTML of ``source`` (safe to mark safe in a template)."""
    html: list[str] = []
    paragraph: list[str] = []
    listing: str | None = None
    lines = source.replace("\r\n", "\n").split("\n")
    i = 0

    def flush() -> None:
        nonlocal listing
        if paragraph:
            html.append("<p>" + inline(" ".join(paragraph)) + "</p>")
            paragraph.clear()
        if listing:
            html.append(f"</{listing}>")
            listing = None

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            html.append("<pre><code>" + escape("\n".join(body)) + "</code></pre>")
        elif not stripped:
            flush()
        elif m := re.match(r"^(#{1,3})\s+(.*)$", stripped):
            flush()
            level = len(m.group(1)) + 2  # a page already has its h1 and h2
            html.append(f"<h{level}>{inline(m.group(2))}</h{level}>")
        elif m := re.match(r"^([-*]|\d+\.)\s+(.*)$", stripped):
            tag = "ol" if m.group(1)[0].isdigit() else "ul"
            if paragraph or (listing and listing != tag):
                flush()
            if listing is None:
                html.append(f"<{tag}>")
                listing = tag
            html.append(f"<li>{inline(m.group(2))}</li>")
        else:
            if listing:
                flush()
            paragraph.append(stripped)
        i += 1
    flush()
    return "\n".join(html)
