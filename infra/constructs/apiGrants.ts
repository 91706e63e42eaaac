import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { UPLOADS_PREFIX } from '../../lambdas/core/contract/names';
import type { TenantLimits } from '../../lambdas/core/tenants';
import type { ApiFunctionName } from './apiRoutes';
import {
  bindBucketObjects,
  bindCancellationTailStart,
  bindJobsTable,
  bindStateMachineStart,
  bindStateMachineStop,
  setTenantLimitDefaults,
} from './bindings';
import type { TransitionFunction } from './transitionFunction';

/** What the API's functions are granted to use. */
export interface ApiResources {
  readonly table: ITable;
  readonly bucket: IBucket;
  readonly stateMachine: IStateMachine;
  readonly cancellationTail?: IStateMachine;
  readonly tenantLimits?: TenantLimits;
}

/** Each API function's environment and grants: exactly what its handler uses. */
export const API_GRANTS: Readonly<Record<ApiFunctionName, (fn: TransitionFunction, on: ApiResources) => void>> = {
  createTransition: (fn, on) => {
    bindJobsTable(fn, on.table, 'create');
    bindStateMachineStart(fn, on.stateMachine);
    setTenantLimitDefaults(fn, on.tenantLimits);
    bindBucketObjects(fn, on.bucket, {
      actions: ['s3:GetObject'],
      keyPattern: `${UPLOADS_PREFIX}*`,
      reason:
        "Checks s3:// frames before the paid submit (HeadObject, then the first 64 KiB for format and dimensions); an API job may only name frames under its own tenant's uploads/<tenant>/, known at run time, so the grant is the uploads/ prefix, read only.",
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
      keyPattern: `${UPLOADS_PREFIX}*`,
      reason:
        'Presigns PUT URLs for uploads/{upload id}/{name}, a fresh prefix per upload chosen at run time, so the grant is the uploads/ prefix, write only.',
    }),
  getOpenApi: () => {},
  streamEvents: (fn, on) => bindJobsTable(fn, on.table, 'read'),
  syncTransition: (fn, on) => {
    API_GRANTS.createTransition(fn, on);
    bindBucketObjects(fn, on.bucket, {
      actions: ['s3:GetObject'],
      keyPattern: 'jobs/*',
      reason:
        'Streams jobs/{id}/video.mp4 of the job it just created into the response; job ids are only known at run time, so the grant is the jobs/ prefix, read only.',
    });
  },
  getPlayground: () => {},
};
