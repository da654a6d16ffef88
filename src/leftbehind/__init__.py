"""leftbehind: open evidence and funding platform for 'left behind' neighbourhoods."""

__version__ = "0.1.0"
