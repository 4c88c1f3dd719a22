"""The origins a restaurant lets frame its booking embed (/r/<slug>/embed).

An origin is what a browser compares for ``frame-ancestors``: scheme, host and port,
nothing else. The owner types them one per line (or space separated); they are stored
normalised (lower-case, default port dropped, one per line) so the header is built
from exactly what was checked, and a value that could smuggle another CSP directive
(";", quotes, wildcards) never gets that far.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_EMBED_ORIGINS = 10

# A DNS name or an IPv4 address: letters, digits, dashes and dots, no empty label.
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)"
                   r"(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")
_DEFAULT_PORTS = {"https": 443, "http": 80}


class OriginError(ValueError):
    """An entry that is not an origin; the message says which and why."""


def normalise_origin(entry: str) -> str:
    """``https://Example.com:443/`` → ``https://example.com``; refuses anything else."""
    text = entry.strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s;,'\"*]+", text):
        raise OriginError(f"“{entry}” is not a web address like https://www.example.com.")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise OriginError(f"“{entry}”: use an https:// (or http://) address.")
    if parts.username is not None or parts.password is not None:
        raise OriginError(f"“{entry}”: leave out the user name and password.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise OriginError(f"“{entry}”: give only the site (scheme and host, e.g. "
                          f"{scheme}://{parts.hostname or 'www.example.com'}), no page path.")
    host = (parts.hostname or "").lower()
    if not _HOST.match(host):
        raise OriginError(f"“{entry}” has no valid host name.")
    try:
        port = parts.port
    except ValueError:
        raise OriginError(f"“{entry}” has an invalid port.") from None
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def parse_origins(text: str) -> list[str]:
    """The owner's list (space, comma or newline separated) as normalised origins, in
    order, without repeats. Raises OriginError naming the first bad entry."""
    origins: list[str] = []
    for entry in re.split(r"[\s,]+", text or ""):
        if not entry:
            continue
        origin = normalise_origin(entry)
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_EMBED_ORIGINS:
        raise OriginError(f"At most {MAX_EMBED_ORIGINS} sites may embed the booking form; "
                          f"this list has {len(origins)}.")
    return origins


def stored_origins(value: str) -> list[str]:
    """The restaurant's stored list (already normalised) as a list."""
    return [line for line in (value or "").split() if line]


def snippets(base_url: str, slug: str, name: str) -> dict[str, str]:
    """The HTML the owner pastes into the restaurant's website: the frame (sized by
    embed-host.js) and the "Book a table" button (a plain link; with the script it opens
    the booking in a dialog). Escaped by the template that shows them."""
    from markupsafe import escape

    base = base_url.rstrip("/")
    host_script = f'<script src="{base}/static/js/embed-host.js" defer></script>'
    title = escape(f"Book a table at {name}")
    return {
        "embed_url": f"{base}/r/{slug}/embed",
        "iframe": (f'<iframe src="{base}/r/{slug}/embed" title="{title}" data-booking-embed\n'
                   '        style="width:100%;height:640px;border:0" loading="lazy"></iframe>\n'
                   + host_script),
        "button": (f'<link rel="stylesheet" href="{base}/static/css/embed-button.css">\n'
                   f'<a href="{base}/r/{slug}" class="booking-manager-button" '
                   'data-booking-dialog>Book a table</a>\n' + host_script),
    }
