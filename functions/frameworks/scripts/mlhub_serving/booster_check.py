"""Checking an XGBoost booster's trees before XGBoost loads it.

XGBoost 1.7's loader trusts a saved booster's indices: a tree's left_children/right_children,
split_indices and tree_info are followed at predict time without bounds checks, so a crafted
booster reads (and returns in its predictions) memory outside the tree, or crashes the worker
(review 14c, finding 1). Boosters deploy without MLHUB_ALLOW_MODEL_CODE, as data, so they are
data only once checked here:

- JSON (save_model's .json) and UBJSON (.ubj) boosters are decoded in Python (`ubjson.py`, NumPy
  for typed arrays) by their content, whatever the file is named, and checked against the layout
  XGBoost writes (src/tree/tree_model.cc, src/gbm/gbtree_model.cc, XGBoost 1.7): every array of a
  tree has num_nodes entries; children are -1 (a leaf, both) or in [1, num_nodes) with
  parents[child] naming the node, and the root's parent invalid (so no node is reached twice and
  there is no cycle); split_indices in [0, num_feature); categorical segments inside `categories`;
  tree_info (each tree's output group) in [0, num_class or 1); base_score finite; num_feature and
  num_class within MAX_FEATURES and MAX_CLASSES (XGBoost allocates by them: 2e9 is bad_alloc);
- anything else (XGBoost's legacy binary .bst/.model/.xgb/.bin) can't be checked without a parser
  of XGBoost's internal structs, so it is model code: refused unless MLHUB_ALLOW_MODEL_CODE is on.
"""

import json
import math

from .errors import ServingError
from .ubjson import UbjsonError, decode as decode_ubjson

# Bounds on what XGBoost allocates by (per row and per model); far above any real booster's.
MAX_FEATURES = 1 << 22
MAX_CLASSES = 1 << 16
MAX_PARALLEL_TREES = 1 << 12
# XGBoost writes the root's parent as kInvalidNodeId (-1 as int32, 2147483647 in some versions).
INVALID_PARENTS = (-1, 2147483647)
TREE_ARRAYS = ('left_children', 'right_children', 'parents', 'split_indices', 'split_conditions', 'default_left',
               'base_weights', 'loss_changes', 'sum_hessian')


def refused(name, reason):
    return ServingError('model_load_failed', f'{name} is not a booster MLHub loads: {reason}', 500)


def booster_format(data):
    """'json', 'ubjson' or 'binary', by the content (XGBoost dispatches on '{' then the next byte)."""
    stripped = data.lstrip(b'\xef\xbb\xbf \t\r\n')
    if stripped[:1] == b'{':
        return 'ubjson' if stripped[1:2] in (b'L', b'l', b'i', b'I', b'U') else 'json'
    return 'binary'


def _no_duplicates(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError('a key appears twice in one object')
    return dict(pairs)


def read_booster(path, model_code_allowed):
    """The bytes of the booster at `path`, checked (XGBoost is then given these very bytes, so what
    was checked is what loads). Raises model_load_failed naming the file and the rule it breaks."""
    name = path.rsplit('/', 1)[-1]
    with open(path, 'rb') as handle:
        data = handle.read()
    kind = booster_format(data)
    try:
        if kind == 'json':
            document = json.loads(data.decode('utf-8-sig'), object_pairs_hook=_no_duplicates)
        elif kind == 'ubjson':
            document = decode_ubjson(data.lstrip(b'\xef\xbb\xbf \t\r\n'))
        else:
            if model_code_allowed:
                return data
            raise refused(name, 'it is in XGBoost\'s legacy binary format, which MLHub cannot check before XGBoost '
                          'follows its indices, so it is model code (MLHUB_ALLOW_MODEL_CODE=0 here). Save it as JSON or UBJSON '
                          '(booster.save_model("model.json"))')
    except (ValueError, UbjsonError) as error:
        raise refused(name, f'its {kind.upper()} cannot be read ({error})') from None
    check_booster(document, name)
    return data


def _int(value, where, name):
    """A count XGBoost stores as a string ("3") or a number."""
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise refused(name, f'{where} is {value!r}, not an integer')
    return number


def _array(tree, key, length, where, name):
    values = tree.get(key)
    if values is None or len(values) != length:
        raise refused(name, f'{where}.{key} has {"no" if values is None else len(values)} entries, not num_nodes = {length}')
    return values


def _check_tree(tree, index, num_feature, name):
    where = f'tree {index}'
    if not isinstance(tree, dict):
        raise refused(name, f'{where} is not an object')
    param = tree.get('tree_param') or {}
    num_nodes = _int(param.get('num_nodes'), f'{where}.tree_param.num_nodes', name)
    if num_nodes < 1:
        raise refused(name, f'{where} has {num_nodes} nodes')
    if _int(param.get('size_leaf_vector', 0), f'{where}.tree_param.size_leaf_vector', name) not in (0, 1):
        raise refused(name, f'{where} has vector leaves, which XGBoost 1.7 does not read')
    arrays = {key: _array(tree, key, num_nodes, where, name) for key in TREE_ARRAYS}
    split_type = tree.get('split_type')
    if split_type is not None and len(split_type) != num_nodes:
        raise refused(name, f'{where}.split_type has {len(split_type)} entries, not num_nodes = {num_nodes}')
    left, right, parents, features = (arrays['left_children'], arrays['right_children'], arrays['parents'], arrays['split_indices'])
    for key in ('left_children', 'right_children', 'parents', 'split_indices'):
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in arrays[key]):
            raise refused(name, f'{where}.{key} holds something other than integers')
    for key in ('split_conditions', 'base_weights'):
        if not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in arrays[key]):
            raise refused(name, f'{where}.{key} holds something other than numbers')
    if parents[0] not in INVALID_PARENTS:
        raise refused(name, f'{where}\'s root has parent {parents[0]}')
    for node in range(num_nodes):
        pair = (left[node], right[node])
        if pair == (-1, -1):
            continue
        for side, child in zip(('left_children', 'right_children'), pair):
            if not 1 <= child < num_nodes:
                raise refused(name, f'{where}.{side}[{node}] is {child}, outside [-1, {num_nodes}) (a leaf has -1 on both sides)')
            if parents[child] != node:
                raise refused(name, f'{where}.{side}[{node}] is {child}, whose parent is {parents[child]}, not {node}')
        if left[node] == right[node]:
            raise refused(name, f'{where}\'s node {node} has the same child on both sides')
        if not 0 <= features[node] < num_feature:
            raise refused(name, f'{where}.split_indices[{node}] is {features[node]}, outside [0, num_feature = {num_feature})')
    _check_categories(tree, num_nodes, where, name)


def _check_categories(tree, num_nodes, where, name):
    categories = tree.get('categories') or []
    nodes, segments, sizes = (tree.get(key) or [] for key in ('categories_nodes', 'categories_segments', 'categories_sizes'))
    if not len(nodes) == len(segments) == len(sizes):
        raise refused(name, f'{where}\'s categories_nodes, categories_segments and categories_sizes differ in length')
    for node, segment, size in zip(nodes, segments, sizes):
        if not (0 <= node < num_nodes and 0 <= segment and 0 <= size and segment + size <= len(categories)):
            raise refused(name, f'{where} has a categorical split (node {node}, segment {segment}, size {size}) outside its '
                          f'{len(categories)} categories')
    if not all(isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_FEATURES for value in categories):
        raise refused(name, f'{where}.categories holds a category outside [0, {MAX_FEATURES})')


def _gbtree_model(booster, name):
    kind = booster.get('name')
    if kind == 'dart':
        return booster.get('gbtree', {}).get('model'), booster.get('weight_drop')
    if kind == 'gbtree':
        return booster.get('model'), None
    raise refused(name, f'its gradient_booster is {kind!r}, not gbtree, dart or gblinear')


def check_booster(document, name):
    """Raises model_load_failed naming the first rule (see the module's docstring) `document` breaks."""
    learner = document.get('learner') if isinstance(document, dict) else None
    if not isinstance(learner, dict):
        raise refused(name, 'it has no "learner" object')
    param = learner.get('learner_model_param') or {}
    num_feature = _int(param.get('num_feature'), 'learner_model_param.num_feature', name)
    num_class = _int(param.get('num_class', 0), 'learner_model_param.num_class', name)
    num_target = _int(param.get('num_target', 1), 'learner_model_param.num_target', name)
    if not 1 <= num_feature <= MAX_FEATURES:
        raise refused(name, f'num_feature is {num_feature}, outside [1, {MAX_FEATURES}]')
    if not 0 <= num_class <= MAX_CLASSES or num_target != 1:
        raise refused(name, f'num_class is {num_class} (at most {MAX_CLASSES}) and num_target {num_target} (MLHub reads 1)')
    try:
        base_score = float(param.get('base_score', 0.5))
    except (TypeError, ValueError):
        base_score = math.nan
    if not math.isfinite(base_score):
        raise refused(name, f'base_score is {param.get("base_score")!r}, not a finite number')
    groups = max(num_class, 1)
    booster = learner.get('gradient_booster') or {}
    if booster.get('name') == 'gblinear':
        weights = (booster.get('model') or {}).get('weights') or []
        if len(weights) != (num_feature + 1) * groups:
            raise refused(name, f'its linear weights have {len(weights)} entries, not (num_feature + 1) × groups = {(num_feature + 1) * groups}')
        return
    model, weight_drop = _gbtree_model(booster, name)
    if not isinstance(model, dict):
        raise refused(name, 'its gradient_booster has no model')
    trees, tree_info = model.get('trees') or [], model.get('tree_info') or []
    model_param = model.get('gbtree_model_param') or {}
    if _int(model_param.get('num_trees', len(trees)), 'gbtree_model_param.num_trees', name) != len(trees) or len(tree_info) != len(trees):
        raise refused(name, f'it has {len(trees)} trees, {len(tree_info)} tree_info entries and num_trees {model_param.get("num_trees")}')
    if not 1 <= _int(model_param.get('num_parallel_tree', 1), 'gbtree_model_param.num_parallel_tree', name) <= MAX_PARALLEL_TREES:
        raise refused(name, f'num_parallel_tree is outside [1, {MAX_PARALLEL_TREES}]')
    if weight_drop is not None and len(weight_drop) != len(trees):
        raise refused(name, f'its dart weight_drop has {len(weight_drop)} entries for {len(trees)} trees')
    for index, group in enumerate(tree_info):
        if not (isinstance(group, int) and not isinstance(group, bool) and 0 <= group < groups):
            raise refused(name, f'tree_info[{index}] is {group!r}, outside [0, {groups}) output groups')
    for index, tree in enumerate(trees):
        _check_tree(tree, index, num_feature, name)
