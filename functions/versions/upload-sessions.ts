import { randomBytes } from 'node:crypto';
import type { UploadRequest } from '../contracts/version-contracts';
import { AppError, conflict, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { newBundleKey } from '../bundles/bundle-keys';
import type { BundleStore } from '../bundles/bundle-store';
import type { UploadLimits } from '../platform/function-config';
import { loadAuthorized } from '../registry/authorized-model';
import type { ModelStore } from '../registry/model-store';
import { endUploadBytes } from '../uploads/upload-bytes';
import type { ReceivedPart } from '../uploads/received-part';
import { assembleParts, beginTransfer, checkPartNumbers, firstParts, planOf, receivedParts, signParts, transferFields, type PartUrl, type Transfer } from '../uploads/upload-transfer';
import { checkWhileWaiting } from '../uploads/inline-check';
import type { UploadSession } from './upload-records';
import type { UploadSessionStore } from './upload-session-store';
import type { VersionFinalizer } from './version-finalizer';
import type { VersionRecord } from './version-records';
import type { VersionStore } from './version-store';
import { versionGone } from './ready-versions';


export interface SessionStatus {
  readonly session: UploadSession;
  readonly received: readonly ReceivedPart[];
  /** Fresh URLs: for the requested parts, or else for the first parts still missing. */
  readonly urls: readonly PartUrl[];
}

export interface UploadSessionDeps {
  readonly models: ModelStore;
  readonly versions: VersionStore;
  readonly sessions: UploadSessionStore;
  readonly bundles: BundleStore;
  readonly finalizer: VersionFinalizer;
  readonly limits: UploadLimits;
  readonly now?: () => Date;
}

/** A session's S3 side, for the shared transfer functions (functions/uploads/upload-transfer.ts). */
const transferOf = (session: UploadSession): Transfer => ({ ...session, key: session.bundleKey });

/**
 * Resumable uploads straight to S3 on presigned URLs. The size is checked against the limit
 * before any byte moves; each URL is bound to one key, one part and that part's exact length,
 * and is issued only after the access check. Completing hands the bytes to the finalizer.
 */
export class UploadSessions {
  private readonly now: () => Date;

  constructor(private readonly deps: UploadSessionDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Starts a session for the bundle its contract validated (UploadRequest). */
  async start(actor: Actor, name: string, request: UploadRequest): Promise<SessionStatus> {
    await loadAuthorized(this.deps.models, actor, name, 'upload');
    const { size, sha256, filename } = request;
    if (size > this.deps.limits.maxBundleBytes) {
      throw new AppError('too_large', 'bundle_too_large', `The bundle is ${size} bytes; this MLHub accepts bundles of at most ${this.deps.limits.maxBundleBytes} bytes`);
    }
    const { models, versions, sessions, bundles } = this.deps;
    const id = randomBytes(12).toString('hex');
    const number = await models.allocateVersion(name);
    const key = newBundleKey(name, number);
    const now = this.now();
    const sessionExpiry = now.getTime() + this.deps.limits.sessionSeconds * 1000;
    await versions.put({
      name, version: number, status: 'pending', bundleKey: key, sha256: sha256 ?? '', size, createdAt: now.toISOString(), createdBy: actor.id, uploadId: id,
      // The sweep checks bytes that arrived whatever the hour; only a version still without them expires.
      expiresAt: new Date(sessionExpiry).toISOString(),
      ...(filename ? { filename } : {}),
    });
    try {
      const begun = await beginTransfer(bundles, key, size);
      const session: UploadSession = {
        id, name, version: number, bundleKey: key, size, createdBy: actor.id, createdAt: now.toISOString(),
        expiresAt: new Date(sessionExpiry).toISOString(), state: 'open',
        ...(sha256 ? { sha256 } : {}), ...(filename ? { filename } : {}),
        ...transferFields(begun),
      };
      await sessions.put(session);
      return { session, received: [], urls: await this.sign(session, firstParts(begun.plan, [])) };
    } catch (error) {
      await versions.transition(name, number, ['pending'], { status: 'aborted', reason: 'The upload could not be started', by: actor.id }, this.now().toISOString());
      throw error;
    }
  }

  async status(actor: Actor, name: string, id: string, requested?: readonly number[]): Promise<SessionStatus> {
    const session = await this.openSession(actor, name, id);
    const received = await receivedParts(this.deps.bundles, transferOf(session), session.state === 'open');
    const wanted = requested ?? firstParts(planOf(transferOf(session)), received);
    checkPartNumbers(transferOf(session), wanted);
    return { session, received, urls: session.state === 'open' ? await this.sign(session, wanted) : [] };
  }

  async list(actor: Actor, name: string): Promise<UploadSession[]> {
    await loadAuthorized(this.deps.models, actor, name, 'upload');
    const now = this.now().toISOString();
    return (await this.deps.sessions.list(name)).filter((session) => session.state === 'open' && session.expiresAt > now);
  }

  /**
   * Assembles the parts and waits, up to the deadline, for the bundle to be checked. Calling it
   * again after a timeout or a lost answer picks up where it stopped. Answers with the version as
   * it stands: ready, pending (still being checked), or ended with its reason.
   */
  async complete(actor: Actor, name: string, id: string, deadline: number): Promise<VersionRecord> {
    const session = await this.session(actor, name, id);
    const before = await this.version(session);
    // The storage event may have checked a single PUT already: its verdict is the answer, once
    // settled (finalize of a version no longer pending commits a ready one as its model's latest).
    const settled = async (version: VersionRecord): Promise<VersionRecord> => {
      await this.deps.finalizer.finalize(name, version.version, `complete:${id}`);
      return this.answer(actor, version);
    };
    if (before.status !== 'pending') return settled(before);
    if (session.state === 'aborted') throw conflict('upload_aborted', `Upload ${id} was aborted; start a new one`);
    if (session.state === 'open') this.checkNotExpired(session);
    if ((await this.deps.bundles.stat(session.bundleKey)) === undefined) {
      try {
        await assembleParts(this.deps.bundles, transferOf(session), 'bundle');
      } catch (error) {
        // A lost race is no fault: another complete assembled the parts, or the version ended.
        const now = await this.version(session);
        if (now.status !== 'pending') return settled(now);
        if ((await this.deps.bundles.stat(session.bundleKey)) === undefined) throw error;
      }
    }
    await this.deps.sessions.setState(name, id, 'open', 'completed');
    await checkWhileWaiting(session.size, deadline, (until) => this.deps.finalizer.finalize(name, session.version, `complete:${id}`, { until }));
    return this.answer(actor, await this.version(session));
  }

  /** What complete answers with (see `answered`); bytes refused because the model was deleted meanwhile get the model's own answer (404, 410). */
  private async answer(actor: Actor, version: VersionRecord): Promise<VersionRecord> {
    if (version.status === 'rejected') await loadAuthorized(this.deps.models, actor, version.name, 'upload');
    return answered(version);
  }

  /**
   * Ends a pending upload: its version becomes aborted and its bytes go. A version that is no
   * longer pending (ready, refused) is not touched: 409 says what it became.
   */
  async abort(actor: Actor, name: string, id: string): Promise<void> {
    const session = await this.session(actor, name, id);
    if (session.state === 'aborted') return;
    const ended = await this.deps.versions.transition(name, session.version, ['pending'],
      { status: 'aborted', reason: `Upload ${id} was aborted`, by: actor.id }, this.now().toISOString(), { unclaimedAt: this.now().toISOString() });
    if (!ended) {
      const version = await this.version(session);
      if (version.status === 'aborted') return;
      if (version.status === 'pending') throw conflict('upload_checking', `Upload ${id} is being checked; ask again in a moment`);
      throw conflict('upload_completed', `Upload ${id} already ended: version ${version.version} is ${version.status}${version.status === 'ready' ? `; delete it with DELETE /model/${name}/versions/${version.version}` : ''}`);
    }
    await this.deps.sessions.setState(name, id, 'open', 'aborted');
    await endUploadBytes(this.deps.bundles, session.bundleKey, session);
  }

  private async version(session: UploadSession): Promise<VersionRecord> {
    const version = await this.deps.versions.get(session.name, session.version);
    if (!version) throw notFound('version_not_found', `Version ${session.version} of model '${session.name}' no longer exists`);
    return version;
  }

  private async session(actor: Actor, name: string, id: string): Promise<UploadSession> {
    await loadAuthorized(this.deps.models, actor, name, 'upload');
    const session = /^[0-9a-f]{24}$/.test(id) ? await this.deps.sessions.get(name, id) : undefined;
    if (!session) throw notFound('upload_not_found', `Model '${name}' has no upload ${id.slice(0, 40)}`);
    return session;
  }

  private async openSession(actor: Actor, name: string, id: string): Promise<UploadSession> {
    const session = await this.session(actor, name, id);
    if (session.state === 'open') this.checkNotExpired(session);
    return session;
  }

  private checkNotExpired(session: UploadSession): void {
    if (session.expiresAt <= this.now().toISOString()) {
      throw conflict('upload_expired', `Upload ${session.id} expired at ${session.expiresAt}; start a new one`);
    }
  }

  private sign(session: UploadSession, parts: readonly number[]): Promise<PartUrl[]> {
    return signParts(this.deps.bundles, transferOf(session), parts, this.deps.limits.presignSeconds);
  }
}

/** What complete answers with: the version while it is pending, ready or refused; an error once it ended otherwise. */
function answered(version: VersionRecord): VersionRecord {
  if (version.status === 'aborted') throw conflict('upload_aborted', `${version.reason ?? `Upload ${version.uploadId ?? ''} was aborted`}; start a new one`);
  if (version.status === 'deleted') throw versionGone(version);
  return version;
}
