import click
from flask.cli import AppGroup

from contracts_app.demo.loader import load_demo_city
from contracts_app.metrics.rules import STATUS_LABELS

demo_cli = AppGroup("demo", help="The demo city.")


@demo_cli.command("load")
def load_command():
    """Load the demo city into an empty database and print the demo sign-ins.

    Does nothing (and exits 0) when the database already has contracts or users. The demo
    users' password comes from RDC_DEMO_PASSWORD, else "rdc-demo-2026".
    """
    summary = load_demo_city()
    if not summary.loaded:
        click.echo(summary.message)
        return
    counts = summary.counts
    click.echo(
        f"{summary.message} {counts['users']} users, {counts['priorities']} priorities, "
        f"{counts['vendors']} vendors, {counts['contracts']} contracts, {counts['metrics']} metrics, "
        f"{counts['readings']} readings, {counts['milestones']} milestones, "
        f"{counts['checkins']} held check-ins, {counts['action_items']} action items "
        f"({counts['open_action_items']} open)."
    )
    click.echo("Contract health: " + ", ".join(
        f"{STATUS_LABELS[status].lower()} {count}" for status, count in summary.health.items()
    ))
    click.echo("")
    click.echo("Sign in with:")
    width = max(len(email) for email, _, _ in summary.sign_ins)
    role_width = max(len(role) for _, role, _ in summary.sign_ins)
    click.echo(f"  {'EMAIL':<{width}}  {'ROLE':<{role_width}}  PASSWORD")
    for email, role, password in summary.sign_ins:
        click.echo(f"  {email:<{width}}  {role:<{role_width}}  {password}")
