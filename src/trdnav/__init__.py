"""trdnav: open clinical decision support for treatment-resistant depression."""

__version__ = "0.1.0"
