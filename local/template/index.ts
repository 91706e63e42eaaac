/**
 * The local stack's one reader of the synthesized CloudFormation template. It
 * turns state machines into runnable ASL, with intrinsics (`Fn::Join`,
 * `Fn::GetAtt`, `Ref`, `Fn::Sub`, …) resolved to placeholder names and ARNs,
 * and maps every Lambda function that carries handler metadata from its
 * placeholder ARN to its handler module. Only `synthesize.ts` imports CDK: the
 * rest also works on a template read from disk.
 */
export { lambdaPlaceholderArn } from './arns';
export type { ExtractOptions } from './context';
export { extractFunctions, type TemplateFunction } from './functions';
export { resolveTemplateValue } from './intrinsics';
export { type AslDefinition, type ExtractedStateMachine, extractStateMachineDefinition } from './stateMachine';
export {
  type CloudFormationTemplate,
  type LocalFunction,
  type LocalNames,
  type LocalRule,
  type LocalStateMachine,
  type LocalTemplate,
  synthesizeCloudFormationTemplate,
  synthesizeTemplate,
} from './synthesize';
