export type TokenScope = 'read' | 'write';

export interface AccessTokenRecord {
  readonly id: string;
  readonly user: string;
  readonly name: string;
  readonly scope: TokenScope;
  readonly secretHash: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface TokenStore {
  put(token: AccessTokenRecord): Promise<void>;
  get(id: string): Promise<AccessTokenRecord | undefined>;
  listByUser(user: string): Promise<AccessTokenRecord[]>;
  /** Removes the token if it belongs to the user; false if there was none. */
  delete(user: string, id: string): Promise<boolean>;
}
