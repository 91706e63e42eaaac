/** `source` of every framebridge event. */
export const TRANSITION_EVENT_SOURCE = 'framebridge';

/** `detail-type` of the event that ends a job. */
export const TRANSITION_DETAIL_TYPES = {
  completed: 'Transition Completed',
  failed: 'Transition Failed',
} as const;

export type TransitionDetailType = (typeof TRANSITION_DETAIL_TYPES)[keyof typeof TRANSITION_DETAIL_TYPES];
