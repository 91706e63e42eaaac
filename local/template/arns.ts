import type { ExtractOptions, ResolveContext, TemplateResource } from './context';

/** The property that holds a literal physical name, by resource type. */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Events::EventBus': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
};

/** The placeholder ARN of a Lambda function, as it appears in the extracted definition. */
export function lambdaPlaceholderArn(logicalId: string, options: ExtractOptions = {}): string {
  const name = options.physicalNames?.[logicalId] ?? logicalId;
  return `arn:aws:lambda:${options.region ?? 'us-east-1'}:${options.accountId ?? '000000000000'}:function:${name}`;
}

/** Explicit override, else a literal name property of the resource, else the logical id. */
export function physicalName(logicalId: string, resource: TemplateResource, context: ResolveContext): string {
  const override = context.physicalNames[logicalId];
  if (override !== undefined) return override;
  const nameProperty = NAME_PROPERTIES[resource.Type];
  const literal = nameProperty === undefined ? undefined : resource.Properties?.[nameProperty];
  if (typeof literal === 'string') return literal;
  return resource.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
}

/** The placeholder ARN of any resource, in the format its service uses. */
export function arnFor(logicalId: string, resource: TemplateResource, context: ResolveContext): string {
  const name = physicalName(logicalId, resource, context);
  const { region, accountId } = context;
  switch (resource.Type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable':
      return `arn:aws:dynamodb:${region}:${accountId}:table/${name}`;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${name}`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${accountId}:role/${name}`;
    case 'AWS::IAM::ManagedPolicy':
      return `arn:aws:iam::${accountId}:policy/${name}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${region}:${accountId}:log-group:${name}:*`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${region}:${accountId}:event-bus/${name}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${region}:${accountId}:${name}`;
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${region}:${accountId}:${name}`;
    default: {
      const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
      return `arn:aws:${service}:${region}:${accountId}:${name}`;
    }
  }
}
