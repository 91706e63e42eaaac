import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TransitionPipelineProps } from '../../infra/constructs/transitionPipeline';
import { createFramebridgeApp } from '../../infra/framebridgeApp';
import { HANDLER_METADATA_KEY } from '../../lambdas/core/contract';
import { workflowTimeBudget } from '../../lambdas/core/timeBudget';
import { extractStateMachineDefinition } from '../../local/template';
import {
  BUILD_TIMEOUT_MS,
  type BuiltApp,
  buildTemplate,
  environmentOf,
  logicalIdOfType,
  propertiesOf,
  resourcesOfType,
  stageMethodSettings,
} from './templateHelpers';

const CREATE = 'lambdas/jobs/createTransition.ts';
const INTAKE = 'lambdas/intake/s3Manifest.ts';
const SYNC = 'lambdas/jobs/syncTransition.ts';

const build = (pipeline: TransitionPipelineProps) => (): unknown =>
  createFramebridgeApp({ skipBundling: true, nag: false, props: { pipeline } });

let tuned: BuiltApp;

beforeAll(() => {
  tuned = buildTemplate({
    pipeline: {
      retentionDays: 14,
      segmindBaseUrl: 'https://segmind.example.com/',
      outputHosts: ['cdn.example.com', 'segmind.example.com'],
      pollFirstSeconds: 40,
      pollIntervalSeconds: 3,
      pollStrategy: 'static',
      maxVideoBytes: 100_000_000,
      executionTimeout: Duration.minutes(45),
      apiOptions: {
        throttleRateLimit: 2,
        throttleBurstLimit: 4,
        submitRateLimit: 1,
        submitBurstLimit: 3,
        stageName: 'v1',
      },
      tenantLimits: { maxActiveJobs: 5, maxJobsPerDay: 50 },
      intakeTenant: 'acme-intake',
    },
  });
}, BUILD_TIMEOUT_MS);

describe('Infra: construct props', () => {
  it('passes the poll plan overrides to Submit and Check Status only', () => {
    for (const handler of ['lambdas/workflow/submit.ts', 'lambdas/workflow/checkStatus.ts']) {
      expect(environmentOf(tuned.json, handler), handler).toMatchObject({
        FRAMEBRIDGE_POLL_FIRST_S: '40',
        FRAMEBRIDGE_POLL_INTERVAL_S: '3',
        FRAMEBRIDGE_POLL_STRATEGY: 'static',
        SEGMIND_BASE_URL: 'https://segmind.example.com',
      });
    }
    expect(environmentOf(tuned.json, 'lambdas/workflow/copyToS3.ts')).not.toHaveProperty('FRAMEBRIDGE_POLL_FIRST_S');
  });

  it('sizes Copy for the video cap and sets the poll deadline the time budget leaves on Submit and Check Status', () => {
    // Arrange
    const budget = workflowTimeBudget({ executionTimeoutSeconds: 45 * 60, maxVideoBytes: 100_000_000 });

    // Assert: 100 MB at 1 MiB/s is 96 s, plus 60 s; 2700 s less 1323 s after the deadline
    expect(budget.steps.copyToS3.functionTimeoutSeconds).toBe(156);
    expect(budget.pollDeadlineSeconds).toBe(1287);
    expect(propertiesOf(tuned.json, 'lambdas/workflow/copyToS3.ts').Timeout).toBe(156);
    for (const handler of ['lambdas/workflow/submit.ts', 'lambdas/workflow/checkStatus.ts']) {
      expect(environmentOf(tuned.json, handler).FRAMEBRIDGE_POLL_DEADLINE_S, handler).toBe('1287');
    }
  });

  it('passes output hosts and the size bound to Copy Video To S3', () => {
    expect(environmentOf(tuned.json, 'lambdas/workflow/copyToS3.ts')).toMatchObject({
      FRAMEBRIDGE_OUTPUT_HOSTS: 'cdn.example.com,segmind.example.com',
      FRAMEBRIDGE_MAX_VIDEO_BYTES: '100000000',
      SEGMIND_BASE_URL: 'https://segmind.example.com',
    });
  });

  it('applies the workflow timeout, job retention and API throttling', () => {
    const transitionMachine = (tuned.json.Outputs as Record<string, { Value: { Ref: string } }>).StateMachineArn?.Value
      .Ref;
    const { definition } = extractStateMachineDefinition(tuned.json, { stateMachineLogicalId: transitionMachine });
    // The work's 45 minutes, after the default 6 h wait for capacity and the Submit attempt that ends it.
    expect(definition.TimeoutSeconds).toBe(6 * 3600 + 70 + 45 * 60);
    tuned.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'jobs/', ExpirationInDays: 14 })]) },
    });
    tuned.template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'v1' });
  });

  it('applies the stage’s and the submit route’s throttling', () => {
    const throttling = stageMethodSettings(tuned.json).map(
      ({ HttpMethod, ResourcePath, ThrottlingRateLimit, ThrottlingBurstLimit }) => ({
        HttpMethod,
        ResourcePath,
        ThrottlingRateLimit,
        ThrottlingBurstLimit,
      }),
    );

    expect(throttling).toEqual([
      { HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 4 },
      {
        HttpMethod: 'POST',
        ResourcePath: '/~1v2~1pixverse-5-transition',
        ThrottlingRateLimit: 1,
        ThrottlingBurstLimit: 3,
      },
      // The synchronous v1 route is paid too: held to the same limits.
      {
        HttpMethod: 'POST',
        ResourcePath: '/~1v1~1pixverse-5-transition',
        ThrottlingRateLimit: 1,
        ThrottlingBurstLimit: 3,
      },
    ]);
  });

  it('passes the tenant limit defaults to what creates jobs (the v2 and v1 API and intake), and the intake tenant to the intake', () => {
    const limits = { FRAMEBRIDGE_MAX_ACTIVE_JOBS: '5', FRAMEBRIDGE_MAX_JOBS_PER_DAY: '50' };

    for (const creator of [CREATE, SYNC]) {
      expect(environmentOf(tuned.json, creator)).toMatchObject(limits);
      expect(environmentOf(tuned.json, creator)).not.toHaveProperty('FRAMEBRIDGE_INTAKE_TENANT');
    }
    expect(environmentOf(tuned.json, INTAKE)).toMatchObject({ ...limits, FRAMEBRIDGE_INTAKE_TENANT: 'acme-intake' });
    for (const [id, fn] of resourcesOfType(tuned.json, 'AWS::Lambda::Function')) {
      const variables = Object.keys((fn.Properties.Environment as { Variables: object }).Variables);
      const handler = String(fn.Metadata?.[HANDLER_METADATA_KEY]);
      if (handler === CREATE || handler === SYNC || handler === INTAKE) continue;
      expect(
        variables.filter((v) => /^FRAMEBRIDGE_(MAX_ACTIVE_JOBS|MAX_JOBS_PER_DAY|INTAKE_TENANT)$/.test(v)),
        `${id} (${handler})`,
      ).toEqual([]);
    }
  });

  it('refuses an intake tenant that is not a tenant id, naming the rule', () => {
    expect(build({ intakeTenant: 'Acme Corp' })).toThrow(
      /intakeTenant must be 1–63 lower-case letters, digits, '-' or '_', starting with a letter or digit, got 'Acme Corp'/,
    );
    expect(build({ intakeTenant: '-intake' })).toThrow(/intakeTenant must be/);
  });

  it('refuses a workflow timeout at or beyond the upstream’s one-hour record expiry', () => {
    expect(build({ executionTimeout: Duration.minutes(60) })).toThrow(/below 60 minutes/);
    expect(build({ executionTimeout: Duration.hours(2) })).toThrow(/below 60 minutes/);
    expect(build({ executionTimeout: Duration.seconds(30) })).toThrow(/timeout 30 s cannot hold the worst case/);
  });

  it('refuses a workflow timeout too short for the worst case of every retry, saying what to change', () => {
    expect(build({ executionTimeout: Duration.minutes(45) })).toThrow(
      /TransitionWorkflow: timeout 2700 s cannot hold the worst case: Submit 681 s, at least 300 s of polling, then 2221 s .* \(3202 s, 54 minutes\); raise timeout or lower maxVideoBytes\./,
    );
    expect(build({ executionTimeout: Duration.minutes(45), maxVideoBytes: 100_000_000 })).not.toThrow();
  });

  it('refuses a video cap a copy at 1 MiB/s could not move within Lambda’s 900 s', () => {
    expect(build({ executionTimeout: Duration.minutes(59), maxVideoBytes: 900 * 1024 * 1024 })).toThrow(
      /TransitionWorkflow: maxVideoBytes 943718400 needs a 960 s copy at the assumed minimum of 1 MiB\/s, above Lambda's 900 s limit; at most 880803840 bytes fit\./,
    );
  });

  it('refuses poll seconds that are not whole numbers ≥ 1', () => {
    expect(build({ pollFirstSeconds: 0 })).toThrow(/pollFirstSeconds must be a whole number of seconds/);
    expect(build({ pollIntervalSeconds: 1.5 })).toThrow(/pollIntervalSeconds must be a whole number/);
  });

  it('refuses malformed upstream settings, naming the prop', () => {
    expect(build({ segmindBaseUrl: 'api.segmind.com' })).toThrow(/segmindBaseUrl must be an absolute URL/);
    expect(build({ segmindBaseUrl: 'ftp://api.segmind.com' })).toThrow(/segmindBaseUrl must be an http\(s\) URL/);
    expect(build({ outputHosts: ['https://cdn.example.com/'] })).toThrow(/outputHosts must be bare host names/);
    expect(build({ outputHosts: [] })).toThrow(/outputHosts is empty/);
    expect(build({ maxVideoBytes: -1 })).toThrow(/maxVideoBytes must be a positive whole number/);
  });

  it('refuses retention and throttling values that cannot work', () => {
    expect(build({ retentionDays: 0 })).toThrow(/retentionDays must be a whole number of days/);
    expect(build({ apiOptions: { throttleRateLimit: 0 } })).toThrow(/throttleRateLimit must be a positive number/);
    expect(build({ apiOptions: { throttleBurstLimit: 2.5 } })).toThrow(/throttleBurstLimit must be a whole number/);
    expect(build({ apiOptions: { stageName: 'prod/v2' } })).toThrow(/stageName may only hold/);
  });

  it.each<[string, TransitionPipelineProps['apiOptions'], RegExp]>([
    [
      'a submit rate of zero',
      { submitRateLimit: 0 },
      /TransitionApi: submitRateLimit must be a positive number of requests per second, got 0\./,
    ],
    ['a negative submit rate', { submitRateLimit: -1 }, /submitRateLimit must be a positive number/],
    [
      'a submit rate that is not a number',
      { submitRateLimit: Number.NaN },
      /submitRateLimit must be a positive number/,
    ],
    ['an infinite stage rate', { throttleRateLimit: Number.POSITIVE_INFINITY }, /throttleRateLimit must be a positive/],
    [
      'a fractional submit burst',
      { submitBurstLimit: 2.5 },
      /TransitionApi: submitBurstLimit must be a whole number of requests ≥ 1, got 2\.5\./,
    ],
    ['a submit burst of zero', { submitBurstLimit: 0 }, /submitBurstLimit must be a whole number of requests ≥ 1/],
    ['a stage burst of zero', { throttleBurstLimit: 0 }, /throttleBurstLimit must be a whole number of requests ≥ 1/],
  ])('refuses %s, naming the prop and its rule', (_case, apiOptions, message) => {
    expect(build({ apiOptions })).toThrow(message);
  });

  it('accepts a fractional rate (API Gateway throttles in requests per second, not whole requests)', () => {
    expect(build({ apiOptions: { throttleRateLimit: 0.5, submitRateLimit: 0.2 } })).not.toThrow();
  });

  it('names the one event bus in the EventBusName output', () => {
    expect((tuned.json.Outputs as Record<string, { Value: unknown }>).EventBusName?.Value).toEqual({
      Ref: logicalIdOfType(tuned.json, 'AWS::Events::EventBus'),
    });
  });
});
