import type { SessionStatus } from './upload-sessions';
import type { UploadSession } from './upload-records';

const sessionPath = (session: UploadSession) => `/model/${encodeURIComponent(session.name)}/uploads/${session.id}`;

export function uploadSessionView(session: UploadSession) {
  return {
    upload_id: session.id,
    model: session.name,
    version: session.version,
    state: session.state,
    size: session.size,
    sha256: session.sha256 ?? null,
    filename: session.filename ?? null,
    mode: session.mode,
    part_size: session.partSize ?? session.size,
    part_count: session.partCount ?? 1,
    created: session.createdAt,
    created_by: session.createdBy,
    expires: session.expiresAt,
    status_url: sessionPath(session),
    complete_url: `${sessionPath(session)}/complete`,
  };
}

export function uploadStatusView(status: SessionStatus) {
  return {
    ...uploadSessionView(status.session),
    received: status.received.map((part) => ({ part: part.number, size: part.size, etag: part.etag || null })),
    urls: status.urls.map((url) => ({ part: url.number, size: url.size, method: 'PUT', url: url.url, headers: url.headers })),
  };
}
