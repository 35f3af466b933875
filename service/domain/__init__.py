"""Business rules as functions over a SQLAlchemy session; never imports Flask."""
