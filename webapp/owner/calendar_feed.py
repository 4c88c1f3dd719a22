"""The member's calendar feed: the page to make, show (once) and revoke the secret URL
(/owner/<ref>/calendar-feed, owners and staff alike: each has their own), and the feed
itself (/calendar/<token>.ics, no login: the token is the key). The rules live in
booking/calendar_feed.py."""

from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..booking import calendar_feed as feeds
from ..extensions import db
from ..models import Membership
from ..notifications.outbox import calendar_host
from ..public.views import bp as public_bp
from .access import Access, member_required
from .views import bp


def _feed_url(token: str) -> str:
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + url_for("public.calendar_feed_ics", token=token)


@bp.route("/<ref>/calendar-feed", methods=["GET", "POST"])
@member_required
def calendar_feed(access: Access):
    membership = db.session.get(Membership, (current_user.id, access.restaurant.id))
    if membership is None:  # member_required found it a moment ago
        abort(404)
    new_url = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            feeds.revoke_token(db.session, membership)
        else:
            new_url = _feed_url(feeds.issue_token(db.session, membership))
    page = render_template("owner/calendar_feed.html", access=access,
                           restaurant=access.restaurant, new_url=new_url,
                           has_feed=membership.calendar_token_hash is not None,
                           days=feeds.FEED_DAYS,
                           contact=access.restaurant.calendar_feed_contact)
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "private, no-store"  # the URL is shown once
    return response


@public_bp.get("/calendar/<token>.ics")
def calendar_feed_ics(token: str):
    feed = feeds.feed_for_token(db.session, token)
    if feed is None:
        abort(404, description=_('This calendar address is unknown or was replaced.'))
    body = feeds.feed_ics(db.session, feed.restaurant, now=clock.now(), host=calendar_host())
    response = current_app.make_response(body)
    response.mimetype = "text/calendar"
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.set_etag(feeds.feed_etag(body))
    # If-None-Match with the feed's ETag: 304, no body, the headers above kept.
    return response.make_conditional(request)
