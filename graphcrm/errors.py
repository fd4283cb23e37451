"""One exception tree for graphcrm, rooted at :class:`GraphCRMError`."""
from __future__ import annotations


class GraphCRMError(Exception):
    """Base class of every error graphcrm raises on purpose.

    Raised either with an English text (``ConfigError("...")``) or with a code of the message
    catalogue and its parameters (``ConfigError(code="date", what="since", value="'x'")``): the
    text is then the catalogue's English, and ``code`` / ``params`` keep the parts so that the
    command line can show the message in Chinese (:func:`graphcrm.i18n.error_text`, which also
    recognises plain English texts of catalogued messages).

    Attributes
    ----------
    code : str or None
        The message's code in :data:`graphcrm.i18n.MESSAGES` (None when raised with a text).
    params : dict
        The message's parameters (as text).
    """

    def __init__(self, *args: object, code: str | None = None, **params: object):
        if code is not None:
            from graphcrm.i18n import message

            args = (message(code, "en", **params), *args)
        super().__init__(*args)
        self.code = code
        self.params = {k: str(v) for k, v in params.items()}


class InputFileError(GraphCRMError):
    """An input file (or frame) cannot be used at all: nothing was written.

    The message names the file and says how to fix it.
    """


class MappingError(GraphCRMError):
    """The mapping file (TOML) is malformed or names unknown tables/columns."""


class StoreError(GraphCRMError):
    """The store cannot be opened, read or written."""


class PartialLoadError(StoreError):
    """A load into a server store stopped midway.

    ``written`` says, per table, how many rows were committed before the failure.
    Re-running the same load reaches the same end state (all writes are MERGEs).
    """

    def __init__(self, message: str, written: dict[str, int]):
        super().__init__(message)
        self.written = dict(written)

    def __reduce__(self):  # picklable with its counts (worker processes)
        return (type(self), (str(self), self.written))


class ConfigError(GraphCRMError):
    """Bad configuration: unknown store URI, missing credentials, bad option values."""


class AnalysisError(GraphCRMError):
    """An analysis cannot run on this data (e.g. no volunteers to learn from)."""


class ResultContractError(GraphCRMError):
    """An analysis returned a table that breaks its declared :class:`~graphcrm.results.ResultSpec`.

    Always a bug in graphcrm (or in a user's own analysis), never a problem of the data.
    """


class OutputFileError(GraphCRMError):
    """A file graphcrm was asked to write cannot be written safely or at all.

    Raised before anything is written when the path is unsafe (a folder, a missing folder, an
    input file, the store); after a committed load the message says that the rows were loaded
    and which file could not be written.
    """
