"""Refusing pickles that would run code: named at deploy by a scan, and enforced by the loader.

Two layers share ONE allow-list (ALLOWED_GLOBALS, CLASS_PACKAGES, ALLOWED_FUNCTIONS, `_is_allowed`):
- the loader (`load_pickle`) is joblib's own NumpyUnpickler with find_class overridden to refuse
  every global off the allow-list, and with joblib's array reading kept but its object-array
  `pickle.load` replaced by the same restricted unpickler. What is checked is what runs, so no
  disagreement between a scan and the loader (where array bytes are, which objects are array
  wrappers) can let a global through: the scan is only there to refuse early, with a name;
- the loader also checks every NumPy dtype and array state before NumPy reads bytes with it
  (numpy_state.DtypeGuard): the allow-listed NumPy rebuilders are memory-unsafe with forged states
  (review 14c finding 4), so a global being allowed is not enough;
- the scan (`check_pickle`), described below, runs first so a refused pickle is named before any
  allowed module is even imported for it.

A pickle is a program: every global it names (GLOBAL, INST, STACK_GLOBAL) is imported and may be
called with arguments of the author's choosing (REDUCE, NEWOBJ, BUILD). Loading is allowed only
when every global the file names is on the allow-list below; the first one that is not is named
in the refusal (`pickle_refused: ... imports posix.system`).

How the globals are found: the file is run through the standard library's own pure-Python
unpickler (pickle._Unpickler, the one joblib's loader extends), with find_class answering every
global with an inert stand-in class that records the name. So the names are exactly those the
real load would import: STACK_GLOBAL's module and name are whatever strings the stack holds at
that point, however they were built (memo GET, PUT, DUP, protocol 0's STRING or 4's
SHORT_BINUNICODE), which scanners that look back at the preceding opcodes (pickletools-based,
like Hugging Face's picklescan) can only approximate. Nothing is imported or called during the
scan: the stand-ins take any arguments and state and do nothing. Protocols 0 to 5 are read;
persistent IDs and copyreg extension codes are refused (no model pickle needs them).

joblib files interleave raw array bytes with the pickle (after each NumpyArrayWrapper's BUILD);
the scan skips those bytes by the wrapper's shape and dtype, as joblib's loader reads them, and
scans an object array's nested pickle like any other. Compressed joblib files are scanned
decompressed.

The allow-list, precise and minimal (what scikit-learn, XGBoost and NumPy pickles name):
- exact names: NumPy's array and scalar rebuilders and dtype, its random state constructors,
  joblib's NumpyArrayWrapper, collections.OrderedDict, copyreg's object rebuilders, _codecs.encode
  (protocols 0-2 write bytes through it) and a few builtins types;
- classes only (checked by importing the module and looking the name up, as loading would) under
  sklearn, xgboost and scipy.sparse, less modules that read or write files (sklearn.datasets,
  sklearn.utils._testing); and NumPy scalar types (numpy.float64 as an estimator's dtype).
Functions under those packages are refused (sklearn.tree.export_graphviz writes files), and so is
everything else: os, posix, subprocess, builtins.eval, numpy.load, numpy.core._ufunc_reconstruct
(which imports any name), functools.partial, operator.attrgetter...
"""

import _compat_pickle
import copyreg
import importlib
import types
import os
import pickle

from .errors import ServingError
from .numpy_state import DtypeGuard, consistent

# Exact (module, name) pairs, after protocol 0-2 names are mapped to Python 3's, as find_class does.
ALLOWED_GLOBALS = frozenset({
    ('numpy', 'dtype'),
    ('numpy', 'ndarray'),
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy.core.numeric', '_frombuffer'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy._core.numeric', '_frombuffer'),
    ('numpy.random._pickle', '__randomstate_ctor'),
    ('numpy.random._pickle', '__bit_generator_ctor'),
    ('numpy.random._pickle', '__generator_ctor'),
    ('joblib.numpy_pickle', 'NumpyArrayWrapper'),
    ('collections', 'OrderedDict'),
    ('copyreg', '_reconstructor'),
    ('copyreg', '__newobj__'),
    ('_codecs', 'encode'),
    ('builtins', 'object'),
    ('builtins', 'set'),
    ('builtins', 'frozenset'),
    ('builtins', 'bytes'),
    ('builtins', 'bytearray'),
    ('builtins', 'complex'),
    ('builtins', 'slice'),
})

# Packages whose classes may be named; a module under one of them that touches files is not.
CLASS_PACKAGES = ('sklearn', 'xgboost', 'scipy.sparse')
DENIED_MODULES = ('sklearn.datasets', 'sklearn.utils._testing', 'sklearn.externals')
# Pickles of KD and ball trees and their distance metrics rebuild through these module-level
# functions (scikit-learn 1.x, Cython: `def newObj(obj): return obj.__new__(obj)`, where obj is
# itself a global of the pickle and so checked like any other).
ALLOWED_FUNCTIONS = frozenset({
    ('sklearn.metrics._dist_metrics', 'newObj'),
    ('sklearn.neighbors._kd_tree', 'newObj'),
    ('sklearn.neighbors._ball_tree', 'newObj'),
})


# The operator's opt-in to running uploaded model code (pickles; locally, TorchScript too: see
# README "Deploy a version"). MLHUB_ALLOW_PICKLES is its earlier name, still read.
MODEL_CODE_SETTING = 'MLHUB_ALLOW_MODEL_CODE'
LEGACY_PICKLE_SETTING = 'MLHUB_ALLOW_PICKLES'


def pickles_allowed(environ=None):
    """MLHUB_ALLOW_MODEL_CODE (else MLHUB_ALLOW_PICKLES) = 1/true/yes/on lets pickles load through the
    restricted loader; 0 or unset refuses every pickle."""
    environ = environ if environ is not None else os.environ
    raw = environ.get(MODEL_CODE_SETTING) or environ.get(LEGACY_PICKLE_SETTING) or '0'
    return raw.strip().lower() in ('1', 'true', 'yes', 'on')


def refused(message):
    return ServingError('pickle_refused', message, 500)


def _under(module, packages):
    return any(module == package or module.startswith(package + '.') for package in packages)


def _is_allowed(module, name):
    if (module, name) in ALLOWED_GLOBALS or (module, name) in ALLOWED_FUNCTIONS:
        return True
    numpy_scalar = module == 'numpy' and '.' not in name
    if not numpy_scalar and (not _under(module, CLASS_PACKAGES) or _under(module, DENIED_MODULES)):
        return False
    # Importing an allow-listed package's module is what loading does anyway; nothing from the
    # pickle runs here. A dotted name (Class.method) resolves like find_class's getattr chain.
    try:
        target = importlib.import_module(module)
        for part in name.split('.'):
            target = getattr(target, part)
            # A dotted name must stay among classes: through a module an allowed package merely
            # imports (sklearn._build_utils.pre_build_helpers -> subprocess.Popen) it reaches anything.
            if isinstance(target, types.ModuleType):
                return False
    except (ImportError, AttributeError):
        return False
    if numpy_scalar:
        import numpy
        return isinstance(target, type) and issubclass(target, numpy.generic)
    # The class must be defined in an allowed package, not only reachable from one: an allowed
    # module's attribute may be a class it imported (types.MethodType, ctypes, builtins.type).
    defined_in = getattr(target, '__module__', None) or ''
    return isinstance(target, type) and _under(defined_in, CLASS_PACKAGES) and not _under(defined_in, DENIED_MODULES)


class _Inert:
    """Stands in for any global: takes any arguments, state and items, and does nothing."""
    _mlhub_global = None

    def __new__(cls, *args, **kwargs):
        instance = object.__new__(cls)
        instance._mlhub_args = args
        instance._mlhub_state = None
        return instance

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Inert()

    def __setstate__(self, state):
        self._mlhub_state = state

    def __setitem__(self, key, value):
        pass

    def append(self, value):
        pass

    def extend(self, values):
        pass

    def add(self, value):
        pass


def _state_dict(state):
    """The attributes BUILD gives an object: its dict state, then any slot state over it."""
    if isinstance(state, tuple) and len(state) == 2:
        merged = dict(state[0]) if isinstance(state[0], dict) else {}
        merged.update(state[1] if isinstance(state[1], dict) else {})
        return merged
    return state if isinstance(state, dict) else {}


def _real(value):
    """A scanned value with its numpy.dtype stand-ins made real dtypes (strings, numbers and
    tuples only: building a dtype runs no code from the pickle)."""
    import numpy
    if isinstance(value, _Inert):
        if value._mlhub_global != ('numpy', 'dtype'):
            raise refused(f'The joblib file describes an array with {".".join(value._mlhub_global or ("?",))}, not a NumPy dtype')
        # A copy: a state must never change NumPy's shared built-in dtypes, even in the scan.
        dtype = numpy.dtype(numpy.dtype(*_real(value._mlhub_args)), copy=True)
        if value._mlhub_state is not None:
            dtype.__setstate__(_real(value._mlhub_state))
            consistent(dtype)
        return dtype
    if isinstance(value, tuple):
        return tuple(_real(item) for item in value)
    if isinstance(value, list):
        return [_real(item) for item in value]
    if isinstance(value, dict):
        return {key: _real(item) for key, item in value.items()}
    return value


class _ScanningUnpickler(pickle._Unpickler):
    """Records every global a pickle names without importing any (see the module's docstring)."""

    def __init__(self, file, found):
        # joblib's loader is pickle._Unpickler with its default arguments; so is the scan.
        super().__init__(file)
        self._file = file
        self._found = found

    def find_class(self, module, name):
        module, name = _python3_name(self.proto, module, name)
        self._found.append((module, name))
        return type('Inert', (_Inert,), {'_mlhub_global': (module, name)})

    def persistent_load(self, pid):
        raise refused('The pickle uses persistent IDs, which no model pickle MLHub loads needs')

    def get_extension(self, code):
        raise refused(f'The pickle uses copyreg extension code {code}, which no model pickle MLHub loads needs')

    def load_build(self):
        super().load_build()
        target = self.stack[-1]
        if isinstance(target, _Inert) and target._mlhub_global == ('joblib.numpy_pickle', 'NumpyArrayWrapper'):
            self._skip_joblib_array(_state_dict(target._mlhub_state))

    dispatch = dict(pickle._Unpickler.dispatch)
    dispatch[pickle.BUILD[0]] = load_build

    def _skip_joblib_array(self, state):
        """Moves past the array bytes joblib wrote after this wrapper (NumpyArrayWrapper.read_array)."""
        shape = state.get('shape')
        if not isinstance(shape, (tuple, list)) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
            raise refused('The joblib file holds an array whose shape the scan cannot read')
        try:
            # The very dtype joblib's read_array will use, so the bytes skipped are the bytes it reads.
            dtype = _real(state.get('dtype'))
            itemsize, has_object = dtype.itemsize, dtype.hasobject
        except ServingError:
            raise
        except Exception as error:  # noqa: BLE001 - a dtype numpy refuses is one joblib would refuse too
            raise refused(f'The joblib file holds an array whose dtype the scan cannot read ({error})') from None
        if has_object:
            # An object array is a whole pickle of its own, in the same stream.
            _ScanningUnpickler(self._file, self._found).load()
            return
        if state.get('numpy_array_alignment_bytes') is not None:
            padding = self._file.read(1)
            if len(padding) != 1 or len(self._file.read(padding[0])) != padding[0]:
                raise refused('The joblib file is cut short')
        count = 1
        for size in shape:
            count *= size
        remaining = count * itemsize
        while remaining:
            chunk = self._file.read(min(remaining, 1 << 24))
            if not chunk:
                raise refused('The joblib file is cut short inside an array')
            remaining -= len(chunk)


def _globals_in(stream):
    found = []
    try:
        _ScanningUnpickler(stream, found).load()
    except ServingError:
        raise
    except Exception as error:  # noqa: BLE001 - any parse failure means the file is not loadable as scanned
        offending = next(((m, n) for m, n in found if not _is_allowed(m, n)), None)
        if offending:
            raise refused(f'The pickle imports {offending[0]}.{offending[1]}, which MLHub does not load') from None
        raise refused(f'The pickle cannot be read ({type(error).__name__}: {error})') from None
    return found


def check_pickle(path):
    """Scans the pickle or joblib file at `path`; raises pickle_refused naming the first global
    off the allow-list, or saying why the file cannot be scanned. Returns the globals it names."""
    joblib_utils = None
    try:
        from joblib import numpy_pickle_utils as joblib_utils
    except ImportError:
        pass
    with open(path, 'rb') as raw:
        if joblib_utils is not None:
            with joblib_utils._read_fileobject(raw, path) as stream:
                if isinstance(stream, str):  # joblib < 0.10's format, arrays in separate .npy files
                    raise refused('The file is in joblib\'s pre-0.10 format, which MLHub does not load; save it again with joblib.dump')
                found = _globals_in(stream)
        else:
            found = _globals_in(raw)
    for module, name in found:
        if not _is_allowed(module, name):
            raise _refuse_global(module, name)
    return found


def _python3_name(proto, module, name):
    """(module, name) as find_class imports it: protocol 0-2 names mapped to Python 3's."""
    if proto < 3:
        if (module, name) in _compat_pickle.NAME_MAPPING:
            return _compat_pickle.NAME_MAPPING[(module, name)]
        if module in _compat_pickle.IMPORT_MAPPING:
            return _compat_pickle.IMPORT_MAPPING[module], name
    return module, name


def _refuse_global(module, name):
    return refused(f'The pickle imports {module}.{name}, which MLHub does not load: only scikit-learn, XGBoost, '
                   'SciPy sparse and NumPy array globals are allowed (a pickle runs what it imports)')


def _refuse_direct_array(target):
    """numpy.ndarray(shape, dtype, buffer) reads the buffer's bytes as the dtype's items, object
    pointers included, whatever its flags: NumPy pickles arrays through _reconstruct and BUILD,
    never by calling the class, so a pickle that calls it (or __new__s it) is refused."""
    import numpy
    if isinstance(target, type) and issubclass(target, numpy.ndarray):
        raise refused(f'The pickle calls {target.__module__}.{target.__name__} directly, which NumPy never writes '
                      '(an array made from a buffer reads its bytes as object pointers)')


# The allow-listed NumPy callables the loader calls through its DtypeGuard (numpy_state.py).
_GUARDED = {
    'dtype': 'make_dtype',
    'scalar': 'scalar',
    '_frombuffer': 'frombuffer',
    '_reconstruct': 'reconstruct',
}


class _RestrictedUnpickler(pickle._Unpickler):
    """The standard library's unpickler, importing only allow-listed globals, with NumPy's dtype
    and array states checked (numpy_state.py; an object array's own pickle inside a joblib file is
    read with it)."""

    def __init__(self, file, guard=None):
        super().__init__(file)
        self._guard = guard or DtypeGuard()

    def find_class(self, module, name):
        # Shared by the joblib loader below: pickle._Unpickler's own lookup, once the name is allowed.
        if not _is_allowed(*_python3_name(self.proto, module, name)):
            raise _refuse_global(*_python3_name(self.proto, module, name))
        found = pickle._Unpickler.find_class(self, module, name)
        module3, name3 = _python3_name(self.proto, module, name)
        if (module3, name3) in ALLOWED_GLOBALS and name3 in _GUARDED:
            return getattr(self._guard, _GUARDED[name3])
        return found

    def persistent_load(self, pid):
        raise refused('The pickle uses persistent IDs, which no model pickle MLHub loads needs')

    def get_extension(self, code):
        raise refused(f'The pickle uses copyreg extension code {code}, which no model pickle MLHub loads needs')

    def _guarded_build(self):
        """BUILD, with a NumPy dtype's or array's state checked first; anything else handed to code
        (an estimator's state) can no longer be given a dtype state."""
        import numpy
        state = self.stack[-1]
        target = self.stack[-2]
        if isinstance(target, numpy.dtype):
            self.stack.pop()
            self._guard.build(target, state)
        elif isinstance(target, numpy.ndarray):
            self.stack.pop()
            self._guard.array_state(target, state)
        else:
            self._guard.seal(state)
            pickle._Unpickler.load_build(self)

    def _guarded_reduce(self):
        function, args = self.stack[-2], self.stack[-1]
        if function is copyreg.__newobj__ and isinstance(args, tuple) and args:
            _refuse_direct_array(args[0])
        _refuse_direct_array(function)
        self._guard.seal(args)
        pickle._Unpickler.load_reduce(self)

    def _guarded_newobj(self):
        _refuse_direct_array(self.stack[-2])
        self._guard.seal(self.stack[-1])
        pickle._Unpickler.load_newobj(self)

    def _guarded_newobj_ex(self):
        _refuse_direct_array(self.stack[-3])
        self._guard.seal(self.stack[-1])
        self._guard.seal(self.stack[-2])
        pickle._Unpickler.load_newobj_ex(self)

    dispatch = dict(pickle._Unpickler.dispatch)
    dispatch[pickle.BUILD[0]] = _guarded_build
    dispatch[pickle.REDUCE[0]] = _guarded_reduce
    dispatch[pickle.NEWOBJ[0]] = _guarded_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = _guarded_newobj_ex


# The attributes joblib's NumpyArrayWrapper has (joblib 0.10 to 1.4); an instance with any other
# (a BUILD state setting `read_array`, say) would have joblib call what the pickle put there.
_WRAPPER_ATTRIBUTES = frozenset({'subclass', 'shape', 'order', 'dtype', 'allow_mmap', 'numpy_array_alignment_bytes'})


def _restricted_joblib_unpickler():
    """joblib.numpy_pickle.NumpyUnpickler with the allow-list enforced (imported lazily: joblib is
    only needed where pickles are loaded)."""
    from .errors import require
    numpy_pickle = require('joblib.numpy_pickle')
    import numpy

    class RestrictedNumpyUnpickler(numpy_pickle.NumpyUnpickler):
        def __init__(self, filename, file_handle, mmap_mode=None):
            super().__init__(filename, file_handle, mmap_mode)
            self._guard = DtypeGuard()

        find_class = _RestrictedUnpickler.find_class
        persistent_load = _RestrictedUnpickler.persistent_load
        get_extension = _RestrictedUnpickler.get_extension

        def load_build(self):
            # joblib's load_build turns ANY object that is a NumpyArrayWrapper after BUILD into the
            # array read from the following bytes (however it was made: NEWOBJ, REDUCE,
            # copyreg._reconstructor); so does this one, after checking what the wrapper holds.
            _RestrictedUnpickler._guarded_build(self)
            wrapper = self.stack[-1]
            if isinstance(wrapper, numpy_pickle.NDArrayWrapper):
                raise refused('The file is in joblib\'s pre-0.10 format, which MLHub does not load; save it again with joblib.dump')
            if isinstance(wrapper, numpy_pickle.NumpyArrayWrapper):
                self.stack.pop()
                self.stack.append(self._read_array(wrapper))

        dispatch = dict(numpy_pickle.NumpyUnpickler.dispatch)
        dispatch.update(_RestrictedUnpickler.dispatch)
        dispatch[pickle.BUILD[0]] = load_build

        def _read_array(self, wrapper):
            held = vars(wrapper)
            shape, dtype = held.get('shape'), held.get('dtype')
            well_formed = (type(wrapper) is numpy_pickle.NumpyArrayWrapper
                           and set(held) <= _WRAPPER_ATTRIBUTES
                           and isinstance(shape, tuple) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
                           and isinstance(dtype, numpy.dtype)
                           and held.get('order') in ('C', 'F')
                           and held.get('subclass') in (numpy.ndarray, numpy.memmap)
                           and isinstance(held.get('numpy_array_alignment_bytes'), (int, type(None))))
            if not well_formed:
                raise refused('The joblib file holds an array wrapper that joblib.dump does not write')
            # joblib reads the bytes that follow with this dtype (numpy.frombuffer): it must say truly
            # whether they hold objects.
            self._guard.usable(dtype)
            if dtype.hasobject:
                # joblib reads an object array with the unrestricted pickle.load; this reads it
                # from the same stream, at the same place, with the allow-list.
                array = _RestrictedUnpickler(self.file_handle, self._guard).load()
                if not isinstance(array, numpy.ndarray):
                    raise refused('The joblib file holds an object array that is not an array')
                return array
            return numpy_pickle.NumpyArrayWrapper.read(wrapper, self)

    return RestrictedNumpyUnpickler


def restricted_load(path):
    """The object in the pickle or joblib file at `path` (compressed or not: joblib's framing), read
    by joblib's loader with every global checked against the allow-list as it is imported.
    Raises pickle_refused naming the first global off the list; nothing the file names is
    imported or called before it is checked."""
    from .errors import require
    utils = require('joblib.numpy_pickle_utils')
    unpickler = _restricted_joblib_unpickler()
    with open(path, 'rb') as raw:
        with utils._read_fileobject(raw, path, None) as stream:
            if isinstance(stream, str):
                raise refused('The file is in joblib\'s pre-0.10 format, which MLHub does not load; save it again with joblib.dump')
            return unpickler(path, stream).load()


def load_pickle(path, environ=None):
    """Loads a pickle or joblib file: pickle_refused when model code is off (MODEL_CODE_SETTING), when
    the scan names a global off the allow-list, or when the loader meets one (restricted_load)."""
    if not pickles_allowed(environ):
        raise refused(f'{os.path.basename(path)} is a pickle, and this MLHub does not load pickles ({MODEL_CODE_SETTING}=0): '
                      'a pickle runs code when loaded. Export the model to ONNX, or ask the operator to allow model code')
    check_pickle(path)
    return restricted_load(path)
