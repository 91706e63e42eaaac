import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { errorBodySchema } from '../lambdas/core/apiViews';
import { tenantUploadsPrefix } from '../lambdas/core/uploads';
import { localS3Client } from '../local/clients';
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

const contentTypes: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

/** A local frame goes to the tenant's uploads/<tenant id>/ and is passed as s3://; an https URL is passed as is. */
async function frameUrl(stack: LocalStack, frame: string, tenantId: string): Promise<string> {
  if (/^https:\/\//i.test(frame)) return frame;
  const { endpoints } = stack;
  const contentType = contentTypes[path.extname(frame).toLowerCase()];
  if (!contentType) throw new Error(`${frame}: frames must be .png, .jpg, .jpeg or .webp files (or https URLs)`);
  const body = await readFile(frame).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`Cannot read the frame ${frame}: ${error.code ?? error.message}`);
  });
  const key = `${tenantUploadsPrefix(tenantId)}${randomUUID()}/${path.basename(frame)}`;
  const s3 = localS3Client(endpoints);
  try {
    await s3.send(new PutObjectCommand({ Bucket: endpoints.bucket, Key: key, Body: body, ContentType: contentType }));
  } finally {
    s3.destroy();
  }
  return `s3://${endpoints.bucket}/${key}`;
}

async function apiJson(url: string, init: RequestInit & { apiKey: string }) {
  const response = await fetch(url, {
    ...init,
    headers: { 'x-api-key': init.apiKey, 'content-type': 'application/json' },
  });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${url} answered HTTP ${response.status} with a non-JSON body`);
  }
  return { status: response.status, body };
}

/** An error answer as a line for people: the message, its code, and each field and rule it names. */
export function describeApiError(body: unknown): string {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return JSON.stringify(body);
  const { error, error_code, details } = parsed.data;
  const fields = details.map(({ field, rule }) => `${field} ${rule}`).join('; ');
  return `${error} [${error_code}]${fields && !error.includes(fields) ? ` (${fields})` : ''}`;
}

/**
 * Runs one transition through the local API as any client would: submit, poll
 * the status with progress, fetch the result's presigned URL and the video.
 */
export async function runTransition(
  stack: LocalStack,
  options: TransitionOptions,
  progress: (line: string) => void = () => undefined,
): Promise<TransitionOutcome> {
  const { endpoints } = stack;
  const apiKey = endpoints.apiKeys[0] ?? '';
  const body = {
    prompt: options.prompt,
    first_frame_url: await frameUrl(stack, options.first, stack.ownerOf(apiKey)),
    last_frame_url: await frameUrl(stack, options.last, stack.ownerOf(apiKey)),
    ...(options.duration === undefined ? {} : { duration: options.duration }),
    ...(options.quality === undefined ? {} : { quality: options.quality }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.sound === undefined ? {} : { sound_effect_switch: options.sound }),
  };
  const submitted = await apiJson(`${endpoints.apiUrl}/v2/pixverse-5-transition`, {
    method: 'POST',
    apiKey,
    body: JSON.stringify(body),
  });
  if (submitted.status !== 202)
    throw new Error(`The request was refused (HTTP ${submitted.status}): ${describeApiError(submitted.body)}`);
  const jobId = String(submitted.body.request_id);
  // Each execution has a name of its own (not the job id): find it by the job it ran.
  const executionArnOf = () => stack.stepFunctions.ofJob(endpoints.stateMachineArn, jobId).at(-1)?.executionArn ?? '';
  progress(`Submitted job ${jobId}\n`);

  const started = Date.now();
  const interactive = process.stdout.isTTY === true;
  let lastLine = '';
  for (;;) {
    const { body: status } = await apiJson(String(submitted.body.status_url), { apiKey });
    const line = `  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${String(status.status).padEnd(10)} ${String(status.phase ?? '')}`;
    if (interactive) progress(`\r${line.padEnd(lastLine.length)}`);
    else if (line.slice(9) !== lastLine.slice(9)) progress(`${line}\n`);
    lastLine = line;
    if (status.status === 'FAILED') {
      if (interactive) progress('\n');
      return {
        status: 'FAILED',
        jobId,
        executionArn: executionArnOf(),
        code: String(status.error_code ?? 'unknown'),
        message: String(status.error ?? ''),
      };
    }
    if (status.status === 'COMPLETED') break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (interactive) progress('\n');

  const { body: result } = await apiJson(String(submitted.body.response_url), { apiKey });
  const output = result.output as { video_url: string; s3_uri: string };
  const video = await fetch(output.video_url);
  if (!video.ok) throw new Error(`Downloading the video failed: HTTP ${video.status}`);
  return {
    status: 'COMPLETED',
    jobId,
    executionArn: executionArnOf(),
    s3Uri: output.s3_uri,
    videoUrl: output.video_url,
    video: Buffer.from(await video.arrayBuffer()),
  };
}
