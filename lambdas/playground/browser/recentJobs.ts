import type { Framebridge, StatusView } from 'framebridge/client';
import { byId, describeError, el } from './dom';

/** How many of the newest jobs the list shows. */
const SHOWN = 10;

export interface RecentJobActions {
  open(id: string): void;
  cancel(id: string): void;
}

/** The caller's newest jobs (`GET /v2/requests`) with their status, each one openable, a running one cancellable. */
export class RecentJobs {
  private readonly rows = byId('recent-rows');
  private readonly note = byId('recent-note');

  constructor(private readonly actions: RecentJobActions) {}

  async refresh(client: Framebridge | undefined): Promise<void> {
    if (!client) {
      this.rows.replaceChildren();
      this.note.textContent = 'Enter an API key to see your jobs.';
      return;
    }
    try {
      const jobs: StatusView[] = [];
      for await (const job of client.transitions.list({ limit: SHOWN })) {
        jobs.push(job);
        if (jobs.length === SHOWN) break;
      }
      this.rows.replaceChildren(...jobs.map((job) => this.row(job)));
      this.note.textContent = jobs.length ? '' : 'No jobs yet.';
    } catch (error) {
      this.note.textContent = `Could not list your jobs: ${describeError(error).message}`;
    }
  }

  private row(job: StatusView) {
    const open = el('button', 'Open', { type: 'button', 'aria-label': `Open job ${job.request_id}` });
    open.addEventListener('click', () => this.actions.open(job.request_id));
    const actions = el('td');
    actions.append(open);
    if (job.status === 'QUEUED' || job.status === 'PROCESSING') {
      const cancel = el('button', 'Cancel', { type: 'button', 'aria-label': `Cancel job ${job.request_id}` });
      cancel.addEventListener('click', () => this.actions.cancel(job.request_id));
      actions.append(' ', cancel);
    }
    const status = job.error_code
      ? `${job.status} (${job.error_code})`
      : `${job.status}, ${job.phase.replaceAll('_', ' ')}`;
    const row = el('tr');
    row.append(
      el('td', job.request_id, { class: 'id' }),
      el('td', status, { 'data-status': job.status }),
      el('td', new Date(job.created_at).toLocaleString()),
      actions,
    );
    return row;
  }
}
