"""The Staff page (owners only): members and their roles, pending invitations, inviting
by e-mail, re-sending and revoking invitations, changing a role, removing a member.
The rules (the last owner stays, one link per invitation) are in
booking/operations/staff.py; this reads the forms, calls it and renders."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField
from wtforms.validators import DataRequired, Email

from ..booking.operations import staff as staff_ops
from ..extensions import db, limiter
from ..i18n import lazy_gettext as _l
from ..notifications.outbox import deliver_soon
from ..validators import Length, SingleLine
from .access import Access, owner_required
from .common import form_status
from .forms import ConfirmForm, choices
from .labels import translate_refusal
from .views import bp

# Each invitation is an e-mail to an address the owner types: enough for a team, too few
# to use the site for sending mail to strangers.
INVITATION_LIMIT = "30 per hour"

# Short enough to be read whole in the select on a phone; the page's text says more.
ROLE_CHOICES = choices([("staff", _l("Staff: the day's bookings")),
                        ("owner", _l("Owner: also set-up and staff"))])


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if isinstance(value, str) else value


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail"), filters=[_lower], validators=[
        DataRequired(_l("Give the e-mail address to send the invitation to.")), SingleLine(),
        Email(_l("This does not look like an e-mail address (name@example.com).")),
        Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="staff")


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=choices([("staff", _l("Staff")), ("owner", _l("Owner"))]))


def invitation_url(token: str) -> str:
    """The invitation page, absolute, under PUBLIC_BASE_URL (never the request's Host)."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + url_for("auth.invitation", token=token)


def _deliver(sent: staff_ops.Sent) -> None:
    deliver_soon(current_app._get_current_object(),  # type: ignore[attr-defined]
                 [sent.mail_id])


def _page(access: Access, invite: InviteForm | None = None, status: int = 200,
          problem: str | None = None):
    return render_template(
        "owner/staff.html", access=access, restaurant=access.restaurant,
        members=staff_ops.members(db.session, access.restaurant),
        invitations=staff_ops.pending_invitations(db.session, access.restaurant),
        form=invite or InviteForm(formdata=None), role_form=RoleForm,
        confirm=ConfirmForm(formdata=None), problem=problem), status


def _back(access: Access):
    return redirect(url_for("owner.staff", ref=access.ref), code=303)


@bp.get("/<ref>/staff")
@owner_required
def staff(access: Access):
    return _page(access)


@bp.post("/<ref>/staff/invite")
@limiter.limit(INVITATION_LIMIT)
@owner_required
def invite(access: Access):
    form = InviteForm()
    if not form.validate():
        return _page(access, form, form_status(form))
    try:
        sent = staff_ops.invite(db.session, access.restaurant, form.email.data, form.role.data,
                                current_user, invitation_url)
    except staff_ops.StaffRefused as refusal:
        form.email.errors = [translate_refusal(refusal.message)]
        return _page(access, form, refusal.http_status)
    _deliver(sent)
    flash(_('Invitation sent to %(email)s.', email=sent.invitation.email), "success")
    return _back(access)


@bp.post("/<ref>/staff/invitations/<int:invitation_id>/resend")
@limiter.limit(INVITATION_LIMIT)
@owner_required
def resend_invitation(access: Access, invitation_id: int):
    if not ConfirmForm().validate():
        abort(400)
    try:
        sent = staff_ops.resend(db.session, access.restaurant, invitation_id, current_user,
                                invitation_url)
    except LookupError:
        abort(404)
    _deliver(sent)
    flash(_("A new invitation went to %(email)s; the earlier link no longer works.",
            email=sent.invitation.email), "success")
    return _back(access)


@bp.post("/<ref>/staff/invitations/<int:invitation_id>/revoke")
@owner_required
def revoke_invitation(access: Access, invitation_id: int):
    if not ConfirmForm().validate():
        abort(400)
    try:
        link = staff_ops.revoke(db.session, access.restaurant, invitation_id)
    except LookupError:
        abort(404)
    flash(_('The invitation for %(email)s was withdrawn.', email=link.email), "success")
    return _back(access)


@bp.post("/<ref>/staff/members/<int:user_id>/role")
@owner_required
def change_role(access: Access, user_id: int):
    if not staff_ops.is_member(db.session, access.restaurant, user_id):
        abort(404)  # before the form: another restaurant's member is nobody here
    form = RoleForm()
    if not form.validate():
        return _page(access, status=form_status(form),
                     problem=_l("Choose staff or owner.") if not form.csrf_token.errors else
                     _l("The form expired. Please try again."))
    try:
        staff_ops.change_role(db.session, access.restaurant, user_id, form.role.data)
    except LookupError:
        abort(404)
    except staff_ops.StaffRefused as refusal:
        return _page(access, status=refusal.http_status, problem=translate_refusal(refusal.message))
    if user_id == current_user.id and form.role.data != "owner":
        # No longer an owner: this page is not theirs any more.
        flash(_('You are now staff at %(name)s.', name=access.restaurant.name), "success")
        return redirect(url_for("owner.home", ref=access.ref), code=303)
    flash(_('Role changed.'), "success")
    return _back(access)


@bp.post("/<ref>/staff/members/<int:user_id>/remove")
@owner_required
def remove_member(access: Access, user_id: int):
    if not ConfirmForm().validate():
        abort(400)
    try:
        staff_ops.remove_member(db.session, access.restaurant, user_id)
    except LookupError:
        abort(404)
    except staff_ops.StaffRefused as refusal:
        return _page(access, status=refusal.http_status, problem=translate_refusal(refusal.message))
    if user_id == current_user.id:
        flash(_('You left %(name)s.', name=access.restaurant.name), "success")
        return redirect(url_for("owner.index"), code=303)
    flash(_('Member removed.'), "success")
    return _back(access)
