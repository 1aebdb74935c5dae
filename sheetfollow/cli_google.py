"""Command-line pieces for Google Sheets: the ``doctor`` command and the credential options.

Kept out of cli.py so the Google backend's commands live beside each other; cli.py registers
them with ``cli.add_command(doctor)``.
"""

from __future__ import annotations

import json

import click

CONTEXT = {"help_option_names": ["-h", "--help"]}

credentials_option = click.option(
    "--credentials", metavar="FILE", default=None, type=click.Path(dir_okay=False),
    help="A Google service account's JSON key file (default: $GOOGLE_APPLICATION_CREDENTIALS "
         "or $SHEETFOLLOW_SERVICE_ACCOUNT_JSON).")
oauth_client_option = click.option(
    "--oauth-client", metavar="FILE", default=None, type=click.Path(dir_okay=False),
    help="Log in as yourself with this OAuth client file (Desktop app); the login is "
         "remembered (default: $SHEETFOLLOW_OAUTH_CLIENT).")


def google_options(command):
    """Add --credentials and --oauth-client to a command that opens a TARGET."""
    return credentials_option(oauth_client_option(command))


@click.command(context_settings=CONTEXT)
@click.argument("target", required=False)
@google_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def doctor(target, credentials, oauth_client, as_json):
    """Check the Google credentials and access to TARGET; print the email to share it with."""
    from .backends.google.doctor import doctor as run_doctor

    report = run_doctor(target, credentials=credentials, oauth_client=oauth_client)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in report.lines:
            click.echo(line)
    if not report.ok:
        raise SystemExit(1)
