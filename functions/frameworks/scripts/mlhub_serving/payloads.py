"""MLHub's wire format with a SageMaker endpoint, from the endpoint's side.

Requests, as payloadFor in functions/inference/backends/sagemaker-backend.ts writes them:
- application/json (or any +json type): {"instances": [row, ...]}, a bare [row, ...] (the spec's
  json_format "array"), or {"inputs": {name: nested batch, ...}} for named inputs; a row is a
  number or nested lists of numbers;
- text/csv: one row per line, numbers separated by commas;
- image/png, image/jpeg, application/x-image (any image type): the image's own bytes, one row.

Answers, as readAnswer there reads them back:
- application/json: {"predictions": [p, ...]} with one entry per request row, where p is the row's
  output as nested lists (MLHub makes it {"output": p}) or, for a model with several outputs, an
  object {name: value} (MLHub makes it {"outputs": {...}}; one key becomes "output"). NaN and
  ±Infinity are written as Python's json writes them (NaN, Infinity), which MLHub decodes. When
  the script knows class labels it adds "labels": [...] beside "predictions" (readAnswer ignores
  other keys; MLHub labels from the bundle's labels.txt itself);
- text/csv (when Accept asks for it first): one line per row, the row's numbers flattened.
"""

import json
from dataclasses import dataclass
from typing import Optional

from .errors import ServingError, bad_input

JSON_TYPE = 'application/json'
CSV_TYPE = 'text/csv'


def media_type(header, default=''):
    """A Content-Type or single Accept entry without parameters, lowercased."""
    value = (header or '').split(';', 1)[0].strip().lower()
    return value or default


def is_json(kind):
    return kind == JSON_TYPE or kind.endswith('+json')


def is_image(kind):
    return kind.startswith('image/') or kind == 'application/x-image'


@dataclass(frozen=True)
class Request:
    """One parsed request. kind 'rows': `rows` holds one nested value per row; 'named': `named`
    maps input names to nested batches; 'image': `image` holds the bytes of one image."""
    kind: str
    rows: Optional[list] = None
    named: Optional[dict] = None
    image: Optional[bytes] = None

    @property
    def row_count(self):
        if self.kind == 'rows':
            return len(self.rows)
        if self.kind == 'image':
            return 1
        counts = {len(value) if isinstance(value, list) else 1 for value in self.named.values()}
        return counts.pop() if len(counts) == 1 else None


def _json_request(body):
    try:
        parsed = json.loads(body.decode('utf-8') if isinstance(body, (bytes, bytearray)) else body)
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_input(f'The body is not valid JSON ({error})') from error
    if isinstance(parsed, list):
        rows, where = parsed, 'The body'
    elif isinstance(parsed, dict) and 'instances' in parsed:
        rows, where = parsed['instances'], '"instances"'
    elif isinstance(parsed, dict) and 'inputs' in parsed:
        named = parsed['inputs']
        if not isinstance(named, dict) or not named:
            raise bad_input('"inputs" must be an object of named tensors, {"name": [[...]]}')
        counts = {len(value) if isinstance(value, list) else 1 for value in named.values()}
        if len(counts) > 1:
            raise bad_input(f'Every named input must hold the same number of rows; got {" and ".join(str(c) for c in sorted(counts))}')
        return Request('named', named=named)
    else:
        raise bad_input('The JSON body needs "instances" (a list of rows), "inputs" (named tensors) or a list of rows')
    if not isinstance(rows, list) or not rows:
        raise bad_input(f'{where} must be a non-empty list of rows')
    return Request('rows', rows=rows)


def _csv_request(body):
    text = body.decode('utf-8', errors='replace') if isinstance(body, (bytes, bytearray)) else body
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        row = []
        for column, cell in enumerate(line.split(','), start=1):
            try:
                row.append(float(cell))
            except ValueError:
                raise bad_input(f'CSV line {number}, value {column} is {cell.strip()[:20]!r}, not a number') from None
        rows.append(row)
    if not rows:
        raise bad_input('The CSV body holds no rows')
    return Request('rows', rows=rows)


def parse_request(body, content_type):
    """The request in MLHub's forms; 400 invalid_input for a malformed body, 415 for other types."""
    kind = media_type(content_type, JSON_TYPE)
    if is_json(kind):
        return _json_request(body)
    if kind == CSV_TYPE:
        return _csv_request(body)
    if is_image(kind):
        if not body:
            raise bad_input('The image body is empty')
        return Request('image', image=bytes(body))
    raise ServingError('unsupported_content_type', f'Content type {kind} is not one MLHub sends; use application/json, text/csv or an image type', 415)


@dataclass(frozen=True)
class Prediction:
    """A model's answer: `rows`, one JSON value per request row (nested lists, numbers, strings,
    or {name: value} for several outputs), and the class labels the script knows, if any."""
    rows: list
    labels: Optional[tuple] = None


def _answer_type(accept):
    """The first type in Accept the script writes; JSON when Accept is empty or allows anything."""
    for entry in (accept or '').split(','):
        kind = media_type(entry)
        if kind in ('', '*/*', 'application/*') or is_json(kind):
            return JSON_TYPE
        if kind == CSV_TYPE:
            return CSV_TYPE
    if not (accept or '').strip():
        return JSON_TYPE
    raise ServingError('unsupported_accept', f'Cannot answer as {accept}; ask for application/json or text/csv', 406)


def _flat(value, out):
    if isinstance(value, list):
        for item in value:
            _flat(item, out)
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ServingError('unsupported_accept', 'This model answers with values CSV cannot hold (several outputs, or text); ask for application/json', 406)
    else:
        out.append(repr(value) if isinstance(value, float) else str(value))
    return out


def write_answer(prediction, accept):
    """(body bytes, content type) for the prediction in the type Accept asks for."""
    kind = _answer_type(accept)
    if kind == CSV_TYPE:
        lines = [','.join(_flat(row, [])) for row in prediction.rows]
        return ('\n'.join(lines) + '\n').encode('utf-8'), CSV_TYPE
    answer = {'predictions': prediction.rows}
    if prediction.labels:
        answer['labels'] = list(prediction.labels)
    return json.dumps(answer, separators=(',', ':')).encode('utf-8'), JSON_TYPE
