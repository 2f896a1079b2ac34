import type { Version } from './api-types';

/**
 * What `mlhub push` adds under its "Pushed" line: the path the version's predictions take (the
 * upload answer's `serving`), with the reason when nothing can serve it and any warning, so a CLI
 * user learns before deploying what a deploy would do. Each line starts with a newline; empty
 * while the bundle is unchecked.
 */
export function servingLines(serving: Version['serving']): string {
  if (!serving) return '';
  const how = serving.path === 'deployable' ? `deployable (${serving.framework ?? '?'}): mlhub deploy runs it on its own endpoint`
    : serving.path === 'builtin' ? 'builtin: MLHub\'s ONNX Runtime runs it, no deploy needed'
      : serving.path === 'remote' ? 'remote: the backend in the model\'s meta.backend runs it'
        : `none: ${serving.reason ?? 'nothing can serve it'}`;
  return `\nserving: ${how}${serving.warning ? `\nwarning: ${serving.warning}` : ''}`;
}
