"""Command groups of the ``chaindomain`` CLI; each module has ``register(subparsers)``."""
