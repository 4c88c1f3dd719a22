"""The API's routes live in public_views, guest_views and owner_views (see __init__)."""
