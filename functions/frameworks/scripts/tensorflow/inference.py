"""TensorFlow/Keras SavedModels, two ways with the same pre- and post-processing:

- in AWS's TensorFlow Serving container, which runs TF Serving on the SavedModel itself and calls
  this file's input_handler(data, context) before it (returning the JSON body for TF Serving's
  REST predict API) and output_handler(response, context) after it (returning (body, content
  type)); `context` carries request_content_type and accept_header, `response` is TF Serving's
  HTTP answer (status_code, content);
- in MLHub's local worker, where model_fn loads the SavedModel with tf.saved_model.load and
  predict_fn calls its serving_default signature. Debian has no TensorFlow package: without
  TensorFlow, model_fn raises framework_missing and the model is served by a TF Serving named
  in meta.backend instead (README, "Frameworks").

Requests become TF Serving's row format ({"instances": rows}, each row reshaped to params.json's
declared input shape) or, for named inputs, its columnar format ({"inputs": {...}}); an image
sent as bytes is prepared as for the other frameworks (mlhub_serving/images.py). Answers are
written as for every MLHub script (mlhub_serving/payloads.py).
"""

import json
import os

from mlhub_serving.arrays import batch_array, output_rows
from mlhub_serving.bundle import load_failed
from mlhub_serving.errors import ServingError, require
from mlhub_serving.images import image_batch
from mlhub_serving.model_base import LoadedModel, open_bundle
from mlhub_serving.model_base import input_fn, output_fn  # noqa: F401 - the contract's names
from mlhub_serving.payloads import Prediction, parse_request, write_answer

SIGNATURE = 'serving_default'


def serving_request(data, params):
    """The parsed request as TF Serving's REST body: {"instances": rows} or {"inputs": {...}}."""
    spec = params.input
    dtype = spec.dtype or 'float32'
    if data.kind == 'named':
        return {'inputs': {name: batch_array(value, dtype, where=f'"inputs.{name}"').tolist() for name, value in data.named.items()}}
    if data.kind == 'image':
        batch = image_batch(data.image, params.image, spec.row_shape, dtype)
    else:
        batch = batch_array(data.rows, dtype, spec.row_shape)
    return {'instances': batch.tolist()}


def rows_from_serving(answer, rows):
    """TF Serving's answer as one value per row: "predictions" is already by row (a dict per row
    for several outputs); columnar "outputs" is one batch or {name: batch}."""
    if 'predictions' in answer:
        return answer['predictions']
    if 'outputs' in answer:
        return output_rows(answer['outputs'], rows)
    raise ServingError('model_failed', 'TF Serving answered without "predictions" or "outputs"', 500)


_bundle = None


def _container_bundle():
    """params.json and labels of the model TF Serving runs, read once (SM_MODEL_DIR, /opt/ml/model)."""
    global _bundle
    if _bundle is None:
        _, params, labels = open_bundle(os.environ.get('SM_MODEL_DIR', '/opt/ml/model'))
        _bundle = (params, labels)
    return _bundle


def input_handler(data, context):
    """TF Serving container: MLHub's request (a stream) as the JSON TF Serving's predict API takes."""
    params, _ = _container_bundle()
    request = parse_request(data.read(), context.request_content_type)
    context.mlhub_rows = request.row_count
    return json.dumps(serving_request(request, params))


def output_handler(response, context):
    """TF Serving container: TF Serving's answer as MLHub's, (body, content type); its errors pass on."""
    if response.status_code != 200:
        raise ServingError('model_failed', response.content.decode('utf-8', errors='replace'), 500 if response.status_code >= 500 else 400)
    _, labels = _container_bundle()
    answer = json.loads(response.content.decode('utf-8'))
    rows = rows_from_serving(answer, getattr(context, 'mlhub_rows', None) or 1)
    return write_answer(Prediction(rows=rows, labels=labels), context.accept_header)


def _saved_model_folder(folder):
    """The folder holding saved_model.pb: the bundle's, or its one numbered version folder (TF Serving's layout)."""
    if os.path.isfile(os.path.join(folder, 'saved_model.pb')):
        return folder
    versions = sorted((name for name in os.listdir(folder) if name.isdigit() and os.path.isfile(os.path.join(folder, name, 'saved_model.pb'))), key=int)
    if not versions:
        raise load_failed('The bundle holds no TensorFlow SavedModel (saved_model.pb, at the top or in a numbered folder)')
    return os.path.join(folder, versions[-1])


def model_fn(model_dir):
    """Local worker: the SavedModel's serving_default signature; raises framework_missing without TensorFlow."""
    tf = require('tensorflow')
    folder, params, labels = open_bundle(model_dir)
    path = _saved_model_folder(folder)
    try:
        loaded = tf.saved_model.load(path)
        signature = loaded.signatures[SIGNATURE]
    except (OSError, KeyError, ValueError) as error:
        raise load_failed(f'The SavedModel cannot be loaded with its {SIGNATURE} signature ({error})') from None
    return LoadedModel(model=signature, params=params, labels=labels, path=path)


def predict_fn(data, loaded):
    """Local worker: the signature called on the same body TF Serving would get."""
    tf = require('tensorflow')
    body = serving_request(data, loaded.params)
    signature = loaded.model
    names = list(signature.structured_input_signature[1])
    dtype = loaded.params.input.dtype or 'float32'
    if 'inputs' in body:
        feeds = {name: tf.constant(value, dtype=dtype) for name, value in body['inputs'].items()}
        rows = len(next(iter(body['inputs'].values())))
    else:
        name = loaded.params.input.name or names[0]
        feeds = {name: tf.constant(body['instances'], dtype=dtype)}
        rows = len(body['instances'])
    outputs = signature(**feeds)
    arrays = {name: value.numpy() for name, value in outputs.items()}
    return Prediction(rows=output_rows(arrays if len(arrays) > 1 else next(iter(arrays.values())), rows), labels=loaded.labels)
