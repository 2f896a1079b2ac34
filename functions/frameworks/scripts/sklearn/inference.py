"""scikit-learn models in SageMaker's framework-container contract (and MLHub's local worker).

Bundle: one .joblib, .pkl or .pickle file (or the one params.json's "model" names), optionally
labels.txt and params.json. The file is scanned and loaded only if MLHUB_ALLOW_MODEL_CODE=1
(mlhub_serving/pickle_safety.py). Each row's answer is the model's predict_proba row when it has
one (so MLHub labels it from labels.txt, as for an ONNX classifier), else its predict value.
Labels known to the script (labels.txt, params.json "labels", else the classifier's classes_)
are added to the answer as "labels".
"""

from mlhub_serving.arrays import feature_rows, output_rows
import os

from mlhub_serving.bundle import load_failed, model_file
from mlhub_serving.errors import bad_input, require
from mlhub_serving.model_base import LoadedModel, open_bundle
from mlhub_serving.model_base import input_fn, output_fn  # noqa: F401 - the contract's names
from mlhub_serving.payloads import Prediction
from mlhub_serving.pickle_safety import load_pickle

SUFFIXES = ('.joblib', '.pkl', '.pickle')


def model_fn(model_dir):
    """The bundle's estimator, loaded once; raises pickle_refused, framework_missing or model_load_failed."""
    require('sklearn')
    folder, params, labels = open_bundle(model_dir)
    path = model_file(folder, params, SUFFIXES, 'scikit-learn (joblib or pickle)')
    model = load_pickle(path)
    if not (callable(getattr(model, 'predict', None)) or callable(getattr(model, 'predict_proba', None))):
        # Caught here, the deployment fails with the reason; loaded, every prediction would fail alike.
        kind = f'{type(model).__module__}.{type(model).__qualname__}'
        raise load_failed(f'{os.path.basename(path)} holds a {kind}, not an estimator: it has neither predict nor predict_proba')
    if labels is None and hasattr(model, 'classes_') and hasattr(model, 'predict_proba'):
        labels = tuple(str(label) for label in model.classes_)
    return LoadedModel(model=model, params=params, labels=labels, path=path)


def predict_fn(data, loaded):
    """predict_proba (one probability per class, in classes_ order) where the model has it, else predict."""
    model = loaded.model
    features = feature_rows(data, loaded.params, 'A', 'scikit-learn', 'float64', getattr(model, 'n_features_in_', None))
    try:
        output = model.predict_proba(features) if hasattr(model, 'predict_proba') else model.predict(features)
    except (ValueError, TypeError) as error:
        # scikit-learn checks its input with ValueError (feature names, NaN, shapes): the input's fault.
        raise bad_input(f'The model cannot take this input: {str(error).splitlines()[0] if str(error) else type(error).__name__}') from None
    return Prediction(rows=output_rows(output, features.shape[0]), labels=loaded.labels)
