import { HttpError } from '../adapters/http';
import { getJob, type JobStore } from '../adapters/jobStore';
import type { Job } from '../core/job';

/** A job of this owner, or 404 — another key's job is indistinguishable from none. */
export async function ownedJob(store: JobStore, id: string, owner: string): Promise<Job> {
  const job = await getJob(store, id);
  if (!job || job.owner !== owner) throw new HttpError('not_found', `No request with id ${id}`);
  return job;
}
