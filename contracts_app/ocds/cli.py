"""``flask --app run export ocds [-o FILE]``: the OCDS release package as JSON."""
import click
from flask.cli import AppGroup

from contracts_app.ocds.export import release_package
from contracts_app.publish.files import json_text, write_if_changed

export_cli = AppGroup("export", help="Export open data.")


@export_cli.command("ocds")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False),
              help="Write the package to this file (default: standard output).")
def export_ocds_command(output):
    """The public contracts as an OCDS 1.1 release package (Metrics extension), in JSON."""
    package = release_package()
    text = json_text(package)
    if not package["releases"]:
        click.echo("No contract is public: the package has no release, and OCDS needs at least one.", err=True)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write_if_changed(output, [text])
    except OSError as error:
        raise click.ClickException(f"Could not write {output}: {error.strerror or error}")
    count = len(package["releases"])
    click.echo(f"Wrote {count} release{'' if count == 1 else 's'} to {output}.", err=True)
