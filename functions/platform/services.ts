import { S3BundleStore } from '../bundles/s3-bundle-store';
import { createAuthenticator, type Authenticate } from '../identity/authenticate';
import { loadIdentityConfig } from '../identity/identity-config';
import { createJwtVerifier } from '../identity/jwt-verifier';
import { DynamoModelStore } from '../registry/dynamo-model-store';
import { Registry } from '../registry/registry';
import { DynamoTokenStore } from '../tokens/dynamo-token-store';
import { TokenService } from '../tokens/token-service';
import { createDocumentClient, createS3Client } from './aws-clients';
import { loadFunctionConfig } from './function-config';

export interface Services {
  readonly registry: Registry;
  readonly models: DynamoModelStore;
  readonly bundles: S3BundleStore;
  readonly tokens: TokenService;
  readonly authenticate: Authenticate;
}

let services: Services | undefined;

/**
 * Clients live for the whole life of the execution environment, so warm invocations reuse their
 * connections and the issuer's keys stay cached. Built on first use rather than at import, so
 * that a missing setting surfaces as an error response instead of a failed cold start.
 */
export function getServices(): Services {
  if (!services) {
    const config = loadFunctionConfig();
    const identity = loadIdentityConfig();
    const documents = createDocumentClient();
    const models = new DynamoModelStore(documents, config.tableName);
    const bundles = new S3BundleStore(createS3Client(config), config.bucketName);
    const tokens = new TokenService(new DynamoTokenStore(documents, config.tableName));
    services = {
      models,
      bundles,
      tokens,
      registry: new Registry({ models, bundles, bundleLimits: config.bundleLimits }),
      authenticate: createAuthenticator({
        verifyJwt: createJwtVerifier(identity),
        resolveAccessToken: (token) => tokens.resolve(token),
        ...(identity.devUser ? { devUser: identity.devUser } : {}),
      }),
    };
  }
  return services;
}
