"""The translations are complete: every user-visible string of the guest templates and
views, and of the owner dashboard's and the account pages', is marked for translation;
every language's catalog translates every guest message, and German every dashboard
message too (no empty, no fuzzy entry, the same %(placeholders)s). One catalog holds
both (webapp/i18n.py says why); which languages a message needs comes from where it is
used: a message of a guest file needs all four, one of dashboard files only German.

No database: the templates and sources are read as text, the messages extracted with
Babel's own extraction (the babel.cfg that ``pybabel extract`` reads)."""

from __future__ import annotations

import ast
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

from webapp.i18n import LANGUAGES, TRANSLATIONS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "N_": None,
            "pgettext": ((1, "c"), 2)}

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
                 "webapp/public/waitlist.py", "webapp/notifications/waitlist_joined.py",
                 "webapp/notifications/messages.py", "webapp/errors.py"]

# The owner dashboard and the account pages: English and German (i18n.DASHBOARD_LANGUAGES).
DASHBOARD_TEMPLATES = sorted(
    {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.glob("owner/**/*.html")}
    | {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.glob("auth/*.html")}
    | {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.glob("partials/owner_*.html")}
    | {"partials/charts.html"})
# The dashboard's Python: the owner and auth blueprints' views, forms and fields.
DASHBOARD_SOURCES = sorted(str(p.relative_to(ROOT)) for p in [
    *(ROOT / "webapp/owner").glob("*.py"), *(ROOT / "webapp/auth").glob("*.py")])

# The account e-mails (sign-up, verification, password reset, staff invitation) and the
# one-time links' refusals, in the dashboard's language. Their other refusals are not
# scanned: those reach the owner through the dashboard's lookup by exact English
# (owner/labels.py).
ACCOUNT_MAIL_SOURCES = ["webapp/booking/operations/accounts.py",
                        "webapp/booking/operations/staff.py",
                        "webapp/booking/operations/links.py"]

# Attributes a person reads (or hears from a screen reader).
TEXT_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "data-announce", "label",
                   "data-label"}  # a stacked table's cell heading on a phone
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
WORDS = re.compile(r"[A-Za-z]{2,}")
# Blocks that fill in an attribute of the parent's tag, and the dashboard's section name.
ATTRIBUTE_BLOCK = re.compile(
    r"\{%\s*block (?:\w+_(?:class|attributes)|section)\s*%\}.*?\{%\s*endblock\s*%\}", re.S)


class _VisibleText(HTMLParser):
    """Text nodes and readable attributes of a template whose Jinja was blanked out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):  # code (a header, a call) is not translated
            self._skip += 1
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value and WORDS.search(value):
                self.found.append(f"{tag}[{name}]={value.strip()!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code") and self._skip:
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


# Calls and filters whose string arguments are not for people (formats, names, keys).
_JINJA_NOT_TEXT = {"_", "gettext", "ngettext", "pgettext", "url_for", "day_text", "local_time",
                   "format", "replace", "get", "startswith", "split", "join"}
_ENV = Environment(extensions=["jinja2.ext.i18n"])


def unmarked_jinja_strings(source: str) -> list[str]:
    """Words in a template's expressions that reach the page unmarked: a sentence-like
    constant anywhere ({{ "Last" if … }}, a macro's label="Guest name"), and any word
    a {{ }} prints as it is ({{ "bookable" if … else … }})."""
    tree = _ENV.parse(source)
    skip: set[int] = set()
    for node in tree.find_all((nodes.Call, nodes.Filter)):
        callee = node.node if isinstance(node, nodes.Call) else None
        name = (callee.name if isinstance(callee, nodes.Name) else
                callee.attr if isinstance(callee, nodes.Getattr) else
                node.name if isinstance(node, nodes.Filter) else "")
        if name in _JINJA_NOT_TEXT:
            skip.update(id(c) for c in node.find_all(nodes.Const))
    for node in tree.find_all((nodes.Getitem, nodes.Pair, nodes.Compare, nodes.Test)):
        keys = (node.arg,) if isinstance(node, nodes.Getitem) else (
            (node.key,) if isinstance(node, nodes.Pair) else (node,))
        for key in keys:
            skip.update(id(c) for c in key.find_all(nodes.Const))
            if isinstance(key, nodes.Const):
                skip.add(id(key))
    printed: set[int] = set()
    for output in tree.find_all(nodes.Output):
        in_tag = False  # inside an HTML tag (a class name, a value), as far as this node shows
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                text = child.data
                in_tag = text.rfind("<") > text.rfind(">") if "<" in text or ">" in text \
                    else in_tag
                continue
            if in_tag:
                continue
            stack = [child]
            while stack:
                node = stack.pop()
                if isinstance(node, nodes.Const):
                    printed.add(id(node))
                elif isinstance(node, nodes.CondExpr):
                    stack += [node.expr1, node.expr2] if node.expr2 else [node.expr1]
    found = []
    for const in tree.find_all(nodes.Const):
        text = const.value.strip() if isinstance(const.value, str) else ""
        if not text or id(const) in skip:
            continue
        if _SENTENCE.match(text) or (id(const) in printed and WORDS.search(text)):
            found.append(f"line {const.lineno}: {const.value!r}")
    return found


def test_the_scan_finds_unmarked_jinja_strings():
    assert unmarked_jinja_strings('{{ "Last" if a else "Next" }}') == [
        "line 1: 'Last'", "line 1: 'Next'"]
    assert unmarked_jinja_strings('{{ "bookable" if a else "" }}') == ["line 1: 'bookable'"]
    assert unmarked_jinja_strings('{{ field(f, label="Guest name") }}') == [
        "line 1: 'Guest name'"]
    assert unmarked_jinja_strings('{{ _("Last") if a == "past" else _("Next") }}') == []
    assert unmarked_jinja_strings('{{ d|day_text("%a %d %b") }}{% if x == "Closed" %}{% endif %}') == []


@pytest.mark.parametrize("name", DASHBOARD_TEMPLATES)
def test_dashboard_templates_mark_every_visible_string(name):
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    found = unmarked_template_text(source) + unmarked_jinja_strings(source)
    assert found == [], f"{name}: wrap these in {{{{ _('…') }}}}: {found}"


# --------------------------------------------------------------------------- Python

# Calls whose string arguments are not for people: addresses, names, codes, logs.
_NOT_TEXT_CALLS = {"url_for", "render_template", "get", "getattr", "hasattr", "Blueprint",
                   "route", "get_flashed_messages", "strftime", "compile", "fullmatch",
                   "match", "search", "sub", "startswith", "endswith", "split", "replace",
                   "join", "format", "append", "ZoneInfo", "info", "warning", "debug",
                   "error", "exception", "ValueError"}
_MARKERS = {"_", "_l", "gettext", "ngettext", "lazy_gettext", "pgettext", "N_"}
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
    "webapp/owner/reservations.py": frozenset({"Content-Disposition"}),  # a header name
    "webapp/owner/insights.py": frozenset({"Content-Disposition"}),
    "webapp/owner/onboarding.py": frozenset({"Content-Disposition"}),
    "webapp/owner/forms.py": frozenset({"False"}),  # a value WTForms reads as false
    "webapp/notifications/messages.py": frozenset({
        "Restaurant", "Date", "Time", "Table held", "Party", "Your notes", "Address", "Phone",
        "(A reminder: written when it is sent.)\n"}),
}


# What WTForms shows: a field's label (its first argument) and description, a validator's
# message. Each must be marked, whatever it looks like ("E-mail", "/r/<address>").
_FORM_TEXT_KEYWORDS = {"label", "description", "message"}
# Validators whose first argument is the message (Regexp's is the pattern, EqualTo's a
# field's name, Length's and NumberRange's numbers: theirs is message=).
_VALIDATORS = {"DataRequired", "InputRequired", "Email", "ValidationError", "StopValidation"}


def unmarked_form_texts(source: str) -> list[str]:
    """Literal strings handed to WTForms for people to read (see above), unmarked."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        texts = [kw.value for kw in node.keywords if kw.arg in _FORM_TEXT_KEYWORDS]
        if (name.endswith("Field") or name in _VALIDATORS) and node.args:
            texts.append(node.args[0])
        for text in texts:
            parts = [text] if not isinstance(text, ast.JoinedStr) else [text]
            for part in parts:
                if isinstance(part, ast.Constant | ast.JoinedStr) and (
                        not isinstance(part, ast.Constant)
                        or (isinstance(part.value, str) and WORDS.search(part.value))):
                    found.append(f"line {part.lineno}: {ast.unparse(part)[:60]}")
    return found


def test_the_scan_finds_unmarked_form_texts():
    assert unmarked_form_texts('StringField("E-mail")') == ["line 1: 'E-mail'"]
    assert unmarked_form_texts('StringField(_l("E-mail"), description="At /r/<x>")') == [
        "line 1: 'At /r/<x>'"]
    assert unmarked_form_texts('DataRequired(message=f"Give the {x}.")') == [
        "line 1: f'Give the {x}.'"]
    assert unmarked_form_texts('StringField(_l("E-mail"), validators=[Email(_l("Bad."))])') == []


@pytest.mark.parametrize("path", DASHBOARD_SOURCES)
def test_dashboard_forms_mark_every_label_and_message(path):
    found = unmarked_form_texts((ROOT / path).read_text(encoding="utf-8"))
    assert found == [], f"{path}: wrap these in _l() (or _() at request time): {found}"


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


@pytest.mark.parametrize("path", GUEST_SOURCES + DASHBOARD_SOURCES)
def test_guest_views_mark_every_visible_string(path):
    source = (ROOT / path).read_text(encoding="utf-8")
    found = unmarked_python_strings(source, _allowed(path, source))
    assert found == [], f"{path}: wrap these in _() (or lazy _l() at import): {found}"


# --------------------------------------------------------------------------- catalogs


def _method_map() -> list[tuple[str, str]]:
    """babel.cfg's [method: pattern] sections, as extract_from_dir wants them."""
    sections = re.findall(r"^\[(\w+):\s*(.+?)\]$", (ROOT / "babel.cfg").read_text(), re.M)
    return [(pattern, method) for method, pattern in sections]


GUEST_FILES = {f"templates/{name}" for name in GUEST_TEMPLATES} | set(GUEST_SOURCES)


@cache
def _extracted_by_file() -> dict[str, set[str]]:
    """Each message (its msgid; with a context, "context\x04msgid" as the catalog keys
    it) and the files it is extracted from."""
    found: dict[str, set[str]] = {}
    for file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), _method_map(), keywords=KEYWORDS):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid if not context else (msgid, context), set()).add(str(Path(file)))
    return found  # type: ignore[return-value]


def _extracted(code: str = "") -> set:
    """The messages ``code``'s catalog must translate: a guest file's in every language,
    the rest (the dashboard's) in German only."""
    return {msgid for msgid, files in _extracted_by_file().items()
            if code == "de" or code == "" or files & GUEST_FILES}


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
    expected = GUEST_FILES | {f"templates/{name}" for name in DASHBOARD_TEMPLATES} \
        | set(DASHBOARD_SOURCES) | set(ACCOUNT_MAIL_SOURCES)
    # A file with nothing to translate (only fields and includes) yields no message.
    expected = {name for name in expected
                if re.search(r"\b(?:_|_l|gettext|ngettext|pgettext)\(", (ROOT / name).read_text())}
    assert expected - seen == set()


@pytest.mark.parametrize("code", LANGUAGES[1:])
def test_every_catalog_translates_every_message(code):
    catalog = _catalog(code)
    problems = []
    for key in sorted(_extracted(code), key=str):
        msgid, context = key if isinstance(key, tuple) else (key, None)
        entry = catalog.get(msgid, context=context)
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


def _words_looked_up_by_their_english() -> dict[str, str]:
    """The domain's English words a dashboard page translates by looking the word itself
    up (``_(word)`` at request time; labels.DOMAIN_WORDS marks them for the catalogs),
    each named by where it comes from."""
    from webapp.booking import insights, webhooks
    from webapp.booking.operations import onboarding

    return {
        **{f"webhooks.EVENT_LABELS[{code!r}]": word
           for code, word in webhooks.EVENT_LABELS.items()},
        **{f"insights.SOURCE_LABELS[{code!r}]": word
           for code, word in insights.SOURCE_LABELS.items()},
        **{f"insights.LEAD_BUCKETS {word!r}": word for word, _limit in insights.LEAD_BUCKETS},
        **{f"onboarding.STEPS[{code!r}]": word for code, word in onboarding.STEPS},
        **{f"onboarding.PRESETS[{code!r}]": word
           for code, (word, _services) in onboarding.PRESETS.items()},
    }


def test_the_words_looked_up_by_their_english_are_in_the_catalogs():
    """A word looked up by its English is not extracted where it is used (``_(word)``
    has no literal): unless it is marked elsewhere it is in no catalog, and the page
    shows English whatever the language."""
    extracted = _extracted("de")
    german = _catalog("de")
    problems = []
    for where, word in _words_looked_up_by_their_english().items():
        entry = german.get(word)
        if word not in extracted:
            problems.append(f"not marked (add it to owner/labels.py DOMAIN_WORDS): {where}")
        elif entry is None or not entry.string:
            problems.append(f"not translated in German: {where}")
    assert problems == [], "\n".join(problems)
