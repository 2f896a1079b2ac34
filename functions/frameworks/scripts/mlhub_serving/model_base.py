"""What every framework script's model_fn returns, and the steps they share."""

from dataclasses import dataclass
from typing import Any, Optional

from .bundle import BundleParams, bundle_folder, read_labels, read_params
from .payloads import Prediction, parse_request, write_answer


@dataclass
class LoadedModel:
    """A loaded model with what its bundle says: params.json, labels, and the file it came from."""
    model: Any
    params: BundleParams
    labels: Optional[tuple]
    path: str


def open_bundle(model_dir):
    """(folder, params, labels from labels.txt or params.json) of the unpacked bundle."""
    folder = bundle_folder(model_dir)
    params = read_params(folder)
    return folder, params, read_labels(folder, params)


def input_fn(body, content_type):
    """The SageMaker contract's input_fn for every framework: MLHub's request, parsed."""
    return parse_request(body, content_type)


def output_fn(prediction, accept):
    """The SageMaker contract's output_fn: (body, content type), as readAnswer reads it."""
    if not isinstance(prediction, Prediction):
        raise TypeError('output_fn takes the Prediction predict_fn returns')
    return write_answer(prediction, accept)
