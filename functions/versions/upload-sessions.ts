import { randomBytes } from 'node:crypto';
import type { UploadRequest } from '../contracts/version-contracts';
import { AppError, conflict, invalid, notFound } from '../errors/app-error';
import type { Actor } from '../identity/actor';
import { newBundleKey } from '../bundles/bundle-keys';
import type { BundleStore } from '../bundles/bundle-store';
import type { UploadLimits } from '../platform/function-config';
import { loadAuthorized } from '../registry/authorized-model';
import type { ModelStore } from '../registry/model-store';
import { partLength, planParts, type PartPlan } from './part-plan';
import type { ReceivedPart, UploadSession } from './upload-records';
import { endUploadBytes } from './upload-bytes';
import type { UploadSessionStore } from './upload-session-store';
import type { VersionFinalizer } from './version-finalizer';
import type { VersionRecord } from './version-records';
import type { VersionStore } from './version-store';
import { versionGone } from './ready-versions';

/** Presigned part URLs handed out per answer; the client asks for more as it goes. */
export const URLS_PER_ANSWER = 100;
/**
 * Bundles up to this size are checked while the client waits for complete; larger ones are left
 * to the S3 event's check, which has minutes rather than the API's 30 seconds.
 */
export const INLINE_CHECK_BYTES = 1024 ** 3;
const POLL_MS = 250;

export interface PartUrl {
  readonly number: number;
  readonly size: number;
  readonly url: string;
  /** Headers the PUT must carry, as signed into the URL (`If-None-Match: *` on a single PUT). */
  readonly headers: Readonly<Record<string, string>>;
}

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

const planOf = (session: UploadSession): PartPlan =>
  session.mode === 'single'
    ? { mode: 'single', size: session.size }
    : { mode: 'multipart', size: session.size, partSize: session.partSize as number, partCount: session.partCount as number };

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
    const plan = planParts(size);
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
      const s3UploadId = plan.mode === 'multipart' ? await bundles.startMultipart(key) : undefined;
      const session: UploadSession = {
        id, name, version: number, bundleKey: key, size, mode: plan.mode, createdBy: actor.id, createdAt: now.toISOString(),
        expiresAt: new Date(sessionExpiry).toISOString(), state: 'open',
        ...(sha256 ? { sha256 } : {}), ...(filename ? { filename } : {}),
        ...(plan.mode === 'multipart' ? { partSize: plan.partSize, partCount: plan.partCount, s3UploadId } : {}),
      };
      await sessions.put(session);
      return { session, received: [], urls: await this.sign(session, firstParts(plan, [])) };
    } catch (error) {
      await versions.transition(name, number, ['pending'], { status: 'aborted', reason: 'The upload could not be started', by: actor.id }, this.now().toISOString());
      throw error;
    }
  }

  async status(actor: Actor, name: string, id: string, requested?: readonly number[]): Promise<SessionStatus> {
    const session = await this.openSession(actor, name, id);
    const received = await this.received(session);
    const plan = planOf(session);
    const wanted = requested ?? firstParts(plan, received);
    if (plan.mode === 'multipart' && wanted.some((part) => part < 1 || part > plan.partCount)) {
      throw invalid('invalid_parts', `This upload has parts 1 to ${plan.partCount}`);
    }
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
      return answered(version);
    };
    if (before.status !== 'pending') return settled(before);
    if (session.state === 'aborted') throw conflict('upload_aborted', `Upload ${id} was aborted; start a new one`);
    if (session.state === 'open') this.checkNotExpired(session);
    if ((await this.deps.bundles.stat(session.bundleKey)) === undefined) {
      try {
        await this.assemble(session);
      } catch (error) {
        // A lost race is no fault: another complete assembled the parts, or the version ended.
        const now = await this.version(session);
        if (now.status !== 'pending') return settled(now);
        if ((await this.deps.bundles.stat(session.bundleKey)) === undefined) throw error;
      }
    }
    await this.deps.sessions.setState(name, id, 'open', 'completed');
    if (session.size <= INLINE_CHECK_BYTES) {
      const until = new Date(deadline);
      const claimant = `complete:${id}`;
      let result = await this.deps.finalizer.finalize(name, session.version, claimant, { until });
      while ((result === 'busy' || result === 'pending') && Date.now() + POLL_MS < deadline) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        result = await this.deps.finalizer.finalize(name, session.version, claimant, { until });
      }
    }
    const version = await this.version(session);
    // Bytes refused because the model was deleted meanwhile: the answer is the model's own (404, 410).
    if (version.status === 'rejected') await loadAuthorized(this.deps.models, actor, name, 'upload');
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

  private async received(session: UploadSession): Promise<ReceivedPart[]> {
    if (session.mode === 'single') {
      const stored = await this.deps.bundles.stat(session.bundleKey);
      return stored === undefined ? [] : [{ number: 1, size: stored.size, etag: stored.pin.etag }];
    }
    if (session.state !== 'open') return [];
    return (await this.deps.bundles.listParts(session.bundleKey, session.s3UploadId as string)) ?? [];
  }

  private async assemble(session: UploadSession): Promise<void> {
    const plan = planOf(session);
    if (plan.mode === 'single') {
      throw conflict('upload_incomplete', 'The bundle has not been uploaded yet: PUT it to the URL first');
    }
    const parts = await this.deps.bundles.listParts(session.bundleKey, session.s3UploadId as string);
    if (!parts) throw conflict('upload_incomplete', `Upload ${session.id} has no parts left to assemble; start a new one`);
    const byNumber = new Map(parts.map((part) => [part.number, part]));
    const missing: number[] = [];
    for (let number = 1; number <= plan.partCount; number += 1) {
      const part = byNumber.get(number);
      if (!part || part.size !== partLength(plan, number)) missing.push(number);
    }
    if (missing.length > 0) {
      throw conflict('upload_incomplete', `${missing.length} of ${plan.partCount} parts are missing or short (first: ${missing.slice(0, 10).join(', ')}); upload them, then complete again`);
    }
    await this.deps.bundles.completeMultipart(session.bundleKey, session.s3UploadId as string, parts);
  }

  private sign(session: UploadSession, parts: readonly number[]): Promise<PartUrl[]> {
    const { bundles, limits } = this.deps;
    const plan = planOf(session);
    if (plan.mode === 'single') {
      return bundles.presignPut(session.bundleKey, session.size, limits.presignSeconds).then(({ url, headers }) => [{ number: 1, size: session.size, url, headers }]);
    }
    return Promise.all(parts.slice(0, URLS_PER_ANSWER).map(async (number) => {
      const size = partLength(plan, number);
      return { number, size, url: await bundles.presignPart(session.bundleKey, session.s3UploadId as string, number, size, limits.presignSeconds), headers: {} };
    }));
  }
}

/** What complete answers with: the version while it is pending, ready or refused; an error once it ended otherwise. */
function answered(version: VersionRecord): VersionRecord {
  if (version.status === 'aborted') throw conflict('upload_aborted', `${version.reason ?? `Upload ${version.uploadId ?? ''} was aborted`}; start a new one`);
  if (version.status === 'deleted') throw versionGone(version);
  return version;
}

/** The first parts not yet received, up to one answer's worth. */
function firstParts(plan: PartPlan, received: readonly ReceivedPart[]): number[] {
  if (plan.mode === 'single') return [1];
  const have = new Set(received.map((part) => part.number));
  const missing: number[] = [];
  for (let number = 1; number <= plan.partCount && missing.length < URLS_PER_ANSWER; number += 1) if (!have.has(number)) missing.push(number);
  return missing;
}
