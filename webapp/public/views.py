from flask import abort, render_template
from sqlalchemy import select

from ..extensions import db
from ..models import Restaurant
from . import bp


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.get("/r/<slug>")
def restaurant_page(slug: str):
    restaurant = db.session.scalar(select(Restaurant).where(Restaurant.slug == slug))
    if restaurant is None:
        abort(404, description="There is no restaurant at this address.")
    return render_template("public/restaurant.html", restaurant=restaurant)
