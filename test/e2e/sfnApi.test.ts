import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  paginateGetExecutionHistory,
  paginateListExecutions,
  paginateListStateMachines,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTransition, type TransitionOutcome } from '../../cli/runTransition';
import { STATE_NAMES } from '../../lambdas/core/contract/states';
import { type LocalStack, startLocalStack } from '../../local/stack';

/**
 * The local Step Functions endpoint answers the read operations the AWS CLI
 * and SDK use to debug an execution, in AWS's shapes, through the real
 * @aws-sdk/client-sfn: one completed job, one failed job.
 */

const frames = path.resolve(import.meta.dirname, '..', '..', 'examples', 'frames');
const FAILING_PROMPT = 'sfn api: upstream refuses the request';
const REFUSAL = 'injected 400: the prompt breaks a rule';

const json = (text: string | undefined) => JSON.parse(text ?? 'null') as Record<string, unknown>;

async function fullHistory(sfn: SFNClient, executionArn: string, reverseOrder = false, pageSize = 100) {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client: sfn, pageSize }, { executionArn, reverseOrder })) {
    events.push(...(page.events ?? []));
  }
  return events;
}

const ofType = (events: HistoryEvent[], type: string) => events.filter((event) => event.type === type);
const ofState = (events: HistoryEvent[], name: string) =>
  events.filter(
    (event) => event.stateEnteredEventDetails?.name === name || event.stateExitedEventDetails?.name === name,
  );

describe('E2E: the local Step Functions endpoint through @aws-sdk/client-sfn', () => {
  let stack: LocalStack;
  let workDir: string;
  let sfn: SFNClient;
  let completed: TransitionOutcome;
  let failed: TransitionOutcome;
  let completedHistory: HistoryEvent[];
  let failedHistory: HistoryEvent[];

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'framebridge-sfn-api-'));
    stack = await startLocalStack({
      port: 0,
      dataDir: workDir,
      apiKeys: ['sfn-api-key'],
      segmindApiKey: '',
      emulator: {
        latencySeconds: 1,
        // A retried 503, then a 400: two task attempts, the last one's error caught.
        scenario: (request) =>
          request.prompt === FAILING_PROMPT
            ? { submitFaults: [{ status: 503 }, { status: 400, body: { error: REFUSAL } }] }
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
    [completed, failed] = await Promise.all([transition('sfn api: dawn to dusk'), transition(FAILING_PROMPT)]);
    await stack.idle();
    const { endpoints } = stack;
    sfn = new SFNClient({
      endpoint: endpoints.stepFunctionsUrl,
      region: endpoints.region,
      credentials: endpoints.credentials,
    });
    completedHistory = await fullHistory(sfn, completed.executionArn);
    failedHistory = await fullHistory(sfn, failed.executionArn);
  }, 120_000);

  afterAll(async () => {
    sfn?.destroy();
    await stack?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('ran one completed and one failed job', () => {
    expect(completed.status).toBe('COMPLETED');
    expect(failed.status).toBe('FAILED');
  });

  describe('state machines', () => {
    it('DescribeStateMachine answers the definition, role, type and logging of the deployed machine', async () => {
      // Act
      const machine = await sfn.send(
        new DescribeStateMachineCommand({ stateMachineArn: stack.endpoints.stateMachineArn }),
      );

      // Assert
      expect(machine).toMatchObject({
        stateMachineArn: stack.endpoints.stateMachineArn,
        name: 'framebridge-transition',
        status: 'ACTIVE',
        type: 'STANDARD',
        tracingConfiguration: { enabled: true },
        loggingConfiguration: { level: 'ALL', includeExecutionData: false },
      });
      expect(machine.roleArn).toMatch(/^arn:aws:iam::000000000000:role\/\S+$/);
      expect(machine.creationDate).toBeInstanceOf(Date);
      expect(machine.loggingConfiguration?.destinations?.[0]?.cloudWatchLogsLogGroup?.logGroupArn).toMatch(
        /^arn:aws:logs:us-east-1:000000000000:log-group:/,
      );
      const definition = json(machine.definition) as { StartAt: string; States: Record<string, { Type: string }> };
      expect(definition.StartAt).toBe(STATE_NAMES.submit);
      expect(definition.States[STATE_NAMES.checkStatus]?.Type).toBe('Task');
    });

    it('ListStateMachines lists every machine of the template, page by page', async () => {
      // Act
      const pages: string[][] = [];
      for await (const page of paginateListStateMachines({ client: sfn, pageSize: 1 }, {})) {
        pages.push((page.stateMachines ?? []).map((machine) => machine.stateMachineArn ?? ''));
      }
      const all = await sfn.send(new ListStateMachinesCommand({}));

      // Assert
      expect(pages.every((page) => page.length === 1)).toBe(true);
      expect(pages.flat().sort()).toEqual([...stack.endpoints.stateMachineArns].sort());
      expect(all.nextToken).toBeUndefined();
      expect(all.stateMachines?.find((machine) => machine.name === 'framebridge-transition')).toMatchObject({
        type: 'STANDARD',
        creationDate: expect.any(Date),
      });
    });

    it('DescribeStateMachineForExecution answers the machine an execution ran', async () => {
      // Act
      const machine = await sfn.send(
        new DescribeStateMachineForExecutionCommand({ executionArn: failed.executionArn }),
      );
      const described = await sfn.send(
        new DescribeStateMachineCommand({ stateMachineArn: stack.endpoints.stateMachineArn }),
      );

      // Assert
      expect(machine).toMatchObject({
        stateMachineArn: stack.endpoints.stateMachineArn,
        name: 'framebridge-transition',
        definition: described.definition,
        roleArn: described.roleArn,
        updateDate: described.creationDate,
      });
    });

    it.each([
      [
        'DescribeStateMachine of an unknown machine',
        () =>
          new DescribeStateMachineCommand({
            stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:nope',
          }),
        'StateMachineDoesNotExist',
      ],
      [
        'DescribeStateMachine of an execution ARN',
        () =>
          new DescribeStateMachineCommand({
            stateMachineArn: 'arn:aws:states:us-east-1:000000000000:execution:framebridge-transition:x',
          }),
        'InvalidArn',
      ],
      [
        'DescribeStateMachine of garbage',
        () => new DescribeStateMachineCommand({ stateMachineArn: 'not-an-arn' }),
        'InvalidArn',
      ],
      [
        'DescribeStateMachineForExecution of an unknown execution',
        () =>
          new DescribeStateMachineForExecutionCommand({
            executionArn: 'arn:aws:states:us-east-1:000000000000:execution:framebridge-transition:nope',
          }),
        'ExecutionDoesNotExist',
      ],
      [
        'GetExecutionHistory of an unknown execution',
        () =>
          new GetExecutionHistoryCommand({
            executionArn: 'arn:aws:states:us-east-1:000000000000:execution:framebridge-transition:nope',
          }),
        'ExecutionDoesNotExist',
      ],
      [
        'GetExecutionHistory of a machine ARN',
        () =>
          new GetExecutionHistoryCommand({
            executionArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:framebridge-transition',
          }),
        'InvalidArn',
      ],
      [
        'ListExecutions of an unknown machine',
        () => new ListExecutionsCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:nope' }),
        'StateMachineDoesNotExist',
      ],
      [
        'GetExecutionHistory with a forged token',
        () =>
          new GetExecutionHistoryCommand({
            executionArn: 'arn:aws:states:us-east-1:000000000000:execution:framebridge-transition:nope',
            nextToken: 'forged',
          }),
        'ExecutionDoesNotExist',
      ],
      [
        'StartExecution with input that is not JSON',
        () =>
          new StartExecutionCommand({
            stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:framebridge-transition',
            input: '{nope',
          }),
        'InvalidExecutionInput',
      ],
    ] as const)('%s answers %s', async (_case, command, errorName) => {
      // Act
      const error = await sfn.send(command() as never).catch((caught: unknown) => caught);

      // Assert: the SDK turned AWS's {__type, message} into its own exception class.
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe(errorName);
      expect((error as Error).message).not.toBe('');
      expect((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(400);
    });
  });

  describe('executions', () => {
    it('ListExecutions pages through the executions, newest first, and filters by status', async () => {
      // Act
      const pages: string[][] = [];
      for await (const page of paginateListExecutions(
        { client: sfn, pageSize: 1 },
        { stateMachineArn: stack.endpoints.stateMachineArn },
      )) {
        pages.push((page.executions ?? []).map((execution) => execution.executionArn ?? ''));
      }
      const succeeded = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: stack.endpoints.stateMachineArn, statusFilter: 'SUCCEEDED' }),
      );
      const failures = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: stack.endpoints.stateMachineArn, statusFilter: 'FAILED' }),
      );

      // Assert
      expect(pages).toHaveLength(2);
      expect(pages.flat().sort()).toEqual([completed.executionArn, failed.executionArn].sort());
      expect(succeeded.executions?.map((execution) => execution.executionArn)).toEqual([completed.executionArn]);
      expect(failures.executions?.[0]).toMatchObject({
        executionArn: failed.executionArn,
        status: 'FAILED',
        startDate: expect.any(Date),
        stopDate: expect.any(Date),
      });
    });

    it('a token of one listing is refused by another (InvalidToken)', async () => {
      // Arrange
      const first = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: stack.endpoints.stateMachineArn, maxResults: 1 }),
      );

      // Act
      const error = await sfn
        .send(new GetExecutionHistoryCommand({ executionArn: completed.executionArn, nextToken: first.nextToken }))
        .catch((caught: unknown) => caught);

      // Assert
      expect(first.nextToken).toEqual(expect.any(String));
      expect((error as Error).name).toBe('InvalidToken');
    });

    it('RedriveExecution answers ExecutionNotRedrivable, and DescribeExecution says why', async () => {
      // Act
      const redrive = await sfn
        .send(new RedriveExecutionCommand({ executionArn: failed.executionArn }))
        .catch((caught: unknown) => caught);
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: failed.executionArn }));
      const succeeded = await sfn.send(new DescribeExecutionCommand({ executionArn: completed.executionArn }));

      // Assert
      expect((redrive as Error).name).toBe('ExecutionNotRedrivable');
      expect(described).toMatchObject({ status: 'FAILED', redriveCount: 0, redriveStatus: 'NOT_REDRIVABLE' });
      expect(described.redriveStatusReason).toContain('local stack cannot redrive');
      expect(succeeded.redriveStatusReason).toBe('Execution is SUCCEEDED and cannot be redriven');
    });
  });

  describe('GetExecutionHistory of the completed job', () => {
    it('numbers its events and chains each to the one before', () => {
      expect(completedHistory.map((event) => event.id)).toEqual(completedHistory.map((_, index) => index + 1));
      expect(completedHistory.map((event) => event.previousEventId)).toEqual(completedHistory.map((_, index) => index));
      expect(completedHistory.every((event) => event.timestamp instanceof Date)).toBe(true);
    });

    it('starts with the execution input and ends with its output', async () => {
      // Arrange
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: completed.executionArn }));

      // Assert
      const [started] = completedHistory;
      const ended = completedHistory.at(-1);
      expect(started?.type).toBe('ExecutionStarted');
      expect(started?.executionStartedEventDetails).toMatchObject({
        input: described.input,
        inputDetails: { truncated: false },
        roleArn: expect.stringMatching(/^arn:aws:iam::/),
      });
      expect(json(described.input).jobId).toBe(completed.jobId);
      expect(ended?.type).toBe('ExecutionSucceeded');
      expect(ended?.executionSucceededEventDetails).toEqual({
        output: described.output,
        outputDetails: { truncated: false },
      });
    });

    it("gives every state's entry its input and every exit its output, under the right member", () => {
      // Arrange
      const entered = completedHistory.filter((event) => event.type?.endsWith('StateEntered'));
      const exited = completedHistory.filter((event) => event.type?.endsWith('StateExited'));

      // Assert
      expect(entered.length).toBeGreaterThan(5);
      expect(exited).toHaveLength(entered.length);
      for (const event of entered) {
        expect(event.stateEnteredEventDetails?.name).toEqual(expect.any(String));
        expect(() => json(event.stateEnteredEventDetails?.input)).not.toThrow();
        expect(event.stateExitedEventDetails).toBeUndefined();
      }
      for (const event of exited) {
        expect(event.stateExitedEventDetails?.name).toEqual(expect.any(String));
        expect(() => json(event.stateExitedEventDetails?.output)).not.toThrow();
        expect(event.stateEnteredEventDetails).toBeUndefined();
      }
      const types = new Set(completedHistory.map((event) => event.type));
      for (const type of ['Task', 'Wait', 'Choice', 'Succeed']) {
        expect(types).toContain(`${type}StateEntered`);
        expect(types).toContain(`${type}StateExited`);
      }
    });

    it('records each Lambda task: scheduled with its resource, region and parameters, started, succeeded with its output', () => {
      // Arrange: the Submit Job state's events, from its entry to its exit.
      const start = completedHistory.findIndex((event) => event.stateEnteredEventDetails?.name === STATE_NAMES.submit);
      const end = completedHistory.findIndex((event) => event.stateExitedEventDetails?.name === STATE_NAMES.submit);
      const submit = completedHistory.slice(start, end + 1);

      // Assert
      expect(submit.map((event) => event.type)).toEqual([
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSucceeded',
        'TaskStateExited',
      ]);
      const [, scheduled, started, succeeded, exited] = submit;
      expect(scheduled?.taskScheduledEventDetails).toMatchObject({
        resourceType: 'lambda',
        resource: 'invoke',
        region: 'us-east-1',
        timeoutInSeconds: 70,
      });
      const parameters = json(scheduled?.taskScheduledEventDetails?.parameters) as {
        FunctionName: string;
        Payload: { jobId: string };
      };
      expect(parameters.FunctionName).toMatch(/^arn:aws:lambda:us-east-1:000000000000:function:/);
      expect(parameters.Payload.jobId).toBe(completed.jobId);
      expect(started?.taskStartedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke' });
      const answer = json(succeeded?.taskSucceededEventDetails?.output) as { StatusCode: number; Payload: unknown };
      expect(succeeded?.taskSucceededEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke' });
      expect(answer.StatusCode).toBe(200);
      // The state's output is the task's Payload (OutputPath $.Payload).
      expect(json(exited?.stateExitedEventDetails?.output)).toEqual(answer.Payload);
    });

    it('records the EventBridge integration with its own resource type', () => {
      const scheduled = ofType(completedHistory, 'TaskScheduled').map((event) => event.taskScheduledEventDetails);
      expect(scheduled).toContainEqual(
        expect.objectContaining({ resourceType: 'events', resource: 'putEvents', region: 'us-east-1' }),
      );
    });

    it('answers the same events in reverse order, page by page', async () => {
      // Act
      const reversed = await fullHistory(sfn, completed.executionArn, true, 4);
      const firstPage = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn: completed.executionArn, reverseOrder: true, maxResults: 4 }),
      );

      // Assert
      expect(firstPage.events).toHaveLength(4);
      expect(firstPage.events?.[0]?.type).toBe('ExecutionSucceeded');
      expect(firstPage.nextToken).toEqual(expect.any(String));
      expect(reversed).toEqual([...completedHistory].reverse());
    });

    it('pages forward in pages of maxResults', async () => {
      const paged = await fullHistory(sfn, completed.executionArn, false, 3);
      expect(paged).toEqual(completedHistory);
    });

    it('leaves inputs and outputs out when includeExecutionData is false', async () => {
      // Act
      const { events = [] } = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn: completed.executionArn, includeExecutionData: false }),
      );

      // Assert
      expect(events).toHaveLength(completedHistory.length);
      expect(events[0]?.executionStartedEventDetails?.input).toBeUndefined();
      const entered = events.find((event) => event.type === 'TaskStateEntered');
      expect(entered?.stateEnteredEventDetails).toEqual({ name: STATE_NAMES.submit });
      expect(events.some((event) => event.taskSucceededEventDetails?.output !== undefined)).toBe(false);
    });
  });

  describe('GetExecutionHistory of the failed job', () => {
    it('records each failed attempt of the task, the caught error in the state output, and the failure', () => {
      // Arrange
      const start = failedHistory.findIndex((event) => event.stateEnteredEventDetails?.name === STATE_NAMES.submit);
      const end = failedHistory.findIndex((event) => event.stateExitedEventDetails?.name === STATE_NAMES.submit);
      const submit = failedHistory.slice(start, end + 1);

      // Assert: retried after the 503 without leaving the state, then caught.
      expect(submit.map((event) => event.type)).toEqual([
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskFailed',
        'TaskScheduled',
        'TaskStarted',
        'TaskFailed',
        'TaskStateExited',
      ]);
      const [firstFailure, lastFailure] = ofType(submit, 'TaskFailed').map((event) => event.taskFailedEventDetails);
      expect(firstFailure).toMatchObject({
        resourceType: 'lambda',
        resource: 'invoke',
        error: 'UpstreamUnavailableError',
      });
      expect(lastFailure?.error).toEqual(expect.any(String));
      expect(lastFailure?.cause).toContain(REFUSAL);
      // The Catch put the error at $.error before going to Record Failure.
      const output = json(submit.at(-1)?.stateExitedEventDetails?.output) as { error?: { Error: string } };
      expect(output.error?.Error).toBe(lastFailure?.error);
      expect(ofState(failedHistory, STATE_NAMES.recordFailure).length).toBe(2);
    });

    it('enters the Fail state without leaving it, and ends with the error and cause DescribeExecution reports', async () => {
      // Arrange
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: failed.executionArn }));

      // Assert
      const [penultimate, last] = failedHistory.slice(-2);
      expect(penultimate?.type).toBe('FailStateEntered');
      expect(penultimate?.stateEnteredEventDetails?.name).toBe(STATE_NAMES.failed);
      expect(last?.type).toBe('ExecutionFailed');
      expect(last?.executionFailedEventDetails).toEqual({ error: described.error, cause: described.cause });
      expect(described.error).toEqual(expect.any(String));
      expect(ofType(failedHistory, 'FailStateExited')).toEqual([]);
    });
  });
});
