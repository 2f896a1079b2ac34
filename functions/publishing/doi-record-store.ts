/** A DOI as a registration agency keeps it: its state and its metadata (DataCite JSON:API attributes). */
export interface StoredDoi {
  /** Lowercase: DOIs compare without case (DOI Handbook §2.4). */
  readonly doi: string;
  /** `draft`, `registered` or `findable`. */
  readonly state: 'draft' | 'registered' | 'findable';
  readonly attributes: Readonly<Record<string, unknown>>;
  /** ISO 8601. */
  readonly created: string;
  readonly updated: string;
}

/** Where the local DOI provider keeps what it minted (dynamo-doi-record-store.ts: in MLHub's own table). */
export interface DoiRecordStore {
  get(doi: string): Promise<StoredDoi | undefined>;
  put(record: StoredDoi): Promise<void>;
  /** False when there was no such DOI. */
  delete(doi: string): Promise<boolean>;
}
