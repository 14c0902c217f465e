"""The insight pages' reads, one module per dashboard; ``common`` holds the ``Table``, the
filters and the helpers they share."""
