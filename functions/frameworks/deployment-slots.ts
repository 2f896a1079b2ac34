/**
 * Who a deployment is counted against: the model (its versions' endpoints) or the user who owns it.
 * Each holds a set of slots, one per endpoint, each naming the version that holds it.
 */
export type SlotHolder = { readonly model: string } | { readonly owner: string };

/** The version holding a slot, and its endpoint. */
export interface Slot {
  readonly model: string;
  readonly version: number;
  readonly endpoint: string;
}

/**
 * Slots for deployments, so that caps on them hold under concurrent deploys: a slot is taken with
 * one conditional write (never past the cap), before the deployment begins, and given back when
 * its endpoint starts being deleted. Taking or giving back the same slot twice changes nothing.
 */
export interface DeploymentSlots {
  /** `taken`: newly; `held`: it was already; `full`: `cap` other slots are held. */
  take(holder: SlotHolder, slot: Slot, cap: number): Promise<'taken' | 'held' | 'full'>;
  release(holder: SlotHolder, slot: Slot): Promise<void>;
  /** The slots held now. */
  held(holder: SlotHolder): Promise<Slot[]>;
}

/** A slot as one string of a set: model, version and endpoint, which none of them holds a newline in. */
export const slotText = (slot: Slot): string => `${slot.model}\n${slot.version}\n${slot.endpoint}`;

export function slotOf(text: string): Slot | undefined {
  const [model, version, endpoint] = text.split('\n');
  if (model === undefined || version === undefined || endpoint === undefined || !/^\d+$/.test(version)) return undefined;
  return { model, version: Number(version), endpoint };
}
