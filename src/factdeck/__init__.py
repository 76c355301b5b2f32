"""factdeck: structured facts in YAML → Anki cloze and Q&A notes → an .apkg updated in place."""

__version__ = "0.1.0"
