"""Domain errors that both faces translate: the API into error codes, the portal into messages."""


class ConflictError(Exception):
    """The request clashes with what is already stored (for example a reused client attempt id)."""


class RateLimitedError(Exception):
    """Too many attempts; the caller should wait `retry_after` seconds."""

    def __init__(
        self,
        message: str = "Too many attempts. Please wait and try again.",
        *,
        retry_after: int = 60,
    ):
        super().__init__(message)
        self.retry_after = retry_after
