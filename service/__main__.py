"""`python -m service COMMAND`: the same commands as `flask --app wsgi COMMAND`."""

from flask.cli import FlaskGroup

from service import create_app

cli = FlaskGroup(create_app=lambda: create_app(), help="Sambang Desa backend commands.")

if __name__ == "__main__":
    cli(prog_name="python -m service")
