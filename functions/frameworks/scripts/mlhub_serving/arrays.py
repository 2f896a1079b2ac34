"""Requests as NumPy batches and model outputs as per-row JSON values."""

from .errors import ServingError, bad_input, require


def _shape_text(shape):
    return '[' + ', '.join(str(size) for size in shape) + ']'


def batch_array(nested, dtype, row_shape=None, where='"instances"'):
    """A list of rows as one array of `dtype` with the batch axis first.

    When params.json declares one row's shape, rows holding that many values are reshaped to it
    (MLHub sends a 28×28 image as 784 numbers); rows of another size are a 400 naming both shapes.
    """
    np = require('numpy')
    try:
        array = np.asarray(nested, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as error:
        raise bad_input(f'{where} must be a regular array of numbers (every row the same shape): {error}') from None
    if array.ndim == 0:
        array = array.reshape(1)
    if row_shape:
        size = 1
        for dim in row_shape:
            size *= dim
        per_row = array.size // array.shape[0] if array.shape[0] else 0
        if per_row != size:
            raise bad_input(f'{where} rows have shape {_shape_text(array.shape[1:])}; this model takes rows of shape {_shape_text(row_shape)} ({size} values)')
        array = array.reshape((array.shape[0],) + tuple(row_shape))
    return array


def output_rows(output, rows):
    """One JSON value per row from a model's output: an array (batch axis first), a tuple or
    list of arrays (named output_0, output_1, …), or a dict of arrays by name. 500 when the
    batch axis does not match the request's rows."""
    np = require('numpy')
    if isinstance(output, dict):
        named = {str(name): np.asarray(value) for name, value in output.items()}
    elif isinstance(output, (tuple, list)):
        named = {f'output_{index}': np.asarray(value) for index, value in enumerate(output)}
    else:
        named = {'': np.asarray(output)}
    for name, value in named.items():
        if value.ndim == 0 or value.shape[0] != rows:
            raise ServingError('model_failed', f'The model answered {value.shape[0] if value.ndim else "a scalar"} rows of {name or "output"} for {rows} rows', 500)
    if list(named) == ['']:
        return named[''].tolist()
    lists = {name: value.tolist() for name, value in named.items()}
    return [{name: values[row] for name, values in lists.items()} for row in range(rows)]


def feature_rows(data, params, article, framework, default_dtype, expected):
    """The rows of a tabular model's request as one 2-D array (batch, features): `article` and
    `framework` name the model in the errors (400 invalid_input: images or named inputs, rows that
    are not flat, and, when `expected` is a number, another count of features than it was fitted on)."""
    if data.kind != 'rows':
        raise bad_input(f'{article} {framework} model takes rows of numbers ({{"input": [...]}}), not images or named inputs')
    features = batch_array(data.rows, params.input.dtype or default_dtype, params.input.row_shape)
    if features.ndim != 2:
        raise bad_input(f'{article} {framework} model takes each row as a flat list of features; got rows of shape {list(features.shape[1:])}')
    if expected is not None and features.shape[1] != expected:
        raise bad_input(f'This {framework} model takes {expected} features per row; got {features.shape[1]}')
    return features
