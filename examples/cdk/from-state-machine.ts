// Two ways for another state machine to run a framebridge job and wait for it:
// A. through the S3 intake (no API key), B. through the API, then attach with startExecution.sync.
// Synthesizes into a temporary directory; their ASL runs only in AWS (the local stack does not serve
// s3:getObject SDK tasks, HTTP Tasks or .sync).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Duration, SecretValue, Stack } from 'aws-cdk-lib';
import { Authorization, Connection } from 'aws-cdk-lib/aws-events';
import {
  DefinitionBody,
  Fail,
  IntegrationPattern,
  JsonPath,
  StateMachine,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import {
  CallAwsService,
  DynamoAttributeValue,
  DynamoGetItem,
  HttpInvoke,
  StepFunctionsStartExecution,
} from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { TransitionPipeline } from '../../infra'; // your app: '<framebridge checkout>/infra'

const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'framebridge-')) });
const stack = new Stack(app, 'Orchestration');
const transitions = new TransitionPipeline(stack, 'Transitions'); // its own bucket, with the API
const media = transitions.bucket;

// A. Put a manifest named after the execution, then wait for its answer in outbox/. In an unversioned
// bucket the intake keys the job on the object's ETag, so a retried put of the same bytes is the same job.
const key = (folder: string, suffix: string) =>
  JsonPath.format(`${folder}/from-sfn/{}${suffix}`, JsonPath.executionName);
const putManifest = new CallAwsService(stack, 'Put Manifest', {
  service: 's3',
  action: 'putObject',
  parameters: {
    Bucket: media.bucketName,
    Key: key('inbox', '.json'),
    Body: JsonPath.jsonToString(JsonPath.objectAt('$.manifest')), // the API body's fields
    ContentType: 'application/json',
  },
  iamResources: [media.arnForObjects('inbox/*')],
  resultPath: JsonPath.DISCARD,
});
const waitForOutbox = new Wait(stack, 'Wait For Outbox', { time: WaitTime.duration(Duration.seconds(30)) });
const readOutbox = (id: string, suffix: string) =>
  new CallAwsService(stack, id, {
    service: 's3',
    action: 'getObject',
    parameters: { Bucket: media.bucketName, Key: key('outbox', suffix) },
    iamResources: [media.arnForObjects('outbox/*')],
    resultSelector: { document: JsonPath.stringToJson(JsonPath.stringAt('$.Body')) },
    resultPath: '$.outbox',
  });
const readResult = readOutbox('Read Result', '.json'); // {request_id, status, s3_uri, …}
const readError = readOutbox('Read Error', '.error.json'); // {error: {code, message}, …}
readResult.addCatch(readError, { errors: ['S3.NoSuchKeyException'], resultPath: JsonPath.DISCARD });
readError.addCatch(waitForOutbox, { errors: ['S3.NoSuchKeyException'], resultPath: JsonPath.DISCARD });
readError.next(
  new Fail(stack, 'Transition Failed', {
    errorPath: '$.outbox.document.error.code',
    causePath: '$.outbox.document.error.message',
  }),
);
const viaIntake = new StateMachine(stack, 'MakeTransitionViaIntake', {
  definitionBody: DefinitionBody.fromChainable(
    putManifest.next(waitForOutbox).next(readResult).next(new Succeed(stack, 'Video In Outbox')),
  ),
  timeout: Duration.hours(1),
});
media.grantRead(viaIntake, 'outbox/*'); // with s3:ListBucket a missing key answers NoSuchKey, not 403

// B. Submit with an HTTP Task (the key in an EventBridge connection) and the execution name as
// Idempotency-Key, then attach to the execution the API started: StartExecution of a Standard workflow
// with the same name and input as a running execution returns that execution.
const submit = new HttpInvoke(stack, 'Submit Transition', {
  apiRoot: transitions.api!.api.url,
  apiEndpoint: TaskInput.fromText('v2/pixverse-5-transition'),
  method: TaskInput.fromText('POST'),
  connection: new Connection(stack, 'FramebridgeKey', {
    authorization: Authorization.apiKey('x-api-key', SecretValue.secretsManager('framebridge/api-key')),
  }),
  headers: TaskInput.fromObject({ 'content-type': 'application/json', 'Idempotency-Key': JsonPath.executionName }),
  body: TaskInput.fromJsonPathAt('$.request'),
  resultSelector: { jobId: JsonPath.stringAt('$.ResponseBody.request_id') },
  resultPath: '$.job',
});
const waitForJob = new StepFunctionsStartExecution(stack, 'Wait For Transition', {
  stateMachine: transitions.stateMachine,
  integrationPattern: IntegrationPattern.RUN_JOB, // states:startExecution.sync
  name: JsonPath.stringAt('$.job.jobId'), // the execution the API started is named after the job
  input: TaskInput.fromObject({ jobId: JsonPath.stringAt('$.job.jobId') }), // and has exactly this input
  resultPath: '$.execution',
});
// A job that ended before the attach (e.g. refused at submit within a second) answers
// ExecutionAlreadyExists: read its record instead.
waitForJob.addCatch(
  new DynamoGetItem(stack, 'Read Job', {
    table: transitions.table,
    key: { id: DynamoAttributeValue.fromString(JsonPath.stringAt('$.job.jobId')) },
    consistentRead: true,
    resultPath: '$.record',
  }),
  { errors: ['StepFunctions.ExecutionAlreadyExistsException'], resultPath: JsonPath.DISCARD },
);
new StateMachine(stack, 'MakeTransitionViaApi', {
  definitionBody: DefinitionBody.fromChainable(submit.next(waitForJob)),
  timeout: Duration.hours(1),
});

const assembly = app.synth();
const template = assembly.getStackByName('Orchestration').template;
const machines = Object.values(template.Resources as Record<string, { Type: string }>).filter(
  (resource) => resource.Type === 'AWS::StepFunctions::StateMachine',
);
console.log(`Orchestration: ${machines.length} state machines, template in ${assembly.directory}`);
