import { vi } from 'vitest';

export interface CapturedOutput {
  /** Everything written to stdout and stderr since capture began. */
  text(): string;
  restore(): void;
}

/** Captures what Powertools writes: its Console writes straight to process.stdout and process.stderr. */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const record = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(record);
  return {
    text: () => chunks.join(''),
    restore: () => {
      stdout.mockRestore();
      stderr.mockRestore();
    },
  };
}

/** The lines that are JSON objects, parsed. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

export interface EmfDocument extends Record<string, unknown> {
  readonly _aws: { readonly Timestamp: number; readonly CloudWatchMetrics: unknown[] };
}

/** The EMF documents among the lines (CloudWatch's embedded metric format: an `_aws` key). */
export const emfDocuments = (text: string): EmfDocument[] => jsonLines(text).filter((line): line is EmfDocument => typeof line._aws === 'object');
