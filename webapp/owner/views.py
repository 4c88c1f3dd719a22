from flask import render_template
from flask_login import current_user, login_required

from . import bp


@bp.get("/")
@login_required
def index():
    restaurants = [m.restaurant for m in current_user.memberships]
    return render_template("owner/index.html", restaurants=restaurants)
