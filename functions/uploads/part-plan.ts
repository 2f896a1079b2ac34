/** How a bundle of a given size travels to S3: one PUT, or numbered parts of one size. */
export type PartPlan =
  | { readonly mode: 'single'; readonly size: number }
  | { readonly mode: 'multipart'; readonly size: number; readonly partSize: number; readonly partCount: number };

const MiB = 1024 * 1024;
/** Parts smaller than this buy little resumability; S3's own floor is 5 MiB. */
export const MIN_PART_SIZE = 8 * MiB;
/** S3's ceiling on parts in one multipart upload. */
export const MAX_PARTS = 10_000;

export function planParts(size: number): PartPlan {
  if (size <= MIN_PART_SIZE) return { mode: 'single', size };
  const partSize = Math.max(MIN_PART_SIZE, Math.ceil(size / MAX_PARTS / MiB) * MiB);
  return { mode: 'multipart', size, partSize, partCount: Math.ceil(size / partSize) };
}

/** The byte length of part `number` (1-based). */
export function partLength(plan: Extract<PartPlan, { mode: 'multipart' }>, number: number): number {
  return number < plan.partCount ? plan.partSize : plan.size - plan.partSize * (plan.partCount - 1);
}
