"""The short "you are on the waitlist" e-mail with the guest's private link
(webapp/public/waitlist.py sends it after booking/waitlist.join).

Queued in the outbox (like the account e-mails: no reservation) after the join has
committed, and handed to delivery at once. The link's token is redacted from the stored
copy once sent, as every manage link is. Should queueing fail, the guest is still in line
and the page they land on shows the same link: it is logged, not raised.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from ..booking.operations.committing import committed
from ..booking.slots import Schedule
from ..extensions import db
from ..i18n import clock_time, day_long
from ..models import Restaurant, WaitlistEntry
from .outbox import deliver_soon, queue_account_mail

log = logging.getLogger(__name__)

JOINED_EMAIL = "waitlist_joined"


def joined_text(restaurant: Restaurant, entry: WaitlistEntry, link: str,
                schedule: Schedule) -> tuple[str, str]:
    """Subject and plain text, in the page's language (the entry's)."""
    window = _("%(from)s to %(to)s", **{
        "from": clock_time(entry.window_start.astimezone(schedule.zone)),
        "to": clock_time(entry.window_end.astimezone(schedule.zone))})
    subject = _("You are on the waitlist at %(restaurant)s", restaurant=restaurant.name)
    party = ngettext("%(num)d guest", "%(num)d guests", entry.party_size)
    lines = [_("Hello %(name)s,", name=entry.guest_name), "",
             _("You are on the waitlist for %(party)s on %(date)s, between %(window)s.",
               party=party, date=day_long(entry.service_date), window=window),
             _("When a table frees up, we will e-mail you an offer that holds it for you "
               "for a few minutes."), "",
             _("See your place in line or leave the waitlist with this private link:"), link,
             "", restaurant.name]
    return subject, "\n".join(lines) + "\n"


def queue_joined_mail(restaurant: Restaurant, entry: WaitlistEntry, link: str,
                      schedule: Schedule) -> int | None:
    """Queue and hand over the e-mail; its outbox id, or None when it could not be queued."""
    subject, body = joined_text(restaurant, entry, link, schedule)
    to_address = entry.guest_email
    try:
        with committed(db.session):
            email_id = queue_account_mail(db.session, JOINED_EMAIL, to_address, subject, body)
    except Exception:
        log.exception("waitlist: the joined e-mail could not be queued")
        return None
    deliver_soon(current_app._get_current_object(), [email_id])  # type: ignore[attr-defined]
    return email_id
