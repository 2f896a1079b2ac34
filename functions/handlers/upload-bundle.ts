import { uploadBundle } from '../contracts/version-contracts';
import { formatBytes } from '../http/body-limit';
import { readBundleUpload } from '../http/bundle-body';
import { multipartForms } from '../http/body-parsers';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { directUpload } from '../platform/bundle-services';
import { versionView } from '../registry/model-views';

const tooLargeForDirectUpload = (size: number, limit: number): string =>
  `The bundle is ${formatBytes(size)}, over the ${formatBytes(limit)} one request can carry to MLHub ` +
  '(a Lambda invocation holds 6 MB, and binary bodies travel base64-encoded).';

export const handler = routeHandler(uploadBundle, async ({ actor, params, event, rawBody }) => {
  const name = params.name;
  const upload = readBundleUpload(event, rawBody);
  const version = await directUpload().addVersion(actor, name, upload);
  return jsonResponse(201, { model: name, ...versionView(version) }, {
    location: `/model/${encodeURIComponent(name)}/download?version=${version.version}`,
  });
}, {
  tooLargeMessage: tooLargeForDirectUpload,
  bodyParsers: [multipartForms()],
});
