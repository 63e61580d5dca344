"""`python -m app COMMAND ...` (and the `muara` launcher `make` puts in the virtualenv):
the `muara` commands without the `flask` command line around them.

`flask --app run muara import ...` stays the documented contract (SPEC section 8); this
is the same group with the same options and output. It starts faster because `flask`
loads every installed plugin's commands (Flask-AppBuilder's `fab` imports the whole
framework, Flask-Limiter's imports rich) before it even looks at the app, and a command
that serves no page needs none of them (issue 15, start-up).
"""
import gc
import sys

from app import LEAN_COMMANDS, create_app
from app.importing.gc_pause import collector_paused


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    # The lean app for the commands that serve no page; the whole one for the others
    # (init, demo, user add, permissions and --help, which lists every command).
    lean = bool(args) and args[0] in LEAN_COMMANDS
    # Building the app makes about 170,000 objects that live as long as the process
    # (modules, classes, tables, mappers); Python's cyclic collector would walk them
    # again and again while they are made, at every full collection after, and in the
    # collections the interpreter runs as it exits. Paused while the app is built, then
    # frozen out of later collections (gc.freeze): 0.3 s of a 1 s `muara import`
    # (0.08 s building the app, 0.2 s at exit; issue 15).
    with collector_paused():
        app = create_app(serve_pages=not lean)
        gc.freeze()
    from app.cli import muara
    with app.app_context():
        return muara.main(args=args, prog_name="muara")


if __name__ == "__main__":
    sys.exit(main())
