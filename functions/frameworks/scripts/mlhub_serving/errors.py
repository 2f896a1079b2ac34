"""Errors a framework script raises, with the HTTP status and code the worker answers.

In AWS's framework containers the serving toolkit turns a BaseInferenceToolkitError into its
status code (anything else is a 500), so ServingError extends it when the toolkit is there; the
local worker (serve.py) reads `status`, `code` and `message` itself.
"""

import importlib

try:  # pragma: no cover - only inside AWS's containers
    from sagemaker_inference.errors import BaseInferenceToolkitError as _Base

    def _base_init(self, status, message):
        _Base.__init__(self, status, message, message)
except ImportError:
    _Base = Exception

    def _base_init(self, status, message):
        Exception.__init__(self, message)


class ServingError(_Base):
    """An error with its answer: `status` (HTTP), `code` (MLHub's error code), `message`."""

    def __init__(self, code, message, status=500):
        _base_init(self, status, message)
        self.code = code
        self.message = message
        self.status = status

    def __str__(self):
        return self.message


def bad_input(message):
    """Input the model cannot take: 400 invalid_input, the message naming the field."""
    return ServingError('invalid_input', message, 400)


# Debian's package for each module the scripts import (Debian 12: python3-sklearn 1.2.1,
# python3-xgboost 1.7.4, python3-torch 1.13.1). TensorFlow has none.
APT_PACKAGES = {
    'sklearn': 'python3-sklearn',
    'joblib': 'python3-joblib',
    'numpy': 'python3-numpy',
    'scipy': 'python3-scipy',
    'xgboost': 'python3-xgboost',
    'torch': 'python3-torch',
    'PIL': 'python3-pil',
}


def apt_line(module):
    """The exact install command for a module, or None when Debian packages none (TensorFlow)."""
    package = APT_PACKAGES.get(module.split('.')[0])
    return f'apt-get install -y {package}' if package else None


def framework_missing(module, cause=None):
    """The error for a module that is not installed: its message holds the apt-get line."""
    line = apt_line(module)
    if line:
        message = f"The Python module '{module}' is not installed here; install it with: {line}"
    else:
        message = (f"The Python module '{module}' is not installed here and Debian has no package for it; "
                   'serve this model from its framework\'s own server (for TensorFlow, TF Serving named in meta.backend)')
    if cause is not None:
        message += f' ({cause})'
    return ServingError('framework_missing', message, 500)


def require(module):
    """Imports a module, or raises framework_missing naming the apt-get line that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise framework_missing(module, getattr(error, 'msg', None) or str(error)) from error
