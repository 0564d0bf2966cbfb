"""`flask --app run tokens create|list|revoke`: API tokens for scripts and systems."""
import click
from flask.cli import AppGroup

from contracts_app.cli_options import ROW_ID
from contracts_app.api import tokens

tokens_cli = AppGroup("tokens", help="Manage API tokens (Authorization: Bearer TOKEN).")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. 'finance ETL'.")
def create_command(email, name):
    """Create a token acting as the user EMAIL (with that user's role).

    The token is printed once, alone on standard output, so that a script can capture it:
    TOKEN=$(flask --app run tokens create ana@demo.city --name etl)
    """
    try:
        token, secret = tokens.create_token(email, name)
    except tokens.TokenError as error:
        raise click.ClickException(str(error))
    click.echo(
        f"Created API token {token.id} ({token.prefix}…) for {token.user.email} ({token.user.role}). "
        "It is shown only this once: store it now.",
        err=True,
    )
    click.echo(secret)


@tokens_cli.command("list")
@click.argument("email", required=False)
def list_command(email):
    """List tokens (all, or those of the user EMAIL). Secrets are never shown."""
    try:
        rows = tokens.list_tokens(email)
    except tokens.TokenError as error:
        raise click.ClickException(str(error))
    if not rows:
        click.echo("No API tokens.")
        return
    click.echo(f"{'id':>5}  {'prefix':<14} {'user':<30} {'name':<20} {'created':<17} {'last used':<17} state")
    for token in rows:
        click.echo(
            f"{token.id:>5}  {token.prefix + '…':<14} {token.user.email:<30} {token.name[:20]:<20} "
            f"{_when(token.created_at):<17} {_when(token.last_used_at):<17} "
            f"{'revoked ' + _when(token.revoked_at) if token.revoked_at else 'active'}"
        )


@tokens_cli.command("revoke")
@click.argument("token_id", type=ROW_ID)
def revoke_command(token_id):
    """Revoke the token with id TOKEN_ID (see `tokens list`); it stops working at once."""
    try:
        revoked = tokens.revoke_token(token_id)
    except tokens.TokenError as error:
        raise click.ClickException(str(error))
    click.echo(f"Revoked API token {token_id}." if revoked else f"API token {token_id} was already revoked.")


def _when(moment):
    return moment.strftime("%Y-%m-%d %H:%M") + "Z" if moment else "-"
