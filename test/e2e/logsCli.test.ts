import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTransition, type TransitionOutcome } from '../../cli/runTransition';
import { STATE_NAMES } from '../../lambdas/core/contract/states';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { type CliRun, runCli } from './cliProcess';

const repo = path.resolve(import.meta.dirname, '..', '..');
const frames = path.resolve(repo, 'examples', 'frames');
const API_KEY = 'logs-cli-api-key';
const WEBHOOK_SECRET = 'whsec_bG9ncy1jbGktc2VjcmV0LW5vdC10by1wcmludA==';
const FAILING_PROMPT = 'logs cli: the upstream answers a signed URL that is not there';
/** A signed query the upstream's answer carries: the workflow keeps it in its state data. */
const SIGNED_QUERY =
  'X-Amz-Credential=AKIAEXAMPLE%2F20250301&X-Amz-Signature=0123456789abcdef&token=callback-token-1234';

const cli = (args: string[], env: Record<string, string>) => runCli('logs', args, env);

const codeOf = (outcome: TransitionOutcome) => (outcome.status === 'FAILED' ? outcome.code : 'not failed');
const UNREDACTED_SIGNATURE = /X-Amz-(Signature|Credential|Security-Token)=(?!\[redacted\])/;

describe('E2E: framebridge logs on the local stack and on a "deployed" stack', () => {
  let stack: LocalStack;
  let workDir: string;
  let local: Record<string, string>;
  let completed: TransitionOutcome;
  let failed: TransitionOutcome;
  let completedRun: CliRun;
  let failedRun: CliRun;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-logs-cli-'));
    const dataDir = path.join(workDir, 'data');
    stack = await startLocalStack({
      port: 0,
      dataDir,
      apiKeys: [API_KEY],
      segmindApiKey: '',
      webhookSecret: WEBHOOK_SECRET,
      emulator: {
        latencySeconds: 1,
        // The upstream answers a presigned video URL that serves nothing: the copy fails.
        scenario: (request) =>
          request.prompt === FAILING_PROMPT
            ? { videoUrlOverride: `${stack.emulator?.url}/files/missing.mp4?${SIGNED_QUERY}` }
            : undefined,
      },
      pollFirstSeconds: 1,
      pollIntervalSeconds: 1,
      retryIntervalMs: 20,
    });
    const transition = (prompt: string) =>
      runTransition(stack, {
        first: path.join(frames, 'first.png'),
        last: path.join(frames, 'last.png'),
        prompt,
        quality: '360p',
      });
    [completed, failed] = await Promise.all([transition('logs cli: dawn to dusk'), transition(FAILING_PROMPT)]);
    await stack.idle();
    local = { FRAMEBRIDGE_DATA_DIR: dataDir };
    [completedRun, failedRun] = await Promise.all([cli([completed.jobId], local), cli([failed.jobId], local)]);
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('shows a completed job: every state it went through, with durations, inputs and outputs', () => {
    // Assert
    expect(completed.status).toBe('COMPLETED');
    expect(completedRun.code, completedRun.stderr).toBe(0);
    const out = completedRun.stdout;
    expect(out).toContain(completed.executionArn);
    expect(out).toMatch(new RegExp(`^Job +${completed.jobId} +COMPLETED`, 'm'));
    for (const state of [STATE_NAMES.submit, STATE_NAMES.wait, STATE_NAMES.checkStatus, STATE_NAMES.copyToS3]) {
      expect(out).toMatch(
        new RegExp(`^ +\\+\\d+\\.\\d s  ${state.replace('?', '\\?')} \\(\\w+\\)  \\d+(\\.\\d)? m?s$`, 'm'),
      );
    }
    expect(out).toContain(`${STATE_NAMES.jobComplete} (Choice)`);
    expect(out).toContain(`${STATE_NAMES.succeeded} (Succeed)`);
    expect(out).toMatch(/^ +input +\{"jobId":"/m);
    expect(out).toMatch(/^ +call 1 +lambda:invoke +\d+ m?s +succeeded$/m);
    expect(out).toMatch(/^ +call 1 +events:putEvents +\d+ m?s +succeeded$/m);
    expect(out).toMatch(/^SUCCEEDED after \d+\.\d s\.$/m);
  });

  it('shows a failed job: where it failed and the error that ended it', () => {
    // Assert
    expect(failed.status).toBe('FAILED');
    expect(failedRun.code, failedRun.stderr).toBe(0);
    const out = failedRun.stdout;
    expect(out).toMatch(new RegExp(`^Job +${failed.jobId} +FAILED +\\(failed\\) +${codeOf(failed)}$`, 'm'));
    expect(out).toMatch(/^ +call 1 +lambda:invoke +\d+ m?s +failed +\w+Error: \S/m);
    expect(out).toContain(`${STATE_NAMES.recordFailure} (Task)`);
    expect(out).toContain(`${STATE_NAMES.failed} (Fail)`);
    expect(out).toMatch(new RegExp(`^FAILED after \\d+\\.\\d s: ${codeOf(failed)}: \\S`, 'm'));
  });

  it("prints no presigned signature, although the execution's history holds one", async () => {
    // Arrange: the raw history does carry the signed URL the upstream echoed.
    const { endpoints } = stack;
    const sfn = new SFNClient({
      endpoint: endpoints.stepFunctionsUrl,
      region: endpoints.region,
      credentials: endpoints.credentials,
    });
    const { events = [] } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: failed.executionArn, maxResults: 1000 }),
    );
    sfn.destroy();
    expect(JSON.stringify(events)).toMatch(UNREDACTED_SIGNATURE);

    // Act
    const full = await cli([failed.jobId, '--full'], local);

    // Assert
    for (const run of [failedRun, full, completedRun]) {
      expect(run.stdout).not.toMatch(UNREDACTED_SIGNATURE);
      expect(run.stdout).not.toContain(API_KEY);
      expect(run.stdout).not.toContain(WEBHOOK_SECRET);
      expect(run.stdout).not.toContain(endpoints.credentials.secretAccessKey);
    }
    expect(full.stdout).toContain('X-Amz-Signature=[redacted]');
    expect(full.stdout).toMatch(/^ +params +\{$/m);
  });

  it('--json prints the same timeline as data', async () => {
    // Act
    const run = await cli([failed.jobId, '--json'], local);

    // Assert
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(UNREDACTED_SIGNATURE);
    const timeline = JSON.parse(run.stdout) as {
      executionArn: string;
      outcome: string;
      error: string;
      steps: { name: string; durationMs: number; calls: { outcome: string }[] }[];
    };
    expect(timeline).toMatchObject({ executionArn: failed.executionArn, outcome: 'FAILED', error: codeOf(failed) });
    expect(timeline.steps[0]).toMatchObject({ name: STATE_NAMES.submit, durationMs: expect.any(Number) });
    expect(timeline.steps.at(-1)?.name).toBe(STATE_NAMES.failed);
  });

  it('reads a deployed stack through its outputs file and the AWS SDK configuration', async () => {
    // Arrange: an outputs file as `cdk deploy --outputs-file` writes it, and a shell aimed at "AWS".
    const outputsFile = path.join(workDir, 'cdk-outputs.json');
    const { endpoints } = stack;
    await writeFile(
      outputsFile,
      JSON.stringify({
        Framebridge: { StateMachineArn: endpoints.stateMachineArn, JobsTableName: endpoints.jobsTable },
      }),
    );
    const aws = {
      FRAMEBRIDGE_DATA_DIR: path.join(workDir, 'no-stack-here'),
      AWS_REGION: endpoints.region,
      AWS_ENDPOINT_URL_SFN: endpoints.stepFunctionsUrl,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDbUrl,
      AWS_ACCESS_KEY_ID: endpoints.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: endpoints.credentials.secretAccessKey,
    };

    // Act
    const run = await cli([completed.jobId, '--outputs', outputsFile], aws);
    const byArn = await cli([failed.executionArn, '--outputs', outputsFile], aws);

    // Assert
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('the stack Framebridge (us-east-1)');
    expect(run.stdout).toContain(`${STATE_NAMES.copyToS3} (Task)`);
    expect(run.stdout).toMatch(/^SUCCEEDED after/m);
    expect(byArn.code, byArn.stderr).toBe(0);
    expect(byArn.stdout).toMatch(new RegExp(`^FAILED after .*${codeOf(failed)}`, 'm'));
  });

  it('says plainly when there is no such job, no stack, or a bad argument', async () => {
    // Act
    const [unknown, noStack, badId] = await Promise.all([
      cli(['01JNOSUCHJOB0000000000000Z'], local),
      cli([completed.jobId], { FRAMEBRIDGE_DATA_DIR: path.join(workDir, 'empty') }),
      cli(['not a job id'], local),
    ]);

    // Assert
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`No job 01JNOSUCHJOB0000000000000Z: the jobs table ${stack.endpoints.jobsTable}`);
    expect(noStack.code).toBe(1);
    expect(noStack.stderr).toContain('The local stack is not running');
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('JOB_ID: must be 1–80 of [0-9A-Za-z_-]');
  });
});
