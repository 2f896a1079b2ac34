import type { SessionState, UploadSession } from './upload-records';

/** Persistence for resumable upload sessions, one item per session in its model's partition. */
export interface UploadSessionStore {
  /** Records a new session; fails if the id exists. */
  put(session: UploadSession): Promise<void>;
  get(name: string, id: string): Promise<UploadSession | undefined>;
  list(name: string): Promise<UploadSession[]>;
  /** Moves a session between states; false if it was not in `from`. */
  setState(name: string, id: string, from: SessionState, to: SessionState): Promise<boolean>;
}
