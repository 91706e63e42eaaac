import type { Framebridge, StatusView } from 'framebridge/client';
import { byId, describeError, el, type PageElement } from './dom';

/** The phases a job goes through, in order: how far along the progress bar is. */
const PHASES = ['queued', 'waiting_for_capacity', 'submitting', 'submitted', 'generating', 'copying', 'completed'];
const isTerminal = (status: StatusView) => status.status === 'COMPLETED' || status.status === 'FAILED';

/**
 * The job being watched: its live status (announced through the page's
 * `role=status` line), the events received, then its video or its error.
 */
export class JobView {
  private readonly title = byId('job-title');
  private readonly status = byId('job-status');
  private readonly progress = byId('job-progress');
  private readonly events = byId('job-events');
  private readonly error = byId('job-error');
  private readonly cancelButton = byId('cancel');
  private readonly video = byId('video');
  private readonly download = byId('download');
  private watching: AbortController | undefined;
  private jobId: string | undefined;
  private client: Framebridge | undefined;
  /** Whether the watched job has ended: a late answer to a cancel must not overwrite its outcome. */
  private ended = false;

  constructor(private readonly onTerminal: () => void) {
    this.progress.max = PHASES.length - 1;
    this.cancelButton.addEventListener('click', () => {
      if (this.client && this.jobId) void this.cancel(this.client, this.jobId);
    });
  }

  /** Starts over for a new job (or a new attempt at one). */
  reset(title: string): void {
    this.watching?.abort();
    this.jobId = undefined;
    this.ended = false;
    this.title.textContent = title;
    this.events.replaceChildren();
    this.error.replaceChildren();
    this.progress.value = 0;
    this.cancelButton.hidden = true;
    this.video.hidden = true;
    this.video.removeAttribute('src');
    this.download.hidden = true;
  }

  say(message: string): void {
    this.status.textContent = message;
  }

  /** Shows an error of the page's own calls (not a FAILED job), with what was being done. */
  fail(error: unknown, doing = 'The request'): void {
    const { message, details } = describeError(error);
    this.say(`${doing} failed: ${message}`);
    this.error.replaceChildren(el('p', message), ...(details.length ? [listOf(details)] : []));
  }

  /** Follows a job through its event stream (the client resumes a cut stream from the last event) until it ends. */
  async follow(client: Framebridge, id: string): Promise<void> {
    this.reset(`Job ${id}`);
    const watching = new AbortController();
    this.watching = watching;
    this.jobId = id;
    this.client = client;
    this.cancelButton.hidden = false;
    this.say(`Job ${id}: waiting for its first event.`);
    try {
      let last: StatusView | undefined;
      for await (const event of client.transitions.events(id, { signal: watching.signal })) {
        last = event.status;
        this.show(event.id, event.status);
      }
      // A stream can end with nothing new to send (an ended job): its status says how.
      await this.finish(client, last && isTerminal(last) ? last : await client.transitions.status(id));
    } catch (error) {
      if (!watching.signal.aborted) this.fail(error, `Following job ${id}`);
    } finally {
      if (this.jobId === id) this.cancelButton.hidden = true;
    }
  }

  private show(eventId: string, status: StatusView): void {
    const step = PHASES.indexOf(status.phase);
    if (step >= 0) this.progress.value = step;
    const time = new Date(status.updated_at).toLocaleTimeString();
    this.events.append(
      el('li', `${time} — ${status.status} (${status.phase.replaceAll('_', ' ')}) · event ${eventId}`),
    );
    if (!isTerminal(status))
      this.say(`Job ${status.request_id}: ${status.status}, ${status.phase.replaceAll('_', ' ')}.`);
  }

  private async finish(client: Framebridge, status: StatusView): Promise<void> {
    this.ended = true;
    this.cancelButton.hidden = true;
    this.onTerminal();
    if (status.status === 'FAILED') {
      const code = status.error_code ?? 'unknown';
      this.say(`Job ${status.request_id} failed: ${status.error ?? 'no reason given'} (${code}).`);
      this.error.replaceChildren(el('p', `${status.error ?? 'The job failed.'} (error_code: ${code})`));
      return;
    }
    const result = await client.transitions.result(status.request_id);
    if (result.status !== 'COMPLETED' || !('output' in result) || !result.output) {
      throw new Error(`The result of job ${status.request_id} is not ready`);
    }
    this.progress.value = this.progress.max;
    this.video.src = result.output.video_url;
    this.video.hidden = false;
    this.download.href = result.output.video_url;
    this.download.download = `framebridge-${status.request_id}.mp4`;
    this.download.hidden = false;
    this.say(`Job ${status.request_id} completed: the video is ready to play.`);
  }

  private async cancel(client: Framebridge, id: string): Promise<void> {
    this.cancelButton.disabled = true;
    try {
      const cancelled = await client.transitions.cancel(id);
      if (this.jobId === id && !this.ended) this.say(`Cancelling job ${id}: ${cancelled.note}`);
    } catch (error) {
      this.fail(error, `Cancelling job ${id}`);
    } finally {
      this.cancelButton.disabled = false;
    }
  }
}

function listOf(items: readonly string[]): PageElement {
  const list = el('ul');
  list.append(...items.map((item) => el('li', item)));
  return list;
}
