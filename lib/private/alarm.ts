import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** What differs between the fan-out's alarms; everything else is the same for all of them. */
export interface AlarmSpec {
  readonly metric: cloudwatch.IMetric;
  readonly alarmDescription: string;
  /** @default 1 */
  readonly threshold?: number;
  /** @default 1 */
  readonly evaluationPeriods?: number;
}

/**
 * An alarm that fires when the metric reaches the threshold, treats missing data as fine (SQS
 * and SNS publish no data points for idle resources), and notifies the alarm topic both ways so
 * on-call also learns when it recovers.
 */
export function createAlarm(scope: Construct, id: string, spec: AlarmSpec, alarmTopic?: sns.ITopic): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    metric: spec.metric,
    alarmDescription: spec.alarmDescription,
    threshold: spec.threshold ?? 1,
    evaluationPeriods: spec.evaluationPeriods ?? 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  if (alarmTopic) {
    const action = new actions.SnsAction(alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  return alarm;
}
