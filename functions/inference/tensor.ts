/**
 * A dense tensor in row-major order: the one shape every input form and backend protocol is
 * translated through. Values are plain numbers; each backend converts them to its own types.
 */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** A JSON value as nested arrays, the way a client sent it or will receive it. */
export type Nested = unknown;

export const elementCount = (shape: readonly number[]): number => shape.reduce((count, dim) => count * dim, 1);

export const formatShape = (shape: readonly (number | string)[]): string => `[${shape.join(', ')}]`;

/** Turns a row-major run of values into nested arrays of the given shape; a scalar shape gives the value itself. */
export function nest<T>(data: ArrayLike<T>, shape: readonly number[], offset = 0): Nested {
  if (shape.length === 0) return data[offset];
  const [outer = 0, ...inner] = shape;
  const stride = elementCount(inner);
  const items: Nested[] = new Array(outer);
  for (let i = 0; i < outer; i += 1) items[i] = nest(data, inner, offset + i * stride);
  return items;
}

/** The rows along the first axis, each a tensor of the remaining shape. */
export function splitRows(tensor: Tensor): Tensor[] {
  const [rows = 0, ...rowShape] = tensor.shape;
  const size = elementCount(rowShape);
  const data = Array.from(tensor.data);
  return Array.from({ length: rows }, (_, row) => ({ shape: rowShape, data: data.slice(row * size, (row + 1) * size) }));
}

/** Numbers found in a JSON value of any nesting, in order, or undefined if anything else is in it. */
export function flattenNumbers(value: unknown): number[] | undefined {
  const out: number[] = [];
  const walk = (item: unknown): boolean => {
    if (typeof item === 'number') {
      out.push(item);
      return true;
    }
    return Array.isArray(item) && item.every(walk);
  };
  return walk(value) ? out : undefined;
}

/**
 * Where the value at a row-major index sits in a tensor of the given shape, written the way a
 * client would index the JSON it sent: `input[3][17]`. A scalar shape gives the label alone.
 */
export function positionOf(label: string, shape: readonly number[], index: number): string {
  let path = '';
  let rest = index;
  for (let axis = shape.length - 1; axis >= 0; axis -= 1) {
    const dim = Math.max(shape[axis] ?? 1, 1);
    path = `[${rest % dim}]${path}`;
    rest = Math.floor(rest / dim);
  }
  return `${label}${path}`;
}
