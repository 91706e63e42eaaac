import * as z from 'zod/mini';
import './zodMini';
import { failureCodeForErrorName, type JobFailureCode, UpstreamRejectedError } from './errors';
import type { JobError } from './job';
import { redactSecrets } from './redact';
import type { FailureInput } from './workflowState';

const lambdaCauseSchema = z.object({ errorType: z.optional(z.string()), errorMessage: z.optional(z.string()) });

const INTERNAL_MESSAGE = 'framebridge failed internally while running this job; it has been logged';

/** Lambda puts `{errorType, errorMessage, trace}` in Cause; other sources a plain string. */
export function causeMessage(cause: string | null | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = lambdaCauseSchema.safeParse(JSON.parse(cause));
    if (parsed.success) return parsed.data.errorMessage;
  } catch {
    // not JSON: a plain cause string
  }
  return cause;
}

/**
 * Turns what reached the failure path into the `{code, message}` stored on the
 * job. Internal errors keep their details out of the message (they are logged).
 */
function describeUnredacted(input: FailureInput): JobError & { internalDetail?: string } {
  if (!input.error) {
    return {
      code: 'upstream_failed',
      message: input.upstreamError ?? `The upstream job ended with status ${input.status ?? 'unknown'}`,
    };
  }
  const name = input.error.Error;
  const message = causeMessage(input.error.Cause);
  let code: JobFailureCode = failureCodeForErrorName(name);
  if (name === 'UpstreamRejectedError') code = UpstreamRejectedError.codeFromMessage(message ?? '');
  if (code === 'internal_error') {
    return { code, message: INTERNAL_MESSAGE, internalDetail: `${name}: ${message ?? ''}` };
  }
  if (code === 'timeout') return { code, message: 'A step of the workflow timed out' };
  return { code, message: message ?? name };
}

/**
 * The failure as stored on the job and shown to its owner. Upstream text can echo
 * the presigned frame URLs we sent it: their signatures are removed.
 */
export function describeFailure(input: FailureInput): JobError & { internalDetail?: string } {
  const failure = describeUnredacted(input);
  return {
    ...failure,
    message: redactSecrets(failure.message),
    ...(failure.internalDetail ? { internalDetail: redactSecrets(failure.internalDetail) } : {}),
  };
}
