"""``flask --app run export ocds [-o FILE]``: the OCDS release package as JSON."""
import json
import os
import tempfile

import click
from flask.cli import AppGroup

from contracts_app.ocds.export import release_package

export_cli = AppGroup("export", help="Export open data.")


def package_json(package):
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def write_atomically(path, text):
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename, so a
    reader (or a failed export) never sees half a file and an earlier export stays until then."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".ocds-", suffix=".json.tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file private (0600); an open-data file gets the mode a plain
        # open() would give it, or keeps the mode of the export it replaces.
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _mode_for(path):
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@export_cli.command("ocds")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False),
              help="Write the package to this file (default: standard output).")
def export_ocds_command(output):
    """The public contracts as an OCDS 1.1 release package (Metrics extension), in JSON."""
    package = release_package()
    text = package_json(package)
    if not package["releases"]:
        click.echo("No contract is public: the package has no release, and OCDS needs at least one.", err=True)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write_atomically(output, text)
    except OSError as error:
        raise click.ClickException(f"Could not write {output}: {error.strerror or error}")
    count = len(package["releases"])
    click.echo(f"Wrote {count} release{'' if count == 1 else 's'} to {output}.", err=True)
