import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { AssetStaging } from 'aws-cdk-lib';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TransitionFunction } from '../../infra/constructs/transitionFunction';
import { VideoBucket } from '../../infra/constructs/videoBucket';
import { FUNCTION_ENTRIES } from '../../lambdas/core/contract/functions';
import { buildPageScript } from '../../lambdas/playground/pageBuild';
import { PAGE_SCRIPT_FILE, playgroundCommandHooks } from '../../lambdas/playground/pageBundling';
import { apiRoutesFromTemplate } from '../../local/apiRoutes';
import { BUILD_TIMEOUT_MS, type BuiltApp, buildTemplate } from './templateHelpers';

const run = promisify(execFile);
const quickStack = () =>
  new Stack(new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');

let built: BuiltApp;

beforeAll(() => {
  built = buildTemplate();
}, BUILD_TIMEOUT_MS);

describe('Infra: the playground', () => {
  it("lets pages of the region's API Gateway origins PUT frames to the bucket (CORS), nothing else", () => {
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          {
            Id: 'browser-uploads',
            AllowedMethods: ['PUT'],
            AllowedHeaders: ['content-type'],
            AllowedOrigins: [
              {
                'Fn::Join': ['', ['https://*.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
              },
            ],
            MaxAge: 3600,
          },
        ],
      },
      // The CORS rule opens nothing else: the bucket stays private.
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('takes the upload origins it is given, and refuses what is not an origin', () => {
    // Arrange
    const stack = quickStack();

    // Act
    new VideoBucket(stack, 'Custom', { uploadOrigins: ['https://play.example.com'] });

    // Assert
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: ['https://play.example.com'] })] },
    });
    expect(() => new VideoBucket(quickStack(), 'Path', { uploadOrigins: ['https://play.example.com/app'] })).toThrow(
      /uploadOrigins must be origins .* got 'https:\/\/play\.example\.com\/app'/,
    );
    expect(() => new VideoBucket(quickStack(), 'None', { uploadOrigins: [] })).toThrow(/at least one origin/);
  });

  it('serves GET / from the playground handler without a key', () => {
    const routes = apiRoutesFromTemplate(built.json as Parameters<typeof apiRoutesFromTemplate>[0]);

    expect(routes.find((route) => route.method === 'GET' && route.path === '/')).toEqual(
      expect.objectContaining({ handler: FUNCTION_ENTRIES.getPlayground, authorizer: undefined }),
    );
  });

  it(
    'bundles the page script beside the handler, the same bytes the local stack serves',
    async () => {
      // Arrange: bundling on, as `cdk deploy` runs it.
      const stack = new Stack(new App(), 'Bundled');
      const fn = new TransitionFunction(stack, 'Playground', {
        entry: FUNCTION_ENTRIES.getPlayground,
        commandHooks: playgroundCommandHooks,
      });
      const staging = fn.node.findChild('Code').node.findChild('Stage') as AssetStaging;
      const bundleDir = staging.absoluteStagedPath;

      // Act: the bundled handler answers GET / in a process of its own, as in Lambda.
      const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(path.join(bundleDir, 'index.mjs')).href)});
        const answer = await handler({ httpMethod: 'GET', path: '/', headers: {}, requestContext: {} }, {});
        process.stdout.write(JSON.stringify(answer));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', POWERTOOLS_LOG_LEVEL: 'SILENT' },
      });
      const answer = JSON.parse(stdout) as { statusCode: number; headers: Record<string, string>; body: string };
      const local = await buildPageScript();

      // Assert
      expect(await readFile(path.join(bundleDir, PAGE_SCRIPT_FILE), 'utf8')).toBe(local);
      expect(answer.statusCode).toBe(200);
      expect(answer.body).toContain(`<script type="module">${local}</script>`);
      expect(answer.headers['content-security-policy']).toContain(
        "connect-src 'self' https://*.s3.eu-west-1.amazonaws.com https://s3.eu-west-1.amazonaws.com",
      );
      // Build tools stay out of the Lambda bundle.
      expect(await readFile(path.join(bundleDir, 'index.mjs'), 'utf8')).not.toMatch(/esbuild/);
    },
    BUILD_TIMEOUT_MS,
  );
});
