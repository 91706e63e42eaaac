import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type FailureClass, JOB_FAILED_LOG } from '../../lambdas/core/contract/failureClasses';
import { ALARM_PERIOD } from './alarms';

const CLASSES: readonly FailureClass[] = ['system', 'upstream', 'user'];

/**
 * Counts the jobs each function ends FAILED, per failure class, from the
 * `job failed` log line the job store writes (one metric filter per class on
 * the function's log group). Every function that can fail a job gets them.
 */
export function countJobFailures(scope: Construct, id: string, fn: LambdaFunction): void {
  const { logGroup } = fn;
  for (const failureClass of CLASSES) {
    new MetricFilter(scope, `${id}${failureClass[0]?.toUpperCase()}${failureClass.slice(1)}Failures`, {
      logGroup,
      filterPattern: FilterPattern.all(
        FilterPattern.stringValue('$.message', '=', JOB_FAILED_LOG.message),
        FilterPattern.stringValue('$.failureClass', '=', failureClass),
      ),
      metricNamespace: JOB_FAILED_LOG.namespace,
      metricName: JOB_FAILED_LOG.metricNames[failureClass],
      metricValue: '1',
    });
  }
}

/** Failed jobs of one class per five minutes, summed over every function that fails jobs. */
export function jobFailuresMetric(failureClass: FailureClass): Metric {
  return new Metric({
    namespace: JOB_FAILED_LOG.namespace,
    metricName: JOB_FAILED_LOG.metricNames[failureClass],
    statistic: 'Sum',
    period: ALARM_PERIOD,
  });
}
