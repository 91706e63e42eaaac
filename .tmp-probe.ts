const t0 = Date.now();
const { createFramebridgeApp } = await import('./infra/framebridgeApp');
const { Template } = await import('aws-cdk-lib/assertions');
const t1 = Date.now();
const { app, stack } = createFramebridgeApp({ skipBundling: true, nag: false });
const t2 = Date.now();
const template = Template.fromStack(stack);
const t3 = Date.now();
console.log('import', t1 - t0, 'construct', t2 - t1, 'synth', t3 - t2);
