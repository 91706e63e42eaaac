// A rule in another CDK app of the same account and region: jobs that failed for want of Segmind
// credits go to a queue. The bus name is the framebridge stack's EventBusName output.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Queue } from 'aws-cdk-lib/aws-sqs';

const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'framebridge-')) });
const stack = new Stack(app, 'TransitionFailures');
const framebridgeBusName = process.env.FRAMEBRIDGE_EVENT_BUS ?? 'framebridge-events'; // output EventBusName

new Rule(stack, 'OutOfCredits', {
  eventBus: EventBus.fromEventBusName(stack, 'Framebridge', framebridgeBusName),
  eventPattern: {
    source: ['framebridge'],
    detailType: ['Transition Failed'],
    detail: { code: ['upstream_insufficient_credits'] },
  },
  targets: [new SqsQueue(new Queue(stack, 'NeedsCredits'))],
});

const assembly = app.synth();
console.log(`TransitionFailures: template in ${assembly.directory}`);
