import { describe, expect, it } from 'vitest';
import { newBundleKey } from '../../functions/bundles/bundle-keys';
import { CATALOGUE_FUNCTIONS } from '../../functions/catalogue/function-catalogue';
import { ROUTES } from '../../functions/routes/route-table';
import { TABLE_DESIGN } from '../../functions/store/table-design';
import { accessAcknowledgements, accessStatements, BUNDLE_OBJECTS_PATTERN } from '../../lib/access/access-statements';
import { CATALOGUE_ACCESS, catalogueAccess } from '../../lib/access/event-access';
import { FINALIZE_ACCESS, ROUTE_ACCESS, routeAccess } from '../../lib/access/route-access';
import { iamPatternMatches } from './support/template-views';

const TABLE = 'arn:aws:dynamodb:eu-west-1:123456789012:table/mlhub';
const BUCKET = 'arn:aws:s3:::mlhub-bundles';
const ENDPOINTS = ['arn:aws:sagemaker:eu-west-1:123456789012:endpoint/torch-*', 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/keras-prod'];
const targets = (modelEndpointArns: readonly string[] = ENDPOINTS) => ({ tableArn: TABLE, bucketArn: BUCKET, modelEndpointArns, bucketArnInFindings: '<Bucket.Arn>' });

const json = (statements: ReturnType<typeof accessStatements>) => statements.map((statement) => statement.toStatementJson() as Record<string, unknown>);

describe('route access map', () => {
  it('has an entry for every route and none for a route that does not exist', () => {
    expect(Object.keys(ROUTE_ACCESS).sort()).toEqual(ROUTES.map((route) => route.id).sort());
    expect(() => routeAccess('noSuchRoute')).toThrow(/no entry in ROUTE_ACCESS/);
  });
});

describe('catalogue access map', () => {
  it('has an entry for every function of the catalogue and none for one that does not exist', () => {
    expect(Object.keys(CATALOGUE_ACCESS).sort()).toEqual(CATALOGUE_FUNCTIONS.map((fn) => fn.id).sort());
    expect(() => catalogueAccess('noSuchFunction')).toThrow(/no entry in CATALOGUE_ACCESS/);
  });

  it('gives the finalizer its access wherever it runs: on the S3 event, in the sweep, inside completeUpload and uploadBundle', () => {
    const running = { finalizeUpload: CATALOGUE_ACCESS.finalizeUpload, sweepVersions: CATALOGUE_ACCESS.sweepVersions, completeUpload: ROUTE_ACCESS.completeUpload, uploadBundle: ROUTE_ACCESS.uploadBundle };
    for (const [id, access] of Object.entries(running)) {
      expect(access, id).toBeDefined();
      for (const [target, actions] of Object.entries(FINALIZE_ACCESS)) {
        expect(access?.[target as keyof typeof access], `${id} ${target}`).toEqual(expect.arrayContaining(actions as string[]));
      }
    }
  });

  it('lets the event, and only it, delete an object: bytes that belong to no version', () => {
    expect(CATALOGUE_ACCESS.finalizeUpload.bundleObjects).toContain('s3:DeleteObject');
    expect(FINALIZE_ACCESS.bundleObjects).not.toContain('s3:DeleteObject');
  });
});

describe('the sweep\'s access', () => {
  it('lets the sweep find pending versions and unfinished deletes in the owner index, and no other index', () => {
    const sweep = catalogueAccess('sweepVersions');
    expect(sweep.byOwnerIndex).toEqual(['dynamodb:Query']);
    expect(sweep.publicModelsIndex).toBeUndefined();
    // Finishing a model delete reads that model's own partition, as deleteModel does.
    expect(sweep.table).toEqual(expect.arrayContaining([...(routeAccess('deleteModel').table ?? [])]));
  });
});

describe('access statements', () => {
  it('grants SageMaker endpoints exactly as configured', () => {
    const [statement, ...others] = json(accessStatements({ modelEndpoints: ['sagemaker:InvokeEndpoint'] }, targets()));
    expect(others).toEqual([]);
    expect(statement).toMatchObject({ Effect: 'Allow', Action: 'sagemaker:InvokeEndpoint', Resource: ENDPOINTS });
  });

  it('grants no SageMaker permission at all when no endpoint is configured', () => {
    expect(accessStatements({ modelEndpoints: ['sagemaker:InvokeEndpoint'], table: ['dynamodb:GetItem'] }, targets([])).map((statement) => statement.actions)).toEqual([['dynamodb:GetItem']]);
  });

  it('names each index it queries, never all of them', () => {
    const [statement] = json(accessStatements({ byOwnerIndex: ['dynamodb:Query'] }, targets()));
    expect(statement?.Resource).toBe(`${TABLE}/index/${TABLE_DESIGN.indexes.byOwner.indexName}`);
  });

  it('reaches every bundle key, and nothing outside the bundle prefix', () => {
    const [statement] = json(accessStatements({ bundleObjects: ['s3:GetObject'] }, targets()));
    const pattern = String(statement?.Resource);
    expect(pattern).toBe(`${BUCKET}/${BUNDLE_OBJECTS_PATTERN}`);
    expect(iamPatternMatches(pattern, `${BUCKET}/${newBundleKey('bert.base-uncased', 3)}`)).toBe(true);
    expect(iamPatternMatches(pattern, `${BUCKET}/uploads/bert/part-1`)).toBe(false);
    expect(iamPatternMatches(pattern, `${BUCKET}-other/${newBundleKey('bert', 3)}`)).toBe(false);
  });

  it('lets a bundle key lookup list the bucket with no prefix condition, and nothing else', () => {
    const [statement, ...others] = json(accessStatements({ bundleKeyLookup: ['s3:ListBucket'] }, targets()));
    expect(others).toEqual([]);
    expect(statement).toEqual({ Sid: 'BundleKeyLookup', Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET });
  });

  it('puts multipart actions on bundle keys only', () => {
    const [statement] = json(accessStatements({ bundleObjects: ['s3:ListMultipartUploadParts', 's3:AbortMultipartUpload'] }, targets()));
    expect(statement).toMatchObject({ Action: ['s3:ListMultipartUploadParts', 's3:AbortMultipartUpload'], Resource: `${BUCKET}/${BUNDLE_OBJECTS_PATTERN}` });
  });

  it('grants nothing for no access', () => {
    expect(accessStatements({}, targets())).toEqual([]);
  });
});

describe('access acknowledgements', () => {
  it('explains the bundle-object wildcard in the form cdk-nag reports it', () => {
    expect(accessAcknowledgements({ bundleObjects: ['s3:GetObject'] }, targets()).map((acknowledgement) => acknowledgement.id))
      .toEqual([`AwsSolutions-IAM5[Resource::<Bucket.Arn>/${BUNDLE_OBJECTS_PATTERN}]`]);
  });

  it('explains configured endpoint patterns only where a route uses them, and only the ones with a wildcard', () => {
    expect(accessAcknowledgements({ modelEndpoints: ['sagemaker:InvokeEndpoint'] }, targets()).map((acknowledgement) => acknowledgement.id))
      .toEqual([`AwsSolutions-IAM5[Resource::${ENDPOINTS[0]}]`]);
    expect(accessAcknowledgements({ table: ['dynamodb:GetItem'] }, targets())).toEqual([]);
  });
});
