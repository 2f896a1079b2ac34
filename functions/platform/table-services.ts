import { createAuthenticator, type Authenticate } from '../identity/authenticate';
import { DEFAULT_USER_STATUS_CACHE_SECONDS, loadIdentityConfig } from '../identity/identity-config';
import { createCognitoUserStatus } from '../identity/cognito-user-status';
import { createJwtVerifier } from '../identity/jwt-verifier';
import { createStandingCheck } from '../identity/user-standing';
import { DynamoOffboardedUsers } from '../offboarding/offboarded-users';
import { DynamoModelStore } from '../registry/dynamo-model-store';
import { ModelRegistry } from '../registry/model-registry';
import { DynamoTokenStore } from '../tokens/dynamo-token-store';
import { TokenService } from '../tokens/token-service';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createCognitoClient, createDocumentClient } from './aws-clients';
import { loadFunctionConfig } from './function-config';
import { lazy } from './lazy';

export interface TableServices {
  /** The one document client of this environment, for every store on the table. */
  readonly documents: DynamoDBDocumentClient;
  readonly models: DynamoModelStore;
  readonly tokens: TokenService;
  /** The offboarding marks (functions/offboarding/offboarded-users.ts). */
  readonly offboarded: DynamoOffboardedUsers;
  readonly authenticate: Authenticate;
}

/**
 * What every handler needs: the table and the caller's identity. Only DynamoDB's client is built
 * here, so handlers that never touch bundles never bundle the S3 client. Built on first use
 * rather than at import, so that a missing setting surfaces as an error response instead of a
 * failed cold start; kept for the environment's life so warm invocations reuse connections and
 * the issuer's cached keys.
 */
export const tableServices = lazy((): TableServices => {
  const config = loadFunctionConfig();
  const identity = loadIdentityConfig();
  const documents = createDocumentClient();
  const tokens = new TokenService(new DynamoTokenStore(documents, config.tableName));
  const offboarded = new DynamoOffboardedUsers(documents, config.tableName);
  const checkStanding = createStandingCheck({
    isOffboarded: async (user) => (await offboarded.get(user)) !== undefined,
    ...(identity.userPoolId
      ? { directoryStatus: createCognitoUserStatus({ client: createCognitoClient(), userPoolId: identity.userPoolId, cacheSeconds: identity.userStatusCacheSeconds ?? DEFAULT_USER_STATUS_CACHE_SECONDS }) }
      : {}),
  });
  return {
    documents,
    models: new DynamoModelStore(documents, config.tableName),
    tokens,
    offboarded,
    authenticate: createAuthenticator({
      verifyJwt: createJwtVerifier(identity),
      resolveAccessToken: (token) => tokens.resolve(token),
      checkStanding,
      ...(identity.devUser ? { devUser: identity.devUser } : {}),
    }),
  };
});

export const modelRegistry = lazy(() => {
  const { models, offboarded } = tableServices();
  // A consistent read: a grant given a second after the offboarding must be refused too.
  return new ModelRegistry(models, { isOffboarded: (user) => offboarded.has(user) });
});
