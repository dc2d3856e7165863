"""The training engine (UI-free core): runs in its own process and writes the event stream."""
