"""``flask templates export ID`` and ``flask templates import FILE [--dry-run]``: contract
templates to and from the versioned JSON document other cities import."""
import json

import click
from sqlalchemy import func, select

from contracts_app.auth.models import User
from contracts_app.designs import services
from contracts_app.designs.models import ContractTemplate
from contracts_app.extensions import db
from contracts_app.formatting import plural
from contracts_app.permissions import can_save_templates


@click.group("templates", help="Contract templates: export one as JSON, or import one from another city.")
def templates_cli():
    pass


@templates_cli.command("export")
@click.argument("template_id", type=int)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="Where to write the JSON document (default: standard output).")
def export_command(template_id, output):
    """Write template TEMPLATE_ID as its versioned JSON document."""
    template = db.session.get(ContractTemplate, template_id)
    if template is None:
        raise click.ClickException(f"There is no template with id {template_id}.")
    output.write(json.dumps(services.export_document(template), indent=2, ensure_ascii=False) + "\n")


@templates_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--as", "actor_email", required=True, metavar="EMAIL",
              help="An active procurement officer or admin: the import is recorded as theirs.")
@click.option("--dry-run", is_flag=True, help="Check the document and say what it would import; write nothing.")
def import_command(file, actor_email, dry_run):
    """Import a template document (FILE, or - for standard input): every problem is printed with
    its JSON path, and nothing is written unless the document is right."""
    actor = db.session.scalar(select(User).where(func.lower(User.email) == actor_email.strip().lower()))
    if actor is None or not actor.active:
        raise click.ClickException(f"No active user has the email {actor_email}.")
    if not can_save_templates(actor):
        raise click.ClickException(f"{actor.email} may not import templates (procurement officers and admins may).")
    document, problems = services.parse_document(file.read())
    if problems:
        for path, message in problems:
            click.echo(f"{path}: {message}", err=True)
        click.echo(f"{len(problems)} problem(s); nothing was imported.", err=True)
        raise SystemExit(1)
    if dry_run:
        parts = [plural(len(document.get(key) or []), word) for key, word in (
            ("metrics", "metric"), ("milestones", "milestone"), ("payment_rules", "payment rule"))]
        click.echo(f"No problems. This would import the template {document['name']} "
                   f"({', '.join(parts)}). Nothing was written (--dry-run).")
        return
    try:
        template = services.import_document(document, actor)
    except services.TemplateError as error:
        raise click.ClickException(str(error))
    click.echo(f"Imported the template {template.name} (id {template.id}).")
