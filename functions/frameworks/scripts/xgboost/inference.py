"""XGBoost boosters in SageMaker's framework-container contract (and MLHub's local worker).

Bundle: one booster saved with save_model, as JSON (.json), UBJSON (.ubj) or XGBoost's legacy
binary (.bst, .model, .xgb, .bin), or the one params.json's "model" names; optionally labels.txt
and params.json. A JSON or UBJSON booster is data once its trees' indices are checked
(mlhub_serving.booster_check: XGBoost itself follows them unchecked), so MLHUB_ALLOW_MODEL_CODE does
not apply to it; a legacy binary booster can't be checked, so it loads only with that setting on.
Each row's answer is what the booster predicts for its objective: one probability per class for
multi:softprob (and for multi:softmax, whose margins are softmax-ed so that it too gives
probabilities), the positive class's probability for binary:logistic (MLHub reads a single score
with two labels as a binary classifier), the value for regression.
"""

import json
import re

from mlhub_serving.arrays import feature_rows, output_rows
from mlhub_serving.booster_check import read_booster
from mlhub_serving.bundle import load_failed, model_file
from mlhub_serving.errors import require
from mlhub_serving.model_base import LoadedModel, open_bundle
from mlhub_serving.model_base import input_fn, output_fn  # noqa: F401 - the contract's names
from mlhub_serving.payloads import Prediction
from mlhub_serving.pickle_safety import pickles_allowed

SUFFIXES = ('.json', '.ubj', '.bst', '.model', '.xgb', '.bin')
# A .json is a booster only when it starts as save_model writes one: {"learner": ...}. MLHub's
# upload check holds the same rule (functions/frameworks/booster-json.ts), so sidecars such as
# metrics.json or vocab.json beside the model are not taken for boosters.
BOOSTER_JSON = re.compile(rb'^(\xef\xbb\xbf)?\s*\{\s*"learner"\s*:')


def is_booster(path):
    if not path.lower().endswith('.json'):
        return True
    with open(path, 'rb') as handle:
        return BOOSTER_JSON.match(handle.read(64)) is not None


def model_fn(model_dir):
    """The bundle's booster; raises framework_missing or model_load_failed (also for a booster
    booster_check refuses, naming the rule it breaks)."""
    xgb = require('xgboost')
    folder, params, labels = open_bundle(model_dir)
    path = model_file(folder, params, SUFFIXES, 'XGBoost booster', accept=is_booster)
    data = read_booster(path, pickles_allowed())
    booster = xgb.Booster()
    try:
        # From the checked bytes, by content as booster_check read them, not by the file's name.
        booster.load_model(bytearray(data))
    except xgb.core.XGBoostError as error:
        raise load_failed(f'{path.rsplit("/", 1)[-1]} is not an XGBoost booster XGBoost can read ({str(error).splitlines()[0]})') from None
    return LoadedModel(model=booster, params=params, labels=labels, path=path)


def objective(booster):
    return json.loads(booster.save_config())['learner']['objective']['name']


def predict_fn(data, loaded):
    """The booster's predictions for the rows (see the module's docstring for what each objective gives)."""
    booster = loaded.model
    features = feature_rows(data, loaded.params, 'An', 'XGBoost', 'float32', booster.num_features())
    xgb = require('xgboost')
    np = require('numpy')
    matrix = xgb.DMatrix(features)
    if objective(booster) == 'multi:softmax':
        margins = booster.predict(matrix, output_margin=True).astype(np.float64)
        exps = np.exp(margins - margins.max(axis=1, keepdims=True))
        output = (exps / exps.sum(axis=1, keepdims=True)).astype(np.float32)
    else:
        output = booster.predict(matrix)
    return Prediction(rows=output_rows(output, features.shape[0]), labels=loaded.labels)
