"""Developer tooling: the local stack, the emulator launchers and the push relay."""
