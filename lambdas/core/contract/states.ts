/** State names of the transition workflow: the CLI, the local runner and the tests read them. */
export const STATE_NAMES = {
  submit: 'Submit Job',
  /** Only while the upstream budget is spent: Submit's answer, read into a time to ask again… */
  readCapacityWait: 'Read Capacity Wait',
  /** …and the wait until then, back to Submit. */
  waitForCapacity: 'Wait For Capacity',
  wait: 'Wait For Upstream',
  checkStatus: 'Check Status',
  jobComplete: 'Job Complete?',
  copyToS3: 'Copy Video To S3',
  /** Routes a finished job to its event, or past both events and Notify when something else ended it. */
  announceOutcome: 'Announce Outcome?',
  emitCompleted: 'Emit Completed Event',
  recordFailure: 'Record Failure',
  emitFailed: 'Emit Failed Event',
  notify: 'Notify',
  jobSucceeded: 'Job Succeeded?',
  succeeded: 'Transition Succeeded',
  failed: 'Transition Failed',
} as const;

/** State names of the webhook delivery state machine. */
export const WEBHOOK_STATE_NAMES = {
  deliver: 'Deliver Webhook',
  delivered: 'Webhook Delivered',
  recordFailure: 'Record Webhook Failure',
  failed: 'Webhook Failed',
} as const;

/** State names of the machine that announces a cancelled job. */
export const CANCELLATION_STATE_NAMES = {
  emit: 'Emit Cancelled Event',
  notify: 'Notify Cancelled',
  done: 'Cancellation Announced',
} as const;
