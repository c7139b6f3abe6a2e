"""Check the evaluation set's gold files against their inputs.

Usage: python eval/check_gold.py [EVAL_DIR]   (default: the directory of this script)

For every html/NAME.html: each non-blank line of NAME.gold.txt must occur verbatim, in order, in the
page's visible text (lxml; scripts/styles/templates removed, entities decoded, whitespace collapsed,
one line per block element, data-table rows as their cells joined with " | "; rows of layout tables,
whose cells hold block content such as <br> or <div>, are walked like any other block).
For every text/NAME.txt: the non-blank gold lines must be lines of the input, byte-identical and in order.
Also checks NAME.meta.json (keys, is_article vs. empty gold, published format) and, for HTML articles,
the 200-900 word range of the gold body. Prints every problem; exit status 1 if there is any.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import lxml.html
from lxml import etree

BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "noscript",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "select",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
    "button",
    "label",
    "textarea",
}
DROP_TAGS = {"script", "style", "template", "head"}
WS = re.compile(r"\s+")
META_KEYS_HTML = {"style", "language", "title", "published", "is_article"}
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$")


def collapse(s: str) -> str:
    return WS.sub(" ", s).strip()


def declared_charset(raw: bytes) -> str | None:
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", raw[:4096], re.I)
    return m.group(1).decode("ascii").lower() if m else None


def decode_page(raw: bytes) -> tuple[str, str]:
    """Decode like a forgiving browser: valid UTF-8 wins, else the declared charset, else windows-1252."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    enc = declared_charset(raw)
    if enc in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}:
        enc = "cp1252"  # what browsers do (WHATWG encoding standard)
    for candidate in (enc, "cp1252"):
        if candidate:
            try:
                return raw.decode(candidate), candidate
            except (LookupError, UnicodeDecodeError):
                continue
    return raw.decode("cp1252", errors="replace"), "cp1252?"


LAYOUT_TAGS = BLOCK_TAGS - {"td", "th", "tr", "tbody", "thead", "tfoot", "caption"}


def is_layout_row(tr: lxml.html.HtmlElement) -> bool:
    """A row whose cells hold block content (old table-layout pages): walk it like any other block."""
    return any(
        isinstance(d.tag, str) and d.tag in LAYOUT_TAGS
        for cell in tr
        for d in cell.iterdescendants()
    )


def visible_lines(html_text: str) -> list[str]:
    # lxml refuses str input that carries an XML encoding declaration
    html_text = re.sub(r"^\s*<\?xml[^>]*\?>", "", html_text)
    root = lxml.html.document_fromstring(html_text)
    for el in list(root.iter(*DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    out: list[str] = []

    def walk(el: lxml.html.HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "tr" and not is_layout_row(el):
            cells = [
                collapse(c.text_content())
                for c in el
                if isinstance(c.tag, str) and c.tag in ("td", "th")
            ]
            out.append("\n" + " | ".join(cells) + "\n")
        else:
            block = tag in BLOCK_TAGS
            if block:
                out.append("\n")
            if el.text:
                out.append(el.text)
            for child in el:
                walk(child)
            if block:
                out.append("\n")
        if el.tail:
            out.append(el.tail)

    walk(root)
    return [ln for ln in (collapse(x) for x in "".join(out).split("\n")) if ln]


def gold_lines(path: Path, strip: bool) -> list[str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    if strip:
        return [collapse(ln) for ln in lines if ln.strip()]
    return [ln for ln in lines if ln.strip()]


def check_meta(
    meta_path: Path, required: set[str], gold: list[str], problems: list[str]
) -> dict[str, Any] | None:
    name = meta_path.name
    if not meta_path.exists():
        problems.append(f"{name}: missing")
        return None
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        problems.append(f"{name}: invalid JSON ({exc})")
        return None
    missing = required - meta.keys()
    if missing:
        problems.append(f"{name}: missing keys {sorted(missing)}")
    pub = meta.get("published")
    if pub is not None and not ISO_Z.match(str(pub)):
        problems.append(f"{name}: published {pub!r} is not ISO UTC with Z")
    if "is_article" in meta:
        if meta["is_article"] is False and gold:
            problems.append(f"{name}: is_article false but gold is not empty")
        if meta["is_article"] is True and not gold:
            problems.append(f"{name}: is_article true but gold is empty")
    return meta


def check_in_order(
    name: str, gold: list[str], lines: list[str], problems: list[str], substring: bool
) -> int:
    """Each gold line must match a page line (substring or equality) at or after the previous match."""
    missing = 0
    pos = 0
    for g in gold:
        found = next(
            (i for i in range(pos, len(lines)) if (g in lines[i] if substring else g == lines[i])),
            None,
        )
        if found is None:
            anywhere = any((g in ln if substring else g == ln) for ln in lines)
            what = "out of order" if anywhere else "missing"
            problems.append(f"{name}: {what}: {g[:90]!r}")
            missing += 1
        else:
            # a later gold line may sit in the same page line (e.g. list items inside one block)
            pos = found
    return missing


def main(argv: list[str]) -> int:
    base = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    problems: list[str] = []
    n_html = n_text = n_lines = n_missing = 0

    for page in sorted((base / "html").glob("*.html")):
        stem = page.name[: -len(".html")]
        gold_path = page.with_name(stem + ".gold.txt")
        if not gold_path.exists():
            problems.append(f"{stem}: gold file missing")
            continue
        n_html += 1
        gold = gold_lines(gold_path, strip=True)
        meta = check_meta(page.with_name(stem + ".meta.json"), META_KEYS_HTML, gold, problems)
        text, _enc = decode_page(page.read_bytes())
        lines = visible_lines(text)
        n_lines += len(gold)
        n_missing += check_in_order(stem, gold, lines, problems, substring=True)
        if meta and meta.get("is_article"):
            words = sum(len(g.split()) for g in gold)
            if not 200 <= words <= 900:
                problems.append(f"{stem}: gold body has {words} words (expected 200-900)")

    for doc in sorted((base / "text").glob("*.txt")):
        if doc.name.endswith(".gold.txt"):
            continue
        stem = doc.name[: -len(".txt")]
        gold_path = doc.with_name(stem + ".gold.txt")
        if not gold_path.exists():
            problems.append(f"{stem}: gold file missing")
            continue
        n_text += 1
        gold = gold_lines(gold_path, strip=False)
        check_meta(
            doc.with_name(stem + ".meta.json"), {"language", "title", "notes"}, gold, problems
        )
        lines = doc.read_text(encoding="utf-8").split("\n")
        n_lines += len(gold)
        n_missing += check_in_order(stem, gold, lines, problems, substring=False)

    for p in problems:
        print(p)
    print(
        f"checked {n_html} html pages and {n_text} text documents: {n_lines} gold lines, "
        f"{n_missing} missing or out of order, {len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
