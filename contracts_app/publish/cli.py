"""``flask --app run publish [--dir FOLDER] [--no-push]``: write the open data files now, then
push them to the configured open-data portals (the scheduler's publish job does both nightly)."""
import click
from flask import current_app

from contracts_app.cli_options import now_option
from contracts_app.db_types import utcnow
from contracts_app.publish.catalog import CatalogError
from contracts_app.publish.push import portals_configured, push_published
from contracts_app.publish.run import PublishConflict, publish_open_data


@click.command("publish")
@click.option("--dir", "folder", type=click.Path(file_okay=False),
              help="Write into this folder instead of PUBLISH_DIR.")
@click.option("--no-push", is_flag=True, help="Do not push to the open-data portals (CKAN_URL, SOCRATA_DOMAIN).")
@now_option
def publish_command(folder, no_push, now):
    """Write the OCDS release and record packages, the CSV tables and data.json, then push them
    to the configured portals. Exits with status 1 when a portal did not take its push (the
    files stay published; the next run pushes again what was not taken)."""
    try:
        result = publish_open_data(now=now, folder=folder)
    except (CatalogError, PublishConflict) as error:
        raise click.ClickException(str(error))
    except OSError as error:
        raise click.ClickException(f"Could not write the open data files: {error.strerror or error}")
    click.echo(f"Published into {result.folder}: "
               f"{len(result.written)} written ({', '.join(result.written) or 'none'}), "
               f"{len(result.unchanged)} unchanged.")
    if no_push or not portals_configured(current_app.config):
        return
    outcome = push_published(result.folder, now or utcnow())
    for portal in outcome.portals:
        click.echo(portal.summary() + ".")
    if outcome.failed:
        raise click.ClickException("Some files were not pushed to the portals (above); the next run tries them again.")
