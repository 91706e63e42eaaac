import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

/** The period every framebridge alarm looks at. */
export const ALARM_PERIOD = Duration.minutes(5);

/**
 * An alarm that fires when the metric reaches 1 in one five-minute period
 * (a failure, a dead letter, a timeout); no data means nothing went wrong.
 */
export function alarmOnAny(scope: Construct, id: string, description: string, metric: IMetric): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: description,
    metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
