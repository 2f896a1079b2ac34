import { AppError, invalid } from '../../errors/app-error';

/**
 * A fault of the dataset as a whole (not the format it claims, no header, no rows, a line over the
 * limit…): the dataset becomes `rejected` with this message as its reason. Bad individual rows
 * are never refusals; readers report them per row.
 */
export const rejectDataset = (message: string): AppError => invalid('dataset_rejected', message);

export const isRefusal = (error: unknown): error is AppError => error instanceof AppError && error.code === 'dataset_rejected';
