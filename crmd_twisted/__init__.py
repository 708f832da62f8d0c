"""crmd-twisted: a Twisted framework and exchange simulators for the CRMD binary API."""

__version__ = "0.1.0"
