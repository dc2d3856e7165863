"""The CLI's subcommands that run without a UI (UI-free core)."""
