// framebridge inside another CDK app: your bucket, no API (S3 intake and EventBridge only), your alarm
// topic, and a rule for every finished job. Synthesizes into a temporary directory; deploy your own app
// with `npx cdk deploy` as usual. From your app, import the constructs from your framebridge checkout.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { TransitionPipeline } from '../../infra'; // your app: '<framebridge checkout>/infra'

const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'framebridge-')) });
const stack = new Stack(app, 'MediaPlatform');

const hardened = { blockPublicAccess: BlockPublicAccess.BLOCK_ALL, enforceSSL: true };
const accessLogs = new Bucket(stack, 'AccessLogs', { ...hardened, encryption: BucketEncryption.S3_MANAGED });
const media = new Bucket(stack, 'Media', {
  ...hardened,
  encryption: BucketEncryption.S3_MANAGED, // SSE-S3: framebridge's roles get no KMS grants
  serverAccessLogsBucket: accessLogs,
});
// The S3 intake listens for Object Created on the default bus: EventBridge notifications on, set on
// the bucket itself as VideoBucket does (`eventBridgeEnabled: true` works too, through a custom resource).
(media.node.defaultChild as CfnBucket).notificationConfiguration = {
  eventBridgeConfiguration: { eventBridgeEnabled: true },
};

const transitions = new TransitionPipeline(stack, 'Transitions', {
  bucket: media, // or leave it out: the pipeline creates a hardened VideoBucket
  api: false, // S3 intake and EventBridge only
  alarmTopic: new Topic(stack, 'OnCall'), // every alarm notifies it
});

// Every finished job, whichever door it came in through.
new Rule(stack, 'TransitionEnded', {
  eventBus: transitions.eventBus,
  eventPattern: { source: ['framebridge'], detailType: ['Transition Completed', 'Transition Failed'] },
  targets: [new SqsQueue(new Queue(stack, 'FinishedTransitions'))],
});

const assembly = app.synth();
const resources = Object.keys(assembly.getStackByName('MediaPlatform').template.Resources).length;
console.log(`MediaPlatform: ${resources} resources, template in ${assembly.directory}`);
