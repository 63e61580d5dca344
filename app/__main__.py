"""`python -m app COMMAND ...` (and the `muara` launcher `make` puts in the virtualenv):
the `muara` commands without the `flask` command line around them.

`flask --app run muara import ...` stays the documented contract (SPEC section 8); this
is the same group with the same options and output. It starts faster because `flask`
loads every installed plugin's commands (Flask-AppBuilder's `fab` imports the whole
framework, Flask-Limiter's imports rich) before it even looks at the app, and a command
that serves no page needs none of them (issue 15, start-up).
"""
import sys

from app import LEAN_COMMANDS, create_app
from app.importing.gc_pause import built_for_the_process


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    # The lean app for the commands that serve no page; the whole one for the others
    # (init, demo, user add, permissions and --help, which lists every command).
    lean = bool(args) and args[0] in LEAN_COMMANDS
    with built_for_the_process():  # 0.3 s of a 1 s `muara import` (app.importing.gc_pause)
        app = create_app(serve_pages=not lean)
    from app.cli import muara
    with app.app_context():
        return muara.main(args=args, prog_name="muara")


if __name__ == "__main__":
    sys.exit(main())
