"""What a framework script reads from an unpacked bundle: its folder, model file, labels and
params.json, with the same rules MLHub's upload check uses (functions/bundles/inspect-bundle.ts).

params.json keys read here (README, "Bundles for prediction"; functions/inference/model-params.ts):
- "model": the model file, relative to the bundle's folder (needed only when it holds several);
- "inputs": the Open Inference Protocol declaration, [{"name", "datatype", "shape"}], shape with
  its batch axis first (-1 or null); the first entry gives the input's dtype and row shape;
- "input_name"/"inputNode": the input's name, for frameworks that feed by name;
- "img_width", "img_height", "img_channels", "img_layout"/"data_format", "scale", "mean", "std":
  how an image sent as bytes becomes the input (as MLHub does for the built-in runtime);
- "softmax": true/false, which MLHub applies when it labels; read here only to refuse a bad value;
- "labels": a list of label strings, when the bundle has no labels.txt.
"""

import json
import os
from dataclasses import dataclass, field
from typing import Optional

from .errors import ServingError

PARAMS_FILE = 'params.json'
LABELS_FILE = 'labels.txt'

# Open Inference Protocol datatypes (as params.json's "inputs" declares them) as NumPy dtypes.
OIP_DTYPES = {
    'BOOL': 'bool', 'UINT8': 'uint8', 'UINT16': 'uint16', 'UINT32': 'uint32', 'UINT64': 'uint64',
    'INT8': 'int8', 'INT16': 'int16', 'INT32': 'int32', 'INT64': 'int64',
    'FP16': 'float16', 'FP32': 'float32', 'FP64': 'float64',
}

# The most pixels an image params.json describes may have: MLHub's own bound
# (MAX_PARAMS_IMAGE_PIXELS in functions/inference/model-params.ts), as every prediction allocates them.
MAX_IMAGE_PIXELS = 4096 * 4096

LAYOUTS = {
    'nchw': 'NCHW', 'channels_first': 'NCHW', 'chw': 'NCHW',
    'nhwc': 'NHWC', 'channels_last': 'NHWC', 'hwc': 'NHWC',
    'flat': 'flat',
}


def load_failed(message):
    return ServingError('model_load_failed', message, 500)


def bad_params(message):
    return load_failed(f"The bundle's params.json {message}")


def _is_macos_metadata(name):
    return name.startswith('._') or name in ('__MACOSX', '.DS_Store')


def bundle_folder(model_dir):
    """The folder holding the model: the bundle's top, or its one folder (`tar cfz m.tar.gz m`)."""
    entries = [name for name in os.listdir(model_dir) if not _is_macos_metadata(name)]
    # SageMaker's containers unpack their own code/ folder beside the model; it is not the bundle.
    entries = [name for name in entries if name != 'code']
    if len(entries) == 1 and os.path.isdir(os.path.join(model_dir, entries[0])):
        return os.path.join(model_dir, entries[0])
    return model_dir


def _bundle_files(folder):
    """Every regular file under the folder, relative to it, macOS metadata left out, sorted."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _is_macos_metadata(d))
        for name in files:
            if not _is_macos_metadata(name):
                found.append(os.path.relpath(os.path.join(root, name), folder).replace(os.sep, '/'))
    return sorted(found)


def _string(params, *keys):
    for key in keys:
        value = params.get(key)
        if value is None or value == '':
            continue
        if not isinstance(value, str):
            raise bad_params(f'has a non-string "{key}"')
        return value
    return None


def _positive_int(params, key):
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0 or value > 65536:
        raise bad_params(f'needs "{key}" to be a positive integer')
    return value


def _number_or_list(params, key, fallback, non_zero):
    value = params.get(key)
    if value is None:
        return fallback
    numbers = value if isinstance(value, list) else [value]
    ok = 0 < len(numbers) <= 4 and all(isinstance(n, (int, float)) and not isinstance(n, bool) and (not non_zero or n != 0) for n in numbers)
    if not ok:
        raise bad_params(f'needs "{key}" to be a {"non-zero " if non_zero else ""}number or a list of one per channel')
    return [float(n) for n in numbers] if isinstance(value, list) else float(value)


@dataclass(frozen=True)
class ImageParams:
    """How image bytes become an input, as in model-params.ts: scale first, then (x - mean) / std."""
    channels: Optional[int] = None
    width: Optional[int] = None
    height: Optional[int] = None
    layout: Optional[str] = None
    scale: float = 1 / 255
    mean: object = 0.0
    std: object = 1.0


@dataclass(frozen=True)
class InputSpec:
    """The first declared input: name, NumPy dtype and one row's shape (no batch axis), if known."""
    name: Optional[str] = None
    dtype: Optional[str] = None
    row_shape: Optional[tuple] = None


@dataclass(frozen=True)
class BundleParams:
    model_file: Optional[str] = None
    input: InputSpec = field(default_factory=InputSpec)
    output_name: Optional[str] = None
    image: ImageParams = field(default_factory=ImageParams)
    softmax: Optional[bool] = None
    labels: Optional[tuple] = None


def _input_spec(params):
    name = _string(params, 'input_name', 'inputNode')
    declared = params.get('inputs')
    if declared is None:
        return InputSpec(name=name)
    if not isinstance(declared, list) or not declared or not isinstance(declared[0], dict):
        raise bad_params('needs "inputs" to be a list of {"name", "datatype", "shape"}')
    first = declared[0]
    dtype = None
    if first.get('datatype') is not None:
        dtype = OIP_DTYPES.get(str(first['datatype']).upper())
        if dtype is None:
            raise bad_params(f'names an unknown datatype in "inputs[0].datatype"; use one of {", ".join(OIP_DTYPES)}')
    row_shape = None
    shape = first.get('shape')
    if shape is not None:
        if not isinstance(shape, list) or not shape or not all(s is None or (isinstance(s, int) and not isinstance(s, bool) and s >= -1) for s in shape):
            raise bad_params('needs "inputs[0].shape" to be a list of sizes (-1 or null for any)')
        rest = shape[1:]
        row_shape = tuple(rest) if all(isinstance(s, int) and s > 0 for s in rest) else None
    declared_name = first.get('name')
    if declared_name is not None and not isinstance(declared_name, str):
        raise bad_params('has a non-string "inputs[0].name"')
    return InputSpec(name=name or declared_name, dtype=dtype, row_shape=row_shape)


def read_params(folder):
    """params.json of the bundle folder as BundleParams; raises model_load_failed naming a bad key."""
    path = os.path.join(folder, PARAMS_FILE)
    if not os.path.isfile(path):
        return BundleParams()
    try:
        with open(path, 'rb') as handle:
            params = json.loads(handle.read().decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_params(f'is not valid JSON ({error})') from error
    if not isinstance(params, dict):
        raise bad_params('is not a JSON object')
    channels = _positive_int(params, 'img_channels')
    if channels is not None and channels not in (1, 3, 4):
        raise bad_params('needs "img_channels" to be 1, 3 or 4')
    layout_raw = _string(params, 'img_layout', 'data_format')
    layout = LAYOUTS.get(layout_raw.lower()) if layout_raw else None
    if layout_raw and not layout:
        raise bad_params('needs "img_layout" to be NCHW, NHWC or flat')
    scale = params.get('scale', 1 / 255)
    if not isinstance(scale, (int, float)) or isinstance(scale, bool):
        raise bad_params('needs "scale" to be a number')
    softmax = params.get('softmax')
    if softmax is not None and not isinstance(softmax, bool):
        raise bad_params('needs "softmax" to be true or false')
    width, height = _positive_int(params, 'img_width'), _positive_int(params, 'img_height')
    if width is not None and height is not None and width * height > MAX_IMAGE_PIXELS:
        raise bad_params(f'asks for a {width}×{height} image ({width * height} pixels), more than the {MAX_IMAGE_PIXELS} MLHub prepares; give the size the model takes')
    labels = params.get('labels')
    if labels is not None and (not isinstance(labels, list) or not all(isinstance(label, str) for label in labels)):
        raise bad_params('needs "labels" to be a list of strings')
    return BundleParams(
        model_file=_string(params, 'model'),
        input=_input_spec(params),
        output_name=_string(params, 'output_name', 'outputNode'),
        image=ImageParams(
            channels=channels,
            width=width,
            height=height,
            layout=layout,
            scale=float(scale),
            mean=_number_or_list(params, 'mean', 0.0, False),
            std=_number_or_list(params, 'std', 1.0, True),
        ),
        softmax=softmax,
        labels=tuple(labels) if labels is not None else None,
    )


def read_labels(folder, params):
    """labels.txt (one per line, blank lines dropped, as MLHub reads it), else params.json's "labels"."""
    path = os.path.join(folder, LABELS_FILE)
    if os.path.isfile(path):
        with open(path, 'rb') as handle:
            text = handle.read().decode('utf-8', errors='replace')
        return tuple(line.strip() for line in text.splitlines() if line.strip())
    return params.labels


def model_file(folder, params, suffixes, kind, accept=None):
    """The model file: params.json's "model" when it ends in one of `suffixes`, else the bundle's
    one file ending in them. A "model" of another kind (the .onnx the built-in runtime runs) is
    left alone, as MLHub's runtime leaves non-.onnx names to other backends.

    `accept(path)`, when given, is asked of each candidate the bundle holds (not of a named one):
    a file it refuses is not one of the framework's.

    Raises model_load_failed when the named file is missing, when there is none, or when there are
    several and params.json names none of them (the message lists them).
    """
    if params.model_file and params.model_file.lower().endswith(suffixes):
        path = os.path.normpath(os.path.join(folder, params.model_file))
        if not path.startswith(os.path.normpath(folder) + os.sep) or not os.path.isfile(path):
            raise load_failed(f'params.json names "model": "{params.model_file}", which the bundle does not hold')
        return path
    candidates = [name for name in _bundle_files(folder)
                  if name.lower().endswith(suffixes) and os.path.basename(name) not in (PARAMS_FILE, LABELS_FILE)
                  and (accept is None or accept(os.path.join(folder, name)))]
    if not candidates:
        raise load_failed(f'The bundle holds no {kind} file (one ending in {", ".join(suffixes)})')
    if len(candidates) > 1:
        raise load_failed(f'The bundle holds several {kind} files ({", ".join(candidates[:10])}); name one in params.json\'s "model"')
    return os.path.join(folder, candidates[0])
