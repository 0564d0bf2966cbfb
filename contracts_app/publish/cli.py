"""``flask --app run publish [--dir FOLDER]``: write the open data files now (the scheduler's
publish job does it nightly)."""
import click

from contracts_app.cli_options import now_option
from contracts_app.publish.catalog import CatalogError
from contracts_app.publish.run import PublishConflict, publish_open_data


@click.command("publish")
@click.option("--dir", "folder", type=click.Path(file_okay=False),
              help="Write into this folder instead of PUBLISH_DIR.")
@now_option
def publish_command(folder, now):
    """Write the OCDS release and record packages, the CSV tables and data.json."""
    try:
        result = publish_open_data(now=now, folder=folder)
    except (CatalogError, PublishConflict) as error:
        raise click.ClickException(str(error))
    except OSError as error:
        raise click.ClickException(f"Could not write the open data files: {error.strerror or error}")
    click.echo(f"Published into {result.folder}: "
               f"{len(result.written)} written ({', '.join(result.written) or 'none'}), "
               f"{len(result.unchanged)} unchanged.")
