"""Image bytes as a model input, the way MLHub prepares images for the built-in runtime
(functions/inference/images/image-tensor.ts and resize-image.ts): decoded (PNG or JPEG, known by
their bytes), turned upright by EXIF orientation, converted to the model's channels (grey is
ITU-R BT.601 luma, 0.299 R + 0.587 G + 0.114 B, alpha ignored), resized (area averaging when
shrinking, bilinear between pixel centres when enlarging), scaled, normalised, laid out.

Decoding uses Pillow (Debian's python3-pil) when it is installed; without it, PNG is decoded
here (8- and 16-bit, non-interlaced, up to a million pixels) and anything else, JPEG included, is
refused with framework_missing and the apt-get line for Pillow.
"""

import io
import struct
import zlib

from .errors import ServingError, framework_missing, require
from .bundle import MAX_IMAGE_PIXELS

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
JPEG_MAGIC = b'\xff\xd8\xff'
MAX_PIXELS = 40_000_000
# The fallback decoder unfilters in pure Python, about a second per million pixels.
MAX_PNG_PIXELS_WITHOUT_PILLOW = 1_000_000


def _unsupported():
    return ServingError('unsupported_image_type', 'MLHub reads PNG and JPEG images; this is neither', 415)


def _decode_with_pillow(data):
    np = require('numpy')
    from PIL import Image, ImageOps
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image = ImageOps.exif_transpose(image)
        return np.asarray(image.convert('RGBA'), dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ServingError('invalid_image', f'The image cannot be decoded ({error})', 400) from None


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _decode_png(data):
    """A non-interlaced PNG as an H×W×4 uint8 RGBA array, with the standard library and NumPy."""
    np = require('numpy')
    at, idat, palette, transparency, header = 8, [], None, None, None
    while at + 8 <= len(data):
        length, kind = struct.unpack('>I4s', data[at:at + 8])
        chunk = data[at + 8:at + 8 + length]
        at += 12 + length
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', chunk)
        elif kind == b'PLTE':
            palette = np.frombuffer(chunk, dtype=np.uint8).reshape(-1, 3)
        elif kind == b'tRNS':
            transparency = chunk
        elif kind == b'IDAT':
            idat.append(chunk)
        elif kind == b'IEND':
            break
    if header is None:
        raise ServingError('invalid_image', 'The PNG has no IHDR chunk', 400)
    width, height, depth, colour, _, _, interlace = header
    if width * height > MAX_PNG_PIXELS_WITHOUT_PILLOW:
        raise framework_missing('PIL', f'a PNG of {width}×{height} pixels is too slow to decode without Pillow (at most {MAX_PNG_PIXELS_WITHOUT_PILLOW})')
    samples = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if samples is None or depth not in (8, 16) or (colour == 3 and depth != 8) or interlace != 0:
        raise framework_missing('PIL', 'this PNG (interlaced, or under 8 bits per sample) needs Pillow')
    try:
        raw = zlib.decompress(b''.join(idat))
    except zlib.error as error:
        raise ServingError('invalid_image', f'The PNG data cannot be inflated ({error})', 400) from None
    step = samples * depth // 8
    stride = width * step
    if len(raw) < height * (stride + 1):
        raise ServingError('invalid_image', 'The PNG data is cut short', 400)
    out = bytearray(height * stride)
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up = previous[x]
            corner = previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                line[x] = (line[x] + _paeth(left, up, corner)) & 0xFF
        out[y * stride:(y + 1) * stride] = line
        previous = line
    pixels = np.frombuffer(bytes(out), dtype='>u2' if depth == 16 else np.uint8).reshape(height, width, samples)
    if depth == 16:
        pixels = (pixels >> 8).astype(np.uint8)
    if colour == 3:
        rgb = palette[pixels[:, :, 0]]
        alpha = np.full((height, width, 1), 255, dtype=np.uint8)
        if transparency:
            table = np.full(256, 255, dtype=np.uint8)
            table[:len(transparency)] = np.frombuffer(transparency, dtype=np.uint8)
            alpha = table[pixels[:, :, 0]][:, :, None]
        return np.concatenate([rgb, alpha], axis=2)
    grey = colour in (0, 4)
    rgb = np.repeat(pixels[:, :, :1], 3, axis=2) if grey else pixels[:, :, :3]
    has_alpha = colour in (4, 6)
    alpha = pixels[:, :, -1:] if has_alpha else np.full((height, width, 1), 255, dtype=np.uint8)
    return np.concatenate([rgb, alpha], axis=2)


def decode_image(data):
    """PNG or JPEG bytes as an H×W×4 uint8 RGBA array; 415 for other formats."""
    if not (data.startswith(PNG_MAGIC) or data.startswith(JPEG_MAGIC)):
        raise _unsupported()
    try:
        import PIL  # noqa: F401  (Pillow decodes everything, EXIF orientation included)
        has_pillow = True
    except ImportError:
        has_pillow = False
    if has_pillow:
        return _decode_with_pillow(data)
    if data.startswith(JPEG_MAGIC):
        raise framework_missing('PIL', 'JPEG images need Pillow')
    return _decode_png(data)


def _resize_matrix(size_in, size_out):
    """Weights (size_out × size_in) of resize-image.ts's taps: area when shrinking, else bilinear."""
    np = require('numpy')
    matrix = np.zeros((size_out, size_in))
    scale = size_in / size_out
    for out in range(size_out):
        if scale >= 1:
            start, end = out * scale, out * scale + scale
            for index in range(int(np.floor(start)), min(int(np.ceil(end)), size_in)):
                covered = min(end, index + 1) - max(start, index)
                if covered > 1e-9:
                    matrix[out, index] += covered / scale
        else:
            centre = min(max((out + 0.5) * scale - 0.5, 0), size_in - 1)
            low = int(np.floor(centre))
            high = min(low + 1, size_in - 1)
            fraction = centre - low
            matrix[out, low] += 1 - fraction
            if high != low:
                matrix[out, high] += fraction
    return matrix


def _per_channel(value, channel):
    if isinstance(value, list):
        return value[channel] if channel < len(value) else value[-1]
    return value


def image_target(image, row_shape):
    """(channels, width, height, layout) from params.json's image keys, else from the declared
    row shape ([C, H, W] or [H, W, C] with C of 1, 3 or 4); NHWC and 3 channels by default, as
    MLHub's imageTargetFromParams. 400 image_not_accepted when no size is known."""
    channels, width, height, layout = image.channels, image.width, image.height, image.layout
    if row_shape and len(row_shape) == 3:
        first_is_channel = row_shape[0] in (1, 3, 4) and layout != 'NHWC'
        c, h, w = (row_shape[0], row_shape[1], row_shape[2]) if first_is_channel else (row_shape[2], row_shape[0], row_shape[1])
        layout = layout or ('NCHW' if first_is_channel else 'NHWC')
        channels, width, height = channels or c, width or w, height or h
    elif row_shape and len(row_shape) == 2:
        channels, height, width, layout = channels or 1, height or row_shape[0], width or row_shape[1], layout or 'flat'
    if not width or not height:
        raise ServingError('image_not_accepted', "This model takes no image: its params.json gives no image size (img_width and img_height, or inputs[0].shape)", 400)
    if width * height > MAX_IMAGE_PIXELS:
        raise ServingError('image_not_accepted', f'This model takes {width}×{height} images ({width * height} pixels, from inputs[0].shape), more than the {MAX_IMAGE_PIXELS} an image is prepared to', 400)
    return channels or 3, width, height, layout or 'NHWC'


def image_batch(data, image, row_shape, dtype):
    """The image as a batch of one, shaped (1, *row_shape) when declared, else by layout."""
    np = require('numpy')
    rgba = decode_image(data).astype(np.float64)
    channels, width, height, layout = image_target(image, row_shape)
    if channels == 1:
        planes = [0.299 * rgba[:, :, 0] + 0.587 * rgba[:, :, 1] + 0.114 * rgba[:, :, 2]]
    else:
        planes = [rgba[:, :, index] for index in range(channels)]
    down = _resize_matrix(rgba.shape[0], height)
    across = _resize_matrix(rgba.shape[1], width)
    planes = [
        ((plane if plane.shape == (height, width) else down @ plane @ across.T) * image.scale - _per_channel(image.mean, index)) / _per_channel(image.std, index)
        for index, plane in enumerate(planes)
    ]
    stacked = np.stack(planes, axis=0 if layout == 'NCHW' else 2)
    shape = (1,) + tuple(row_shape) if row_shape and int(np.prod(row_shape)) == stacked.size else (1,) + stacked.shape
    if layout == 'flat' and not row_shape:
        shape = (1, stacked.size)
    return stacked.reshape(shape).astype(dtype)
