"""A small UBJSON (Draft 12, ubjson.org) reader, as XGBoost's save_model writes .ubj boosters.

Python has no UBJSON module here (Debian ships none), and XGBoost's own reader is the code whose
input booster_check.py must check first. Big-endian numbers; strongly typed containers
(`[$d#L<n>`) of numbers are read with NumPy in one step. Every count is bounded by the bytes left,
and nesting by MAX_DEPTH, so a crafted file can't make this allocate beyond its own size.
"""

import struct

MAX_DEPTH = 64
_NUMBERS = {b'i': '>i1', b'U': '>u1', b'I': '>i2', b'l': '>i4', b'L': '>i8', b'd': '>f4', b'D': '>f8'}


class UbjsonError(ValueError):
    pass


class _Reader:
    def __init__(self, data):
        self.data = memoryview(data)
        self.at = 0

    def take(self, count):
        if count < 0 or self.at + count > len(self.data):
            raise UbjsonError(f'cut short at byte {self.at}')
        chunk = self.data[self.at:self.at + count]
        self.at += count
        return chunk

    def marker(self):
        marker = bytes(self.take(1))
        while marker == b'N':
            marker = bytes(self.take(1))
        return marker

    def number(self, marker):
        import numpy
        dtype = numpy.dtype(_NUMBERS[marker])
        return numpy.frombuffer(self.take(dtype.itemsize), dtype)[0].item()

    def length(self):
        marker = self.marker()
        if marker not in _NUMBERS or marker in (b'd', b'D'):
            raise UbjsonError(f'a length at byte {self.at} is not an integer')
        value = self.number(marker)
        if value < 0 or value > len(self.data) - self.at:
            raise UbjsonError(f'a length of {value} at byte {self.at} is more than the bytes left')
        return value

    def value(self, marker, depth):
        if marker in _NUMBERS:
            return self.number(marker)
        if marker == b'Z':
            return None
        if marker in (b'T', b'F'):
            return marker == b'T'
        if marker == b'C':
            return bytes(self.take(1)).decode('latin-1')
        if marker in (b'S', b'H'):
            return bytes(self.take(self.length())).decode('utf-8')
        if marker in (b'[', b'{'):
            if depth >= MAX_DEPTH:
                raise UbjsonError(f'nested deeper than {MAX_DEPTH}')
            return self.container(marker == b'{', depth + 1)
        raise UbjsonError(f'unknown marker {marker!r} at byte {self.at - 1}')

    def container(self, is_object, depth):
        import numpy
        typed, count = None, None
        marker = self.marker()
        if marker == b'$':
            typed = self.marker()
            if self.marker() != b'#':
                raise UbjsonError('a typed container without a count')
            count = self.length()
        elif marker == b'#':
            count = self.length()
        else:
            self.at -= 1
        if not is_object and typed in _NUMBERS:
            dtype = numpy.dtype(_NUMBERS[typed])
            return numpy.frombuffer(self.take(count * dtype.itemsize), dtype).tolist()
        items = {} if is_object else []
        index = 0
        while count is None or index < count:
            if count is None:
                marker = self.marker()
                if marker == (b'}' if is_object else b']'):
                    return items
                self.at -= 1
            if is_object:
                key = bytes(self.take(self.length())).decode('utf-8')
                if key in items:
                    raise UbjsonError(f'key {key!r} appears twice in one object')
            item = self.value(typed or self.marker(), depth)
            if is_object:
                items[key] = item
            else:
                items.append(item)
            index += 1
        return items


def decode(data):
    """The value the UBJSON bytes `data` hold; raises UbjsonError (a ValueError) saying where they are malformed."""
    reader = _Reader(data)
    try:
        value = reader.value(reader.marker(), 0)
    except struct.error as error:
        raise UbjsonError(str(error)) from None
    if reader.at != len(reader.data):
        raise UbjsonError(f'{len(reader.data) - reader.at} bytes after the value')
    return value
