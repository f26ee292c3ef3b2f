"""One hierarchy for every error a user can cause or meet.

Each subclass names the part of Taller that refused; ``message`` is the sentence a user reads,
shown as is by the window and by the command line (``error: <message>``, exit 1). Anything that
is not a ``TallerError`` is a bug: the window names its type and the terminal keeps the traceback.
"""

from __future__ import annotations


class TallerError(Exception):
    """Base of every error meant for a user; ``message`` says what went wrong and what to do."""

    @property
    def message(self) -> str:
        return str(self).strip() or type(self).__name__


class ConfigError(TallerError, ValueError):
    """A configuration value a user entered is out of range; the message says which and why."""


class DatasetError(TallerError):
    """Data cannot be loaded; the message says which folder/files and what to do."""


class SynthError(DatasetError, ValueError):
    """A synthetic-handwriting style value is out of range."""


class ModelError(TallerError):
    """A model cannot be built or its weights cannot be loaded; the message says why."""


class CheckpointError(TallerError):
    """The file is not a usable Taller checkpoint; the message says what is wrong."""


class TrainingError(TallerError):
    """A run could not go on (bad data, bad config, model that does not fit the data)."""


class NonFiniteLossError(TrainingError):
    """The loss became NaN or infinite; the model keeps the last good weights."""


class EvaluationError(TallerError):
    """A model cannot be evaluated or reported on; the message says what is wrong and what to do."""


class ReportError(EvaluationError):
    """A report or export could not be written."""


class InferenceError(TallerError):
    """An image cannot be classified (unreadable file, model that does not fit)."""


class CliError(TallerError):
    """Ends a command-line command with this message and exit code 1."""
