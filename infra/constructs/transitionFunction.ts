import { existsSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { HANDLER_METADATA_KEY } from '../../lambdas/core/contract/names';

/** The repository root: handler entries and the lock file are resolved from here. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * esbuild emits ESM, but some bundled CommonJS dependencies still call `require`
 * for Node built-ins; ESM has no `require`, so define one from `import.meta.url`.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __framebridgeCreateRequire } from 'node:module'; const require = __framebridgeCreateRequire(import.meta.url);";

/**
 * Bundled in place of the SDK's default credential chain: a Lambda's
 * credentials are in its environment, and the rest of the chain would cost
 * every bundle ~130 kB and ~20 ms of cold start (see the module). esbuild
 * resolves an alias from its working directory, which CDK sets to the project root.
 */
export const LAMBDA_CREDENTIALS_MODULE = './lambdas/adapters/lambdaCredentials.ts';

export interface TransitionFunctionProps {
  /**
   * The handler module, relative to the repository root, exporting `handler`
   * (for example `lambdas/workflow/submit.ts`).
   */
  readonly entry: string;
  /**
   * What the function is for; shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB (128–10240).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Concurrency reserved for (and capping) this function.
   * @default - none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Log retention of the function's own log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Commands run around esbuild, in the project root, for files the handler
   * reads beside its bundle (for example the playground page's script).
   * @default - none
   */
  readonly commandHooks?: ICommandHooks;
}

/**
 * The one Lambda default of framebridge: Node 24 on arm64, X-Ray tracing, a log
 * group with retention, a minified ESM bundle with the AWS SDK v3 inside (its
 * credentials read from the environment only) and source maps enabled. Add
 * environment variables through the `bind*` helpers in `./bindings` so that
 * each one comes with its IAM grant.
 */
export class TransitionFunction extends NodejsFunction {
  /** The handler module, relative to the repository root. */
  public readonly handlerEntry: string;

  constructor(scope: Construct, id: string, props: TransitionFunctionProps) {
    const entry = validateEntry(id, props.entry);
    validateMemorySize(id, props.memorySize);
    // A role of our own, so that logging is granted on this function's log
    // group only instead of through the AWSLambdaBasicExecutionRole managed policy.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${entry}`,
    });
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: join(repoRoot, entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'framebridge',
      },
      bundling: {
        format: OutputFormat.ESM,
        banner: ESM_REQUIRE_BANNER,
        mainFields: ['module', 'main'],
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        externalModules: [],
        esbuildArgs: { '--alias': [`@aws-sdk/credential-provider-node=${LAMBDA_CREDENTIALS_MODULE}`] },
        commandHooks: props.commandHooks,
      },
    });
    this.handlerEntry = entry;
    logGroup.grantWrite(role);
    (this.node.defaultChild as CfnFunction).addMetadata(HANDLER_METADATA_KEY, entry);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions. Every other statement of this role names its resource.',
    });
  }
}

function validateEntry(id: string, entry: string): string {
  if (isAbsolute(entry)) {
    throw new Error(
      `TransitionFunction ${id}: entry must be relative to the repository root (for example 'lambdas/workflow/submit.ts'), got the absolute path '${entry}'.`,
    );
  }
  const normalized = normalize(entry).split('\\').join('/');
  if (normalized.startsWith('../') || !/\.(ts|mts|js|mjs)$/.test(normalized)) {
    throw new Error(
      `TransitionFunction ${id}: entry '${entry}' must be a .ts/.mts/.js/.mjs module inside the repository (for example 'lambdas/workflow/submit.ts').`,
    );
  }
  if (!existsSync(join(repoRoot, normalized))) {
    throw new Error(
      `TransitionFunction ${id}: handler module '${normalized}' does not exist under ${repoRoot}; create it or fix the entry path.`,
    );
  }
  return normalized;
}

function validateMemorySize(id: string, memorySize: number | undefined): void {
  if (memorySize === undefined) return;
  if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
    throw new Error(
      `TransitionFunction ${id}: memorySize must be an integer between 128 and 10240 MB, got ${memorySize}.`,
    );
  }
}
