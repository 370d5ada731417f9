"""chaindomain: the operator command line that ties the components together."""

__version__ = "0.1.0"
