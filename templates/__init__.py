"""The Jinja2 templates (Block Kit), shipped as package data so a wheel install finds them."""
