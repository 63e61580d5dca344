"""`muara screen-strings POT`: the second step of `make translations` (issue 16): add to
the catalogue template that pybabel extracted from the code and templates the screens'
strings made at run time (column labels, titles, menu names: app/i18n/screens.py),
which no extractor can see. A developer's command; the catalogue is Muara's, not the
operator's."""
import click


@click.command("screen-strings", hidden=True)
@click.argument("pot_path", type=click.Path(exists=True, dir_okay=False))
def screen_strings(pot_path):
    """Add the screens' run-time strings to a .pot file."""
    from babel.messages.pofile import read_po, write_po

    from app.i18n.screens import SCREEN_STRINGS
    with open(pot_path, "rb") as handle:
        catalogue = read_po(handle)
    for text in SCREEN_STRINGS:
        if text not in catalogue:
            catalogue.add(text)
    with open(pot_path, "wb") as handle:
        write_po(handle, catalogue, no_location=True, sort_output=True)


COMMANDS = [screen_strings]
