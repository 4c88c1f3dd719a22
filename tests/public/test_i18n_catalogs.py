"""The guest side's translations are complete: every user-visible string of the guest
templates and views is marked for translation, and every language's catalog translates
every marked message (no empty, no fuzzy entry, the same %(placeholders)s).

No database: the templates and sources are read as text, the messages extracted with
Babel's own extraction (the babel.cfg that ``pybabel extract`` reads)."""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from webapp.i18n import LANGUAGES, TRANSLATIONS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}

# The guest pages' templates (the embed's too). public/home.html is the site's front
# page, the owners' way in (English, as the dashboard).
NOT_GUEST = {"public/home.html"}
GUEST_TEMPLATES = sorted(
    {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.glob("public/*.html")}
    | {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.glob("partials/public_*.html")}
    | {"base.html", "errors/error.html"})
GUEST_TEMPLATES = [name for name in GUEST_TEMPLATES if name not in NOT_GUEST]
# The guest side's Python: the views, forms and choices of the public blueprint, its
# refusals, and the e-mails and .ics the guest receives.
GUEST_SOURCES = ["webapp/public/views.py", "webapp/public/forms.py",
                 "webapp/public/choices.py", "webapp/public/confirm.py",
                 "webapp/public/messages.py", "webapp/public/embed.py",
                 "webapp/notifications/messages.py", "webapp/errors.py"]

# Attributes a person reads (or hears from a screen reader).
TEXT_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "data-announce", "label"}
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
WORDS = re.compile(r"[A-Za-z]{2,}")
ATTRIBUTE_BLOCK = re.compile(r"\{%\s*block \w+_(?:class|attributes)\s*%\}.*?\{%\s*endblock\s*%\}",
                             re.S)


class _VisibleText(HTMLParser):
    """Text nodes and readable attributes of a template whose Jinja was blanked out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value and WORDS.search(value):
                self.found.append(f"{tag}[{name}]={value.strip()!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and WORDS.search(data):
            self.found.append(repr(" ".join(data.split())))


# Names, the same in every language.
PROPER_NAMES = {"'Booking Manager'", "'· Booking Manager'"}


def unmarked_template_text(source: str) -> list[str]:
    """What a guest would read in ``source`` that is not inside a Jinja expression (where
    _() and ngettext() put the words) or tag: literal words in the HTML."""
    # Blocks that fill in an attribute of the parent's tag (body_class, layout_attributes).
    source = ATTRIBUTE_BLOCK.sub(" ", source)
    parser = _VisibleText()
    parser.feed(JINJA.sub(" ", source))
    parser.close()
    return [text for text in parser.found if text not in PROPER_NAMES]


def test_the_scan_finds_unmarked_template_text():
    """The template check can fail: literal words, in text or a readable attribute."""
    assert unmarked_template_text('<p>{{ _("Marked") }}</p>') == []
    assert unmarked_template_text("<p>Book a table</p>") == ["'Book a table'"]
    assert unmarked_template_text('<input placeholder="Your name">') == [
        "input[placeholder]='Your name'"]
    assert unmarked_template_text('<p>{% if x %}Today{% endif %}</p>') == ["'Today'"]
    assert unmarked_template_text("<script>var a = 'b c';</script>") == []
    assert unmarked_template_text('{% block body_class %}public-page{% endblock %}') == []


@pytest.mark.parametrize("name", GUEST_TEMPLATES)
def test_guest_templates_mark_every_visible_string(name):
    found = unmarked_template_text((TEMPLATES / name).read_text(encoding="utf-8"))
    assert found == [], f"{name}: wrap these in {{{{ _('…') }}}}: {found}"


# --------------------------------------------------------------------------- Python

# Calls whose string arguments are not for people: addresses, names, codes, logs.
_NOT_TEXT_CALLS = {"url_for", "render_template", "get", "getattr", "hasattr", "Blueprint",
                   "route", "get_flashed_messages", "strftime", "compile", "fullmatch",
                   "match", "search", "sub", "startswith", "endswith", "split", "replace",
                   "join", "format", "append", "ZoneInfo", "info", "warning", "debug",
                   "error", "exception", "ValueError"}
_MARKERS = {"_", "_l", "gettext", "ngettext", "lazy_gettext"}
# A sentence or a label: two or more words, or one capitalised word.
_SENTENCE = re.compile(r"^[A-Z][a-z]+(?:[ ,.:;!?’'-]+[A-Za-z%(){}]+)+[.:!?]?$|^[A-Z][a-z]{2,}$")


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else "")


def unmarked_python_strings(source: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """English sentences in ``source`` outside a gettext call, a docstring or an
    addressing call; each with its line."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in _MARKERS | _NOT_TEXT_CALLS:
            # ValueError is judged by its argument: raise ValueError(_("…")) is marked.
            if _call_name(node) == "ValueError":
                continue
            skip.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef) \
                and node.body and isinstance(node.body[0], ast.Expr) \
                and isinstance(node.body[0].value, ast.Constant):
            skip.add(id(node.body[0].value))
        if isinstance(node, ast.Subscript):  # dict["key"] lookups
            skip.update(id(n) for n in ast.walk(node.slice))
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in skip and node.value not in allowed
                and _SENTENCE.match(node.value.strip())):
            found.append(f"line {node.lineno}: {node.value!r}")
    return found


# Words that are not for translation: the domain's English the guest pages translate
# by lookup (webapp/public/messages.py's keys), the labels' msgids themselves (looked up
# by _fact_label), and the placeholder the worker replaces.
_ALLOWED = {
    "webapp/public/messages.py": "*keys*",
    "webapp/public/forms.py": frozenset({"False"}),
    "webapp/errors.py": frozenset({"Retry-After", "Allow"}),  # header names  # a value WTForms reads as false
    "webapp/notifications/messages.py": frozenset({
        "Restaurant", "Date", "Time", "Table held", "Party", "Your notes", "Address", "Phone",
        "(A reminder: written when it is sent.)\n"}),
}


def _allowed(path: str, source: str) -> frozenset[str]:
    rule = _ALLOWED.get(path, frozenset())
    if rule == "*keys*":  # the English keys of the lookup tables
        tree = ast.parse(source)
        return frozenset(key.value for node in ast.walk(tree) if isinstance(node, ast.Dict)
                         for key in node.keys
                         if isinstance(key, ast.Constant) and isinstance(key.value, str))
    assert isinstance(rule, frozenset)
    return rule


def test_the_scan_finds_unmarked_python_strings():
    assert unmarked_python_strings('flash("Your table is booked.")') == [
        "line 1: 'Your table is booked.'"]
    assert unmarked_python_strings('flash(_("Your table is booked."))') == []
    assert unmarked_python_strings('raise ValueError("Send a single value.")') == [
        "line 1: 'Send a single value.'"]
    assert unmarked_python_strings('url_for("public.manage", slug="Bistro")') == []
    assert unmarked_python_strings('x = {"a": 1}["Key"]') == []


@pytest.mark.parametrize("path", GUEST_SOURCES)
def test_guest_views_mark_every_visible_string(path):
    source = (ROOT / path).read_text(encoding="utf-8")
    found = unmarked_python_strings(source, _allowed(path, source))
    assert found == [], f"{path}: wrap these in _() (or lazy _l() at import): {found}"


# --------------------------------------------------------------------------- catalogs


def _method_map() -> list[tuple[str, str]]:
    """babel.cfg's [method: pattern] sections, as extract_from_dir wants them."""
    sections = re.findall(r"^\[(\w+):\s*(.+?)\]$", (ROOT / "babel.cfg").read_text(), re.M)
    return [(pattern, method) for method, pattern in sections]


def _extracted() -> set[str]:
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), _method_map(), keywords=KEYWORDS):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(code: str):
    path = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"no catalog for {code}: pybabel init -l {code}"
    with path.open("rb") as po:
        return read_po(po, locale=code)


def test_the_guest_templates_and_sources_are_all_extracted():
    """babel.cfg covers every file the scans above check (a file outside it would be
    marked but never translated)."""
    seen = {str(Path(file)) for file, *_rest in extract_from_dir(
        str(ROOT), _method_map(), keywords=KEYWORDS)}
    expected = {f"templates/{name}" for name in GUEST_TEMPLATES} | set(GUEST_SOURCES)
    assert expected - seen == set()


@pytest.mark.parametrize("code", LANGUAGES[1:])
def test_every_catalog_translates_every_message(code):
    catalog = _catalog(code)
    problems = []
    for msgid in sorted(_extracted()):
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        if entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        if not all(strings):
            problems.append(f"empty: {msgid!r}")
        wanted = {name for text in ids for name in _PLACEHOLDER.findall(text)}
        for text in strings:
            if text and set(_PLACEHOLDER.findall(text)) - wanted:
                problems.append(f"unknown placeholder in {code}: {text!r}")
            # A singular may leave %(num)d out ("ein Gast"), a plural must not.
            if text and len(strings) == 1 and set(_PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"placeholders differ: {msgid!r} -> {text!r}")
    assert problems == [], "\n".join(problems)


def test_the_install_step_compiles_the_catalogs(tmp_path):
    """scripts/common.sh's own pybabel line, run on a copy of the catalogs without .mo
    files (a fresh clone): every language gets its .mo, and it translates."""
    import shutil
    import subprocess
    import sys

    from babel.support import Translations

    line = next(line for line in (ROOT / "scripts/common.sh").read_text().splitlines()
                if "pybabel" in line and "compile" in line)
    command = line.strip().rstrip("\\").strip()
    command = command.replace('"$VENV/bin/pybabel"', str(Path(sys.executable).parent / "pybabel"))
    shutil.copytree(TRANSLATIONS, tmp_path / "webapp" / "translations",
                    ignore=shutil.ignore_patterns("*.mo"))
    subprocess.run(command.replace("$ROOT", str(tmp_path)), shell=True, check=True)
    for code in LANGUAGES[1:]:
        assert (tmp_path / "webapp/translations" / code / "LC_MESSAGES/messages.mo").exists()
    german = Translations.load(str(tmp_path / "webapp/translations"), ["de"])
    assert german.gettext("Book a table") == "Tisch reservieren"
