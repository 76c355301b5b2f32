"""Build the default deck: `python build_deck.py` is `factdeck build` with its defaults.

Any factdeck command works here too, e.g. `python build_deck.py check`.
"""

from factdeck.cli import main

if __name__ == "__main__":
    main(default_command="build")
