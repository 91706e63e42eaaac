import { beforeAll, describe, expect, it } from 'vitest';
import { UPLOADS_PREFIX } from '../../lambdas/core/contract';
import { INBOX_PREFIX } from '../../lambdas/core/manifest';
import {
  arnWithSuffix,
  BUILD_TIMEOUT_MS,
  type BuiltApp,
  buildTemplate,
  objectWildcardAcknowledgements,
  outputRef,
  resourcesFor,
  resourcesOfType,
  statementsOf,
} from './templateHelpers';

const CREATE = 'lambdas/jobs/createTransition.ts';
const SUBMIT = 'lambdas/workflow/submit.ts';

let built: BuiltApp;

beforeAll(() => {
  built = buildTemplate();
}, BUILD_TIMEOUT_MS);

const bucketId = (): string => outputRef(built.json, 'BucketName');
const objectsUnder = (prefix: string): unknown => arnWithSuffix(bucketId(), `/${prefix}*`);

/*
 * Issue 8: the grants that read frames cover only the prefixes that can hold
 * them, not every object of the bucket. The tenant check itself is the
 * create function's; these grants bound what a bug in it could expose.
 */
describe('Infra: frame read grants (only the prefixes that hold frames)', () => {
  it('lets the create function read frames under uploads/ only', () => {
    expect(resourcesFor(statementsOf(built.json, CREATE), 's3:GetObject')).toEqual([objectsUnder(UPLOADS_PREFIX)]);
  });

  it('lets Submit Job read frames under uploads/ and inbox/ only', () => {
    const frames = resourcesFor(statementsOf(built.json, SUBMIT), 's3:GetObject');

    expect(frames).toHaveLength(2);
    expect(frames).toEqual(expect.arrayContaining([objectsUnder(UPLOADS_PREFIX), objectsUnder(INBOX_PREFIX)]));
  });

  it('grants no role a read of every object of the bucket', () => {
    const everyObject = JSON.stringify(arnWithSuffix(bucketId(), '/*'));
    const broad = resourcesOfType(built.json, 'AWS::IAM::Policy')
      .filter(([, policy]) =>
        (policy.Properties.PolicyDocument as { Statement: { Resource: unknown }[] }).Statement.some((statement) =>
          ([] as unknown[]).concat(statement.Resource).some((resource) => JSON.stringify(resource) === everyObject),
        ),
      )
      .map(([id]) => id);

    expect(broad).toEqual([]);
  });

  it('acknowledges the frame readers’ object wildcards for those prefixes only', () => {
    const frameReaders = objectWildcardAcknowledgements(built.app).filter((ack) =>
      /\/(CreateTransitionFunctionRole|SubmitFunctionRole) /.test(ack),
    );

    expect(frameReaders).toEqual([
      'Framebridge/Default/Api/CreateTransitionFunctionRole AwsSolutions-IAM5[Resource::<bucket>/uploads/*]',
      'Framebridge/Default/Workflow/SubmitFunctionRole AwsSolutions-IAM5[Resource::<bucket>/inbox/*]',
      'Framebridge/Default/Workflow/SubmitFunctionRole AwsSolutions-IAM5[Resource::<bucket>/uploads/*]',
    ]);
  });
});
