"""User-facing errors (UI-free core).

A `StudioError` is a mistake the user can fix: the CLI prints its one line and exits with code 2,
never a traceback. Anything else is a bug and keeps its traceback in the engine log.
"""


class StudioError(Exception):
    """A problem the user can fix; `str(err)` is one line naming the problem and the fix."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None):
        super().__init__(message)
        self.where = where

    def __str__(self) -> str:
        msg = super().__str__()
        return f"{self.where}: {msg}" if self.where else msg
