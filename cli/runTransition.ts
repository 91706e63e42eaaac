import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Framebridge, FramebridgeError, JobFailedError, type TransitionRequest } from 'framebridge/client';
import * as z from 'zod';
import { errorBodySchema } from '../lambdas/core/apiViews';
import { transitionRequestSchema } from '../lambdas/core/schemas';
import type { LocalStack } from '../local/stack';

export interface TransitionOptions {
  first: string;
  last: string;
  prompt: string;
  duration?: number;
  quality?: string;
  seed?: number;
  sound?: boolean;
}

export type TransitionOutcome =
  | {
      status: 'COMPLETED';
      jobId: string;
      executionArn: string;
      s3Uri: string;
      videoUrl: string;
      video: Buffer;
    }
  | { status: 'FAILED'; jobId: string; executionArn: string; code: string; message: string };

/** An error answer's fields as a line for people: the message, its code, and each field and rule it names. */
function describeRefusal({
  error,
  error_code,
  details,
}: {
  error: string;
  error_code: string;
  details: readonly { field: string; rule: string }[];
}): string {
  const fields = details.map(({ field, rule }) => `${field} ${rule}`).join('; ');
  return `${error} [${error_code}]${fields && !error.includes(fields) ? ` (${fields})` : ''}`;
}

/** An error answer's body as a line for people; any other body as it came. */
export function describeApiError(body: unknown): string {
  const parsed = errorBodySchema.safeParse(body);
  return parsed.success ? describeRefusal(parsed.data) : JSON.stringify(body);
}

/** A typed client error as a line for people, with what was refused and its HTTP status. */
function refusalMessage(what: string, error: unknown): unknown {
  if (!(error instanceof FramebridgeError) || error instanceof JobFailedError) return error;
  const line = describeRefusal({ error: error.message, error_code: error.code, details: error.details });
  return new Error(`${what} (HTTP ${error.status}): ${line}`, { cause: error });
}

/**
 * A numeric or named option, checked by the request schema's own rule for the
 * field, so the body is typed; rules between fields (8 s is not for 1080p)
 * are the API's to answer.
 */
function fieldOption<S extends z.core.$ZodType>(schema: S, name: string, value: unknown): z.output<S> | undefined {
  if (value === undefined) return undefined;
  const parsed = z.safeParse(schema, value);
  if (!parsed.success)
    throw new Error(`--${name} ${String(value)}: ${parsed.error.issues[0]?.message ?? 'is not valid'}`);
  return parsed.data;
}

/** A local frame is uploaded through POST /v2/uploads and passed as its s3:// URI; an https URL is passed as is. */
async function frameUrl(fb: Framebridge, frame: string): Promise<string> {
  if (/^https:\/\//i.test(frame)) return frame;
  const bytes = await readFile(frame).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`Cannot read the frame ${frame}: ${error.code ?? error.message}`);
  });
  // A File carries the name: the client passes it on when the API accepts it as the object's name.
  const upload = await fb.uploads
    .create(new File([bytes], path.basename(frame)))
    .catch((error: unknown) => Promise.reject(refusalMessage(`The frame ${frame} was refused`, error)));
  return upload.s3_uri;
}

/**
 * Runs one transition through the local API with the TypeScript client, as any
 * user of it would: upload the frames, submit, follow the progress, read the
 * result and download the video from its presigned URL.
 */
export async function runTransition(
  stack: LocalStack,
  options: TransitionOptions,
  progress: (line: string) => void = () => undefined,
): Promise<TransitionOutcome> {
  const { endpoints } = stack;
  const fb = new Framebridge({ baseUrl: endpoints.apiUrl, apiKey: endpoints.apiKeys[0] ?? '' });
  const fields = transitionRequestSchema.shape;
  const duration = fieldOption(fields.duration, 'duration', options.duration);
  const quality = fieldOption(fields.quality, 'quality', options.quality);
  const seed = fieldOption(fields.seed, 'seed', options.seed);
  const body: TransitionRequest = {
    prompt: options.prompt,
    first_frame_url: await frameUrl(fb, options.first),
    last_frame_url: await frameUrl(fb, options.last),
    ...(duration === undefined ? {} : { duration }),
    ...(quality === undefined ? {} : { quality }),
    ...(seed === undefined ? {} : { seed }),
    ...(options.sound === undefined ? {} : { sound_effect_switch: options.sound }),
  };
  // Each execution has a name of its own (not the job id): find it by the job it ran.
  const executionArnOf = (jobId: string) =>
    stack.stepFunctions.ofJob(endpoints.stateMachineArn, jobId).at(-1)?.executionArn ?? '';

  const submitted = await fb.transitions
    .submit(body)
    .catch((error: unknown) => Promise.reject(refusalMessage('The request was refused', error)));
  const jobId = submitted.request_id;
  progress(`Submitted job ${jobId}\n`);

  const started = Date.now();
  try {
    await fb.transitions.wait(jobId, {
      onProgress: (status) => {
        const elapsed = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
        progress(`  ${elapsed} s  ${status.status.padEnd(10)} ${status.phase}\n`);
      },
    });
  } catch (error) {
    if (!(error instanceof JobFailedError)) throw error;
    return {
      status: 'FAILED',
      jobId,
      executionArn: executionArnOf(jobId),
      code: error.code,
      message: error.job.error ?? '',
    };
  }

  const result = await fb.transitions.result(jobId);
  if (!('output' in result && result.output))
    throw new Error(`Job ${jobId} completed without an output: ${JSON.stringify(result)}`);
  const video = await fetch(result.output.video_url);
  if (!video.ok) throw new Error(`Downloading the video failed: HTTP ${video.status}`);
  return {
    status: 'COMPLETED',
    jobId,
    executionArn: executionArnOf(jobId),
    s3Uri: result.output.s3_uri,
    videoUrl: result.output.video_url,
    video: Buffer.from(await video.arrayBuffer()),
  };
}
