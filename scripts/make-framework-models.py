#!/usr/bin/python3
"""Makes real framework models for MLHub's framework tests, with the outputs they must give.

    /usr/bin/python3 scripts/make-framework-models.py <output folder> [sklearn|xgboost|pytorch|malicious ...]

(all four groups when none is named).

Needs Debian's python3-sklearn, python3-xgboost and python3-torch (no network: iris ships with
scikit-learn). Every seed is fixed, so the same machine writes the same models and outputs.
Writes one bundle folder per model and, beside each, <name>.expected.json with the inputs the
tests send and the outputs the same framework computed for them (float32 models' outputs as
float32, written as doubles):

- iris-logreg/ and iris-forest/: LogisticRegression and RandomForestClassifier on iris, as
  model.joblib with labels.txt; outputs are predict_proba rows;
- iris-named/: a LogisticRegression fitted on the species' names, so its classes_ are the labels
  ('setosa'...), with no labels.txt;
- iris-xgboost/: an XGBClassifier's booster as model.json (multi:softprob) with labels.txt;
- crafted-boosters/: iris-xgboost's booster with one index or count changed so that XGBoost 1.7
  would read outside a tree's arrays (or allocate by a huge count), as JSON and as UBJSON; plus
  the real booster as UBJSON (iris.ubj, loads) and as legacy binary (iris.bst, model code: loads
  only with the opt-in). crafted-boosters.expected.json gives each file and its refusal's words;
- mnist-cnn/: a small TorchScript CNN on 1×28×28 input, model.pt with params.json and
  labels.txt, plus digit.png (28×28 grey) and digit-56.png (the same digit at 56×56, each pixel
  doubled, which MLHub's area resize brings back to digit.png exactly); outputs are logits;
- malicious/: pickles whose __reduce__ creates <output folder>/marker-<case> when loaded: through
  os.system in protocols 0 to 5, in a STACK_GLOBAL whose names come from the memo and in joblib
  files hiding the call after an array's raw bytes (plain and compressed); through builtins.eval
  (protocol 2's __builtin__.eval) and subprocess.Popen; and files whose every global is on the
  allow-list but where joblib's loader reads what the pickle scan takes for array bytes (or the
  reverse): a NumpyArrayWrapper made by copyreg._reconstructor or copyreg.__newobj__ (as
  .joblib, zlib-compressed .joblib and plain .pkl), one whose BUILD state leaves out the alignment
  its constructor set, and an object array whose nested pickle calls os.system. Only the loader's
  own allow-list stops those. And files naming only allowed NumPy globals whose dtype or array
  state would have NumPy read 8 bytes of the file as an object pointer (review 14c's gadget, with
  arbitrary bytes in place of an address): dtype('O') given flags 0 by BUILD, then made a scalar or
  an array's data; a structured dtype with an object field and forged flags read by _frombuffer; a
  correct object dtype made a scalar from bytes; NumPy's own shared object dtype given a state; and
  numpy.ndarray called with an object dtype and a buffer (by REDUCE, copyreg.__newobj__ and NEWOBJ).
  Without the loader's dtype checks these crash the loading Python (or worse), with them each is
  refused by name. malicious.expected.json lists each file, its marker, the global it imports (if
  that is what is refused) and the words its refusal must hold.
"""

import json
import os
import pickle
import struct
import subprocess
import sys
import zlib


def write_json(path, value):
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(value, handle, indent=1)
        handle.write('\n')


def write_labels(folder, labels):
    with open(os.path.join(folder, 'labels.txt'), 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(labels) + '\n')


def iris_cases():
    """The iris rows the tests send: one vector and a batch of one flower of each species."""
    from sklearn.datasets import load_iris
    iris = load_iris()
    return iris, [float(v) for v in iris.data[0]], [[float(v) for v in iris.data[i]] for i in (0, 50, 100)]


def make_sklearn(out, name, estimator, named_classes=False):
    import joblib
    import numpy as np
    iris, vector, batch = iris_cases()
    labels = [str(label) for label in iris.target_names]
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    if named_classes:
        # Fitted on the species' names: classes_ holds the labels, and no labels.txt is written.
        estimator.fit(iris.data, iris.target_names[iris.target])
    else:
        estimator.fit(iris.data, iris.target)
        write_labels(folder, labels)
    joblib.dump(estimator, os.path.join(folder, 'model.joblib'))
    write_json(os.path.join(out, f'{name}.expected.json'), {
        'labels': labels,
        'vector': {'input': vector, 'output': estimator.predict_proba(np.asarray([vector]))[0].tolist()},
        'batch': {'input': batch, 'outputs': estimator.predict_proba(np.asarray(batch)).tolist(),
                  'labels': [str(label) if named_classes else labels[label] for label in estimator.predict(np.asarray(batch))]},
    })


def _ubjson(value):
    """UBJSON (Draft 12) of a JSON value, untyped containers: enough to write a crafted .ubj."""
    if isinstance(value, bool):
        return b'T' if value else b'F'
    if isinstance(value, int):
        return b'L' + struct.pack('>q', value)
    if isinstance(value, float):
        return b'D' + struct.pack('>d', value)
    if isinstance(value, str):
        data = value.encode('utf-8')
        return b'SL' + struct.pack('>q', len(data)) + data
    if isinstance(value, list):
        return b'[' + b''.join(_ubjson(item) for item in value) + b']'
    return b'{' + b''.join(b'L' + struct.pack('>q', len(key.encode())) + key.encode() + _ubjson(item) for key, item in value.items()) + b'}'


# (name, change to iris-xgboost's JSON booster, words its refusal must hold)
_CRAFTED_BOOSTERS = (
    ('child-past-end', lambda tree, learner: tree['left_children'].__setitem__(0, 8), 'left_children[0] is 8, outside [-1, 3)'),
    ('negative-child', lambda tree, learner: tree['right_children'].__setitem__(0, -5), 'right_children[0] is -5'),
    ('split-index-huge', lambda tree, learner: tree['split_indices'].__setitem__(0, 2000000000), 'split_indices[0] is 2000000000'),
    ('parent-mismatch', lambda tree, learner: tree['parents'].__setitem__(2, 1), 'whose parent is 1, not 0'),
    ('short-array', lambda tree, learner: tree['split_conditions'].pop(), 'split_conditions has 2 entries, not num_nodes = 3'),
    ('tree-info-group', lambda tree, learner: learner['gradient_booster']['model']['tree_info'].__setitem__(0, 7), 'tree_info[0] is 7'),
    ('num-feature-huge', lambda tree, learner: learner['learner_model_param'].__setitem__('num_feature', '2000000000'),
     'num_feature is 2000000000'),
    ('num-class-huge', lambda tree, learner: learner['learner_model_param'].__setitem__('num_class', '2000000000'), 'num_class is 2000000000'),
    ('base-score-nan', lambda tree, learner: learner['learner_model_param'].__setitem__('base_score', 'nan'), 'base_score'),
)


def make_crafted_boosters(out, json_path, booster):
    folder = os.path.join(out, 'crafted-boosters')
    os.makedirs(folder, exist_ok=True)
    cases = []
    for name, change, refusal in _CRAFTED_BOOSTERS:
        with open(json_path, encoding='utf-8') as handle:
            document = json.load(handle)
        change(document['learner']['gradient_booster']['model']['trees'][0], document['learner'])
        write_json(os.path.join(folder, f'{name}.json'), document)
        with open(os.path.join(folder, f'{name}.ubj'), 'wb') as handle:
            handle.write(_ubjson(document))
        cases += [{'file': f'crafted-boosters/{name}.json', 'refusal': refusal}, {'file': f'crafted-boosters/{name}.ubj', 'refusal': refusal}]
    booster.save_model(os.path.join(folder, 'iris.ubj'))
    booster.save_model(os.path.join(folder, 'iris.bst'))  # not .json/.ubj: XGBoost 1.7 writes its legacy binary
    write_json(os.path.join(out, 'crafted-boosters.expected.json'), {
        'cases': cases, 'ubj': 'crafted-boosters/iris.ubj', 'binary': 'crafted-boosters/iris.bst', 'binaryRefusal': 'legacy binary format'})


def make_xgboost(out):
    import numpy as np
    import xgboost
    iris, vector, batch = iris_cases()
    classifier = xgboost.XGBClassifier(n_estimators=8, max_depth=3, learning_rate=0.5, random_state=0,
                                       objective='multi:softprob', tree_method='exact', n_jobs=1)
    classifier.fit(iris.data.astype(np.float32), iris.target)
    folder = os.path.join(out, 'iris-xgboost')
    os.makedirs(folder, exist_ok=True)
    booster = classifier.get_booster()
    booster.save_model(os.path.join(folder, 'model.json'))
    make_crafted_boosters(out, os.path.join(folder, 'model.json'), booster)
    labels = [str(label) for label in iris.target_names]
    write_labels(folder, labels)
    predict = lambda rows: booster.predict(xgboost.DMatrix(np.asarray(rows, dtype=np.float32)))
    write_json(os.path.join(out, 'iris-xgboost.expected.json'), {
        'labels': labels,
        'vector': {'input': vector, 'output': predict([vector])[0].tolist()},
        'batch': {'input': batch, 'outputs': predict(batch).tolist(),
                  'labels': [labels[int(i)] for i in predict(batch).argmax(axis=1)]},
    })


def write_grey_png(path, pixels):
    """An 8-bit greyscale PNG (filter 0 on every line) from rows of 0-255 values."""
    height, width = len(pixels), len(pixels[0])
    raw = b''.join(b'\x00' + bytes(row) for row in pixels)
    chunk = lambda kind, data: struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    png = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0))
           + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))
    with open(path, 'wb') as handle:
        handle.write(png)


def digit_pixels():
    """A '7' drawn on 28×28: a bar across the top and a stroke down to the lower left."""
    pixels = [[0] * 28 for _ in range(28)]
    for x in range(6, 22):
        for y in (5, 6):
            pixels[y][x] = 255
    for y in range(7, 24):
        x = 21 - (y - 7) * 9 // 16
        for dx in (-1, 0):
            pixels[y][x + dx] = 230
    return pixels


def make_cnn(out):
    import numpy as np
    import torch

    class SmallCnn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, kernel_size=3)
            self.pool = torch.nn.MaxPool2d(2)
            self.fc = torch.nn.Linear(4 * 13 * 13, 10)

        def forward(self, x):
            return self.fc(torch.flatten(self.pool(torch.relu(self.conv(x))), 1))

    torch.manual_seed(0)
    model = SmallCnn().eval()
    folder = os.path.join(out, 'mnist-cnn')
    os.makedirs(folder, exist_ok=True)
    scripted = torch.jit.script(model)
    scripted.save(os.path.join(folder, 'model.pt'))
    labels = [str(digit) for digit in range(10)]
    write_labels(folder, labels)
    write_json(os.path.join(folder, 'params.json'), {
        'inputs': [{'name': 'x', 'datatype': 'FP32', 'shape': [-1, 1, 28, 28]}],
        'img_width': 28, 'img_height': 28, 'img_channels': 1, 'img_layout': 'NCHW', 'softmax': True,
    })
    pixels = digit_pixels()
    write_grey_png(os.path.join(out, 'digit.png'), pixels)
    write_grey_png(os.path.join(out, 'digit-56.png'), [[v for v in row for _ in (0, 1)] for row in pixels for _ in (0, 1)])
    rng = np.random.default_rng(0)
    # Multiples of 1/256 are exact in float32, so JSON carries the very values the model sees.
    vector = (rng.integers(0, 256, size=784) / 256).tolist()
    batch = (rng.integers(0, 256, size=(2, 784)) / 256).tolist()
    run = lambda rows: scripted(torch.tensor(rows, dtype=torch.float32).reshape(-1, 1, 28, 28)).detach().numpy()
    image = (np.asarray(pixels, dtype=np.float64) / 255).astype(np.float32)
    write_json(os.path.join(out, 'mnist-cnn.expected.json'), {
        'labels': labels,
        'vector': {'input': vector, 'output': run([vector])[0].tolist()},
        'batch': {'input': batch, 'outputs': run(batch).tolist()},
        'image': {'files': ['digit.png', 'digit-56.png'], 'output': run(image.reshape(1, 784).tolist())[0].tolist()},
    })


class _Call:
    """Pickles as a call of `function` with `args` (os.system, eval, subprocess.Popen...)."""

    def __init__(self, function, *args):
        self.function = function
        self.args = args

    def __reduce__(self):
        return (self.function, self.args)


def _System(command):
    """A call to os.system (posix.system on Linux) with a command that creates a file."""
    return _Call(os.system, command)


def memo_stack_global_pickle(command):
    """Protocol 4 by hand: STACK_GLOBAL's module comes from the memo, not from the opcode before it."""
    def unicode(text):
        data = text.encode('utf-8')
        return b'\x8c' + bytes([len(data)]) + data
    return (b'\x80\x04' + unicode('posix') + b'\x94' + b'0'  # push 'posix', MEMOIZE as 0, POP
            + unicode('decoy') + b'0'  # a string that is not the module, popped
            + b'h\x00' + unicode('system') + b'\x93'  # BINGET 0, 'system', STACK_GLOBAL
            + unicode(command) + b'\x85' + b'R' + b'.')  # (command,) REDUCE STOP


def dotted_stack_global_pickle(module, name, command):
    """Protocol 4 by hand: a STACK_GLOBAL whose dotted name reaches subprocess.Popen from an allowed package
    (a module that imports subprocess), called with `sh -c command`."""
    def unicode(text):
        data = text.encode('utf-8')
        return b'\x8c' + bytes([len(data)]) + data
    return (b'\x80\x04' + unicode(module) + unicode(name) + b'\x93'  # STACK_GLOBAL
            + b'(' + unicode('sh') + unicode('-c') + unicode(command) + b'l' + b'\x85' + b'R' + b'.')  # ([sh, -c, cmd],) REDUCE STOP


def _binunicode(text):
    data = text.encode('utf-8') if isinstance(text, str) else text
    return b'X' + struct.pack('<I', len(data)) + data


# numpy.dtype('u1') built as a pickle does: dtype('u1', False, True) then BUILD is left out.
_U1_DTYPE = b'cnumpy\ndtype\n(' + _binunicode('u1') + b'\x89\x88tR'


def wrapper_made_by(prefix, command):
    """A joblib array wrapper made by an allow-listed copyreg rebuilder (`prefix`), not by the wrapper
    class itself: joblib's loader treats it as a wrapper and reads 5 bytes of "array data"; a scan
    that only skips bytes after the class's own wrapper would read those 5 bytes as a BINBYTES
    header and take the os.system call after them for its data."""
    data = b'\x80\x04' + prefix
    data += b'}(' + _binunicode('subclass') + b'cnumpy\nndarray\n' + _binunicode('shape') + b'K\x05\x85' + _binunicode('order') + _binunicode('C')
    data += _binunicode('dtype') + _U1_DTYPE + _binunicode('allow_mmap') + b'\x89' + b'ub'
    payload = b'0' + b'cposix\nsystem\n' + _binunicode(command) + b'\x85R.'
    return data + b'B' + struct.pack('<I', len(payload)) + payload + b'.'


RECONSTRUCTOR = b'ccopyreg\n_reconstructor\n(cjoblib.numpy_pickle\nNumpyArrayWrapper\ncbuiltins\nobject\nNtR'
NEWOBJ = b'ccopyreg\n__newobj__\ncjoblib.numpy_pickle\nNumpyArrayWrapper\n\x85R'


def wrapper_without_alignment(command):
    """NumpyArrayWrapper(ndarray, (0,), 'C', u1) by REDUCE, whose constructor sets an alignment of 16,
    then a BUILD state without that key: joblib reads a padding byte (66, 'B') and 66 bytes, where a
    scan reading the layout from the state alone sees a BINBYTES hiding the os.system call."""
    data = b'\x80\x04' + b'cjoblib.numpy_pickle\nNumpyArrayWrapper\n(cnumpy\nndarray\nK\x00\x85' + _binunicode('C') + _U1_DTYPE + b'tR'
    data += b'}(' + _binunicode('shape') + b'K\x00\x85' + _binunicode('dtype') + _U1_DTYPE + b'ub'
    payload = b'cposix\nsystem\n' + _binunicode(command) + b'\x85R.'
    pad = 66
    return data + bytes([pad]) + struct.pack('<I', pad - 4 + len(payload)) + b'\xff' * (pad - 4) + payload + b'.'


class _Built:
    """Pickles as `made` (a _Call) followed by BUILD with `state`."""

    def __init__(self, made, state):
        self.made = made
        self.state = state

    def __reduce__(self):
        return (self.made.function, self.made.args, self.state)


# Never dereferenced: the loader must refuse before NumPy reads these bytes as a pointer.
_ARBITRARY_POINTER = b'MLHUB!!!'


def _forged_dtypes():
    """dtype('O') with flags 0 where NumPy writes 63 (object items read as plain bytes), and a
    V8 with an object field and flags 16 where NumPy writes 27 (review 14c's /tmp/rv14c/mkdt.py)."""
    import numpy as np
    forged_object = _Built(_Call(np.dtype, 'O8', False, True), (3, '|', None, None, None, -1, -1, 0))
    forged_struct = _Built(_Call(np.dtype, 'V8', False, True), (3, '|', None, ('a',), {'a': (np.dtype('O'), 0)}, 8, 1, 16))
    return forged_object, forged_struct


def _array_call_args(np):
    """Protocol 2 opcodes pushing (1,), dtype('O') (correct flags) and 8 arbitrary bytes: numpy.ndarray called
    with them reads the bytes as an object pointer."""
    return pickle.dumps((1,), protocol=2)[2:-1] + pickle.dumps(np.dtype('O'), protocol=2)[2:-1] + pickle.dumps(_ARBITRARY_POINTER, protocol=2)[2:-1]


def make_malicious(out):
    import joblib
    import numpy as np
    from numpy.core.multiarray import _reconstruct, scalar
    from numpy.core.numeric import _frombuffer
    forged_object, forged_struct = _forged_dtypes()
    folder = os.path.join(out, 'malicious')
    os.makedirs(folder, exist_ok=True)
    cases = []

    def case(name, data, imports, refusal=None):
        path = os.path.join(folder, f'{name}.pkl' if not name.startswith('joblib') else f'{name}.joblib')
        if data is not None:
            with open(path, 'wb') as handle:
                handle.write(data)
        cases.append({'file': os.path.relpath(path, out), 'marker': marker(name), 'imports': imports,
                      'refusal': refusal or f'imports {imports}'})

    marker = lambda name: os.path.join(os.path.abspath(out), f'marker-{name}')
    for protocol in range(0, 6):
        name = f'protocol-{protocol}'
        case(name, pickle.dumps(_System(f'touch {marker(name)}'), protocol=protocol), 'posix.system')
    # Protocol 2 names eval as __builtin__.eval, which loading maps to builtins.eval.
    name = 'builtins-eval'
    case(name, pickle.dumps(_Call(eval, f"__import__('os').system('touch {marker(name)}')"), protocol=2), 'builtins.eval')
    name = 'subprocess-popen'
    case(name, pickle.dumps(_Call(subprocess.Popen, ['touch', marker(name)]), protocol=4), 'subprocess.Popen')
    case('memo-stack-global', memo_stack_global_pickle(f'touch {marker("memo-stack-global")}'), 'posix.system')
    # An allowed package's module reaches other modules' classes through a module it imports.
    name = 'dotted-through-module'
    case(name, dotted_stack_global_pickle('sklearn._build_utils.pre_build_helpers', 'subprocess.Popen', f'touch {marker(name)}'),
         'sklearn._build_utils.pre_build_helpers.subprocess.Popen')
    name = 'joblib-after-array'
    joblib.dump({'weights': np.arange(64, dtype=np.float64), 'hook': _System(f'touch {marker(name)}')},
                os.path.join(folder, f'{name}.joblib'))
    case(name, None, 'posix.system')
    name = 'joblib-compressed'
    joblib.dump({'weights': np.arange(64, dtype=np.float64), 'hook': _System(f'touch {marker(name)}')},
                os.path.join(folder, f'{name}.joblib'), compress=3)
    case(name, None, 'posix.system')
    for name, prefix in (('joblib-reconstructor', RECONSTRUCTOR), ('joblib-newobj', NEWOBJ)):
        case(name, wrapper_made_by(prefix, f'touch {marker(name)}'), 'posix.system')
    name = 'joblib-reconstructor-compressed'
    case(name, zlib.compress(wrapper_made_by(RECONSTRUCTOR, f'touch {marker(name)}')), 'posix.system')
    name = 'reconstructor-plain'  # a .pkl: joblib's loader reads plain pickles the same way
    case(name, wrapper_made_by(RECONSTRUCTOR, f'touch {marker(name)}'), 'posix.system')
    name = 'joblib-missing-alignment'
    case(name, wrapper_without_alignment(f'touch {marker(name)}'), 'posix.system')
    name = 'joblib-object-array'
    joblib.dump({'objects': np.array([_System(f'touch {marker(name)}')], dtype=object)}, os.path.join(folder, f'{name}.joblib'))
    case(name, None, 'posix.system')
    forged = 'a state NumPy never writes'
    case('forged-dtype-scalar', pickle.dumps(_Call(scalar, forged_object, _ARBITRARY_POINTER), protocol=2), None, forged)
    case('forged-dtype-array', pickle.dumps(_Built(_Call(_reconstruct, np.ndarray, (0,), b'b'),
                                                   (1, (1,), forged_object, False, _ARBITRARY_POINTER)), protocol=2), None, forged)
    case('joblib-forged-struct', pickle.dumps(_Call(_frombuffer, _ARBITRARY_POINTER, forged_struct, (1,), 'C'), protocol=4), None, forged)
    case('object-scalar-from-bytes', pickle.dumps(_Call(scalar, _Built(_Call(np.dtype, 'O8', False, True), (3, '|', None, None, None, -1, -1, 63)),
                                                        _ARBITRARY_POINTER), protocol=2), None, 'scalar of object dtype')
    case('shared-dtype-state', pickle.dumps(_Built(_Call(np.dtype, 'O8', False, False), (3, '|', None, None, None, -1, -1, 0)), protocol=2),
         None, 'did not just make')
    direct = 'calls numpy.ndarray directly'
    case('ndarray-from-buffer', pickle.dumps(_Call(np.ndarray, (1,), np.dtype('O'), _ARBITRARY_POINTER), protocol=2), None, direct)
    for name, opening, call in (('newobj-ndarray', b'ccopyreg\n__newobj__\n(cnumpy\nndarray\n', b'tR'), ('newobj-opcode-ndarray', b'cnumpy\nndarray\n(', b't\x81')):
        case(name, b'\x80\x02' + opening + _array_call_args(np) + call + b'.', None, direct)
    write_json(os.path.join(out, 'malicious.expected.json'), {'cases': cases})


def make_iris_sklearn(out):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    make_sklearn(out, 'iris-logreg', LogisticRegression(max_iter=1000, random_state=0))
    make_sklearn(out, 'iris-forest', RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0, n_jobs=1))
    make_sklearn(out, 'iris-named', LogisticRegression(max_iter=1000, random_state=0), named_classes=True)


GROUPS = {'sklearn': make_iris_sklearn, 'xgboost': make_xgboost, 'pytorch': make_cnn, 'malicious': make_malicious}


def main():
    unknown = [name for name in sys.argv[2:] if name not in GROUPS]
    if len(sys.argv) < 2 or unknown:
        sys.exit(f'usage: /usr/bin/python3 scripts/make-framework-models.py <output folder> [{"|".join(GROUPS)} ...]')
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[2:] or GROUPS:
        GROUPS[name](out)


if __name__ == '__main__':
    main()
