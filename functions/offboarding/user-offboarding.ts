import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GrantRole } from '../access/access-policy';
import { DynamoModelStore } from '../registry/dynamo-model-store';
import { ownerPartition, sharedPartition } from '../registry/table-keys';
import { indexPartitionItems } from '../store/dynamo-items';
import { TABLE_DESIGN } from '../store/table-design';
import { DynamoTokenStore } from '../tokens/dynamo-token-store';
import { DynamoOffboardedUsers } from './offboarded-users';

/** What `npm run offboard` did for one user, as it prints it (JSON). */
export interface OffboardingReport {
  readonly user: string;
  /** When the user was first offboarded (ISO 8601): a repeated run keeps the first time. */
  readonly offboarded_at: string;
  /** The personal access tokens deleted, as GET /tokens listed them. */
  readonly tokens_revoked: readonly { readonly id: string; readonly name: string; readonly scope: string; readonly expires: string }[];
  /** The grants the user held on other users' models, removed. */
  readonly grants_removed: readonly { readonly model: string; readonly role: GrantRole }[];
  /**
   * The models the user owns, left exactly as they were: their bundles may be someone's published
   * work, so whether to delete them, or to re-create them under another owner, is the operator's call.
   */
  readonly models_owned: readonly { readonly name: string; readonly visibility: string; readonly created: string }[];
}

export interface OffboardingTable {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
}

export interface OffboardingOptions {
  /** Offboard even a user MLHub holds no trace of (ahead of their first use); otherwise NoTraceError. */
  readonly force?: boolean;
  readonly now?: Date;
}

/**
 * Thrown by offboardUser when the user id has no trace in MLHub: no offboarding mark, no
 * personal access token, no grant, no model. Most likely the id is mistyped (or not a user id at
 * all), and marking it would let the operator believe the real user was offboarded.
 */
export class NoTraceError extends Error {
  constructor(readonly user: string) {
    super(`MLHub holds no trace of '${user}': no model, grant or personal access token, and no offboarding mark`);
    this.name = 'NoTraceError';
  }
}

/** Whether anything in the table belongs to the user; the first item of each place is enough. */
async function leftATrace(table: OffboardingTable, marks: DynamoOffboardedUsers, tokens: DynamoTokenStore, user: string): Promise<boolean> {
  if ((await marks.get(user, { consistent: true })) !== undefined) return true;
  if ((await tokens.listByUser(user)).length > 0) return true;
  const { byOwner } = TABLE_DESIGN.indexes;
  for (const partition of [sharedPartition(user), ownerPartition(user)]) {
    if (!(await indexPartitionItems(table.documents, table.tableName, byOwner, partition).next()).done) return true;
  }
  return false;
}

/**
 * Offboards a user, in an order that leaves no window: first the mark, which makes every request
 * with any of the user's credentials answer 401 from then on (sign-in tokens still valid, tokens
 * created meanwhile); then each personal access token is deleted; then each grant the user holds
 * on another user's model, found in the "shared with" index. Models the user owns are listed,
 * not touched. Running it again is harmless, and finds what an index had not shown yet (index
 * reads are eventually consistent, so a grant given a second before may be missed once).
 * Unless `force`, first checks that MLHub holds some trace of the user, and throws NoTraceError
 * without writing anything when it holds none. A user who only ever signed in leaves no trace.
 */
export async function offboardUser(table: OffboardingTable, user: string, options: OffboardingOptions = {}): Promise<OffboardingReport> {
  const { documents, tableName } = table;
  const marks = new DynamoOffboardedUsers(documents, tableName);
  const tokens = new DynamoTokenStore(documents, tableName);
  if (!options.force && !(await leftATrace(table, marks, tokens, user))) throw new NoTraceError(user);
  const mark = await marks.mark(user, (options.now ?? new Date()).toISOString());

  const revoked: OffboardingReport['tokens_revoked'][number][] = [];
  for (const token of await tokens.listByUser(user)) {
    if (await tokens.delete(user, token.id)) revoked.push({ id: token.id, name: token.name, scope: token.scope, expires: token.expiresAt });
  }

  const models = new DynamoModelStore(documents, tableName);
  const { byOwner } = TABLE_DESIGN.indexes;
  const removed: OffboardingReport['grants_removed'][number][] = [];
  for await (const grant of indexPartitionItems(documents, tableName, byOwner, sharedPartition(user))) {
    const model = String(grant.modelName);
    await models.deleteGrant(model, user);
    removed.push({ model, role: grant.role as GrantRole });
  }

  const owned: OffboardingReport['models_owned'][number][] = [];
  for await (const model of indexPartitionItems(documents, tableName, byOwner, ownerPartition(user))) {
    owned.push({ name: String(model.name), visibility: String(model.visibility), created: String(model.createdAt) });
  }
  return { user, offboarded_at: mark.offboardedAt, tokens_revoked: revoked, grants_removed: removed, models_owned: owned };
}

/**
 * Lifts a user's offboarding mark, so that they may sign in again and create new tokens. What the
 * offboarding removed (tokens, grants) stays removed. Returns false when the user was not offboarded.
 */
export function reinstateUser(table: OffboardingTable, user: string): Promise<boolean> {
  return new DynamoOffboardedUsers(table.documents, table.tableName).lift(user);
}
