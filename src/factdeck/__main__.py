"""`python -m factdeck` is the `factdeck` command."""

from .cli import main

main()
