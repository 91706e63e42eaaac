import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getJob, type JobStore, recordCompleted } from '../../adapters/jobStore';
import { logger } from '../../adapters/logger';
import { errorMessage, VideoDownloadError, VideoRejectedError } from '../../core/errors';
import { isTerminal, type JobOutput, resultKeyFor, videoKeyFor } from '../../core/job';
import { looksLikeMp4, MP4_SNIFF_BYTES } from '../../core/mp4';
import { isAllowedVideoUrl } from '../../core/outputHosts';
import { COPY_TIMING } from '../../core/timeBudget';
import type { CheckedState, JobOutcome } from '../../core/workflowState';
import { type HttpDownload, httpGet } from './httpDownload';
import { finishedJobOutcome } from './jobOutcome';
import { uploadStream } from './multipartUpload';

export interface CopyVideoDeps {
  store: JobStore;
  s3: S3Client;
  bucket: string;
  allowedHosts: readonly string[];
  segmindBaseUrl: string;
  maxBytes: number;
  /** Time allowed for the response headers. */
  headersTimeoutMs?: number;
  /** Time allowed between two chunks of the body: a stalled server fails, a slow one does not. */
  idleTimeoutMs?: number;
  /**
   * Multipart part size. The copy holds `partSizeBytes × partBuffers` of video
   * at most, whatever its size.
   * @default 5 MiB, S3's smallest
   */
  partSizeBytes?: number;
  /** Part buffers: one fills while the others are sent; when all are being sent the download waits. @default 6 */
  partBuffers?: number;
  /**
   * Milliseconds left in this invocation (the Lambda context's). The download
   * stops, retryably and with the upload aborted, once only the finish is left.
   * @default - no limit
   */
  remainingMs?: () => number;
}

const MIB = 1024 * 1024;
const FINISH_MS = COPY_TIMING.finishSeconds * 1000;

/**
 * GETs the video without following redirects, classifying every refusal.
 * Aborting `abort` closes the download at any point.
 */
async function openVideo(url: URL, deps: CopyVideoDeps, abort: AbortController): Promise<HttpDownload> {
  const headersMs = deps.headersTimeoutMs ?? COPY_TIMING.headersTimeoutSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  let response: HttpDownload;
  try {
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no response within ${headersMs} ms`));
        abort.abort();
      }, headersMs);
    });
    // identity: a compressed body would not be the video, nor match our byte count.
    const headers = { 'accept-encoding': 'identity', 'user-agent': 'framebridge' };
    response = await Promise.race([httpGet(url, { headers, signal: abort.signal }), timedOut]);
  } catch (error) {
    throw new VideoDownloadError(`Could not fetch the video from ${url.host}: ${errorMessage(error)}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
  const status = response.status;
  const refuse = (message: string, retryable = false): never => {
    abort.abort();
    throw retryable ? new VideoDownloadError(message) : new VideoRejectedError(message);
  };
  if (status >= 300 && status < 400) {
    refuse(`The video URL answered a redirect (HTTP ${status}); redirects are not followed`);
  }
  if (status === 429 || status >= 500) refuse(`The video host answered HTTP ${status}`, true);
  if (status !== 200) refuse(`The video host answered HTTP ${status}`);
  const declared = declaredLength(response);
  if (declared > deps.maxBytes) refuse(`The video is ${declared} bytes, above the ${deps.maxBytes}-byte limit`);
  if (declared === 0) refuse('The video host answered an empty body');
  return response;
}

/** The content-length header, NaN when there is none (a chunked body). */
const declaredLength = (response: HttpDownload) => Number(response.header('content-length') ?? Number.NaN);

/**
 * The body as chunks, checked as they pass: an MP4 signature at the start, the
 * size cap, the declared length at the end, a stall timeout between chunks, and
 * the invocation's time (a download slower than the copy is sized for stops
 * while the upload can still be aborted). Throwing here makes the upload fail
 * before anything is completed in S3.
 */
async function* checkedVideoChunks(
  body: HttpDownload,
  deps: CopyVideoDeps,
  abort: AbortController,
  counted: { bytes: number },
): AsyncGenerator<Buffer> {
  const declared = declaredLength(body);
  const idleMs = deps.idleTimeoutMs ?? 30_000;
  const tooSlow = () =>
    new VideoDownloadError(
      `The video download is too slow to finish in time (${counted.bytes} bytes so far; the copy is sized for ${COPY_TIMING.minThroughputBytesPerSecond / MIB} MiB/s)`,
    );
  const nextChunk = async (): Promise<Buffer | null> => {
    const leftMs = deps.remainingMs ? deps.remainingMs() - FINISH_MS : Number.POSITIVE_INFINITY;
    if (leftMs <= 0) {
      abort.abort();
      throw tooSlow();
    }
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          // Rejected before the abort, which fails the pending read too: the race answers why.
          reject(
            leftMs < idleMs
              ? tooSlow()
              : new VideoDownloadError(`The video download stalled: no data for ${idleMs} ms`),
          );
          abort.abort();
        },
        Math.min(idleMs, leftMs),
      );
    });
    try {
      return await Promise.race([body.read(), stalled]);
    } catch (error) {
      if (error instanceof VideoDownloadError) throw error;
      throw new VideoDownloadError(`The video download broke off: ${errorMessage(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };

  let head = Buffer.alloc(0);
  let verified = false;
  // Each chunk is valid until the next is read: the upload copies it into a part buffer before asking again.
  for (let bytes = await nextChunk(); bytes !== null; bytes = await nextChunk()) {
    counted.bytes += bytes.length;
    if (counted.bytes > deps.maxBytes) {
      abort.abort();
      throw new VideoRejectedError(`The video exceeds the ${deps.maxBytes}-byte limit`);
    }
    if (verified) {
      yield bytes;
      continue;
    }
    head = Buffer.concat([head, bytes]);
    if (head.length < MP4_SNIFF_BYTES) continue;
    if (!looksLikeMp4(head)) {
      abort.abort();
      throw new VideoRejectedError('The upstream output is not an MP4 video (no ftyp box at the start)');
    }
    verified = true;
    yield head;
  }
  if (counted.bytes === 0) throw new VideoRejectedError('The video host answered an empty body');
  if (!verified) throw new VideoRejectedError(`The upstream output is not an MP4 video (${counted.bytes} bytes)`);
  if (Number.isFinite(declared) && counted.bytes !== declared) {
    throw new VideoDownloadError(`The video download was cut off at ${counted.bytes} of ${declared} bytes`);
  }
}

/**
 * Streams the finished video into the bucket with a multipart upload (constant
 * memory), then writes result.json and completes the job. Nothing partial is
 * left behind: an upload that fails is aborted, and a video whose result could
 * not be written is deleted. The metrics are those Check Status recorded on the job.
 *
 * The first terminal state wins: a job already finished (cancelled, ended by the
 * reconciler, completed by an earlier attempt) is not copied, and a completion
 * that loses to a cancel removes what it stored. Either way the answer is the
 * job's real outcome, which the tail announces or not.
 */
export async function copyVideo(state: CheckedState & { videoUrl: string }, deps: CopyVideoDeps): Promise<JobOutcome> {
  let url: URL;
  try {
    url = new URL(state.videoUrl);
  } catch {
    throw new VideoRejectedError('The upstream video URL is not a valid URL');
  }
  if (!isAllowedVideoUrl(url, deps.allowedHosts, deps.segmindBaseUrl)) {
    throw new VideoRejectedError(`The video host ${url.host} is not an allowed output host`);
  }
  const job = await getJob(deps.store, state.jobId);
  if (!job) throw new Error(`Job ${state.jobId} not found`);
  if (isTerminal(job.status)) return finishedJobOutcome(job);

  const abort = new AbortController();
  const response = await openVideo(url, deps, abort);
  const counted = { bytes: 0 };
  const videoKey = videoKeyFor(state.jobId);
  try {
    await uploadStream(
      deps.s3,
      { Bucket: deps.bucket, Key: videoKey, ContentType: 'video/mp4' },
      checkedVideoChunks(response, deps, abort, counted),
      { partSizeBytes: deps.partSizeBytes, partBuffers: deps.partBuffers },
    );
  } catch (error) {
    abort.abort();
    if (error instanceof VideoRejectedError || error instanceof VideoDownloadError) throw error;
    throw new VideoDownloadError(`Storing the video failed: ${errorMessage(error)}`, { cause: error });
  }

  const output: JobOutput = {
    s3Bucket: deps.bucket,
    videoKey,
    resultKey: resultKeyFor(state.jobId),
    bytes: counted.bytes,
    contentType: 'video/mp4',
  };
  await storeResult(state, output, job.metrics, deps);
  if (!(await recordCompleted(deps.store, state.jobId, output, job.metrics)))
    return lostCompletion(state.jobId, output, deps);
  const s3Uri = `s3://${deps.bucket}/${videoKey}`;
  return { jobId: state.jobId, status: 'COMPLETED', s3Uri, bytes: counted.bytes, announce: true };
}

/** The completion write lost: the job ended meanwhile. A cancelled job keeps no video. */
async function lostCompletion(jobId: string, output: JobOutput, deps: CopyVideoDeps): Promise<JobOutcome> {
  const job = await getJob(deps.store, jobId);
  if (!job) throw new Error(`Job ${jobId} not found`);
  if (job.status === 'FAILED') {
    logger.info('job ended while its video was copied; the copy is removed', { jobId, code: job.error?.code });
    for (const key of [output.resultKey, output.videoKey]) {
      await deps.s3.send(new DeleteObjectCommand({ Bucket: output.s3Bucket, Key: key })).catch((error: unknown) => {
        logger.warn('could not remove the copy of a job that ended', { jobId, key, error });
      });
    }
  }
  return finishedJobOutcome(job);
}

/** Writes `jobs/{id}/result.json`; on failure deletes the stored video, so no half-result stays. */
async function storeResult(
  state: CheckedState,
  output: JobOutput,
  metrics: Record<string, unknown> | undefined,
  deps: CopyVideoDeps,
): Promise<void> {
  const s3Uri = `s3://${output.s3Bucket}/${output.videoKey}`;
  try {
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: output.s3Bucket,
        Key: output.resultKey,
        ContentType: 'application/json',
        Body: JSON.stringify(
          {
            request_id: state.jobId,
            status: 'COMPLETED',
            output: { s3_uri: s3Uri, bytes: output.bytes, content_type: output.contentType },
            upstream_request_id: state.upstreamRequestId,
            metrics: metrics ?? {},
            completed_at: new Date().toISOString(),
          },
          null,
          2,
        ),
      }),
    );
  } catch (error) {
    await deps.s3
      .send(new DeleteObjectCommand({ Bucket: output.s3Bucket, Key: output.videoKey }))
      .catch(() => undefined);
    throw new VideoDownloadError(`Storing the result failed: ${errorMessage(error)}`, { cause: error });
  }
}
