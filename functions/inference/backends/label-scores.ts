/**
 * The top entry of a `{label: probability}` answer (TorchServe's classifiers), or undefined if
 * the object is not such a map (every value a number from 0 to 1).
 */
export function labelScores(answer: Readonly<Record<string, unknown>>): { label: string; probability: number } | undefined {
  const entries = Object.entries(answer);
  if (entries.length === 0 || !entries.every(([, value]) => typeof value === 'number' && value >= 0 && value <= 1)) return undefined;
  let best = entries[0]!;
  for (const entry of entries) if ((entry[1] as number) > (best[1] as number)) best = entry;
  return { label: best[0], probability: best[1] as number };
}
