import { transferView } from '../uploads/upload-transfer';
import type { SessionStatus } from './upload-sessions';
import type { UploadSession } from './upload-records';

const sessionPath = (session: UploadSession) => `/model/${encodeURIComponent(session.name)}/uploads/${session.id}`;

export function uploadSessionView(session: UploadSession) {
  const { mode, part_size, part_count } = transferView({ ...session, key: session.bundleKey }, [], []);
  return {
    upload_id: session.id,
    model: session.name,
    version: session.version,
    state: session.state,
    size: session.size,
    sha256: session.sha256 ?? null,
    filename: session.filename ?? null,
    mode,
    part_size,
    part_count,
    created: session.createdAt,
    created_by: session.createdBy,
    expires: session.expiresAt,
    status_url: sessionPath(session),
    complete_url: `${sessionPath(session)}/complete`,
  };
}

export function uploadStatusView(status: SessionStatus) {
  const { received, urls } = transferView({ ...status.session, key: status.session.bundleKey }, status.received, status.urls);
  return { ...uploadSessionView(status.session), received, urls };
}
