"""Refusing NumPy dtype and array states that would make NumPy read raw bytes as object pointers.

The allow-listed NumPy rebuilders are memory-unsafe with states NumPy itself never writes
(review 14c, finding 4): BUILD on a numpy.dtype runs dtype.__setstate__, which trusts the state's
flags, so dtype('O') with flags 0 is an object dtype NumPy treats as plain bytes; then
numpy.core.multiarray.scalar(dtype, 8 bytes), _frombuffer or ndarray.__setstate__ with raw bytes
turns bytes of the file into a pointer to any object in the process (code objects, functions).

`DtypeGuard` (one per load) enforces, before any such bytes are read:
- a dtype may get a BUILD state once, only when the pickle itself made it (numpy.dtype(..., copy=True),
  as NumPy's own __reduce__ writes) and before anything else refers to it (another dtype's fields,
  an array, a scalar): so no dtype checked here changes afterwards, and NumPy's shared built-in
  dtypes (float64...) are never changed at all;
- after that BUILD the dtype must equal, in flags, itemsize, alignment, kind and hasobject, the
  dtype NumPy builds itself from the same description (`reference`), recursively through its fields
  and sub-array base;
- scalar() is refused for any dtype holding objects (NumPy reads its bytes as a pointer), and so are
  _frombuffer and an ndarray state with raw bytes (NumPy writes an object array's items as a list).
"""

from .errors import ServingError


def refused(message):
    return ServingError('pickle_refused', message, 500)


def _numpy():
    import numpy
    return numpy


def reference(dtype):
    """The dtype NumPy makes from `dtype`'s own description (str, fields with offsets, sub-array),
    built from fresh descriptions only. Raises whatever NumPy raises for an impossible layout
    (overlapping object fields, a field past the itemsize)."""
    numpy = _numpy()
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        return numpy.dtype((reference(base), shape))
    if dtype.names is not None:
        names = list(dtype.names)
        fields = [dtype.fields[name] for name in names]
        spec = {'names': names, 'formats': [reference(field[0]) for field in fields],
                'offsets': [field[1] for field in fields], 'itemsize': dtype.itemsize}
        if any(len(field) > 2 for field in fields):
            spec['titles'] = [field[2] if len(field) > 2 else None for field in fields]
        return numpy.dtype(spec, align=dtype.isalignedstruct)
    return numpy.dtype(dtype.str)


def holds_objects(dtype):
    """Whether `dtype` is, or holds in a field or sub-array, an object type, by kind (not by the
    flags a state may have forged)."""
    if dtype.kind == 'O':
        return True
    if dtype.subdtype is not None and holds_objects(dtype.subdtype[0]):
        return True
    return dtype.names is not None and any(holds_objects(dtype.fields[name][0]) for name in dtype.names)


def _parts(dtype):
    """`dtype` and every dtype inside it (fields, sub-array base)."""
    yield dtype
    if dtype.subdtype is not None:
        yield from _parts(dtype.subdtype[0])
    if dtype.names is not None:
        for name in dtype.names:
            yield from _parts(dtype.fields[name][0])


def consistent(dtype):
    """Raises pickle_refused unless `dtype` (and each dtype inside it) is one NumPy would make itself."""
    for part in _parts(dtype):
        try:
            made = reference(part)
        except Exception as error:  # noqa: BLE001 - a layout NumPy refuses to build is one it never pickles
            raise refused(f'The pickle gives a NumPy dtype a state NumPy never writes ({error})') from None
        if (part.flags, part.itemsize, part.alignment, part.kind, part.hasobject) != (made.flags, made.itemsize, made.alignment, made.kind, made.hasobject):
            raise refused(f'The pickle gives a NumPy dtype a state NumPy never writes: {part.str} with flags {part.flags}, '
                          f'itemsize {part.itemsize}, alignment {part.alignment}, where NumPy makes flags {made.flags}, '
                          f'itemsize {made.itemsize}, alignment {made.alignment} (a forged dtype state reads bytes as pointers)')


class DtypeGuard:
    """Per-load record of the dtypes the pickle made and may still give a state (see the module's docstring)."""

    def __init__(self):
        # id -> dtype, kept referenced so an id is not reused while the load runs.
        self._buildable = {}

    def seal(self, value):
        """Nothing inside `value` (dtypes, nested in tuples, lists, dicts) may get a state from now on."""
        numpy = _numpy()
        if isinstance(value, numpy.dtype):
            for part in _parts(value):
                self._buildable.pop(id(part), None)
        elif isinstance(value, (tuple, list)):
            for item in value:
                self.seal(item)
        elif isinstance(value, dict):
            for item in value.values():
                self.seal(item)
        elif isinstance(value, numpy.ndarray):
            self.seal(value.dtype)

    def make_dtype(self, *args, **kwargs):
        """numpy.dtype as the pickle calls it; a copy it made is the only dtype a BUILD may set."""
        numpy = _numpy()
        self.seal(args)
        self.seal(kwargs)
        made = numpy.dtype(*args, **kwargs)
        copied = (args[2] if len(args) > 2 else kwargs.get('copy', False))
        if copied is True or copied == 1:
            self._buildable[id(made)] = made
        return made

    def build(self, dtype, state):
        """BUILD on a dtype: only one the pickle made and nothing refers to yet, and only to a consistent result."""
        if self._buildable.pop(id(dtype), None) is not dtype:
            raise refused('The pickle sets the state of a NumPy dtype it did not just make (NumPy writes a dtype\'s state once, '
                          'right after making it)')
        self.seal(state)
        dtype.__setstate__(state)
        consistent(dtype)

    def usable(self, dtype):
        """A dtype about to shape an array or scalar: sealed, and consistent."""
        numpy = _numpy()
        if not isinstance(dtype, numpy.dtype):
            raise refused(f'The pickle gives an array a {type(dtype).__name__}, not a NumPy dtype')
        self.seal(dtype)
        consistent(dtype)
        return dtype

    def scalar(self, dtype, *args):
        """numpy.core.multiarray.scalar, refused for a dtype holding objects (its bytes would be read as a pointer)."""
        self.usable(dtype)
        if holds_objects(dtype) or dtype.hasobject:
            raise refused(f'The pickle makes a NumPy scalar of object dtype {dtype} from raw bytes (NumPy never writes one)')
        from numpy.core.multiarray import scalar
        return scalar(dtype, *args)

    def frombuffer(self, buffer, dtype, *args):
        """numpy.core.numeric._frombuffer, refused for a dtype holding objects."""
        self.usable(dtype)
        if holds_objects(dtype) or dtype.hasobject:
            raise refused(f'The pickle makes an array of object dtype {dtype} from raw bytes (NumPy writes object items as a list)')
        from numpy.core.numeric import _frombuffer
        return _frombuffer(buffer, dtype, *args)

    def reconstruct(self, subtype, shape, dtype, *args):
        """numpy.core.multiarray._reconstruct with a checked dtype."""
        from numpy.core.multiarray import _reconstruct
        numpy = _numpy()
        return _reconstruct(subtype, shape, self.usable(numpy.dtype(dtype) if isinstance(dtype, (str, bytes)) else dtype), *args)

    def array_state(self, array, state):
        """BUILD on an ndarray (ndarray.__setstate__): its dtype checked, and raw bytes refused for objects."""
        dtype = next((item for item in state if isinstance(item, _numpy().dtype)), None) if isinstance(state, tuple) else None
        if dtype is None:
            raise refused('The pickle gives an array a state without a NumPy dtype')
        self.usable(dtype)
        data = state[-1]
        if (holds_objects(dtype) or dtype.hasobject) and not isinstance(data, list):
            raise refused(f'The pickle gives an array of object dtype {dtype} raw bytes for items (NumPy writes them as a list)')
        array.__setstate__(state)
