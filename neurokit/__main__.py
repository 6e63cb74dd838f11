"""`python -m neurokit` runs the CLI."""

from neurokit.cli import main

main()
