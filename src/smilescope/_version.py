"""smilescope's version, in a module of its own: modules the package root loads on demand (the
batch runner) read it from here, not from the root, so nothing imports in a circle."""

__version__ = "0.1.0"
