"""One package per destination: the pure document/row builder and the writer."""
