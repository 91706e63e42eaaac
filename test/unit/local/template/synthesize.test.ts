import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../../lambdas/core/contract';
import { repoRoot } from '../../../../local/lambdaRuntime';
import { type LocalTemplate, synthesizeTemplate } from '../../../../local/template';

const names = {
  bucket: 'local-bucket',
  jobsTable: 'local-jobs',
  keysTable: 'framebridge-keys',
  transitionStateMachine: 'local-transition',
  eventBus: 'local-events',
};

describe('Local: what the local stack reads from the synthesized template', () => {
  let local: LocalTemplate;

  beforeAll(async () => {
    local = await synthesizeTemplate(names, 'us-east-1', '000000000000');
  });

  it('names the transition workflow after the local name and runs every state machine', () => {
    expect(local.mainStateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:local-transition');
    expect(local.stateMachines.map((machine) => machine.arn)).toContain(local.mainStateMachineArn);
    for (const machine of local.stateMachines) expect(machine.definition.StartAt).toEqual(expect.any(String));
  });

  it('maps every function to a handler module that exists', () => {
    const functions = Object.values(local.functionsByArn);
    expect(functions.length).toBeGreaterThanOrEqual(7);
    for (const fn of functions) expect(existsSync(path.join(repoRoot, fn.handler))).toBe(true);
  });

  it('resolves each function environment to the local resource names', () => {
    const environments = Object.values(local.functionsByArn).map((fn) => fn.environment);
    for (const env of environments) {
      if (ENV.jobsTable in env) expect(env[ENV.jobsTable]).toBe('local-jobs');
      if (ENV.bucket in env) expect(env[ENV.bucket]).toBe('local-bucket');
      if (ENV.stateMachineArn in env) expect(env[ENV.stateMachineArn]).toBe(local.mainStateMachineArn);
    }
    expect(environments.some((env) => ENV.jobsTable in env)).toBe(true);
  });

  it('takes every Task of every state machine to a function or a served integration', () => {
    const served = new Set([
      'arn:aws:states:::lambda:invoke',
      'arn:aws:states:::events:putEvents',
      'arn:aws:states:::states:startExecution',
    ]);
    for (const machine of local.stateMachines) {
      for (const state of Object.values(machine.definition.States)) {
        if (state.Type !== 'Task') continue;
        expect(served).toContain(state.Resource);
        if (state.Resource === 'arn:aws:states:::lambda:invoke') {
          const functionArn = (state.Parameters as { FunctionName: string }).FunctionName;
          expect(local.functionsByArn[functionArn]).toBeDefined();
        }
      }
    }
  });

  it('gives every EventBridge rule a pattern and a function target', () => {
    for (const rule of local.rules) {
      expect(rule.pattern).toEqual(expect.any(Object));
      expect(rule.targets.length).toBeGreaterThan(0);
    }
  });
});
