"""The shipped default message templates (one Jinja2 file per template name)."""
