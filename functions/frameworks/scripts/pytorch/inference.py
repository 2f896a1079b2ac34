"""PyTorch models as TorchScript in SageMaker's framework-container contract (and MLHub's local
worker).

Bundle: one TorchScript file (.pt, .pth or .torchscript, written by torch.jit.save), or the one
params.json's "model" names; optionally labels.txt and params.json. Loaded with torch.jit.load
only: TorchScript's loader rebuilds tensors and TorchScript code, never arbitrary Python, whereas
torch.load of a pickled module runs whatever the pickle names, so it is never used.

params.json's "inputs" gives the input's datatype (default FP32) and shape ([-1, 1, 28, 28]):
rows holding that many values are reshaped to it, and an image sent as bytes is prepared to it
(mlhub_serving/images.py). Named inputs are passed to forward by name. Outputs are left as the
model gives them (logits stay logits, as with the built-in ONNX runtime); MLHub applies
params.json's "softmax" when it labels the answer from labels.txt.
"""

from mlhub_serving.arrays import batch_array, output_rows
from mlhub_serving.bundle import load_failed, model_file
from mlhub_serving.errors import bad_input, require
from mlhub_serving.images import image_batch
from mlhub_serving.model_base import LoadedModel, open_bundle
from mlhub_serving.model_base import input_fn, output_fn  # noqa: F401 - the contract's names
from mlhub_serving.payloads import Prediction

SUFFIXES = ('.pt', '.pth', '.torchscript')


def model_fn(model_dir):
    """The bundle's TorchScript module, on the CPU, in eval mode; raises framework_missing or model_load_failed."""
    torch = require('torch')
    folder, params, labels = open_bundle(model_dir)
    path = model_file(folder, params, SUFFIXES, 'TorchScript')
    try:
        module = torch.jit.load(path, map_location='cpu')
    except (RuntimeError, ValueError) as error:
        raise load_failed(f'{path.rsplit("/", 1)[-1]} is not TorchScript (save it with torch.jit.save; MLHub never loads torch.save pickles): '
                          f'{str(error).splitlines()[0]}') from None
    module.eval()
    return LoadedModel(model=module, params=params, labels=labels, path=path)


def _to_numpy(value):
    torch = require('torch')
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {name: _to_numpy(item) for name, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_to_numpy(item) for item in value]
    return value


def _forward(model, *args, **kwargs):
    """The module's forward; its RuntimeError (a rank, shape or dtype the graph cannot take, as
    TorchScript reports them) is the input's fault: 400 invalid_input with the interpreter's own
    last line, which names the op and the sizes, rather than a 500 the caller cannot read."""
    try:
        return model(*args, **kwargs)
    except RuntimeError as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        raise bad_input(f'The model cannot run on this input: {lines[-1] if lines else "RuntimeError"}') from None


def predict_fn(data, loaded):
    """forward() on the request as tensors of the declared dtype and shape, without gradients."""
    torch = require('torch')
    spec = loaded.params.input
    dtype = spec.dtype or 'float32'
    with torch.no_grad():
        if data.kind == 'named':
            tensors = {name: torch.from_numpy(batch_array(value, dtype, where=f'"inputs.{name}"')) for name, value in data.named.items()}
            rows = next(iter(tensors.values())).shape[0]
            output = _forward(loaded.model, **tensors)
        else:
            if data.kind == 'image':
                batch = image_batch(data.image, loaded.params.image, spec.row_shape, dtype)
            else:
                batch = batch_array(data.rows, dtype, spec.row_shape)
            rows = batch.shape[0]
            output = _forward(loaded.model, torch.from_numpy(batch))
    return Prediction(rows=output_rows(_to_numpy(output), rows), labels=loaded.labels)
