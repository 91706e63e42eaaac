import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TransitionPipelineProps } from '../../infra/constructs/transitionPipeline';
import { createFramebridgeApp } from '../../infra/framebridgeApp';
import { extractStateMachineDefinition } from '../../local/template';
import { BUILD_TIMEOUT_MS, type BuiltApp, buildTemplate, environmentOf, logicalIdOfType } from './templateHelpers';

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
      maxVideoBytes: 100_000_000,
      executionTimeout: Duration.minutes(45),
      apiOptions: { throttleRateLimit: 2, throttleBurstLimit: 4, stageName: 'v1' },
    },
  });
}, BUILD_TIMEOUT_MS);

describe('Infra: construct props', () => {
  it('passes the poll plan overrides to Submit and Check Status only', () => {
    for (const handler of ['lambdas/workflow/submit.ts', 'lambdas/workflow/checkStatus.ts']) {
      expect(environmentOf(tuned.json, handler), handler).toMatchObject({
        FRAMEBRIDGE_POLL_FIRST_S: '40',
        FRAMEBRIDGE_POLL_INTERVAL_S: '3',
        SEGMIND_BASE_URL: 'https://segmind.example.com',
      });
    }
    expect(environmentOf(tuned.json, 'lambdas/workflow/copyToS3.ts')).not.toHaveProperty('FRAMEBRIDGE_POLL_FIRST_S');
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
    expect(definition.TimeoutSeconds).toBe(45 * 60);
    tuned.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'jobs/', ExpirationInDays: 14 })]) },
    });
    tuned.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Throttle: { RateLimit: 2, BurstLimit: 4 } });
    tuned.template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'v1' });
  });

  it('refuses a workflow timeout at or beyond the upstream’s one-hour record expiry', () => {
    expect(build({ executionTimeout: Duration.minutes(60) })).toThrow(/below 60 minutes/);
    expect(build({ executionTimeout: Duration.hours(2) })).toThrow(/below 60 minutes/);
    expect(build({ executionTimeout: Duration.seconds(30) })).toThrow(/at least 1 minute/);
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

  it('names the one event bus in the EventBusName output', () => {
    expect((tuned.json.Outputs as Record<string, { Value: unknown }>).EventBusName?.Value).toEqual({
      Ref: logicalIdOfType(tuned.json, 'AWS::Events::EventBus'),
    });
  });
});
