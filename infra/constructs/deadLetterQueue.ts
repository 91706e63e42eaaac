import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * An encrypted, TLS-only queue holding for 14 days the events a construct's
 * functions could not handle; `of` says whose dead letters they are (it goes
 * into the cdk-nag acknowledgement: a DLQ of a DLQ would only move them again).
 */
export function deadLetterQueue(scope: Construct, of: string): Queue {
  const queue = new Queue(scope, 'DeadLetterQueue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue of ${of}; a DLQ of a DLQ would only move the same messages again.`,
  });
  return queue;
}
