import { App, Validations } from 'aws-cdk-lib';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FramebridgeStack, type FramebridgeStackProps } from './stack';

export interface CreateFramebridgeAppOptions {
  /**
   * Skip esbuild bundling of the Lambdas (context `aws:cdk:bundling-stacks: []`):
   * for fast tests and for the local stack, which only needs the template.
   * @default false
   */
  readonly skipBundling?: boolean;
  /**
   * Register cdk-nag's AwsSolutions checks as a validation plugin, so any
   * unacknowledged finding fails synth. Pass false when the app goes to
   * `Template.fromStack` (tests call `validateScope` themselves).
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Run CDK's built-in CloudFormation template validation at synth (~4 s).
   * @default - true, except with skipBundling (tests and the local stack only read the template)
   */
  readonly cfnValidation?: boolean;
  /**
   * Extra context values.
   * @default - none
   */
  readonly context?: Record<string, unknown>;
  /**
   * Props of the stack.
   * @default - see FramebridgeStackProps
   */
  readonly props?: FramebridgeStackProps;
}

/** The stack's construct id and CloudFormation stack name. */
export const FRAMEBRIDGE_STACK_ID = 'Framebridge';

export function createFramebridgeApp(options: CreateFramebridgeAppOptions = {}): {
  app: App;
  stack: FramebridgeStack;
} {
  const app = new App({
    builtinCloudFormationValidation: options.cfnValidation ?? !options.skipBundling,
    context: {
      // Grant S3 log delivery with a bucket policy instead of ACLs.
      [S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY]: true,
      ...options.context,
      ...(options.skipBundling ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  const stack = new FramebridgeStack(app, FRAMEBRIDGE_STACK_ID, options.props);
  if (options.nag !== false) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return { app, stack };
}
