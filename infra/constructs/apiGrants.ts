import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { ApiFunctionName } from './apiRoutes';
import {
  bindBucketObjects,
  bindCancellationTailStart,
  bindJobsTable,
  bindStateMachineStart,
  bindStateMachineStop,
} from './bindings';
import type { TransitionFunction } from './transitionFunction';

/** What the API's functions are granted to use. */
export interface ApiResources {
  readonly table: ITable;
  readonly bucket: IBucket;
  readonly stateMachine: IStateMachine;
  readonly cancellationTail?: IStateMachine;
}

/** Each API function's environment and grants: exactly what its handler uses. */
export const API_GRANTS: Readonly<Record<ApiFunctionName, (fn: TransitionFunction, on: ApiResources) => void>> = {
  createTransition: (fn, on) => {
    bindJobsTable(fn, on.table, 'create');
    bindStateMachineStart(fn, on.stateMachine);
    bindBucketObjects(fn, on.bucket, {
      actions: ['s3:GetObject'],
      keyPattern: '*',
      reason:
        'Checks s3:// frames before the paid submit (HeadObject, then the first 64 KiB for format and dimensions); a frame may be any key of this bucket, as for Submit Job, so the grant is every object, read only.',
    });
  },
  getStatus: (fn, on) => bindJobsTable(fn, on.table, 'read'),
  getResult: (fn, on) => {
    bindJobsTable(fn, on.table, 'read');
    bindBucketObjects(fn, on.bucket, {
      actions: ['s3:GetObject'],
      keyPattern: 'jobs/*',
      reason:
        'Presigns GET URLs for jobs/{id}/video.mp4 on every query; job ids are only known at run time, so the grant is the jobs/ prefix, read only.',
    });
  },
  cancelRequest: (fn, on) => {
    bindJobsTable(fn, on.table, 'update');
    bindStateMachineStop(fn, on.stateMachine);
    if (on.cancellationTail) bindCancellationTailStart(fn, on.cancellationTail);
  },
  listRequests: (fn, on) => bindJobsTable(fn, on.table, 'list'),
  createUpload: (fn, on) =>
    bindBucketObjects(fn, on.bucket, {
      actions: ['s3:PutObject'],
      keyPattern: 'uploads/*',
      reason:
        'Presigns PUT URLs for uploads/{upload id}/{name}, a fresh prefix per upload chosen at run time, so the grant is the uploads/ prefix, write only.',
    }),
  getOpenApi: () => {},
};
