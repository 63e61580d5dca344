"""`flask --app run muara ...`: the operators' and scripts' command line (SPEC section 8).

One module per feature; this one assembles the `muara` group from them. Every command
exits non-zero with a one-line message on stderr when it cannot do what was asked.
"""
import click

from app.cli import (
    apikeys,
    audit,
    directory,
    document_sync,
    imports,
    processes,
    setup,
    translations,
)


@click.group()
def muara():
    """Muara: the data-import portal."""


for feature in (setup, directory, processes, imports, apikeys, document_sync, audit,
                translations):
    for command in feature.COMMANDS:
        muara.add_command(command)
